"""Collects one turn's events into a summary: lanes, decisions, plan, final answer.

Used by `mmchat ask --json` and anyone who wants a turn as data instead of a stream.
Text deltas are folded into their lane, not kept one by one.
"""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING, Any

from mmchat.api import (
    Decision,
    Event,
    FinalAnswer,
    LaneClosed,
    LaneOpened,
    LaneRetrying,
    Note,
    PlanNode,
    ReasoningDelta,
    TextDelta,
    TurnFinished,
    TurnStarted,
    detail_to_dict,
)

if TYPE_CHECKING:
    from mmchat.engine import TurnOutcome


@dataclasses.dataclass(slots=True)
class LaneSummary:
    lane: str
    model: str
    role: str
    label: str
    parent: str | None
    parts: list[str] = dataclasses.field(default_factory=list)
    retries: list[dict[str, Any]] = dataclasses.field(default_factory=list)
    closed: LaneClosed | None = None

    def to_json(self) -> dict[str, Any]:
        closed = self.closed
        return {
            "lane": self.lane,
            "model": self.model,
            "role": self.role,
            "label": self.label,
            "parent": self.parent,
            "status": closed.status if closed else "open",
            "text": closed.text if closed else "".join(self.parts),
            "usage": dataclasses.asdict(closed.usage) if closed else None,
            "cost": closed.cost if closed else None,
            "cost_source": closed.cost_source if closed else "",
            "ttft": closed.ttft if closed else None,
            "duration": closed.duration if closed else None,
            "finish_reason": closed.finish_reason if closed else None,
            "error": closed.error if closed else None,
            "retries": self.retries,
        }


def decision_json(decision: Decision) -> dict[str, Any]:
    """A decision as stable JSON: its kind, summary, typed detail as data, and scope."""
    data: dict[str, Any] = {
        "kind": decision.kind,
        "summary": decision.summary,
        "detail": detail_to_dict(decision.detail),
    }
    if decision.scope:
        data["scope"] = decision.scope
    return data


class TurnLog:
    def __init__(self) -> None:
        self.strategy = ""
        self.strategy_view = ""
        self.lanes: dict[str, LaneSummary] = {}
        self.events: list[Event] = []  # everything except per-token deltas
        self.attachments: list[dict[str, Any]] = []  # the user's files, by name
        self.final: FinalAnswer | None = None
        self.finished: TurnFinished | None = None

    def add(self, event: Event) -> None:
        if isinstance(event, TextDelta):
            lane = self.lanes.get(event.lane)
            if lane is not None:
                lane.parts.append(event.text)
            return
        if isinstance(event, ReasoningDelta):
            return
        self.events.append(event)
        if isinstance(event, TurnStarted):
            self.strategy = event.strategy
            self.attachments = [
                {"name": a.name, "media_type": a.media_type, "size": a.size}
                for a in event.attachments
            ]
        elif isinstance(event, LaneOpened):
            self.lanes[event.lane] = LaneSummary(
                event.lane, event.model, event.role, event.label, event.parent
            )
        elif isinstance(event, LaneRetrying) and event.lane in self.lanes:
            self.lanes[event.lane].retries.append(
                {"attempt": event.attempt, "delay": event.delay, "reason": event.reason}
            )
        elif isinstance(event, LaneClosed) and event.lane in self.lanes:
            self.lanes[event.lane].closed = event
        elif isinstance(event, FinalAnswer):
            self.final = event
        elif isinstance(event, TurnFinished):
            self.finished = event

    @property
    def decisions(self) -> list[Decision]:
        return [e for e in self.events if isinstance(e, Decision)]

    def to_json(self, outcome: TurnOutcome) -> dict[str, Any]:
        def event_json(event: Event) -> dict[str, Any]:
            if isinstance(event, Decision):
                data = decision_json(event)
                data.update(turn=event.turn, at=event.at)
            elif isinstance(event, TurnStarted):  # files by name, not by their bytes
                data = dataclasses.asdict(dataclasses.replace(event, attachments=()))
                data["attachments"] = self.attachments
            else:
                data = dataclasses.asdict(event)
            data["type"] = type(event).__name__
            return data

        return {
            "answer": outcome.text,
            "status": outcome.status,
            "error": outcome.error,
            "preset": outcome.preset,
            "strategy": outcome.strategy or self.strategy,
            "models": outcome.models,
            "usage": dataclasses.asdict(outcome.usage),
            "cost": outcome.cost,
            "cost_source": outcome.cost_source,
            "duration": outcome.duration,
            "sources": list(outcome.sources),
            "conversation_id": outcome.conversation_id,
            "attachments": self.attachments,
            "lanes": [lane.to_json() for lane in self.lanes.values()],
            "decisions": [decision_json(d) for d in self.decisions],
            "plan": [event_json(e) for e in self.events if isinstance(e, PlanNode)],
            "notes": [event_json(e) for e in self.events if isinstance(e, Note)],
            "events": [event_json(e) for e in self.events],
        }
