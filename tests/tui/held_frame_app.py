"""A prompt under a frame that is held: ctrl+b opens a Textual batch for a minute.

Run by ``tests/test_real_terminal.py`` in tmux (``python -m tests.tui.held_frame_app``):
a flush tick of streaming panes holds frames the same way, for 100-250 ms.
"""

from __future__ import annotations

import asyncio
from typing import ClassVar

from textual.app import App, ComposeResult
from textual.binding import Binding, BindingType
from textual.widgets import Static

from mmchat.tui.widgets.prompt_input import PromptInput

HELD_FOR = 60.0


class HeldFrame(App[None]):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+b", "hold", priority=True),
    ]

    def compose(self) -> ComposeResult:
        yield Static("frames drawn", id="state")
        yield PromptInput(id="prompt")

    def on_mount(self) -> None:
        self.query_one(PromptInput).focus()

    def action_hold(self) -> None:
        self.query_one("#state", Static).update("frames held")
        self.call_after_refresh(self.run_worker, self._hold())

    async def _hold(self) -> None:
        with self.batch_update():
            self.query_one("#state", Static).update("changed in the held batch")
            await asyncio.sleep(HELD_FOR)


if __name__ == "__main__":
    HeldFrame().run()
