"""mmchat in a real terminal: tmux runs the app, keys go in, the screen is read back.

Pilot tests drive the app in-process; this one runs `python -m mmchat` as a user does,
under tmux (its own server socket, so a developer's tmux is untouched), against the
fake LLM server, and reads what the terminal shows.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import sqlite3
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.fakeserver import Reply
from tests.fakeserver.server import FakeServer

pytestmark = [
    pytest.mark.integration,
    pytest.mark.skipif(
        shutil.which("tmux") is None, reason="tmux is not installed (apt-get install tmux)"
    ),
]

CONFIG = """
[defaults]
preset = "single"

[providers.fake]
kind = "openai"
base_url = "{url}/v1"

[models.a]
provider = "fake"
model = "model-a"

[models.b]
provider = "fake"
model = "model-b"

[presets.single]
strategy = "single"
options = {{ model = "a" }}

[presets.compare]
strategy = "fanout"
options = {{ models = ["a", "b"] }}
"""


def clean_environment(**extra: str) -> dict[str, str]:
    """The test's environment without the outer terminal's size: pytest imports
    readline, which exports COLUMNS/LINES of the terminal pytest runs in, and a tmux
    server started from here would hand them to the app."""
    env = {k: v for k, v in os.environ.items() if k not in ("COLUMNS", "LINES")}
    return {**env, **extra}


class Terminal:
    def __init__(self, socket: str, session: str, env: dict[str, str] | None = None) -> None:
        self.socket, self.session = socket, session
        self.env = env if env is not None else clean_environment()

    def tmux(self, *args: str) -> str:
        return subprocess.run(
            ["tmux", "-L", self.socket, *args],
            capture_output=True,
            text=True,
            timeout=10,
            env=self.env,
        ).stdout

    def screen(self) -> str:
        return self.tmux("capture-pane", "-p", "-t", self.session)

    def keys(self, *keys: str) -> None:
        self.tmux("send-keys", "-t", self.session, *keys)

    def wait_for(self, found: Callable[[str], bool], within: float = 30.0) -> str:
        deadline = time.monotonic() + within
        while time.monotonic() < deadline:
            text = self.screen()
            if found(text):
                return text
            time.sleep(0.1)
        raise AssertionError(f"not on screen within {within}s:\n{self.screen()}")

    def alive(self) -> bool:
        return (
            subprocess.run(
                ["tmux", "-L", self.socket, "has-session", "-t", self.session],
                capture_output=True,
                timeout=10,
            ).returncode
            == 0
        )


@contextlib.contextmanager
def open_terminal(command: str, env: dict[str, str] | None = None) -> Iterator[Terminal]:
    """``command`` running in a 140x40 tmux window of its own tmux server."""
    term = Terminal(f"mmchat-test-{uuid.uuid4().hex[:8]}", "app", env)
    term.tmux("new-session", "-d", "-s", term.session, "-x", "140", "-y", "40", command)
    try:
        yield term
    finally:
        term.tmux("kill-server")


@pytest.fixture
def terminal(fake_server: FakeServer, isolated_dirs: Path) -> Iterator[Terminal]:
    config_dir = isolated_dirs / "config"
    config_dir.mkdir(parents=True, exist_ok=True)
    (config_dir / "config.toml").write_text(CONFIG.format(url=fake_server.url))
    command = (
        f"env MMCHAT_CONFIG_DIR={config_dir} MMCHAT_DATA_DIR={isolated_dirs / 'data'} "
        f"{sys.executable} -m mmchat"
    )
    with open_terminal(command) as term:
        yield term


def test_chat_switch_and_quit_in_a_real_terminal(
    fake_server: FakeServer, terminal: Terminal, isolated_dirs: Path
) -> None:
    fake_server.script("model-a", Reply(text="Paris is the capital of France.", delay=0.01))
    fake_server.script("model-b", Reply(text="It is Paris.", delay=0.01))
    terminal.wait_for(lambda s: "message" in s and "preset single" in s)
    terminal.keys("What is the capital of France?", "Enter")
    screen = terminal.wait_for(lambda s: "Paris is the capital of France." in s)
    assert "What is the capital of France?" in screen
    assert "Traceback" not in screen
    # Switch to the fan-out preset with the picker (ctrl+t), then ask again.
    terminal.keys("C-t")
    terminal.wait_for(lambda s: "compare" in s and "fanout" in s)
    terminal.keys("Down", "Enter")
    terminal.wait_for(lambda s: "preset compare" in s)
    terminal.keys("And again?", "Enter")
    terminal.wait_for(lambda s: "It is Paris." in s and "running" not in s)
    # Both turns, each with its own preset, are in the history the app wrote.
    db = isolated_dirs / "data" / "history.sqlite3"
    with sqlite3.connect(db) as conn:
        rows = conn.execute(
            "SELECT preset, text FROM messages WHERE role = 'assistant' ORDER BY id"
        ).fetchall()
    assert [preset for preset, _ in rows] == ["single", "compare"]
    assert rows[0][1] == "Paris is the capital of France."
    terminal.keys("C-q")
    deadline = time.monotonic() + 10
    while terminal.alive() and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not terminal.alive(), "ctrl+q did not quit"


def test_typed_keys_show_while_frames_are_held() -> None:
    """A flush tick of streaming panes holds the screen's frames (a Textual batch);
    the prompt is painted on its own meanwhile (mmchat.tui.runtime.paint_now). Here the batch
    is held for a minute: without that, the keys would show only after it."""
    root = Path(__file__).resolve().parent.parent
    with open_terminal(f"cd {root} && {sys.executable} -m tests.tui.held_frame_app") as terminal:
        terminal.wait_for(lambda s: "frames drawn" in s)
        terminal.keys("C-b")
        terminal.wait_for(lambda s: "frames held" in s)
        terminal.keys("typed while held")
        terminal.wait_for(lambda s: "typed while held" in s, within=10)
        terminal.keys("BSpace", "BSpace", "BSpace", "BSpace", "BSpace")
        screen = terminal.wait_for(lambda s: "typed while held" not in s, within=10)
        assert "typed while" in screen
        assert "frames held" in screen  # the batch is still open ...
        assert "changed in the held batch" not in screen  # ... and its change waits


def test_a_stale_terminal_size_in_the_environment_does_not_shrink_the_app(
    fake_server: FakeServer, isolated_dirs: Path
) -> None:
    """COLUMNS/LINES left in the environment (readline, a script, `watch`) describe
    some other terminal: the app sizes itself from the one it runs in."""
    config_dir = isolated_dirs / "config"
    config_dir.mkdir(parents=True, exist_ok=True)
    (config_dir / "config.toml").write_text(CONFIG.format(url=fake_server.url))
    command = (
        f"env MMCHAT_CONFIG_DIR={config_dir} MMCHAT_DATA_DIR={isolated_dirs / 'data'} "
        f"{sys.executable} -m mmchat"
    )
    with open_terminal(command, clean_environment(COLUMNS="80", LINES="24")) as terminal:
        screen = terminal.wait_for(lambda s: "^p palette" in s and "starting" not in s)
        lines = screen.splitlines()
        assert len(lines) == 40 and "^p palette" in lines[-1]  # the footer on row 40
        assert max(len(line) for line in lines) > 120  # as wide as the window
