"""Typed payloads of :class:`~mmchat.api.Decision` events.

A strategy says what it decided with one of these (a route, a tally of agreeing
answers, a score table, a plan…). Views draw each type their own way (the TUI keeps a
registry of views by payload type), ``mmchat ask`` prints :meth:`DecisionDetail.lines`
as progress, ``--json`` and the history store keep :func:`detail_to_dict`, and a
stored decision comes back typed through :func:`detail_from_dict`. A plugin may
declare its own payload type by subclassing :class:`DecisionDetail` with a ``kind``;
one without a type uses :class:`CustomDetail`, which views render generically.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar, Literal, TypeAlias

__all__ = [
    "AnswerGroup",
    "AssignmentsDetail",
    "BlindDetail",
    "ConsensusDetail",
    "CouncilDetail",
    "CustomDetail",
    "DecisionDetail",
    "EscalationDetail",
    "Excluded",
    "FanoutDetail",
    "JudgeRun",
    "LaneOutcome",
    "LayerDetail",
    "PlanDetail",
    "PlanStepInfo",
    "RankRow",
    "RankingRun",
    "ReviewDetail",
    "RoundDetail",
    "RouteDetail",
    "RouteSource",
    "ScoreRow",
    "ScoresDetail",
    "StageDetail",
    "Tally",
    "TaskInfo",
    "TaskVerdict",
    "VoteDetail",
    "detail_from_dict",
    "detail_to_dict",
    "detail_types",
    "method_words",
]

_TYPES: dict[str, type[DecisionDetail]] = {}


def short(text: str, limit: int = 80) -> str:
    """One line of at most ``limit`` characters."""
    flat = " ".join(str(text).split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


class DecisionDetail:
    """Base of every decision payload: a frozen dataclass with a ``kind``."""

    __slots__ = ()
    kind: ClassVar[str] = ""

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        kind = cls.__dict__.get("kind", "")
        if not kind:
            return
        known = _TYPES.get(kind)
        if known is not None and known.__qualname__ != cls.__qualname__:
            where = f"{known.__module__}.{known.__name__}"
            raise TypeError(f"decision kind {kind!r} is already {where}")
        _TYPES[kind] = cls

    def lines(self) -> list[str]:
        """What a reader should know beyond the summary, one sentence per line."""
        return []


def detail_types() -> dict[str, type[DecisionDetail]]:
    """Every typed payload declared so far, by kind."""
    return dict(_TYPES)


def detail_to_dict(detail: DecisionDetail) -> dict[str, Any]:
    """JSON-ready data of a payload (a custom one's data as it was given)."""
    if isinstance(detail, CustomDetail):
        return dict(detail.data)
    if dataclasses.is_dataclass(detail):
        return dataclasses.asdict(detail)
    return {}


def detail_from_dict(kind: str, data: Mapping[str, Any]) -> DecisionDetail:
    """The typed payload of ``kind`` from stored data; data of an unknown kind, or of
    an older shape, comes back as a :class:`CustomDetail` (shown generically)."""
    cls = _TYPES.get(kind)
    if cls is None:
        return CustomDetail(dict(data))
    from pydantic import TypeAdapter, ValidationError

    try:
        detail: DecisionDetail = TypeAdapter(cls).validate_python(dict(data))
    except ValidationError:
        return CustomDetail(dict(data))
    return detail


@dataclass(frozen=True, slots=True)
class CustomDetail(DecisionDetail):
    """Free-form detail of a plugin's own decision kind (the Decision names the kind)."""

    data: Mapping[str, Any] = field(default_factory=dict)

    def lines(self) -> list[str]:
        out = []
        for key, value in self.data.items():
            if value in (None, "") or isinstance(value, (list, dict, tuple)):
                continue  # nested data is in --json and the export
            out.append(f"{key.replace('_', ' ')}: {short(str(value), 60)}")
        return out


# ---------------------------------------------------------------- shared parts


@dataclass(frozen=True, slots=True)
class LaneOutcome:
    lane: str
    model: str
    status: str
    error: str | None = None


@dataclass(frozen=True, slots=True)
class Excluded:
    """A member whose answer did not count, and why."""

    lane: str
    model: str
    why: str


def _excluded_line(excluded: tuple[Excluded, ...]) -> list[str]:
    if not excluded:
        return []
    who = ", ".join(f"{e.model} ({short(e.why, 50)})" for e in excluded)
    return [f"Not counted: {who}."]


# ---------------------------------------------------------------- route

RouteSource: TypeAlias = Literal["rule", "examples", "classifier", "default", "user"]


@dataclass(frozen=True, slots=True)
class RouteDetail(DecisionDetail):
    """Which route a router chose, by what means, and how sure it was."""

    kind: ClassVar[str] = "route"
    route: str
    target: str  # a model alias, or "preset NAME"
    source: RouteSource
    reason: str  # e.g. 'the keyword "python"', 'it said "code" (confidence 0.91)'
    runner_up: str | None = None
    confidence: float | None = None
    scores: Mapping[str, float] = field(default_factory=dict)
    # Every route the router could take (what a user may re-route this turn to).
    routes: tuple[str, ...] = ()

    def lines(self) -> list[str]:
        how = {
            "rule": "a rule matched",
            "examples": "closest to the route's examples",
            "classifier": "the classifier chose it",
            "default": "nothing decided, so the default route",
            "user": "you chose it",
        }[self.source]
        out = [f"Routed to {self.route} ({self.target}): {how} — {self.reason}."]
        if self.runner_up:
            out.append(f"Runner-up: {self.runner_up}.")
        return out


# ---------------------------------------------------------------- agreement


@dataclass(frozen=True, slots=True)
class AnswerGroup:
    """Answers judged to say the same thing."""

    answer: str  # the group's representative answer (shortened)
    extracted: str  # the extracted answer that was compared ("100 °C"); "" = whole text
    votes: int
    fraction: float  # of every answer counted
    lanes: tuple[str, ...]
    models: tuple[str, ...]


_METHOD_WORDS = {
    "answers": "their extracted answers (numbers, letters, names by value)",
    "lexical": "word overlap",
    "embedding": "embeddings",
    "judge": "a judge model",
}


def method_words(method: str) -> str:
    """How answers were compared, in words ("answers + judge" → "… and a judge model")."""
    parts = [_METHOD_WORDS.get(part.strip(), part.strip()) for part in method.split("+")]
    return " and ".join(p for p in parts if p)


@dataclass(frozen=True, slots=True)
class Tally:
    groups: tuple[AnswerGroup, ...]  # largest first
    counted: int  # the denominator of every fraction: every member asked
    method: str  # how sameness was judged: exact, lexical, embedding, judge…
    excluded: tuple[Excluded, ...] = ()

    @property
    def agreement(self) -> float:
        return self.groups[0].fraction if self.groups else 0.0

    def lines(self) -> list[str]:
        out = []
        for group in self.groups:
            said = group.extracted or short(group.answer, 60)
            who = ", ".join(group.models)
            out.append(f"{group.votes} of {self.counted} said {said!r} ({who}).")
        return out + _excluded_line(self.excluded)


@dataclass(frozen=True, slots=True)
class VoteDetail(DecisionDetail):
    kind: ClassVar[str] = "vote"
    tally: Tally
    tie: bool = False
    winner: str | None = None  # the lane whose answer won
    notes: tuple[str, ...] = ()  # fallbacks the comparison took

    def lines(self) -> list[str]:
        compared = method_words(self.tally.method)
        return [f"Answers compared by {compared}.", *self.tally.lines(), *self.notes]


@dataclass(frozen=True, slots=True)
class ConsensusDetail(DecisionDetail):
    kind: ClassVar[str] = "consensus"
    tally: Tally
    threshold: float
    accepted: bool
    reason: str
    cancelled: tuple[str, ...] = ()  # members stopped once the outcome was decided
    notes: tuple[str, ...] = ()  # fallbacks the comparison took

    def lines(self) -> list[str]:
        verdict = "accepted" if self.accepted else "not enough agreement"
        out = [
            f"Agreement {self.tally.agreement:.0%} against a threshold of "
            f"{self.threshold:.0%}: {verdict}.",
            f"Answers compared by {method_words(self.tally.method)}.",
            *self.tally.lines(),
        ]
        if self.cancelled:
            out.append(f"Stopped waiting for {', '.join(self.cancelled)}: the outcome was decided.")
        return out + list(self.notes)


@dataclass(frozen=True, slots=True)
class EscalationDetail(DecisionDetail):
    kind: ClassVar[str] = "escalation"
    target: str
    status: Literal["done", "failed"]
    answers_shown: int = 0
    lane: str | None = None
    error: str | None = None

    def lines(self) -> list[str]:
        shown = (
            f", shown the {self.answers_shown} disagreeing answers" if self.answers_shown else ""
        )
        if self.status == "failed":
            return [f"Escalation to {self.target} failed: {self.error or 'no answer'}."]
        return [f"Escalated to {self.target}{shown}."]


# ---------------------------------------------------------------- scores


@dataclass(frozen=True, slots=True)
class ScoreRow:
    lane: str
    model: str
    score: float  # 0-10
    weight: float
    total: float
    scored_by: tuple[str, ...] = ()  # judges; empty: the agreement rule
    group: int = 0  # which group of agreeing answers it is in (1 = first formed; 0: none)


@dataclass(frozen=True, slots=True)
class JudgeRun:
    judge: str
    lane: str
    status: str  # done, failed, unparseable
    order: tuple[str, ...] = ()  # the lanes in the order the judge saw them
    scores: Mapping[str, float] = field(default_factory=dict)  # lane -> score


@dataclass(frozen=True, slots=True)
class ScoresDetail(DecisionDetail):
    kind: ClassVar[str] = "scores"
    rows: tuple[ScoreRow, ...]  # highest total first
    winner: str | None  # lane
    scoring: str  # judge | rule
    mode: str = "best"  # best: the highest total; sum: agreeing answers add up
    judges: tuple[JudgeRun, ...] = ()
    excluded: tuple[Excluded, ...] = ()
    compared_by: str = ""  # how answers were grouped (sum mode, rule scores)
    weights: str = "given"  # given (the preset's), learned (from ratings), equal (fallback)

    def lines(self) -> list[str]:
        out = [
            f"{row.model}: score {row.score:g} × weight {row.weight:g} = {row.total:g}"
            + (f" (judged by {', '.join(row.scored_by)})" if row.scored_by else " (by agreement)")
            + (f", group {row.group}" if self.mode == "sum" and row.group else "")
            for row in self.rows
        ]
        failed = [j.judge for j in self.judges if j.status != "done"]
        if failed:
            out.append(f"Judges without a usable verdict: {', '.join(failed)}.")
        if self.weights == "learned":
            out.append("Weights learned from your picks (mmchat leaderboard).")
        return out + _excluded_line(self.excluded)


# ---------------------------------------------------------------- steps


@dataclass(frozen=True, slots=True)
class StageDetail(DecisionDetail):
    """One pipeline stage finished (or failed)."""

    kind: ClassVar[str] = "stage"
    number: int
    of: int
    model: str
    instruction: str
    lane: str
    status: Literal["done", "failed"]
    chars: int = 0
    preview: str = ""
    error: str | None = None
    name: str = ""
    saw: tuple[str, ...] = ()  # the earlier outputs its instruction was given
    round: int = 1  # > 1 when a repeat_from loop ran it again
    stopped: bool = False  # its output matched stop_when: the pipeline ended here

    def lines(self) -> list[str]:
        # The summary already names the stage, its model and what it wrote: say what it
        # was asked and what it was given.
        asked = short(self.instruction)
        given = ", ".join(("the request", *self.saw))
        head = f"Stage {self.number} of {self.of}" + (f" · asked: “{asked}”" if asked else "")
        if self.status == "failed":
            return [f"{head} · given {given} · failed: {self.error}."]
        out = [f"{head} · given {given} · wrote {self.chars:,} chars."]
        if self.stopped:
            out.append("Its output matched the stop condition: the pipeline ended here.")
        return out


@dataclass(frozen=True, slots=True)
class PlanStepInfo:
    id: str
    title: str
    type: str
    prompt: str
    depends_on: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class PlanDetail(DecisionDetail):
    kind: ClassVar[str] = "plan"
    steps: tuple[PlanStepInfo, ...]
    source: str  # json, list, fallback, edited
    dropped: int = 0
    problems: tuple[str, ...] = ()  # what validation fixed or refused

    def lines(self) -> list[str]:
        read = {"json": "a JSON plan", "list": "a numbered list", "edited": "your edit"}.get(
            self.source, "nothing usable (the request runs as one step)"
        )
        out = [f"{len(self.steps)} step(s), read from {read}."]
        for step in self.steps:
            after = f" after {', '.join(step.depends_on)}" if step.depends_on else ""
            out.append(f"{step.id} [{step.type}] {short(step.title, 60)}{after}")
        if self.dropped:
            out.append(f"{self.dropped} step(s) over the limit dropped.")
        out += [f"Fixed: {p}" for p in self.problems]
        return out


@dataclass(frozen=True, slots=True)
class TaskInfo:
    id: str
    worker: str
    task: str


@dataclass(frozen=True, slots=True)
class AssignmentsDetail(DecisionDetail):
    kind: ClassVar[str] = "assignments"
    tasks: tuple[TaskInfo, ...]
    source: str  # json | fallback
    lane: str | None = None
    error: str | None = None

    def lines(self) -> list[str]:
        out = [f"{t.id} → {t.worker}: {short(t.task, 70)}" for t in self.tasks]
        if self.source != "json":
            out.append("The assignment was not readable: every worker got the whole request.")
        return out


@dataclass(frozen=True, slots=True)
class TaskVerdict:
    """The review's word on one task."""

    id: str
    verdict: str  # accept | revise | reassign
    worker: str  # who does it next (after a reassignment: the new worker)
    feedback: str = ""


@dataclass(frozen=True, slots=True)
class ReviewDetail(DecisionDetail):
    kind: ClassVar[str] = "review"
    round: int
    verdict: str  # accept (every task) | revise (some go again) | unreadable | failed
    feedback: str = ""
    lane: str | None = None
    tasks: tuple[TaskVerdict, ...] = ()

    def lines(self) -> list[str]:
        if self.verdict == "unreadable":
            return [f"Round {self.round}: the review could not be read; results used as they are."]
        out = []
        for task in self.tasks:
            said = f": {short(task.feedback, 90)}" if task.feedback else ""
            to = f" to {task.worker}" if task.verdict == "reassign" else ""
            out.append(f"{task.id}: {task.verdict}{to}{said}")
        return out or [f"Round {self.round}: {self.verdict}."]


@dataclass(frozen=True, slots=True)
class FanoutDetail(DecisionDetail):
    kind: ClassVar[str] = "fanout"
    lanes: tuple[LaneOutcome, ...]
    chosen: str | None = None  # lane shown as the answer by default

    def lines(self) -> list[str]:
        failed = [f"{o.model} ({short(o.error or o.status, 50)})" for o in self.lanes
                  if o.status != "done"]  # fmt: skip
        return [f"Failed: {', '.join(failed)}."] if failed else []


@dataclass(frozen=True, slots=True)
class BlindDetail(DecisionDetail):
    """A blind comparison: the panes are labelled A, B, C… and their models stay hidden
    (no model names, token counts or costs) until the user picks one."""

    kind: ClassVar[str] = "blind"
    labels: tuple[str, ...]

    def lines(self) -> list[str]:
        return ["The models stay hidden until you pick an answer; then they are shown."]


# ---------------------------------------------------------------- combining answers


def _failed_line(members: tuple[LaneOutcome, ...], said: str = "Failed, so left out") -> list[str]:
    failed = [f"{m.model} ({short(m.error or m.status, 50)})" for m in members
              if m.status != "done"]  # fmt: skip
    return [f"{said}: {', '.join(failed)}."] if failed else []


@dataclass(frozen=True, slots=True)
class LayerDetail(DecisionDetail):
    """One layer of a mixture of agents finished: who answered, and what it was shown."""

    kind: ClassVar[str] = "moa-layer"
    number: int  # 1: the proposers
    of: int  # layers in all, the final aggregator's included
    members: tuple[LaneOutcome, ...]
    shown: int = 0  # answers of the layer before that each member was shown
    shown_from: int = 0  # which layer those answers came from (an empty layer is skipped)
    fallback: str = ""  # what was done instead when the layer gave nothing usable

    def lines(self) -> list[str]:
        answered = sum(m.status == "done" for m in self.members)
        shown = (
            f"shown the {self.shown} answer(s) of layer {self.shown_from} (anonymised, shuffled)"
        )
        head = f"Layer {self.number} of {self.of}: "
        if self.number == 1:
            head += f"{len(self.members)} proposer(s), asked at once"
        elif self.number == self.of:
            who = self.members[0].model if self.members else "the aggregator"
            did = "wrote the answer" if answered else "gave no answer"
            head += f"{who}, {shown}, {did}."
        else:
            head += f"{len(self.members)} aggregator(s), each {shown}"
        if self.number != self.of:
            head += f"; {answered} of {len(self.members)} gave an answer."
        failed = _failed_line(
            self.members, "Failed" if self.number == self.of else "Failed, so left out"
        )
        out = [head, *failed]
        return out + ([self.fallback] if self.fallback else [])


@dataclass(frozen=True, slots=True)
class RankingRun:
    """One council member's ranking of the others' answers."""

    ranker: str  # the member who ranked
    lane: str
    status: str  # done, failed, unparseable
    order: tuple[str, ...] = ()  # the lanes in the order the ranker saw them
    ranking: tuple[str, ...] = ()  # the lanes it ranked, best first
    ranked_models: tuple[str, ...] = ()  # the same, by member
    complete: bool = True  # it placed every answer it was shown


@dataclass(frozen=True, slots=True)
class RankRow:
    """One answer's place in the aggregate of the rankings."""

    lane: str
    model: str
    mean_rank: float  # 1 = ranked best by everyone who ranked it
    borda: float  # points: the number of answers ranked below it, summed
    rankings: int  # how many rankings placed it


@dataclass(frozen=True, slots=True)
class CouncilDetail(DecisionDetail):
    """How the council ranked each other's answers, and the aggregate the chair sees."""

    kind: ClassVar[str] = "council"
    rows: tuple[RankRow, ...]  # best first
    rankings: tuple[RankingRun, ...]
    chair: str
    excluded: tuple[Excluded, ...] = ()

    def lines(self) -> list[str]:
        out = [
            f"{row.model}: mean rank {row.mean_rank:g} from {row.rankings} ranking(s), "
            f"Borda {row.borda:g}."
            if row.rankings
            else f"{row.model}: not ranked."
            for row in self.rows
        ]
        for run in self.rankings:
            if run.status == "done":
                part = "" if run.complete else " (the rest ranked last)"
                out.append(f"{run.ranker} ranked {' > '.join(run.ranked_models)}{part}.")
        unusable = [f"{r.ranker} ({r.status})" for r in self.rankings if r.status != "done"]
        if unusable:
            out.append(f"Rankings not counted: {', '.join(unusable)}.")
        return out + _excluded_line(self.excluded)


@dataclass(frozen=True, slots=True)
class RoundDetail(DecisionDetail):
    """One round of a debate: the measured agreement, the arbiter's confidence, and
    whether the debate stops here."""

    kind: ClassVar[str] = "debate-round"
    number: int
    of: int  # the most rounds there may be
    tally: Tally
    agreement_threshold: float
    stop: bool
    reason: str
    confidence: float | None = None  # the arbiter's, as read from its reply
    confidence_threshold: float | None = None
    arbiter: str = ""
    arbiter_status: str = ""  # done, failed, unreadable ("" without an arbiter)
    notes: tuple[str, ...] = ()  # fallbacks the comparison took

    def lines(self) -> list[str]:
        verdict = f"the debate stops: {self.reason}" if self.stop else "another round"
        out = [
            f"Round {self.number} of at most {self.of}: agreement {self.tally.agreement:.0%} "
            f"(stop at {self.agreement_threshold:.0%}); {verdict}."
        ]
        if self.arbiter and self.confidence is not None:
            against = (
                f" (stop at {self.confidence_threshold:g})"
                if self.confidence_threshold is not None
                else ""
            )
            out.append(f"The arbiter {self.arbiter} says it is {self.confidence:g} sure{against}.")
        elif self.arbiter:
            out.append(f"The arbiter {self.arbiter} gave no confidence ({self.arbiter_status}).")
        out.append(f"Answers compared by {method_words(self.tally.method)}.")
        return out + self.tally.lines() + list(self.notes)
