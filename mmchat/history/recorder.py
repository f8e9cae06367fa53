"""The history recorder: one component that writes a turn to the store from its events.

The engine hands every event of a turn to a :class:`TurnRecorder` before anyone else
sees it, so what the store holds is exactly what the views were shown:

- ``TurnStarted``: the conversation (when new; else the preset and persona it now
  continues with), the user's message with its files and an empty assistant message
  marked *streaming* are committed, before any request goes out;
- ``LaneOpened`` / ``TextDelta`` / ``ReasoningDelta`` / ``LaneClosed``: each lane's row,
  its text written at most every :data:`PERSIST_EVERY` seconds while it streams (and
  the message's text with it: the answer so far), and in full when it closes;
- ``Decision`` / ``PlanNode`` / ``Note``: kept as events (:mod:`mmchat.history.codec`);
- ``TurnFinished``: the message's text (the final answer, or what arrived), status,
  models, usage, cost and time.

A crash between two writes loses at most :data:`PERSIST_EVERY` seconds of text; the
next start marks the message *interrupted* with the text it had.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

from mmchat.api import (
    Decision,
    Event,
    FinalAnswer,
    LaneClosed,
    LaneOpened,
    Note,
    PlanNode,
    ReasoningDelta,
    TextDelta,
    TurnFinished,
    TurnStarted,
    kept_text,
)
from mmchat.history.codec import encode
from mmchat.history.protocol import HistoryStore

__all__ = ["PERSIST_EVERY", "TurnRecorder"]

# How often streamed text is written to SQLite while it arrives (crash safety).
PERSIST_EVERY = 0.5
TITLE_CHARS = 60


@dataclass(slots=True)
class _Lane:
    role: str
    parts: list[str] = field(default_factory=list)
    reasoning: list[str] = field(default_factory=list)
    dirty: bool = False
    closed_text: str | None = None

    @property
    def text(self) -> str:
        return self.closed_text if self.closed_text is not None else "".join(self.parts)


def title_of(prompt: str) -> str:
    """A new conversation's title: the first line of its first message."""
    line = prompt.strip().splitlines()[0] if prompt.strip() else "New chat"
    return line[:TITLE_CHARS] + ("…" if len(line) > TITLE_CHARS else "")


class TurnRecorder:
    """Writes one turn to ``store`` as its events pass through (call it with each)."""

    def __init__(
        self,
        store: HistoryStore,
        *,
        conversation_id: int | None = None,
        parent_id: int | None = None,
        persona: str = "",
    ) -> None:
        self.store = store
        self.conversation_id = conversation_id
        self.parent_id = parent_id
        self.persona = persona
        self.user_message_id: int | None = None
        self.message_id: int | None = None
        self._lanes: dict[str, _Lane] = {}
        self._models: list[str] = []
        self._seq = 0
        self._written_at = time.perf_counter()
        self._dirty = False

    def __call__(self, event: Event) -> None:
        if type(event) is TextDelta:  # the per-token path first
            self._on_text(event)
        elif self.message_id is None:
            if isinstance(event, TurnStarted):
                self._start(event)
        elif isinstance(event, ReasoningDelta):
            lane = self._lanes.get(event.lane)
            if lane is not None:
                lane.reasoning.append(event.text)
                lane.dirty = self._dirty = True
        elif isinstance(event, LaneOpened):
            self._lanes[event.lane] = _Lane(event.role)
            if event.model not in self._models:
                self._models.append(event.model)
            self.store.open_lane(
                self.message_id, event.lane, event.model, event.role, event.label, event.parent
            )
        elif isinstance(event, LaneClosed):
            self._close(event)
        elif isinstance(event, (Decision, PlanNode, Note)):
            self._seq += 1
            kind, data = encode(event)
            self.store.add_event(self.message_id, self._seq, event.at, kind, data)
        elif isinstance(event, TurnFinished):
            self._finish(event)
        elif isinstance(event, FinalAnswer):
            pass  # TurnFinished carries the text the message keeps

    # -- the turn's start and end -------------------------------------------------
    def _start(self, event: TurnStarted) -> None:
        store = self.store
        if self.conversation_id is None:
            self.conversation_id = store.create_conversation(
                title_of(event.prompt), event.preset, self.persona
            )
        else:  # what it continues with when reopened: this turn's preset and persona
            store.remember_choice(self.conversation_id, event.preset, self.persona)
        self.user_message_id = store.add_user_message(
            self.conversation_id, event.prompt, self.parent_id, event.attachments
        )
        self.message_id = store.start_assistant(
            self.conversation_id, self.user_message_id, event.preset, event.strategy
        )
        for kind, label in event.hints.items():  # the user corrected a decision
            store.add_correction(kind, event.prompt, label, event.preset, self.message_id)

    def _finish(self, event: TurnFinished) -> None:
        assert self.message_id is not None
        self.store.finish_assistant(
            self.message_id,
            text=event.text,
            status=event.status,
            models=list(self._models),
            usage=event.usage,
            cost=event.cost,
            duration=event.duration,
            error=event.error,
            cost_source=event.cost_source,
        )

    # -- lanes ---------------------------------------------------------------------
    def _on_text(self, event: TextDelta) -> None:
        lane = self._lanes.get(event.lane)
        if lane is None:
            return
        first = not lane.parts
        lane.parts.append(event.text)
        lane.dirty = self._dirty = True
        now = time.perf_counter()
        if first or now - self._written_at >= PERSIST_EVERY:  # a lane's first words at once
            self._written_at = now
            self.flush()

    def flush(self) -> None:
        """Write every lane's text so far, and the answer so far as the message's text."""
        if not self._dirty or self.message_id is None:
            return
        for lane_id, lane in self._lanes.items():
            if lane.dirty and lane.closed_text is None:
                self.store.update_lane_text(
                    self.message_id, lane_id, lane.text, "".join(lane.reasoning)
                )
            lane.dirty = False
        self.store.update_assistant_text(self.message_id, self.answer_so_far())
        self._dirty = False

    def answer_so_far(self) -> str:
        return kept_text([(lane.role, lane.text) for lane in self._lanes.values()])

    def _close(self, event: LaneClosed) -> None:
        assert self.message_id is not None
        lane = self._lanes.setdefault(event.lane, _Lane("other"))
        lane.closed_text = event.text
        lane.parts = []
        lane.dirty = False
        self.store.close_lane(
            self.message_id,
            event.lane,
            status=event.status,
            text=event.text,
            reasoning="".join(lane.reasoning),
            usage=event.usage,
            cost=event.cost,
            ttft=event.ttft,
            duration=event.duration,
            finish_reason=event.finish_reason,
            error=event.error,
            cost_source=event.cost_source,
        )
        self.store.update_assistant_text(self.message_id, self.answer_so_far())
