"""A stored turn as the events that made it, to show it again (the TUI) or to read its
decisions (export). What was recorded from events is replayed as the same events:
lanes with their text and reasoning, decisions, plan nodes, notes, the outcome."""

from __future__ import annotations

from typing import get_args

from mmchat.api import (
    Event,
    FinalAnswer,
    LaneClosed,
    LaneOpened,
    LaneRole,
    LaneStatus,
    ReasoningDelta,
    TurnFinished,
    TurnStarted,
    TurnStatus,
)
from mmchat.history.codec import decode
from mmchat.history.protocol import HistoryStore
from mmchat.history.schema import MessageRow

__all__ = ["INTERRUPTED", "replay_events"]

INTERRUPTED = "interrupted: mmchat stopped before this answer was finished"
_LANE_STATUSES: frozenset[str] = frozenset(get_args(LaneStatus))
_TURN_STATUSES: frozenset[str] = frozenset(get_args(TurnStatus))
_ROLES: frozenset[str] = frozenset(get_args(LaneRole))


def replay_events(store: HistoryStore, row: MessageRow, prompt: str = "") -> list[Event]:
    """The events of the stored assistant message ``row``, in an order views accept:
    the start, each lane (opened, its reasoning, closed with its text), the recorded
    decisions, plan nodes and notes, then the answer and the end."""
    events: list[Event] = [TurnStarted(strategy=row.strategy, preset=row.preset, prompt=prompt)]
    for lane in store.lanes(row.id):
        role: LaneRole = lane.role if lane.role in _ROLES else "other"  # type: ignore[assignment]
        events.append(
            LaneOpened(
                lane=lane.lane, model=lane.model, role=role, label=lane.label,
                parent=lane.parent_lane,
            )
        )  # fmt: skip
        if lane.reasoning:
            events.append(ReasoningDelta(lane=lane.lane, text=lane.reasoning))
        status: LaneStatus = "interrupted"  # still "streaming": the app stopped
        if lane.status in _LANE_STATUSES:
            status = lane.status  # type: ignore[assignment]
        events.append(
            LaneClosed(
                lane=lane.lane, status=status, text=lane.text, usage=lane.usage,
                cost=lane.cost, cost_source=lane.cost_source, ttft=lane.ttft,
                duration=lane.duration or 0.0,
                finish_reason=lane.finish_reason,
                error=lane.error or (INTERRUPTED if status == "interrupted" else None),
            )
        )  # fmt: skip
    for stored in store.events(row.id):
        event = decode(stored.kind, stored.data, stored.at)
        if event is not None:
            events.append(event)
    turn_status: TurnStatus = "interrupted"
    if row.status in _TURN_STATUSES:
        turn_status = row.status  # type: ignore[assignment]
    if turn_status == "complete":
        events.append(FinalAnswer(text=row.text))
    error = row.error or (INTERRUPTED if turn_status == "interrupted" else None)
    events.append(
        TurnFinished(
            status=turn_status, text=row.text, usage=row.usage, cost=row.cost,
            duration=row.duration or 0.0, error=error, cost_source=row.cost_source,
        )
    )  # fmt: skip
    return events
