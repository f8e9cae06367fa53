"""The conversation: a scroll view anchored to the bottom that mounts only the most
recent messages and loads older ones lazily when scrolled to the top.

Opening a long conversation mounts just enough of its newest messages to fill the
screen (estimated from their text, at most ``batch``): every mounted answer costs its
Markdown widgets and a share of every later layout, so a message nobody can see yet is
not built. Scrolling to the top (or :meth:`load_older`) mounts the next page above;
while the messages mounted so far do not fill the view (nothing to scroll), older
ones are loaded until they do, so every stored message stays reachable.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from textual.containers import VerticalScroll
from textual.widget import Widget
from textual.widgets import Static

__all__ = ["Lazy", "Transcript", "estimate_lines"]

WidgetFactory = Callable[[], Widget]


def estimate_lines(text: str, width: int) -> int:
    """About how many lines ``text`` takes at ``width`` columns (wrapped, Markdown blank
    lines kept): only used to decide how many messages fill the screen."""
    width = max(10, width)
    return sum(1 + len(line) // width for line in text.splitlines()) or 1


@dataclass(frozen=True, slots=True)
class Lazy:
    """A message not built yet: how to build it, and what it shows (for its height)."""

    make: WidgetFactory
    text: str = ""
    chrome: int = 3  # lines around the text: borders, head, footer, margin

    def lines(self, width: int) -> int:
        return self.chrome + estimate_lines(self.text, width - 4)


Pending = WidgetFactory | Lazy


def _make(item: Pending) -> Widget:
    return item.make() if isinstance(item, Lazy) else item()


class Transcript(VerticalScroll):
    DEFAULT_CSS = """
    Transcript { height: 1fr; padding: 0 1; }
    /* Focused (alt+t, f8): a bar each side, in the padding's place (no re-wrap). */
    Transcript:focus { padding: 0; border-left: vkey $accent; border-right: vkey $accent; }
    Transcript > .transcript-empty { color: $text-muted; padding: 1 2; }
    """

    EMPTY_HINT = (
        "Ask anything: Enter sends, ctrl+n adds a line.\n"
        "ctrl+t picks a strategy preset, ctrl+l a single model, ctrl+p lists every command.\n"
        "Esc stops a running turn and keeps what arrived.\n"
        "f8 moves between panes, PgUp/PgDn scroll the conversation."
    )

    def __init__(self, *, batch: int = 12, id: str | None = None) -> None:
        super().__init__(id=id)
        self.page_size = batch
        self._older: list[Pending] = []
        self._loading = False

    async def on_mount(self) -> None:
        if not self.children:
            await self.show([])
        self.anchor()

    def _page(self, items: Sequence[Pending]) -> tuple[int, bool]:
        """How many of the last ``items`` fill about one screen (1 … ``page_size``), and
        whether they overflow it."""
        height = self.size.height or self.app.size.height
        width = self.size.width or self.app.size.width
        lines = count = 0
        for item in reversed(items[-self.page_size :]):
            count += 1
            # A plain factory has no text to measure: count it as a screenful, the
            # old behaviour (fixed pages) for callers that give no hint.
            lines += item.lines(width) if isinstance(item, Lazy) else height
            if lines > height:
                break
        return count, lines > height

    async def show(self, factories: Sequence[Pending]) -> list[Widget]:
        """Replace the content: mount the newest messages that fill the screen, keep the
        rest (built on demand, newest first) for :meth:`load_older`."""
        self.workers.cancel_group(self, "older")  # a page of the previous conversation
        self._loading = False
        await self.remove_children()
        count, overflow = self._page(factories) if factories else (0, False)
        self._older = list(factories[:-count]) if count else []
        # Content that will overflow gets the scrollbar's gutter now: a scrollbar that
        # appears after the first layout narrows the text, and every message would be
        # re-wrapped and laid out once more (a whole extra frame). An empty transcript
        # (a new chat) keeps the full width.
        self.styles.scrollbar_gutter = "stable" if overflow or self._older else "auto"
        widgets = [_make(item) for item in factories[len(factories) - count :]]
        if widgets:
            await self.mount_all(widgets)
        else:
            await self.mount(Static(self.EMPTY_HINT, classes="transcript-empty", markup=False))
        self.anchor()
        if self._older:
            self.call_after_refresh(self._fill)
        return widgets

    async def add(self, *widgets: Widget) -> None:
        """Append a new turn and follow it (the user just sent something)."""
        await self.query(".transcript-empty").remove()
        await self.mount_all(widgets)
        self.anchor()

    async def replace_tail(self, old: Sequence[Widget], new: Sequence[Pending]) -> bool:
        """Another branch from a message down: remove ``old`` (the newest messages),
        mount ``new`` in their place; the messages above stay as they are. False (and
        nothing done) when ``new`` is more than a page: :meth:`show` the whole path."""
        if len(new) > self.page_size or not all(w.parent is self for w in old):
            return False
        if old:
            await self.remove_children(old)
        widgets = [_make(item) for item in new]
        if widgets:
            await self.mount_all(widgets)
        return True

    @property
    def has_older(self) -> bool:
        return bool(self._older)

    async def load_older(self) -> int:
        """Mount the next page of older messages above the current ones."""
        if not self._older or self._loading:
            return 0
        self._loading = True
        try:
            count, _ = self._page(self._older)
            widgets = [_make(item) for item in self._older[-count:]]
            del self._older[-count:]
            height_before = self.virtual_size.height
            await self.mount_all(widgets, before=0)
        finally:
            self._loading = False
        # Keep the view where it was: what the user looked at stays in place.
        self.call_after_refresh(self._keep_position, height_before)
        return len(widgets)

    def _keep_position(self, height_before: int) -> None:
        grown = self.virtual_size.height - height_before
        if grown > 0:
            self.scroll_to(y=self.scroll_y + grown, animate=False, immediate=True)
        self._fill()

    def _fill(self) -> None:
        """Nothing to scroll yet (the estimate was short) but older messages exist: load
        more, or they could never be reached by scrolling up."""
        if self._older and self.is_attached and self.max_scroll_y <= 0:
            self._load_older_soon()

    def _load_older_soon(self) -> None:
        if not self._loading:
            self.run_worker(self.load_older(), group="older", exit_on_error=False)

    def watch_scroll_y(self, old: float, new: float) -> None:
        super().watch_scroll_y(old, new)
        if new <= 0 and old > 0 and self._older:
            self._load_older_soon()
