"""Lane state and one Markdown pane fed by one MarkdownStream (no widget here).

Streaming goes through ``Markdown.get_stream`` (batched appends), never a full
``update()`` per token; after the stream stops, one final ``update()`` with the whole
text guards against rare rendering glitches in fenced code (only when there is some).
"""

from __future__ import annotations

import time

from textual.widgets import Markdown
from textual.widgets.markdown import MarkdownStream

from mmchat.api import LaneClosed, LaneOpened, LaneRetrying
from mmchat.tui.widgets import fmt

__all__ = ["LaneInfo", "StreamedMarkdown", "Throttle"]


class Throttle:
    """True at most once per ``every`` seconds: live counters need not redraw per token."""

    def __init__(self, every: float = 0.25) -> None:
        self.every = every
        self._last = float("-inf")

    def ready(self) -> bool:
        now = time.monotonic()
        if now - self._last < self.every:
            return False
        self._last = now
        return True


class StreamedMarkdown:
    def __init__(self, markdown: Markdown) -> None:
        self.markdown = markdown
        self.parts: list[str] = []
        self._stream: MarkdownStream | None = None
        self._stopped = False

    @property
    def text(self) -> str:
        return "".join(self.parts)

    async def write(self, chunk: str) -> None:
        if not chunk:
            return
        self.parts.append(chunk)
        if self._stopped:
            return
        if self._stream is None:
            self._stream = Markdown.get_stream(self.markdown)
        await self._stream.write(chunk)

    async def stop(self, final: str | None = None) -> None:
        """Stop streaming; show ``final`` (default: what was streamed) in full."""
        if self._stream is not None:
            await self._stream.stop()
            self._stream = None
        self._stopped = True
        changed = final is not None and final != self.text
        if changed:
            self.parts = [final or ""]
        # One full re-render guards against rare glitches in streamed fenced code; it
        # re-mounts every block, so only pay for it when there is code (or new text).
        if self.markdown.is_attached and (changed or "```" in self.text):
            await self.markdown.update(self.text)

    async def reset(self) -> None:
        """Start again empty (the pane now shows another lane)."""
        if self._stream is not None:
            await self._stream.stop()
            self._stream = None
        self.parts = []
        self._stopped = False
        if self.markdown.is_attached:
            await self.markdown.update("")


class LaneInfo:
    """What the views know about one lane, whether or not it has a pane of its own."""

    def __init__(self, opened: LaneOpened) -> None:
        self.lane = opened.lane
        self.model = opened.model
        self.role = opened.role
        self.label = opened.label or opened.model
        self.parent = opened.parent
        self.status = "queued"
        self.error: str | None = None
        self.parts: list[str] = []
        self.chars = 0  # running length of parts (status_line must not re-sum per token)
        self.closed: LaneClosed | None = None
        self.first_at: float | None = None
        self.last_at = opened.at

    @property
    def text(self) -> str:
        return "".join(self.parts)

    @property
    def name(self) -> str:
        return self.label if self.label == self.model else f"{self.label} · {self.model}"

    def on_text(self, chunk: str, at: float) -> bool:
        """Record streamed text; True when the lane's status changed (worth a redraw)."""
        if self.first_at is None:
            self.first_at = at
        self.last_at = at
        self.parts.append(chunk)
        self.chars += len(chunk)
        if self.status in ("queued", "retrying"):
            self.status = "streaming"
            return True
        return False

    def on_retry(self, event: LaneRetrying) -> None:
        self.status = "retrying"
        self.error = f"retry {event.attempt} in {event.delay:.0f}s: {event.reason}"

    def on_close(self, event: LaneClosed) -> None:
        self.closed = event
        self.status = event.status
        self.error = event.error if event.status != "done" else None
        if event.text and event.text != self.text:
            self.parts = [event.text]
            self.chars = len(event.text)

    def status_line(self) -> str:
        """Plain text: status, tokens, cost, time (or live rate)."""
        parts = [self.status]
        closed = self.closed
        if closed is not None:
            parts += [fmt.tokens(closed.usage), fmt.cost(closed.cost)]
            parts.append(fmt.duration(closed.duration))
            if closed.usage.completion_tokens and closed.duration:
                parts.append(fmt.rate(closed.usage.completion_tokens, closed.duration))
        elif self.first_at is not None:
            approx = self.chars / 4
            parts += [f"~{approx:.0f} tok", fmt.rate(approx, self.last_at - self.first_at)]
        return " · ".join(p for p in parts if p)
