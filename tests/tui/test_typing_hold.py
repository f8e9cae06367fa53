"""Keystrokes first: streamed text waits while the user types (mmchat.tui.runtime.typing_hold)."""

from __future__ import annotations

import asyncio
from typing import Any, ClassVar

import pytest
from textual.app import App, ComposeResult
from textual.strip import Strip
from textual.widgets.markdown import MarkdownBlock

from mmchat.tui.markdown.lean_markdown import LeanMarkdown
from mmchat.tui.markdown.lean_stream import LeanStream
from mmchat.tui.runtime import runtime_of, typing_hold
from mmchat.tui.widgets.prompt_input import PromptInput
from tests.tui.conftest import wait_for


class DrawnParagraph(LeanMarkdown.BLOCKS["paragraph_open"]):  # type: ignore[misc,valid-type]
    """A paragraph that counts the lines it draws (all instances together)."""

    lines_drawn = 0

    def render_line(self, y: int) -> Strip:
        DrawnParagraph.lines_drawn += 1
        return super().render_line(y)


class CountingMarkdown(LeanMarkdown):
    BLOCKS: ClassVar[dict[str, type[MarkdownBlock]]] = {
        **LeanMarkdown.BLOCKS,
        "paragraph_open": DrawnParagraph,
    }


class Typing(App[None]):
    def compose(self) -> ComposeResult:
        yield PromptInput(id="prompt")
        yield CountingMarkdown(id="answer")


async def key_then_text(pilot: Any, text: str) -> LeanStream:
    """A key in the prompt, then streamed text arrives for the answer."""
    answer = LeanStream(pilot.app.query_one("#answer", LeanMarkdown))
    pilot.app.query_one("#prompt", PromptInput).focus()
    await pilot.press("h")
    await answer.write(text)
    return answer


async def test_streamed_text_waits_while_the_prompt_gets_keys_then_shows(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # A long hold, so a slow machine cannot end it before the check below.
    monkeypatch.setattr(typing_hold, "HOLD", 2.0)
    monkeypatch.setattr(typing_hold, "MAX_HOLD", 60.0)
    app = Typing()
    async with app.run_test() as pilot:
        answer = LeanStream(app.query_one("#answer", LeanMarkdown))
        app.query_one("#prompt", PromptInput).focus()
        await pilot.press("h", "i")
        assert app.query_one("#prompt", PromptInput).text == "hi"
        await answer.write("streamed **text**")
        await pilot.pause(0.3)  # several flush ticks (1/12 s) go by
        assert answer.markdown.source == ""  # held: the frames went to the prompt
        assert answer.text == "streamed **text**"  # kept, not dropped
        # the user stopped typing: shown once the hold is over
        await wait_for(pilot, lambda: answer.markdown.source == "streamed **text**")
        assert not runtime_of(app).typing.is_typing()


async def test_typing_without_end_still_shows_streamed_text_now_and_then(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(typing_hold, "HOLD", 30.0)
    monkeypatch.setattr(typing_hold, "MAX_HOLD", 0.2)
    app = Typing()
    async with app.run_test() as pilot:
        answer = await key_then_text(pilot, "streamed anyway")
        await wait_for(pilot, lambda: answer.markdown.source == "streamed anyway")
        assert runtime_of(app).typing.is_typing()  # shown although the user is still typing


async def test_past_the_longest_hold_streamed_text_still_lets_each_key_show_first(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A flush right after a key put a layout of the answer into the key's frame
    (echo p95 ~120 ms in tmux while typing through one answer, ~100 ms without)."""
    monkeypatch.setattr(typing_hold, "HOLD", 30.0)
    monkeypatch.setattr(typing_hold, "MAX_HOLD", 0.0)  # the hold is used up at once
    monkeypatch.setattr(typing_hold, "KEY_FRAME", 2.0)  # long, for a slow machine
    app = Typing()
    async with app.run_test() as pilot:
        answer = await key_then_text(pilot, "streamed anyway")
        await pilot.pause(0.3)
        assert answer.markdown.source == ""  # not in the frame that shows the key
        await wait_for(pilot, lambda: answer.markdown.source == "streamed anyway")
        assert runtime_of(app).typing.is_typing()


async def test_a_key_is_handled_while_a_flush_is_still_mounting(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A flush tick awaits its new blocks' mounts (100-250 ms for eight panes). It ran
    in the App's message loop (Textual runs timer callbacks there), and keys pass
    through the App: every key that arrived meanwhile waited for the whole tick."""
    monkeypatch.setattr(typing_hold, "HOLD", 0.0)  # no hold: the tick runs at once
    app = Typing()
    async with app.run_test() as pilot:
        markdown = app.query_one("#answer", LeanMarkdown)
        mounting, mounted = asyncio.Event(), asyncio.Event()

        async def slow_append(text: str) -> None:
            mounting.set()
            await mounted.wait()  # a mount that lasts until the test ends it

        monkeypatch.setattr(markdown, "append", slow_append)
        prompt = app.query_one("#prompt", PromptInput)
        prompt.focus()
        await LeanStream(markdown).write("streamed")
        await asyncio.wait_for(mounting.wait(), 10)
        try:
            await pilot.press("h")
            await wait_for(pilot, lambda: prompt.text == "h")  # the flush is not done
        finally:
            mounted.set()


async def held_frame(monkeypatch: pytest.MonkeyPatch, pilot: Any) -> LeanStream:
    """Streamed text appended while the user types past the longest hold, and its
    frame not drawn yet."""
    monkeypatch.setattr(typing_hold, "HOLD", 30.0)
    monkeypatch.setattr(typing_hold, "MAX_HOLD", 0.0)
    monkeypatch.setattr(typing_hold, "KEY_FRAME", 0.0)
    DrawnParagraph.lines_drawn = 0
    answer = await key_then_text(pilot, "streamed text")
    await wait_for(pilot, lambda: answer.markdown.source == "streamed text")
    await pilot.pause(0.3)
    assert DrawnParagraph.lines_drawn == 0  # appended, not drawn
    return answer


async def test_while_typing_a_flush_is_drawn_just_after_the_next_key(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Its layout (100-200 ms with eight panes) then starts when the key after that
    one is furthest off: echo p95 in tmux while typing through an eight-pane fan-out
    went from 111-175 ms to 28 ms."""
    app = Typing()
    async with app.run_test() as pilot:
        await held_frame(monkeypatch, pilot)
        await pilot.press("i")
        await wait_for(pilot, lambda: DrawnParagraph.lines_drawn > 0)


async def test_a_frame_held_for_the_next_key_is_drawn_when_a_stream_ends(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    app = Typing()
    async with app.run_test() as pilot:
        answer = await held_frame(monkeypatch, pilot)
        await answer.stop()
        await wait_for(pilot, lambda: DrawnParagraph.lines_drawn > 0)
        assert runtime_of(app).typing.is_typing()
