"""The prompt is painted at once while frames are held (mmchat.tui.runtime.paint_now).
``tests/test_real_terminal.py`` checks the same in tmux, on the screen, and that
nothing else changed in the held batch shows early."""

from __future__ import annotations

import asyncio

from textual.app import App, ComposeResult
from textual.strip import Strip
from textual.widgets import Static

from mmchat.tui.widgets.prompt_input import PromptInput


class CountedPrompt(PromptInput):
    def __init__(self) -> None:
        super().__init__(id="prompt")
        self.lines_drawn = 0

    def render_line(self, y: int) -> Strip:
        self.lines_drawn += 1
        return super().render_line(y)


class PromptAndPane(App[None]):
    def compose(self) -> ComposeResult:
        yield Static("before", id="pane")
        yield CountedPrompt()


async def test_a_key_is_painted_while_a_batch_holds_the_frame() -> None:
    app = PromptAndPane()
    async with app.run_test() as pilot:
        prompt, pane = app.query_one(CountedPrompt), app.query_one("#pane", Static)
        prompt.focus()
        await pilot.pause()
        with app.batch_update():  # what a flush tick does while it mounts new blocks
            pane.update("streamed text")
            await asyncio.sleep(0.05)
            drawn = prompt.lines_drawn
            await pilot.press("h", "i", "backspace")
            await asyncio.sleep(0.05)
            assert prompt.text == "h"
            assert prompt.lines_drawn > drawn  # painted inside the batch
