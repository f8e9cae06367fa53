"""The state one running turn shares: lanes, the event stamp, the budget.

:class:`Turn` belongs to the engine; every :class:`~mmchat.turn.TurnContext` of the
turn (the strategy's and any sub-preset's) writes through it.
"""

from __future__ import annotations

import asyncio
import dataclasses
import time
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, Protocol

from mmchat.api import (
    Attachment,
    Event,
    LaneClosed,
    Rating,
    ReviewCallback,
    TextDelta,
    kept_text,
)
from mmchat.providers.base import TokenLogprob

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Sequence

    from mmchat.api import Strategy, StrategyOptions
    from mmchat.config_schema import Config
    from mmchat.prices import PriceBook
    from mmchat.providers.base import ChatRequest, StreamPart

EventSink = Callable[[Event], None]

MAX_DEPTH = 3


class TurnHost(Protocol):
    """What a turn needs from whoever runs it (the :class:`~mmchat.engine.Engine`):
    the config, a model stream, and presets resolved for composition."""

    @property
    def config(self) -> Config: ...

    @property
    def prices(self) -> PriceBook: ...

    def stream(self, provider_name: str, request: ChatRequest) -> AsyncIterator[StreamPart]: ...

    async def embed(self, alias: str, texts: Sequence[str]) -> list[list[float]]: ...

    def learned(self, kind: str) -> list[tuple[str, str]]: ...

    def ratings(self) -> Mapping[str, Rating]: ...

    def resolve_preset(
        self, preset: str, *, label: str = ...
    ) -> tuple[Strategy, StrategyOptions]: ...


@dataclasses.dataclass(slots=True)
class LaneState:
    lane: str
    model: str
    role: str
    parts: list[str] = dataclasses.field(default_factory=list)
    chars: int = 0
    logprobs: tuple[TokenLogprob, ...] = ()  # when the request asked for them
    closed: LaneClosed | None = None

    @property
    def text(self) -> str:
        return "".join(self.parts)


class Turn:
    """State shared by a turn's contexts (the top one and any sub-presets)."""

    def __init__(
        self,
        engine: TurnHost,
        turn_id: str,
        sink: EventSink,
        *,
        budget: float | None,
        review: ReviewCallback | None,
        persona: str | None = None,
    ) -> None:
        self.engine = engine
        self.persona = persona  # the conversation's persona: a system prompt for every lane
        self.turn_id = turn_id
        self.started = time.perf_counter()
        self._sink = sink
        self.budget = budget
        self.review_cb = review
        self.lanes: dict[str, LaneState] = {}
        self.lane_tasks: set[asyncio.Task[Any]] = set()
        self._next_lane = 0
        self.spent = 0.0  # known cost of closed lanes
        self.budget_hit: str | None = None
        self.on_budget: Callable[[str], None] | None = None
        # The files of the user's message: every lane gets them (TurnContext.ask).
        self.attachments: tuple[Attachment, ...] = ()

    def new_lane_id(self) -> str:
        self._next_lane += 1
        return f"L{self._next_lane}"

    def emit(self, event: Event) -> Event:
        stamped = dataclasses.replace(
            event, turn=self.turn_id, at=time.perf_counter() - self.started
        )
        self._sink(stamped)
        return stamped

    def emit_text(self, lane: str, text: str) -> None:
        """``emit(TextDelta(...))`` on the per-token path: built stamped rather than
        copied (``dataclasses.replace`` per token was ~8 % of reading a stream)."""
        at = time.perf_counter() - self.started
        self._sink(TextDelta(turn=self.turn_id, at=at, lane=lane, text=text))

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
        """Best text to keep when a turn stops early (see :func:`mmchat.api.kept_text`)."""
        return kept_text([(lane.role, lane.text) for lane in self.lanes.values()])
