"""`mmchat eval` as a user runs it: a subprocess against the fake server."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from tests.fakeserver import Reply
from tests.fakeserver.server import FakeServer
from tests.harness import user_text

CONFIG = """
[defaults]
preset = "single"

[providers.fake]
kind = "openai"
base_url = "{url}/v1"
max_retries = 0

[models.a]
provider = "fake"
model = "model-a"
price_in = 1.0
price_out = 2.0

[models.b]
provider = "fake"
model = "model-b"

[presets.single]
strategy = "single"
options = {{ model = "a" }}

[presets.pair]
strategy = "voting"
options = {{ models = ["a", "b"] }}
"""


def mmchat(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "mmchat", *args], capture_output=True, text=True, timeout=60
    )


@pytest.fixture
def configured(fake_server: FakeServer, isolated_dirs: Path) -> Path:
    config_dir = Path(os.environ["MMCHAT_CONFIG_DIR"])
    config_dir.mkdir(parents=True, exist_ok=True)
    (config_dir / "config.toml").write_text(CONFIG.format(url=fake_server.url))
    return config_dir


@pytest.fixture
def dataset(tmp_path: Path) -> Path:
    path = tmp_path / "sums.jsonl"
    path.write_text(
        "".join(
            json.dumps({"id": f"s{n}", "prompt": f"What is {n} + 1?", "answer": str(n + 1),
                        "check": "number"}) + "\n"
            for n in range(1, 6)
        )
    )  # fmt: skip
    return path


def adder(delay: float = 0.0) -> Any:
    def reply(body: dict[str, Any]) -> Reply:
        n = int(user_text(body).split()[2])
        text = f"{n} + 1 = {n + 1}"
        return Reply(text=text, first_delay=delay, prompt_tokens=100, completion_tokens=10)

    return reply


def row(stdout: str, preset: str) -> list[str]:
    """The cells of ``preset``'s row in the printed table."""
    for line in stdout.splitlines():
        cells = [c.strip() for c in line.strip("|").split("|")]
        if line.startswith("|") and cells[0] == preset:
            return cells
    raise AssertionError(f"no row for {preset} in:\n{stdout}")


def db() -> Path:
    return Path(os.environ["MMCHAT_DATA_DIR"]) / "history.sqlite3"


