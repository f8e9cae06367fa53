"""``[ui] markdown`` / MMCHAT_MARKDOWN: lean (mmchat's Markdown machinery) or stock
(Textual's own Markdown and MarkdownStream, public API only).

What the user sees is the same in both modes: the core TUI tests run in both (the
``markdown_mode`` fixture). These tests check the switch itself, and that stock mode
does not even import the code that uses Textual's private names.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from textual.containers import VerticalScroll
from textual.widgets import Markdown

from mmchat import paths
from mmchat.tui import markdown, runtime
from mmchat.tui.app import make_app
from mmchat.tui.markdown.lean_markdown import LeanMarkdown
from mmchat.tui.runtime.quiet_resize import QuietResize
from mmchat.tui.widgets.assistant_message import AssistantMessage
from mmchat.tui.widgets.lane_pane import LanePane
from tests.fakeserver import FakeServer, Reply
from tests.harness import make_config
from tests.tui.conftest import PRESETS, build_app, idle, send, wait_for

PRIVATE_MODULES = (*markdown.PRIVATE_MODULES, *runtime.PRIVATE_MODULES)

# A child process: a thinking answer, a fan-out with a pane picked, the conversation
# reopened; then which modules it imported.
CHILD = """
import asyncio, sys
from mmchat import paths
from mmchat.config_schema import Config
from mmchat.plugins import discover
from mmchat.history.store import Store
from mmchat.tui.app import make_app
from mmchat.tui.widgets.lane_pane import LanePane
from mmchat.tui.widgets.thinking_view import ThinkingView

config = Config.model_validate({
    "providers": {"fake": {"kind": "openai", "base_url": sys.argv[1] + "/v1", "max_retries": 0}},
    "models": {m: {"provider": "fake", "model": "model-" + m} for m in "abc"},
    "presets": {
        "single": {"strategy": "single", "options": {"model": "a"}},
        "compare": {"strategy": "fanout", "options": {"models": ["a", "b", "c"]}},
    },
    "defaults": {"preset": "single"},
})


async def main():
    store = Store.open(paths.db_file())
    app = make_app(loaded=config, store=store, registry=discover([]), onboarding=False)
    async with app.run_test(size=(140, 44)) as pilot:
        chat = app.chat_screen

        async def until(done):
            for _ in range(500):
                if done():
                    return
                await pilot.pause(0.02)
            raise SystemExit("timed out")

        async def turn(text):
            before = len(chat.controller.records)
            chat.prompt.text = text
            chat.prompt.focus()
            await pilot.press("enter")
            await until(lambda: chat.controller.running is None
                        and len(chat.controller.records) > before)

        await turn("think first")
        assert app.screen.query_one(ThinkingView).text
        chat.controller.use_preset("compare")
        await turn("compare")
        pane = {p.info.model: p for p in app.screen.query(LanePane)}["b"]
        await pilot.click(pane)
        await until(lambda: pane.chosen)
        conversation = chat.controller.conversation_id
        await chat.controller.new_chat()
        await chat.controller.open_conversation(conversation)
        await until(lambda: len(app.screen.query(LanePane)) == 3)
        await pilot.pause(0.3)  # (the background imports are done by now)
        print("MODE", app.runtime.markdown)
        print("MODULES", " ".join(sorted(sys.modules)))


