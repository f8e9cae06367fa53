"""A model's thinking (reasoning text), apart from its answer: collapsed, counted live.

Reasoning models think for hundreds or thousands of tokens before they answer; without
this the message would sit empty meanwhile. The text is only rendered when the user
expands it, then appended as more arrives (``Markdown.append``, at most 4 times a
second), never re-rendered whole.
"""

from __future__ import annotations

from textual.widgets import Collapsible

from mmchat.tui import markdown
from mmchat.tui.widgets import fmt
from mmchat.tui.widgets.lane_state import Throttle

__all__ = ["ThinkingView"]


class ThinkingView(Collapsible):
    DEFAULT_CSS = """
    ThinkingView { border: none; padding: 0; margin: 0 0 1 0; background: $boost; }
    ThinkingView > CollapsibleTitle { color: $text-muted; }
    ThinkingView > Contents { padding: 0 1 0 3; height: auto; color: $text-muted; }
    ThinkingView Markdown { padding: 0; margin: 0; }
    ThinkingView Markdown > *:last-child { margin-bottom: 0; }
    """

    def __init__(self, lane: str, name: str) -> None:
        self._doc = markdown.document(self.app)
        super().__init__(self._doc, title=f"thinking… {name}", collapsed=True)
        self.lane = lane
        self.model_name = name
        self.parts: list[str] = []
        self.chars = 0
        self.finished = False
        self._first_at: float | None = None
        self._end_at: float | None = None
        self._shown = 0  # characters of the text in the document
        self._retitle_soon = Throttle()

    @property
    def text(self) -> str:
        return "".join(self.parts)

    async def write(self, chunk: str, at: float) -> None:
        self.parts.append(chunk)
        self.chars += len(chunk)
        if self._first_at is None:
            self._first_at = at
        self._end_at = at
        if self._retitle_soon.ready():
            self._retitle()
            if not self.collapsed:
                await self._catch_up()

    async def finish(self, at: float | None = None) -> None:
        """Thinking is over (the answer began, or the lane ended)."""
        if self.finished:
            return
        self.finished = True
        if at is not None and self._first_at is not None:
            self._end_at = at
        self._retitle()
        if not self.collapsed:
            await self._catch_up()

    def _retitle(self) -> None:
        tokens = f"~{self.chars / 4:.0f} tok"
        if not self.finished:
            self.title = f"thinking… {self.model_name} · {tokens}"
            return
        took = (self._end_at or 0.0) - (self._first_at or 0.0)
        when = f" for {fmt.duration(took)}" if took > 0 else ""
        self.title = f"thought{when} · {self.model_name} · {tokens}"

    async def _catch_up(self) -> None:
        text = self.text
        if self._shown < len(text):
            new, self._shown = text[self._shown :], len(text)
            await self._doc.append(new)

    async def on_collapsible_expanded(self, event: Collapsible.Expanded) -> None:
        if event.collapsible is self:
            await self._catch_up()
