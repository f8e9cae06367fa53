"""The state one running turn shares: lanes, the event stamp, the store, the budget.

:class:`Turn` belongs to the engine; every :class:`~mmchat.turn.TurnContext` of the
turn (the strategy's and any sub-preset's) writes through it.
"""

from __future__ import annotations

import asyncio
import dataclasses
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from mmchat.api import (
    Decision,
    Event,
    LaneClosed,
    Note,
    PlanNode,
    ReviewCallback,
    TextDelta,
)

if TYPE_CHECKING:
    from mmchat.engine import Engine
    from mmchat.store import Store

EventSink = Callable[[Event], None]

# How often partial text is written to SQLite while streaming (crash safety).
PERSIST_EVERY = 0.5
MAX_DEPTH = 3


@dataclasses.dataclass(slots=True)
class LaneState:
    lane: str
    model: str
    role: str
    parts: list[str] = dataclasses.field(default_factory=list)
    reasoning: list[str] = dataclasses.field(default_factory=list)
    chars: int = 0
    persisted_at: float = 0.0
    closed: LaneClosed | None = None

    @property
    def text(self) -> str:
        return "".join(self.parts)


class Turn:
    """State shared by a turn's contexts (the top one and any sub-presets)."""

    def __init__(
        self,
        engine: Engine,
        turn_id: str,
        sink: EventSink,
        *,
        store: Store | None,
        message_id: int | None,
        budget: float | None,
        review: ReviewCallback | None,
    ) -> None:
        self.engine = engine
        self.turn_id = turn_id
        self.started = time.perf_counter()
        self._sink = sink
        self.store = store
        self.message_id = message_id
        self.budget = budget
        self.review_cb = review
        self.lanes: dict[str, LaneState] = {}
        self.lane_tasks: set[asyncio.Task[Any]] = set()
        self._next_lane = 0
        self._seq = 0
        self.spent = 0.0  # known cost of closed lanes
        self.budget_hit: str | None = None
        self.on_budget: Callable[[str], None] | None = None

    def new_lane_id(self) -> str:
        self._next_lane += 1
        return f"L{self._next_lane}"

    def emit(self, event: Event) -> Event:
        stamped = dataclasses.replace(
            event, turn=self.turn_id, at=time.perf_counter() - self.started
        )
        self._record(stamped)
        self._sink(stamped)
        return stamped

    def emit_text(self, lane: str, text: str) -> None:
        """``emit(TextDelta(...))`` on the per-token path: built stamped rather than
        copied (``dataclasses.replace`` per token was ~8 % of reading a stream), and
        not recorded (text deltas are not events the store keeps)."""
        at = time.perf_counter() - self.started
        self._sink(TextDelta(turn=self.turn_id, at=at, lane=lane, text=text))

    def _record(self, event: Event) -> None:
        if self.store is None or self.message_id is None:
            return
        if isinstance(event, (Decision, PlanNode, Note)):
            self._seq += 1
            data = dataclasses.asdict(event)
            kind = type(event).__name__
            for drop in ("turn", "at"):
                data.pop(drop, None)
            self.store.add_event(self.message_id, self._seq, event.at, kind, data)

    def check_budget(self, extra: float) -> None:
        if self.budget is None or self.budget_hit:
            return
        if self.spent + extra > self.budget:
            self.budget_hit = (
                f"stopped: this turn reached its budget of ${self.budget:.4f} "
                "(raise `budget` in the preset to allow more)"
            )
            if self.on_budget is not None:
                self.on_budget(self.budget_hit)

    def partial_answer(self) -> str:
        """Best text to keep when a turn stops early: the latest answer-like lane."""
        preferred = ("answer", "synthesis", "final", "escalation", "review", "stage")
        lanes = list(self.lanes.values())
        for lane in reversed(lanes):
            if lane.role in preferred and lane.text:
                return lane.text
        for lane in reversed(lanes):
            if lane.text:
                return lane.text
        return ""
