"""Shown instead of the chat when start-up failed (bad config, unusable database):
the message in full, where the file is, and what to do. Never a traceback.

The message quotes the user's file (keys, a line of it): control characters in it are
shown (``^[``) rather than passed on, like everywhere else mmchat prints text it did
not write (:func:`mmchat.sanitize.for_terminal`)."""

from __future__ import annotations

from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.screen import Screen
from textual.widgets import Footer, Static

from mmchat.sanitize import for_terminal

__all__ = ["StartupErrorScreen"]


class StartupErrorScreen(Screen[None]):
    DEFAULT_CSS = """
    StartupErrorScreen { align: center middle; }
    StartupErrorScreen > VerticalScroll {
        width: 100; max-width: 95%; height: auto; max-height: 90%;
        border: round $error; padding: 1 2; background: $surface;
    }
    StartupErrorScreen .error-title { color: $error; text-style: bold; padding-bottom: 1; }
    StartupErrorScreen .error-hint { color: $text-muted; padding-top: 1; }
    """
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("r", "retry", "Retry"),
        Binding("q,escape", "app.quit", "Quit"),
    ]

    def __init__(self, title: str, message: str, hint: str = "") -> None:
        super().__init__()
        self.title_text = for_terminal(title)
        self.message = for_terminal(message)
        self.hint = for_terminal(hint) or "Fix the file, then press r to retry, or q to quit."

    def compose(self) -> ComposeResult:
        with VerticalScroll():
            yield Static(self.title_text, classes="error-title", markup=False)
            yield Static(self.message, markup=False, id="error-message")
            yield Static(self.hint, classes="error-hint", markup=False)
        yield Footer()

    def action_retry(self) -> None:
        retry = getattr(self.app, "retry_startup", None)
        if callable(retry):
            retry()
