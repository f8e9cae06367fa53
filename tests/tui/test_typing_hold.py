"""Keystrokes first: streamed text waits while the user types (mmchat.tui.typing_hold)."""

from __future__ import annotations

from typing import Any

import pytest
from textual.app import App, ComposeResult

from mmchat.tui import typing_hold
from mmchat.tui.widgets.lean_markdown import LeanMarkdown
from mmchat.tui.widgets.prompt_input import PromptInput
from mmchat.tui.widgets.streamed_markdown import StreamedMarkdown
from tests.tui.conftest import wait_for


class Typing(App[None]):
    def compose(self) -> ComposeResult:
        yield PromptInput(id="prompt")
        yield LeanMarkdown(id="answer")


async def key_then_text(pilot: Any, text: str) -> StreamedMarkdown:
    """A key in the prompt, then streamed text arrives for the answer."""
    answer = StreamedMarkdown(pilot.app.query_one("#answer", LeanMarkdown))
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
        answer = StreamedMarkdown(app.query_one("#answer", LeanMarkdown))
        app.query_one("#prompt", PromptInput).focus()
        await pilot.press("h", "i")
        assert app.query_one("#prompt", PromptInput).text == "hi"
        await answer.write("streamed **text**")
        await pilot.pause(0.3)  # several flush ticks (1/12 s) go by
        assert answer.markdown.source == ""  # held: the frames went to the prompt
        assert answer.text == "streamed **text**"  # kept, not dropped
        # the user stopped typing: shown once the hold is over
        await wait_for(pilot, lambda: answer.markdown.source == "streamed **text**")
        assert not typing_hold.is_typing(app)


async def test_typing_without_end_still_shows_streamed_text_now_and_then(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(typing_hold, "HOLD", 30.0)
    monkeypatch.setattr(typing_hold, "MAX_HOLD", 0.2)
    app = Typing()
    async with app.run_test() as pilot:
        answer = await key_then_text(pilot, "streamed anyway")
        await wait_for(pilot, lambda: answer.markdown.source == "streamed anyway")
        assert typing_hold.is_typing(app)  # shown although the user is still typing


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
        assert typing_hold.is_typing(app)
