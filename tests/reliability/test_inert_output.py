"""Model output with escape sequences and markup is inert text on a terminal.

A reply carrying ANSI colours, cursor movement, an OSC 52 clipboard write, an OSC 8
hyperlink, C1 controls, Rich markup (``[bold red]``) and Textual markup
(``[@click=app.quit]``) must reach the user as the literal characters: on ``mmchat
ask`` stdout when it is a terminal (a real pty here), control characters are shown
(``^[``) rather than obeyed; piped to a file, the answer is passed through unchanged.
The TUI half (Pilot) lives in ``test_tui_faults.py``.
"""

from __future__ import annotations

import os
import select
import subprocess
import sys
import time
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mmchat.sanitize import for_terminal
from tests.fakeserver import Reply
from tests.fakeserver.server import FakeServer
from tests.reliability.common import KEY_CLI, captured

ROOT = Path(__file__).resolve().parents[2]
OSC52 = "\x1b]52;c;cm0gLXJmIH4v\x07"  # would put "rm -rf ~/" on the clipboard
HOSTILE = (
    "Hello \x1b[31mred\x1b[0m and \x1b[2J\x1b[H cleared"
    f" {OSC52} clip"
    " \x1b]8;;http://evil.example/\x1b\\link\x1b]8;;\x1b\\"
    " \x9b31m c1-csi \x9d0;title\x9c"
    " [bold red]rich[/bold red] [@click=app.quit]quit[/] [link=http://x]l[/link]"
    " bell\x07 back\x08\x08 over\rwrite\n"
)
CONFIG = """
[defaults]
preset = "one"

[providers.fake]
kind = "openai"
base_url = "{url}/v1"
key = "reliability-cli"
key_env = "RELIABILITY_CLI_KEY"
max_retries = 0

[models.m]
provider = "fake"
model = "model-hostile"

[presets.one]
strategy = "single"
options = {{ model = "m" }}
"""
CONTROL = {chr(c) for c in [*range(0x20), 0x7F, *range(0x80, 0xA0)]} - {"\n", "\t"}


@settings(max_examples=200, deadline=None)
@given(st.text())
def test_sanitizer_leaves_no_control_character(text: str) -> None:
    out = for_terminal(text)
    assert not CONTROL & set(out)
    assert out.count("\n") == text.count("\n") and out.count("\t") == text.count("\t")
    printable = "".join(ch for ch in text if ch not in CONTROL)
    if printable == text:
        assert out == text  # ordinary text is untouched


@pytest.fixture
def hostile_config(fake_server: FakeServer, isolated_dirs: Path) -> dict[str, str]:
    fake_server.script("model-hostile", Reply(text=HOSTILE, chunk_chars=3))
    fake_server.require_key = KEY_CLI
    config_dir = Path(os.environ["MMCHAT_CONFIG_DIR"])
    config_dir.mkdir(parents=True, exist_ok=True)
    (config_dir / "config.toml").write_text(CONFIG.format(url=fake_server.url))
    return {**os.environ, "RELIABILITY_CLI_KEY": KEY_CLI}


def run_on_pty(args: list[str], env: dict[str, str]) -> tuple[bytes, str, int]:
    """Run with stdout on a pseudo-terminal; (stdout bytes, stderr, exit code)."""
    master, slave = os.openpty()
    proc = subprocess.Popen(
        args, stdout=slave, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL, env=env, cwd=ROOT
    )
    os.close(slave)
    chunks: list[bytes] = []
    deadline = time.monotonic() + 60
    try:
        while time.monotonic() < deadline:
            ready, _, _ = select.select([master], [], [], 0.2)
            if ready:
                try:
                    data = os.read(master, 65536)
                except OSError:  # EIO: the child closed the terminal
                    break
                if not data:
                    break
                chunks.append(data)
            elif proc.poll() is not None:
                break
    finally:
        os.close(master)
    _, err = proc.communicate(timeout=30)
    return b"".join(chunks), err.decode("utf-8", "replace"), proc.returncode


def test_ask_on_a_terminal_shows_escapes_instead_of_obeying_them(
    hostile_config: dict[str, str],
) -> None:
    out, err, code = run_on_pty([sys.executable, "-m", "mmchat", "ask", "hi"], hostile_config)
    text = captured("ask on pty", out.decode("utf-8", "replace"))
    captured("ask on pty stderr", err)
    assert code == 0, err
    assert b"\x1b" not in out and b"\x07" not in out and b"\x08" not in out
    assert not {chr(c) for c in range(0x80, 0xA0)} & set(text)  # no C1 either
    assert "^[]52;c;cm0gLXJmIH4v^G" in text  # the clipboard write, as text
    assert "^[[31mred^[[0m" in text
    assert "<U+009B>31m" in text
    for markup in ("[bold red]rich[/bold red]", "[@click=app.quit]quit[/]", "[link=http://x]"):
        assert markup in text
    assert "overwrite" in text  # the lone CR was dropped, nothing overwritten


def test_ask_piped_passes_the_answer_through(hostile_config: dict[str, str]) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "mmchat", "ask", "hi"],
        capture_output=True,
        env=hostile_config,
        cwd=ROOT,
        timeout=60,
        stdin=subprocess.DEVNULL,
    )
    captured("ask piped", result.stdout.decode("utf-8", "replace"))
    assert result.returncode == 0, result.stderr
    assert result.stdout.decode() == HOSTILE  # a file gets exactly what the model said
