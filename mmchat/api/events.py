"""The events of a turn, and the small value types they carry.

Every event is a frozen dataclass. The engine stamps ``turn`` (the turn id) and ``at``
(seconds since the turn started) on each one before anyone sees it. The events are
the only interface between a strategy and whoever watches: the TUI's views,
``mmchat ask``, the history recorder. A stored turn is replayed as the same events.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal, TypeAlias

from mmchat.api.attachment import Attachment
from mmchat.api.decisions import CustomDetail, DecisionDetail

__all__ = [
    "ANSWER_ROLES",
    "KEPT_ROLES",
    "Event",
    "FinalAnswer",
    "LaneClosed",
    "LaneOpened",
    "LaneRetrying",
    "LaneRole",
    "LaneStatus",
    "Message",
    "Note",
    "PlanNode",
    "PlanState",
    "ReasoningDelta",
    "Role",
    "TextDelta",
    "TurnFinished",
    "TurnStarted",
    "TurnStatus",
    "Usage",
    "View",
    "kept_text",
]

Role: TypeAlias = Literal["system", "user", "assistant"]
# "interrupted": the app stopped mid-turn (a crash, kill -9); only a stored turn,
# replayed, says so. A live turn ends done / failed / cancelled.
LaneStatus: TypeAlias = Literal["done", "failed", "cancelled", "interrupted"]
TurnStatus: TypeAlias = Literal["complete", "cancelled", "failed", "interrupted"]
PlanState: TypeAlias = Literal["queued", "running", "done", "failed", "skipped", "cancelled"]

# What a lane is for. Views place lanes by role (an answer lane's text is the answer
# area; a voter is a tally member; a step hangs in the plan tree).
LaneRole: TypeAlias = Literal[
    "answer",
    "voter",
    "classifier",
    "stage",
    "judge",
    "planner",
    "step",
    "synthesis",
    "supervisor",
    "worker",
    "review",
    "escalation",
    "proposer",
    "aggregator",
    "ranker",
    "chair",
    "debater",
    "arbiter",
    "other",
]
# Lanes whose text is the turn's answer as it streams (shown in the answer area by the
# tree view rather than as a node).
ANSWER_ROLES: frozenset[str] = frozenset({"answer", "synthesis", "escalation"})
# Lanes whose text is worth keeping as the message when a turn stops early: the
# answer-like ones, then the ones that rewrite a draft.
KEPT_ROLES: tuple[str, ...] = (
    "answer",
    "synthesis",
    "escalation",
    "aggregator",
    "chair",
    "review",
    "stage",
)


def kept_text(lanes: Sequence[tuple[str, str]]) -> str:
    """The text to keep when a turn stops early, from its lanes' ``(role, text)`` in
    the order they opened: the latest answer-like lane with text, else the latest lane
    with text."""
    for role, text in reversed(lanes):
        if role in KEPT_ROLES and text:
            return text
    for _, text in reversed(lanes):
        if text:
            return text
    return ""


# How the TUI draws a strategy's turn: one answer, side-by-side panes, a tally of
# members, or a plan tree.
View: TypeAlias = Literal["single", "lanes", "tally", "tree"]


@dataclass(frozen=True, slots=True)
class Message:
    """One message of a conversation, as models see it, with the files the user attached
    to it (text files and images; see :class:`~mmchat.api.attachment.Attachment`)."""

    role: Role
    content: str
    attachments: tuple[Attachment, ...] = ()


@dataclass(frozen=True, slots=True)
class Usage:
    """Token counts of one model call; ``estimated`` when the server sent none."""

    prompt_tokens: int = 0
    completion_tokens: int = 0
    estimated: bool = False

    def __add__(self, other: Usage) -> Usage:
        return Usage(
            self.prompt_tokens + other.prompt_tokens,
            self.completion_tokens + other.completion_tokens,
            self.estimated or other.estimated,
        )

    @property
    def total_tokens(self) -> int:
        return self.prompt_tokens + self.completion_tokens


@dataclass(frozen=True, slots=True, kw_only=True)
class Event:
    turn: str = ""
    at: float = 0.0


@dataclass(frozen=True, slots=True, kw_only=True)
class TurnStarted(Event):
    strategy: str
    preset: str
    prompt: str
    # The files attached to the user's message (stored with it, sent to every lane).
    attachments: tuple[Attachment, ...] = ()
    # Choices the user made for this turn (e.g. {"route": "math"} when re-routing it);
    # kept as corrections a strategy can learn from (Context.learned).
    hints: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True, kw_only=True)
class LaneOpened(Event):
    """A model call started. ``role`` says what the lane is for (voter, planner...)."""

    lane: str
    model: str
    role: LaneRole = "answer"
    label: str = ""
    parent: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class TextDelta(Event):
    lane: str
    text: str


@dataclass(frozen=True, slots=True, kw_only=True)
class ReasoningDelta(Event):
    """Thinking/reasoning text, kept apart from the answer."""

    lane: str
    text: str


@dataclass(frozen=True, slots=True, kw_only=True)
class LaneRetrying(Event):
    lane: str
    attempt: int
    delay: float
    reason: str


@dataclass(frozen=True, slots=True, kw_only=True)
class LaneClosed(Event):
    lane: str
    status: LaneStatus
    text: str = ""
    usage: Usage = field(default_factory=Usage)
    cost: float | None = None  # None means "unknown price", never 0
    # Where the price came from: "your price", "local", "genai-prices 0.2.3" ("": unknown)
    cost_source: str = ""
    ttft: float | None = None  # seconds to first token
    duration: float = 0.0
    finish_reason: str | None = None
    error: str | None = None  # one line a user can act on


@dataclass(frozen=True, slots=True, kw_only=True)
class Decision(Event):
    """A visible decision: a route, a tally, an escalation, a score table...

    ``detail`` is a typed payload (see :mod:`mmchat.api.decisions`) that views draw
    and ``mmchat ask --json`` prints; ``kind`` is the payload's kind. A plugin with
    no payload type of its own gives a ``kind`` and, if it likes, a
    :class:`~mmchat.api.decisions.CustomDetail`.
    """

    summary: str
    detail: DecisionDetail = field(default_factory=CustomDetail)
    kind: str = ""
    scope: str = ""  # the sub-preset that decided it ("" for the turn's own strategy)

    def __post_init__(self) -> None:
        kind = self.kind or self.detail.kind
        if not kind:
            raise ValueError("a Decision needs a kind, or a typed detail that has one")
        if self.detail.kind and self.kind and self.detail.kind != self.kind:
            raise ValueError(f"Decision kind {self.kind!r} but its detail is {self.detail.kind!r}")
        object.__setattr__(self, "kind", kind)


@dataclass(frozen=True, slots=True, kw_only=True)
class PlanNode(Event):
    """A node of a plan tree was added or changed state."""

    node: str
    label: str
    state: PlanState
    parent: str | None = None
    lane: str | None = None
    kind: str = ""  # step type (code, math...) or "plan" / "synthesis"


@dataclass(frozen=True, slots=True, kw_only=True)
class Note(Event):
    text: str
    level: Literal["info", "warning", "error"] = "info"


@dataclass(frozen=True, slots=True, kw_only=True)
class FinalAnswer(Event):
    text: str
    sources: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True, kw_only=True)
class TurnFinished(Event):
    """The turn is over. ``text`` is what the conversation keeps: the final answer, or
    (stopped early) the answer so far."""

    status: TurnStatus
    text: str = ""
    usage: Usage = field(default_factory=Usage)
    cost: float | None = None
    duration: float = 0.0
    error: str | None = None
    cost_source: str = ""  # the lanes' price sources, e.g. "genai-prices 0.2.3 + local"