def test_eval_prints_the_table_and_stores_no_conversation(
    fake_server: FakeServer, configured: Path, dataset: Path
) -> None:
    fake_server.script_fn("model-a", adder())
    fake_server.script_fn("model-b", lambda body: "I think 7")
    result = mmchat("eval", str(dataset), "--presets", "single,pair", "--limit", "4")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == f"{dataset} (sha256 {lines[0].split('sha256 ')[1][:12]}): 4 of 5 items"
    assert lines[2].startswith("| preset | done | accuracy (95 % CI) |")
    single, pair = row(result.stdout, "single"), row(result.stdout, "pair")
    assert single[:5] == ["single", "4/4", "100 % (51–100 %)", "110", "$0.0005"]
    assert pair[0] == "pair" and pair[4] == "unknown" and pair[7] == "0"  # b has no price
    assert "[8/8]" in result.stderr and "single s1 ✓ 2" in result.stderr
    with sqlite3.connect(db()) as conn:
        assert conn.execute("SELECT count(*) FROM messages").fetchone() == (0,)
        assert conn.execute("SELECT count(*) FROM eval_results").fetchone() == (8,)


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM])
def test_stopped_eval_keeps_finished_items_and_resumes(
    fake_server: FakeServer, configured: Path, dataset: Path, signum: int
) -> None:
    fake_server.script_fn(
        "model-a", lambda body: adder(0.0 if "What is 1 " in user_text(body) else 30.0)(body)
    )
    args = [sys.executable, "-m", "mmchat", "eval", str(dataset), "--presets", "single"]
    with subprocess.Popen(
        [*args, "--concurrency", "2"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    ) as proc:
        assert proc.stderr is not None
        first = proc.stderr.readline()  # s1 answers at once; s2 and s3 wait 30 s
        assert first.startswith("[1/5] single s1 ✓ 2"), first
        deadline = time.monotonic() + 10
        while len(fake_server.requests_to("/chat/completions")) < 3:  # s3 has gone out
            assert time.monotonic() < deadline
            time.sleep(0.01)
        proc.send_signal(signum)
        out, err = proc.communicate(timeout=20)
    assert proc.returncode == 130, err
    assert "stopped: 4 item(s) not done; run the same command again to resume" in err
    assert row(out, "single")[1:3] == ["1/5", "100 % (21–100 %)"]  # what was done
    sent = len(fake_server.requests_to("/chat/completions"))
    assert sent == 3  # s1, and s2, s3 which were cut

    fake_server.script_fn("model-a", adder())
    fake_server.requests.clear()
    rerun = mmchat("eval", str(dataset), "--presets", "single")
    assert rerun.returncode == 0, rerun.stderr
    assert "resumed: 1 of 5 already done (single 1/5)" in rerun.stderr
    asked = sorted(user_text(r.json) for r in fake_server.requests_to("/chat/completions"))
    assert asked == [f"What is {n} + 1?" for n in range(2, 6)]  # s1 was not asked again
    assert row(rerun.stdout, "single")[1:3] == ["5/5", "100 % (57–100 %)"]


def test_json_output_is_versioned_and_has_every_item(
    fake_server: FakeServer, configured: Path, dataset: Path
) -> None:
    fake_server.script_fn("model-a", adder())
    result = mmchat("eval", str(dataset), "--presets", "single", "--json", "--limit", "2")
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["format"] == 1 and data["dataset"]["selected"] == 2 and data["judge"] is None
    (preset,) = data["presets"]
    assert preset["preset"] == "single" and preset["accuracy"] == 1.0
    assert preset["interval"] == [0.3424, 1.0]
    assert set(preset) >= {"tokens", "cost", "latency", "failures", "resumed", "config_hash"}
    assert [(i["id"], i["extracted"], i["correct"]) for i in data["items"]] == [
        ("s1", "2", True), ("s2", "3", True),
    ]  # fmt: skip
    assert data["items"][0]["reply"] == "1 + 1 = 2"


def test_a_broken_dataset_is_one_located_error(configured: Path, tmp_path: Path) -> None:
    path = tmp_path / "bad.jsonl"
    path.write_text('{"prompt": "ok", "answer": "1", "check": "number"}\n{"prompt": "oops"\n')
    result = mmchat("eval", str(path))
    assert result.returncode == 2
    assert result.stderr == (
        f"mmchat: {path}: 1 broken line(s)\n"
        "  line 2: not valid JSON (Expecting ',' delimiter at column 18)\n"
    )
    assert not db().exists()  # nothing was opened, let alone run
    unknown = mmchat("eval", "builtin:arithmetic", "--presets", "single,nope")
    assert unknown.returncode == 2 and "no preset named 'nope'" in unknown.stderr


def test_model_text_is_inert_on_the_terminal(
    fake_server: FakeServer, configured: Path, dataset: Path
) -> None:
    fake_server.script("model-a", Reply(status=500, error_message="\x1b]52;c;aGk=\x07 boom"))
    result = mmchat("eval", str(dataset), "--presets", "single", "--limit", "1")
    assert result.returncode == 0
    assert "\x1b" not in result.stderr and "^[]52;c;aGk=^G boom" in result.stderr
    assert row(result.stdout, "single")[1:3] == ["1/1", "0 % (0–79 %)"]


def test_a_terminal_gets_a_progress_bar_instead_of_lines(
    fake_server: FakeServer, configured: Path, dataset: Path
) -> None:
    import pty
    import select

    fake_server.script_fn("model-a", adder(0.1))
    main, secondary = pty.openpty()
    with subprocess.Popen(
        [sys.executable, "-m", "mmchat", "eval", str(dataset), "--presets", "single"],
        stdout=subprocess.PIPE,
        stderr=secondary,
        text=True,
    ) as proc:
        os.close(secondary)
        seen = b""
        while True:  # read the terminal until the process closes it
            ready, _, _ = select.select([main], [], [], 20)
            assert ready, "no output from the terminal for 20 s"
            try:
                chunk = os.read(main, 65536)
            except OSError:  # EIO: the other end is closed
                break
            if not chunk:
                break
            seen += chunk
        out, _ = proc.communicate(timeout=20)
    os.close(main)
    assert proc.returncode == 0
    terminal = seen.decode()
    assert "5/5" in terminal and "━" in terminal  # rich's bar, counting items
    assert "[1/5]" not in terminal  # not the plain lines a pipe gets
    assert row(out, "single")[1] == "5/5"


def test_bad_options_are_clear_errors(configured: Path, dataset: Path) -> None:
    for option, message in (
        (["--concurrency", "0"], "--concurrency must be at least 1"),
        (["--limit", "0"], "--limit must be at least 1"),
        (["--budget", "-1"], "--budget must not be negative"),
    ):
        result = mmchat("eval", str(dataset), *option)
        assert (result.returncode, result.stderr) == (2, f"mmchat: {message}\n")
