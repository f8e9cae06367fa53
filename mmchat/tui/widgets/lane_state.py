"""What the views know about a lane, and a throttle for live counters (no widget here)."""

from __future__ import annotations

import time

from mmchat.api import LaneClosed, LaneOpened, LaneRetrying
from mmchat.finish import TOKEN_LIMIT_MARK, hit_token_limit
from mmchat.tui.widgets import fmt

__all__ = ["LaneInfo", "Throttle"]


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
        self.reasoning_chars = 0  # thinking text so far (its text is the view's to keep)
        self.closed: LaneClosed | None = None
        self.first_at: float | None = None
        self.last_at = opened.at
        # A blind comparison's pane: named by its letter alone, and without the token
        # counts and cost that could tell the model (a tokenizer, a price), until a pick.
        self.blind = False

    @property
    def text(self) -> str:
        return "".join(self.parts)

    @property
    def name(self) -> str:
        if self.blind:
            return self.label
        return self.label if self.label == self.model else f"{self.label} · {self.model}"

    def on_text(self, chunk: str, at: float) -> bool:
        """Record streamed text; True when the lane's status changed (worth a redraw)."""
        if self.first_at is None:
            self.first_at = at
        self.last_at = at
        self.parts.append(chunk)
        self.chars += len(chunk)
        if self.status in ("queued", "retrying", "thinking"):
            self.status = "streaming"
            return True
        return False

    def on_reasoning(self, chunk: str, at: float) -> bool:
        """Count thinking text; True when the lane's status changed (to thinking)."""
        self.reasoning_chars += len(chunk)
        self.last_at = at
        if self.status in ("queued", "retrying"):
            self.status = "thinking"
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

    @property
    def cut_by_token_limit(self) -> bool:
        return self.closed is not None and hit_token_limit(self.closed.finish_reason)

    def status_line(self) -> str:
        """Plain text: status, tokens, cost, time (or live rate)."""
        parts = [self.status]
        closed = self.closed
        if closed is not None and self.cut_by_token_limit:
            parts.append(TOKEN_LIMIT_MARK)
        if closed is not None and self.blind:
            parts.append(fmt.duration(closed.duration))  # latency tells little
        elif closed is not None:
            parts += [fmt.tokens(closed.usage), fmt.cost(closed.cost)]
            parts.append(fmt.duration(closed.duration))
            if closed.usage.completion_tokens and closed.duration:
                parts.append(fmt.rate(closed.usage.completion_tokens, closed.duration))
        elif self.status == "thinking":
            parts.append(f"~{self.reasoning_chars / 4:.0f} tok of thought")
        elif self.first_at is not None:
            approx = self.chars / 4
            parts += [f"~{approx:.0f} tok", fmt.rate(approx, self.last_at - self.first_at)]
        return " · ".join(p for p in parts if p)