asyncio.run(main())
"""


@pytest.mark.parametrize("mode", ["stock", "lean"])
def test_stock_mode_never_imports_the_code_that_uses_textual_privates(
    mode: str, fake_server: FakeServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    thought = Reply(text="Four.", reasoning="Two and two make four.")
    for model in ("model-a", "model-b", "model-c"):
        answer = f"the answer from {model}, with a list:\n\n- one\n- two\n"
        fake_server.script(model, *([thought] if model == "model-a" else []), answer)
    monkeypatch.setenv("MMCHAT_MARKDOWN", mode)
    out = subprocess.run(
        [sys.executable, "-c", CHILD, fake_server.url],
        capture_output=True, text=True, timeout=90, cwd=Path(__file__).parents[2],
    )  # fmt: skip
    assert out.returncode == 0, out.stderr[-3000:]
    lines = dict(line.split(" ", 1) for line in out.stdout.splitlines() if " " in line)
    assert lines["MODE"] == mode
    loaded = set(lines["MODULES"].split())
    assert "mmchat.tui.widgets.assistant_message" in loaded  # the turns were drawn
    if mode == "stock":
        assert sorted(loaded & set(PRIVATE_MODULES)) == []
        assert "mmchat.tui.runtime.flush_clock" not in loaded
    else:  # the control: the same run in lean mode does use them
        assert set(PRIVATE_MODULES) <= loaded


async def test_each_mode_draws_with_its_own_widgets(
    markdown_mode: str, fake_server: FakeServer
) -> None:
    for model in ("model-a", "model-b", "model-c"):
        fake_server.script(model, f"the answer from {model}")
    app = build_app(fake_server, preset="compare")
    async with app.run_test(size=(140, 44)) as pilot:
        assert app.runtime.markdown == markdown_mode
        await send(pilot, "compare")
        await wait_for(pilot, idle(app))
        pane = app.screen.query(LanePane).first()
        document = pane.body.markdown
        scroll = pane.query_one(VerticalScroll)
        if markdown_mode == "lean":
            assert isinstance(document, LeanMarkdown) and isinstance(scroll, QuietResize)
        else:
            assert type(document) is Markdown and not isinstance(scroll, QuietResize)
        reply = app.screen.query_one(AssistantMessage)
        assert isinstance(reply.answer.markdown, LeanMarkdown) == (markdown_mode == "lean")


async def test_the_config_chooses_the_mode_and_the_environment_overrides_it(
    fake_server: FakeServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = make_config(fake_server, PRESETS).model_copy(deep=True)
    config.ui.markdown = "stock"
    assert make_app(loaded=config).runtime.markdown == "stock"
    monkeypatch.setenv("MMCHAT_MARKDOWN", "lean")
    assert make_app(loaded=config).runtime.markdown == "lean"


async def test_the_mode_is_read_from_the_file_before_the_config_is_validated() -> None:
    path = paths.config_file()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text('[ui]\nmarkdown = "stock"\n')
    assert make_app(config_path=path).runtime.markdown == "stock"  # nothing loaded yet


async def test_an_unknown_mode_in_the_environment_is_reported_and_lean_is_used(
    fake_server: FakeServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MMCHAT_MARKDOWN", "fast")
    fake_server.script("model-a", "hello")
    app = build_app(fake_server)
    warning = "MMCHAT_MARKDOWN='fast' is not one of lean, stock: using 'lean'"
    async with app.run_test() as pilot:
        await wait_for(pilot, lambda: any(n.message == warning for n in app._notifications))
        await send(pilot, "hi")  # and the app works, in lean mode
        await wait_for(pilot, idle(app))
        assert app.runtime.markdown == "lean"
        assert app.screen.query_one(AssistantMessage).text == "hello"


async def test_a_stock_stream_says_what_is_pending_and_ends_with_the_whole_text(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """What the views and the bench read of a stream (pending, appending, text)."""
    from textual.app import App, ComposeResult

    monkeypatch.setenv("MMCHAT_MARKDOWN", "stock")
    flushed: list[str] = []

    class One(App[None]):
        def compose(self) -> ComposeResult:
            self.stream = markdown.streamed(self, on_flush=lambda: flushed.append("x"))
            yield self.stream.markdown

    app = One()
    async with app.run_test() as pilot:
        stream = app.stream
        assert type(stream.markdown) is Markdown
        assert not stream.pending and stream.appending is False
        for chunk in ("A list:\n\n", "- one\n", "- two\n"):
            await stream.write(chunk)
        assert stream.text == "A list:\n\n- one\n- two\n" and flushed
        await wait_for(pilot, lambda: not stream.pending and not stream.appending)
        assert stream.markdown.source == stream.text
        await stream.stop("A list:\n\n- one\n- two\n- three\n")  # the stored text wins
        assert stream.stopped and not stream.pending
        assert stream.markdown.source.endswith("- three\n")
        await pilot.pause()
        assert len(stream.markdown.query("MarkdownBullet")) == 3  # shown once each
