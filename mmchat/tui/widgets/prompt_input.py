"""The message box: Enter sends; ctrl+n or ctrl+j insert a newline.

Enter-to-send with control-key newlines works the same inside tmux and plain
terminals: shift+enter and alt+enter reach the app as a plain Enter under tmux
(checked), ctrl+n / ctrl+j arrive intact. Pasted text keeps its newlines (bracketed
paste does not go through key events).
"""

from __future__ import annotations

from typing import ClassVar

from textual import events
from textual.binding import Binding, BindingType
from textual.message import Message
from textual.widgets import TextArea

from mmchat.tui.runtime import runtime_of

__all__ = ["NEWLINE_KEYS", "PromptInput"]

NEWLINE_KEYS = ("ctrl+n", "ctrl+j")


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
        # Enter is handled in on_key, in order with the typed keys: a priority binding
        # runs before earlier keys reach the TextArea, so "abc⏎" arriving in one write
        # (fast typing, tmux send-keys) would submit an empty box. This binding shows
        # the key in the footer; remapping `send` adds keys (Enter keeps sending).
        Binding("enter", "submit", "Send", id="send"),
        Binding("ctrl+n,ctrl+j", "newline", "Newline", id="newline", show=False),
        # The prompt is a few lines high: PgUp/PgDn scroll the conversation instead.
        Binding(
            "pageup", "scroll_transcript(-1)", "Scroll up", id="transcript_page_up", show=False
        ),
        Binding(
            "pagedown", "scroll_transcript(1)", "Scroll down", id="transcript_page_down", show=False
        ),
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

    def action_scroll_transcript(self, pages: int) -> None:
        from mmchat.tui.widgets.transcript import Transcript

        for transcript in self.screen.query(Transcript):
            if pages < 0:
                transcript.scroll_page_up()
            else:
                transcript.scroll_page_down()

    def on_key(self, event: events.Key) -> None:
        # Both handled here, in order with the typed keys (see BINDINGS). Textual calls
        # this before TextArea's own key handler (a subclass's handler comes first);
        # prevent_default() keeps that one from also inserting the key.
        if event.key == "enter":
            event.prevent_default()
            event.stop()
            self.action_submit()
            return
        runtime_of(self.app).key_typed()  # streamed text waits while the user types
        if event.key in NEWLINE_KEYS:
            event.prevent_default()
            event.stop()
            self.action_newline()

    # Every change, typed or from a binding (backspace, arrows), is drawn at once:
    # the next frame may be held behind a flush tick and a layout of streaming panes.
    def _on_text_area_changed(self, _: TextArea.Changed) -> None:
        self._echo()

    def _on_text_area_selection_changed(self, _: TextArea.SelectionChanged) -> None:
        self._echo()

    def _echo(self) -> None:
        runtime_of(self.app).key_changed(self)
