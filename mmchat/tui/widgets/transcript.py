"""The conversation: a scroll view anchored to the bottom that mounts only the most
recent messages and loads older ones lazily when scrolled to the top."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from textual.containers import VerticalScroll
from textual.widget import Widget
from textual.widgets import Static

__all__ = ["Transcript"]

WidgetFactory = Callable[[], Widget]


class Transcript(VerticalScroll):
    DEFAULT_CSS = """
    Transcript { height: 1fr; padding: 0 1; }
    Transcript > .transcript-empty { color: $text-muted; padding: 1 2; }
    """

    EMPTY_HINT = (
        "Ask anything: Enter sends, ctrl+n adds a line.\n"
        "ctrl+t picks a strategy preset, ctrl+l a single model, ctrl+p lists every command.\n"
        "Esc stops a running turn and keeps what arrived."
    )

    def __init__(self, *, batch: int = 12, id: str | None = None) -> None:
        super().__init__(id=id)
        self.page_size = batch
        self._older: list[WidgetFactory] = []

    async def on_mount(self) -> None:
        if not self.children:
            await self.show([])
        self.anchor()

    async def show(self, factories: Sequence[WidgetFactory]) -> list[Widget]:
        """Replace the content: mount the last ``batch`` widgets, keep the rest for later."""
        await self.remove_children()
        self._older = list(factories[: -self.page_size]) if len(factories) > self.page_size else []
        recent = factories[-self.page_size :] if factories else []
        widgets = [make() for make in recent]
        if widgets:
            await self.mount_all(widgets)
        else:
            await self.mount(Static(self.EMPTY_HINT, classes="transcript-empty", markup=False))
        self.anchor()
        return widgets

    async def add(self, *widgets: Widget) -> None:
        """Append a new turn and follow it (the user just sent something)."""
        await self.query(".transcript-empty").remove()
        await self.mount_all(widgets)
        self.anchor()

    @property
    def has_older(self) -> bool:
        return bool(self._older)

    async def load_older(self) -> int:
        """Mount the next batch of older messages above the current ones."""
        if not self._older:
            return 0
        chunk = self._older[-self.page_size :]
        del self._older[-self.page_size :]
        widgets = [make() for make in chunk]
        height_before = self.virtual_size.height
        await self.mount_all(widgets, before=0)
        # Keep the view where it was: what the user looked at stays in place.
        self.call_after_refresh(self._keep_position, height_before)
        return len(widgets)

    def _keep_position(self, height_before: int) -> None:
        grown = self.virtual_size.height - height_before
        if grown > 0:
            self.scroll_to(y=self.scroll_y + grown, animate=False, immediate=True)

    def watch_scroll_y(self, old: float, new: float) -> None:
        super().watch_scroll_y(old, new)
        if new <= 0 and old > 0 and self._older:
            self.run_worker(self.load_older(), group="older", exclusive=True, exit_on_error=False)
