"""An answer the token cap cut short says so, whatever the protocol said it in.

OpenAI says ``length``, Anthropic ``max_tokens``, Ollama ``done_reason: length``, Gemini
``MAX_TOKENS`` (the fake server speaks each protocol's own word for a ``length`` reply).
`mmchat ask` marks it on stderr; the chat screen in the message footer and, for a turn
with several lanes, in the pane of the lane that was cut.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from mmchat.finish import TOKEN_LIMIT_MARK
from mmchat.tui.widgets.assistant_message import AssistantMessage
from mmchat.tui.widgets.lane_pane import LanePane
from tests.fakeserver import FakeServer, Reply
from tests.test_cli_ask import mmchat
from tests.tui.conftest import build_app, idle, send, wait_for

CONFIG = """
[defaults]
preset = "single"
model = "openai"

[providers.oai]
kind = "openai"
base_url = "{server.url}/v1"

[providers.claude]
kind = "anthropic"
base_url = "{server.anthropic_url}"

[providers.google]
kind = "gemini"
base_url = "{server.gemini_url}"

[providers.olla]
kind = "ollama"
base_url = "{server.ollama_url}"

[models.openai]
provider = "oai"
model = "m-openai"

[models.anthropic]
provider = "claude"
model = "m-anthropic"

[models.gemini]
provider = "google"
model = "m-gemini"

[models.ollama]
provider = "olla"
model = "m-ollama"

[presets.single]
strategy = "single"
options = {{ model = "openai" }}

[presets.two]
strategy = "fanout"
options = {{ models = ["openai", "ollama"] }}
"""

PROTOCOLS = ("openai", "anthropic", "gemini", "ollama")


@pytest.fixture
def configured(fake_server: FakeServer, isolated_dirs: Path) -> Path:
    config_dir = Path(os.environ["MMCHAT_CONFIG_DIR"])
    config_dir.mkdir(parents=True, exist_ok=True)
    (config_dir / "config.toml").write_text(CONFIG.format(server=fake_server))
    return config_dir


@pytest.mark.parametrize("alias", PROTOCOLS)
def test_ask_marks_an_answer_cut_by_the_token_limit(
    fake_server: FakeServer, configured: Path, alias: str
) -> None:
    fake_server.script(
        f"m-{alias}", Reply(text="The capital of France is Par", finish_reason="length")
    )
    result = mmchat("ask", "--model", alias, "--no-save", "What is the capital of France?")
    assert result.returncode == 0, result.stderr
    assert result.stdout == "The capital of France is Par\n"  # the answer itself untouched
    assert f"mmchat: {TOKEN_LIMIT_MARK}: the answer is cut short" in result.stderr


@pytest.mark.parametrize("alias", PROTOCOLS)
def test_ask_says_nothing_when_the_model_stopped_by_itself(
    fake_server: FakeServer, configured: Path, alias: str
) -> None:
    fake_server.script(f"m-{alias}", Reply(text="Paris."))
    result = mmchat("ask", "--model", alias, "--no-save", "What is the capital of France?")
    assert result.returncode == 0, result.stderr
    assert result.stdout == "Paris.\n" and TOKEN_LIMIT_MARK not in result.stderr


def test_ask_names_the_cut_lane_of_a_turn_with_several(
    fake_server: FakeServer, configured: Path
) -> None:
    fake_server.script("m-openai", Reply(text="Paris."))
    fake_server.script("m-ollama", Reply(text="Paris is the capi", finish_reason="length"))
    result = mmchat("ask", "--strategy", "two", "--no-save", "capital of France?")
    assert result.returncode == 0, result.stderr
    assert f"{TOKEN_LIMIT_MARK} in ollama:" in result.stderr
    assert "openai" not in result.stderr.split(TOKEN_LIMIT_MARK)[1]


@pytest.mark.parametrize("finish", ["length", "stop"])
async def test_chat_footer_marks_a_cut_answer(fake_server: FakeServer, finish: str) -> None:
    fake_server.script("model-a", Reply(text="Once upon a ti", finish_reason=finish))
    app = build_app(fake_server)
    async with app.run_test(size=(120, 40)) as pilot:
        await send(pilot, "tell me a story")
        await wait_for(pilot, idle(app))
        await pilot.pause()
        reply = app.screen.query_one(AssistantMessage)
        footer = str(reply._footer.render())
        assert (TOKEN_LIMIT_MARK in footer) == (finish == "length"), footer


async def test_chat_lane_pane_marks_the_cut_lane_only(fake_server: FakeServer) -> None:
    fake_server.script("model-a", Reply(text="whole answer."))
    fake_server.script("model-b", Reply(text="cut ans", finish_reason="length"))
    fake_server.script("model-c", Reply(text="another whole one."))
    app = build_app(fake_server, preset="compare")
    async with app.run_test(size=(150, 45)) as pilot:
        await send(pilot, "compare please")
        await wait_for(pilot, idle(app))
        await pilot.pause()
        heads = {p.info.model: str(p._head.render()) for p in app.screen.query(LanePane)}
        assert TOKEN_LIMIT_MARK in heads["b"]
        assert TOKEN_LIMIT_MARK not in heads["a"] + heads["c"]
        footer = str(app.screen.query_one(AssistantMessage)._footer.render())
        assert f"{TOKEN_LIMIT_MARK} (b)" in footer
