"""The message box: Enter sends; ctrl+n, ctrl+j or alt+enter insert a newline.

Enter-to-send with control-key newlines works the same inside tmux and plain
terminals (shift+enter is indistinguishable from Enter in most of them). Pasted text
keeps its newlines (bracketed paste does not go through key events).
"""

from __future__ import annotations

from typing import ClassVar

from textual import events
from textual.binding import Binding, BindingType
from textual.message import Message
from textual.widgets import TextArea

__all__ = ["PromptInput"]


class PromptInput(TextArea):
    DEFAULT_CSS = """
    PromptInput {
        height: auto;
        min-height: 3;
        max-height: 12;
        border: round $primary 60%;
    }
    PromptInput:focus { border: round $primary; }
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("enter", "submit", "Send", id="send", priority=True),
        Binding("ctrl+n,ctrl+j,alt+enter", "newline", "Newline", id="newline", show=False),
    ]

    class Submitted(Message):
        def __init__(self, prompt: PromptInput, text: str) -> None:
            super().__init__()
            self.prompt = prompt
            self.text = text

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id, soft_wrap=True, show_line_numbers=False, tab_behavior="focus")
        self.border_title = "message"
        self.border_subtitle = "enter send · ctrl+n newline · esc stop · ctrl+p commands"

    def action_submit(self) -> None:
        text = self.text
        if text.strip():
            self.post_message(self.Submitted(self, text))

    def action_newline(self) -> None:
        self.insert("\n")

    async def _on_key(self, event: events.Key) -> None:
        if event.key == "enter":  # handled by the binding, never inserted
            event.prevent_default()
            return
        await super()._on_key(event)
