"""Search the history (ctrl+f): matches as you type, each conversation with a snippet
of its best match, the matched words highlighted; enter opens the conversation.

The search is the history's full-text index (:mod:`mmchat.history.search`: SQLite FTS5,
bm25 ranking, ``snippet()``); the last word typed counts as a prefix, so results come
while a word is still being typed. It runs in a thread, one at a time (a newer query
cancels the wait for an older one), so typing never waits for the database. Snippets
are model text: they are built as :class:`~textual.content.Content` from plain strings
(no markup is parsed), with control characters made visible (``^[``) as the CLI shows
them.
"""

from __future__ import annotations

import asyncio
import time
from typing import TYPE_CHECKING, ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Input, Label, OptionList
from textual.widgets.option_list import Option

from mmchat.sanitize import for_terminal

if TYPE_CHECKING:
    from mmchat.history.search import Hit
    from mmchat.history.store import Store

__all__ = ["SearchScreen", "hit_content"]

MATCH_STYLE = "bold reverse"  # the matched words, as grep's colour does
LIMIT = 50  # conversations shown


def hit_content(hit: Hit) -> Content:
    """Two lines: the conversation's title and date, then who said the match and the
    snippet with the matched words highlighted."""
    when = time.strftime("%Y-%m-%d", time.localtime(hit.updated))
    who = "you" if hit.role == "user" else (hit.model or hit.lane or "answer")
    parts: list[str | tuple[str, str]] = [
        (for_terminal(hit.title or "(untitled)"), "bold"),
        (f"  {when}\n", "dim"),
        (f"  {for_terminal(who)}: ", "dim"),
    ]
    for text, matched in hit.snippet.parts:
        shown = for_terminal(text)
        parts.append((shown, MATCH_STYLE) if matched else shown)
    return Content.assemble(*parts)


class SearchScreen(ModalScreen[int | None]):
    """Returns the id of the conversation chosen (None on escape)."""

    DEFAULT_CSS = """
    SearchScreen { align: center middle; }
    SearchScreen > Vertical {
        width: 100; max-width: 95%; height: auto; max-height: 90%;
        background: $surface; border: round $accent; padding: 0 1;
    }
    SearchScreen .modal-title { text-style: bold; padding: 0 0 1 0; }
    SearchScreen Input { margin: 0 0 1 0; }
    SearchScreen OptionList { height: auto; max-height: 30; }
    SearchScreen .modal-hint { color: $text-muted; }
    """
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "dismiss_none", "Close"),
        Binding("down", "move(1)", "Next", show=False),
        Binding("up", "move(-1)", "Previous", show=False),
        Binding("pagedown", "move(10)", "Page down", show=False),
        Binding("pageup", "move(-10)", "Page up", show=False),
    ]

    def __init__(self, store: Store, query: str = "") -> None:
        super().__init__()
        self.store = store
        self.initial = query
        self.hits: list[Hit] = []
        self.searched: str | None = None  # the query the list shows the results of
        self.submitted: str | None = None  # Enter pressed before its results came

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label("Search conversations", classes="modal-title")
            yield Input(self.initial, placeholder='words… ("a phrase", prefix*)')
            yield OptionList()
            yield Label("type to search", id="search-status", classes="modal-hint")
            yield Label("↑↓ move · enter open · esc close", classes="modal-hint")

    def on_mount(self) -> None:
        self.query_one(Input).focus()
        if self.initial:
            self._start(self.initial)

    def on_input_changed(self, message: Input.Changed) -> None:
        message.stop()
        self._start(message.value)

    def _start(self, query: str) -> None:
        self.run_worker(self._search(query), group="search", exclusive=True)

    async def _search(self, query: str) -> None:
        status = self.query_one("#search-status", Label)
        hits: list[Hit] = []
        if query.strip():
            try:
                hits = await asyncio.to_thread(
                    self.store.search, query, limit=LIMIT, prefix_last=True
                )
            except Exception as exc:  # a broken database: say so, keep the app
                status.update(f"search failed: {type(exc).__name__}: {exc}")
                return
        self.hits = hits
        option_list = self.query_one(OptionList)
        option_list.set_options(
            Option(hit_content(hit), id=str(hit.conversation_id)) for hit in hits
        )
        option_list.highlighted = 0 if hits else None
        if not query.strip():
            status.update("type to search")
        elif not hits:
            status.update("no conversation matches")
        else:
            many = "s" if len(hits) != 1 else ""
            more = f" (the best {LIMIT})" if len(hits) == LIMIT else ""
            status.update(f"{len(hits)} conversation{many}{more}")
        self.searched = query
        if self.submitted == query:
            self.submitted = None
            if hits:
                self._open(str(hits[0].conversation_id))
            else:
                self.app.bell()

    def on_input_submitted(self, message: Input.Submitted) -> None:
        message.stop()
        option_list = self.query_one(OptionList)
        if self.searched != message.value:
            self.submitted = message.value  # opens the best match once it is found
            return
        if option_list.highlighted is None:
            self.app.bell()  # nothing matches what was typed
            return
        self._open(option_list.get_option_at_index(option_list.highlighted).id)

    def on_option_list_option_selected(self, message: OptionList.OptionSelected) -> None:
        message.stop()
        self._open(message.option.id)

    def _open(self, key: str | None) -> None:
        if key is not None:
            self.dismiss(int(key))

    def action_move(self, step: int) -> None:
        option_list = self.query_one(OptionList)
        if option_list.option_count:
            at = option_list.highlighted if option_list.highlighted is not None else -step
            option_list.highlighted = max(0, min(option_list.option_count - 1, at + step))

    def action_dismiss_none(self) -> None:
        self.dismiss(None)
