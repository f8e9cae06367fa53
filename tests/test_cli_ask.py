"""`mmchat ask` / `mmchat models` / `mmchat plugins` as a user runs them: a subprocess."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from tests.fakeserver import Reply
from tests.fakeserver.server import FakeServer

CONFIG = """
[defaults]
preset = "single"
model = "a"

[providers.fake]
kind = "openai"
base_url = "{url}/v1"

[providers.claude]
kind = "anthropic"
base_url = "{url}/v1"

[providers.google]
kind = "gemini"
base_url = "{url}/v1beta"

[models.a]
provider = "fake"
model = "model-a"
price_in = 1.0
price_out = 2.0

[models.b]
provider = "claude"
model = "model-b"
max_tokens = 100

[models.g]
provider = "google"
model = "model-g"

[presets.single]
strategy = "single"
options = {{ model = "a" }}

[presets.both]
strategy = "fanout"
options = {{ models = ["a", "b"] }}
"""


def mmchat(
    *args: str, input: str | None = None, env_extra: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, **(env_extra or {})}
    return subprocess.run(
        [sys.executable, "-m", "mmchat", *args],
        input=input,
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )


@pytest.fixture
def configured(fake_server: FakeServer, isolated_dirs: Path) -> Path:
    config_dir = Path(os.environ["MMCHAT_CONFIG_DIR"])
    config_dir.mkdir(parents=True, exist_ok=True)
    (config_dir / "config.toml").write_text(CONFIG.format(url=fake_server.url))
    return config_dir


def test_ask_streams_the_answer_and_saves_it(fake_server: FakeServer, configured: Path) -> None:
    fake_server.script("model-a", Reply(text="The capital of France is Paris."))
    result = mmchat("ask", "What is the capital of France?")
    assert result.returncode == 0, result.stderr
    assert result.stdout == "The capital of France is Paris.\n"
    db = Path(os.environ["MMCHAT_DATA_DIR"]) / "history.sqlite3"
    with sqlite3.connect(db) as conn:
        rows = conn.execute("SELECT role, text, status FROM messages ORDER BY id").fetchall()
    assert rows == [
        ("user", "What is the capital of France?", "complete"),
        ("assistant", "The capital of France is Paris.", "complete"),
    ]


def test_ask_reads_the_prompt_from_stdin_and_honours_no_save(
    fake_server: FakeServer, configured: Path
) -> None:
    result = mmchat("ask", "--no-save", input="piped question\n")
    assert result.returncode == 0, result.stderr
    assert result.stdout == "echo: piped question\n"
    assert not (Path(os.environ["MMCHAT_DATA_DIR"]) / "history.sqlite3").exists()


def test_ask_json_has_answer_usage_cost_lanes_and_events(
    fake_server: FakeServer, configured: Path
) -> None:
    fake_server.script("model-a", Reply(text="one", prompt_tokens=1000, completion_tokens=500))
    fake_server.script("model-b", Reply(text="two"))
    result = mmchat("ask", "--json", "--strategy", "both", "compare please")
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["answer"] == "one"
    assert data["strategy"] == "fanout" and data["preset"] == "both"
    lanes = {lane["model"]: lane for lane in data["lanes"]}
    assert lanes["a"]["text"] == "one" and lanes["b"]["text"] == "two"
    assert lanes["a"]["cost"] == pytest.approx((1000 * 1.0 + 500 * 2.0) / 1e6)
    assert lanes["b"]["cost"] is None  # no price for b: unknown, never 0
    assert data["cost"] is None
    assert data["usage"]["prompt_tokens"] >= 1000
    assert any(d["kind"] == "fanout" for d in data["decisions"])
    types = {e["type"] for e in data["events"]}
    assert {"TurnStarted", "LaneOpened", "LaneClosed", "FinalAnswer", "TurnFinished"} <= types


def test_ask_with_a_model_override_and_system_prompt(
    fake_server: FakeServer, configured: Path
) -> None:
    result = mmchat("ask", "--model", "b", "--system", "Be brief.", "hello")
    assert result.returncode == 0, result.stderr
    assert result.stdout == "echo: hello\n"
    body = fake_server.requests_to("/messages")[0].json
    assert body["system"] == "Be brief."  # Anthropic: system is top-level
    assert body["max_tokens"] == 100


def test_provider_down_gives_a_clear_error_and_keeps_the_question(
    fake_server: FakeServer, configured: Path
) -> None:
    config = configured / "config.toml"
    config.write_text(config.read_text().replace(fake_server.url, "http://127.0.0.1:9"))
    result = mmchat("ask", "are you there?")
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert "cannot reach" in result.stderr or "connect" in result.stderr.lower()
    db = Path(os.environ["MMCHAT_DATA_DIR"]) / "history.sqlite3"
    with sqlite3.connect(db) as conn:
        texts = [r[0] for r in conn.execute("SELECT text FROM messages WHERE role='user'")]
    assert texts == ["are you there?"]


def test_stream_cut_halfway_prints_what_arrived_and_says_so(
    fake_server: FakeServer, configured: Path
) -> None:
    fake_server.script("model-a", Reply(text="first part, second part", chunk_chars=5, cut_after=2))
    result = mmchat("ask", "tell me")
    assert result.returncode == 1
    assert result.stdout.startswith("first part")
    assert "Traceback" not in result.stderr
    assert "closed mid-answer" in result.stderr and "incomplete" in result.stderr


def test_broken_config_is_one_clear_error(configured: Path) -> None:
    (configured / "config.toml").write_text("[models.a]\nprovider = 'nope'\nmodel = 'x'\n")
    result = mmchat("ask", "hello")
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert str(configured / "config.toml") in result.stderr
    assert "models.a.provider" in result.stderr


def test_unknown_preset_lists_the_known_ones(configured: Path) -> None:
    result = mmchat("ask", "--strategy", "nonesuch", "hello")
    assert result.returncode == 2
    assert "no preset or strategy named 'nonesuch'" in result.stderr
    assert "both" in result.stderr and "voting" in result.stderr


def test_models_lists_aliases_and_what_each_provider_offers(
    fake_server: FakeServer, configured: Path
) -> None:
    result = mmchat("models")
    assert result.returncode == 0, result.stderr
    assert "fake (openai)" in result.stdout and "claude (anthropic)" in result.stdout
    assert "alias a" in result.stdout and "test-model" in result.stdout


def test_ask_and_models_with_a_gemini_provider(fake_server: FakeServer, configured: Path) -> None:
    key = "AIzaSy-cli-test-5Ui8Op2As7Df1Gh4"
    fake_server.script("model-g", Reply(text="Hello from Gemini"))
    result = mmchat("ask", "--model", "g", "hi", env_extra={"GEMINI_API_KEY": key})
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "Hello from Gemini"
    sent = fake_server.requests_to("/models/model-g:streamGenerateContent")
    assert len(sent) == 1 and sent[0].headers["x-goog-api-key"] == key
    assert key not in result.stdout + result.stderr
    listed = mmchat("models", "--provider", "google", env_extra={"GEMINI_API_KEY": key})
    assert listed.returncode == 0, listed.stdout + listed.stderr
    assert "google (gemini)" in listed.stdout and "alias g" in listed.stdout
    # Google's names without "models/"; the embedding model that cannot chat left out
    assert "offers 3 model(s): test-model, other-model, model-g\n" in listed.stdout


def test_plugins_lists_all_twelve_and_the_presets(configured: Path) -> None:
    result = mmchat("plugins")
    assert result.returncode == 0, result.stdout + result.stderr
    for name in (
        "single",
        "pipeline",
        "router",
        "fanout",
        "voting",
        "consensus",
        "ensemble",
        "planner",
        "supervisor",
        "moa",
        "council",
        "debate",
    ):
        assert f"\n{name} " in f"\n{result.stdout}"
    assert "both (fanout)" in result.stdout


@pytest.mark.parametrize(
    ("signum", "code"),
    [(signal.SIGINT, 130), (signal.SIGTERM, 128 + signal.SIGTERM),
     (signal.SIGHUP, 128 + signal.SIGHUP)],
)  # fmt: skip
def test_a_signal_stops_the_answer_and_keeps_what_arrived(
    fake_server: FakeServer, configured: Path, signum: int, code: int
) -> None:
    """Ctrl+C, kill and a closed terminal all end `ask` the same way: the requests
    stop, the answer so far is the stored message's text, marked cancelled."""
    fake_server.script("model-a", Reply(text="word " * 400, chunk_chars=5, delay=0.02))
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    process = subprocess.Popen(
        [sys.executable, "-m", "mmchat", "ask", "Say many words"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
    )  # fmt: skip
    assert process.stdout is not None
    first = process.stdout.read(10)  # the answer is streaming
    assert first.startswith("word")
    process.send_signal(signum)
    _, errors = process.communicate(timeout=30)
    assert process.returncode == code, errors
    assert "Traceback" not in errors
    db = Path(os.environ["MMCHAT_DATA_DIR"]) / "history.sqlite3"
    with sqlite3.connect(db) as conn:
        text, status = conn.execute(
            "SELECT text, status FROM messages WHERE role = 'assistant'"
        ).fetchone()
    assert status == "cancelled" and text.startswith("word word") and len(text) < 2000


def test_ask_route_takes_that_route_and_is_kept_as_a_correction(
    fake_server: FakeServer, configured: Path
) -> None:
    with (configured / "config.toml").open("a") as config:
        config.write(
            '\n[presets.route]\nstrategy = "router"\n'
            'options = { routes = { code = "a", general = "b" }, default = "general", '
            'deciders = ["rules"], classifier = "a" }\n'
        )
    fake_server.script("model-a", "print('hi')")
    fake_server.script("model-b", "Hello from b.")
    question = "write python code that says hi"
    result = mmchat("ask", "-s", "route", "--route", "general", question)
    assert result.returncode == 0, result.stderr
    assert result.stdout == "Hello from b.\n"
    db = Path(os.environ["MMCHAT_DATA_DIR"]) / "history.sqlite3"
    with sqlite3.connect(db) as conn:
        kept = conn.execute("SELECT kind, text, label FROM corrections").fetchall()
    assert kept == [("route", question, "general")]
    # Without --route the rules send it to code (--preset is another name for -s).
    again = mmchat("ask", "--preset", "route", question)
    assert again.stdout == "print('hi')\n", again.stderr
