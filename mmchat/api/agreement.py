"""Which answers say the same thing: the one measure voting, consensus and ensembles use.

Each answer's final answer is extracted first (:mod:`mmchat.api.answers`). Numbers,
option letters and yes/no are compared by value, so different numbers never agree
whatever else is said. What extraction cannot settle (prose, a number against a
paragraph) goes to a similarity *backend* chosen per preset:

- ``lexical`` — word overlap (rapidfuzz): free and instant, but blind to meaning;
- ``embedding`` — cosine similarity of the answers' embeddings from a configured
  model's embeddings endpoint (OpenAI ``/v1/embeddings``, Ollama ``/api/embed``,
  llama.cpp), cached per text;
- ``judge`` — one model asked which of the (anonymised, shuffled) answers state the
  same final answer; decisive pairs (numbers, letters) still overrule it.

A backend that fails (no embeddings endpoint, an unreadable verdict) falls back to
``lexical``, and the agreement says so.
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Literal, TypeAlias

from pydantic import model_validator

from mmchat.api.answers import (
    ANSWER_LINE_INSTRUCTION,
    Extracted,
    extract_answer,
    numbers_in,
    same_answer,
)
from mmchat.api.decisions import AnswerGroup, Excluded, Tally
from mmchat.api.events import Message
from mmchat.api.parsing import extract_json
from mmchat.api.strategy import (
    Context,
    LaneResult,
    ModelRef,
    PlannedCall,
    StrategyOptions,
    models_option,
    option,
)

__all__ = [
    "DEFAULT_THRESHOLDS",
    "Agreement",
    "AgreementOptions",
    "Group",
    "Member",
    "Method",
    "agreement_bounds",
    "agreement_of",
    "group_answers",
    "lexical_similarity",
    "member_messages",
]

Method: TypeAlias = Literal["lexical", "embedding", "judge"]
# How similar (0-1) two prose answers must be to agree, by backend.
DEFAULT_THRESHOLDS: dict[str, float] = {"lexical": 0.75, "embedding": 0.85, "judge": 0.5}
TALLY_TEXT_CHARS = 200


@dataclass(frozen=True, slots=True)
class Member:
    lane: str
    model: str
    text: str
    answer: Extracted


@dataclass(frozen=True, slots=True)
class Group:
    """Answers judged to say the same thing, in the order they were given."""

    members: tuple[Member, ...]
    fraction: float  # of every answer counted

    @property
    def votes(self) -> int:
        return len(self.members)

    @property
    def lanes(self) -> tuple[str, ...]:
        return tuple(m.lane for m in self.members)

    @property
    def representative(self) -> Member:
        """The member to show: one with an extracted answer line first, then the most
        complete wording (the longest; the first on ties)."""
        return max(self.members, key=lambda m: (m.answer.from_answer_line, len(m.text)))


@dataclass(frozen=True, slots=True)
class Agreement:
    groups: tuple[Group, ...]  # largest first; ties keep input order
    counted: int  # the denominator of every fraction
    method: str  # what settled it: "answers", "lexical", "embedding", "judge", or a mix
    notes: tuple[str, ...] = ()  # fallbacks taken, in words

    @property
    def top(self) -> Group | None:
        return self.groups[0] if self.groups else None

    @property
    def fraction(self) -> float:
        return self.groups[0].fraction if self.groups else 0.0

    @property
    def tied(self) -> bool:
        return len(self.groups) > 1 and self.groups[0].votes == self.groups[1].votes

    def tally(self, excluded: Sequence[Excluded] = ()) -> Tally:
        """The decision payload's view of this agreement."""
        groups = tuple(
            AnswerGroup(
                answer=g.representative.text[:TALLY_TEXT_CHARS],
                extracted="" if g.representative.answer.kind == "text"
                else g.representative.answer.shown,
                votes=g.votes,
                fraction=round(g.fraction, 3),
                lanes=g.lanes,
                models=tuple(m.model for m in g.members),
            )
            for g in self.groups
        )  # fmt: skip
        return Tally(groups, self.counted, self.method, tuple(excluded))


def lexical_similarity(a: str, b: str) -> float:
    """0-1, word order ignored: the mean of rapidfuzz's token_set and token_sort ratios
    (token_set alone scores "yes" inside a long "yes, but…" as identical)."""
    if a == b:
        return 1.0
    from rapidfuzz import fuzz  # imported on first use: plugin discovery stays fast

    return (fuzz.token_set_ratio(a, b) + fuzz.token_sort_ratio(a, b)) / 200


def _cosine(u: Sequence[float], v: Sequence[float]) -> float:
    dot = sum(x * y for x, y in zip(u, v, strict=False))
    norm = math.sqrt(sum(x * x for x in u)) * math.sqrt(sum(y * y for y in v))
    return dot / norm if norm else 0.0


def _numbers_conflict(a: Member, b: Member) -> bool:
    """A stated number against prose that names other numbers and not this one."""
    for one, other in ((a, b), (b, a)):
        if one.answer.kind == "number" and other.answer.kind == "text":
            theirs = numbers_in([other.text])
            value = one.answer.number
            if theirs and value is not None and not any(math.isclose(value, n) for n in theirs):
                return True
    return False


@dataclass
class _Backend:
    """Decides prose pairs; ``how`` names what it used (after any fallback)."""

    method: Method
    threshold: float
    how: str
    notes: list[str] = field(default_factory=list)
    vectors: dict[str, list[float]] = field(default_factory=dict)
    judged: dict[str, int] = field(default_factory=dict)  # lane -> group index

    def same(self, a: Member, b: Member) -> bool:
        if self.how == "judge" and a.lane in self.judged and b.lane in self.judged:
            return self.judged[a.lane] == self.judged[b.lane]
        if self.how == "embedding" and a.lane in self.vectors and b.lane in self.vectors:
            return _cosine(self.vectors[a.lane], self.vectors[b.lane]) >= self.threshold
        limit = self.threshold if self.how == "lexical" else DEFAULT_THRESHOLDS["lexical"]
        return lexical_similarity(a.answer.value, b.answer.value) >= limit


async def group_answers(
    ctx: Context,
    answers: Sequence[LaneResult],
    *,
    method: Method = "lexical",
    model: str = "",
    threshold: float | None = None,
    counted: int | None = None,
    seed: int | None = None,
) -> Agreement:
    """Group the answers that say the same thing (failed or empty ones are skipped).

    ``model`` is the embeddings model (``embedding``) or the judge (``judge``);
    ``counted`` the denominator of the fractions (every member asked, so a failed
    member counts against agreement; default: the answers given).
    """
    question = ctx.prompt
    members = [
        Member(r.lane, r.model, r.text, extract_answer(r.text, question))
        for r in answers
        if r.ok and r.text.strip()
    ]
    limit = DEFAULT_THRESHOLDS[method] if threshold is None else threshold
    backend = _Backend(method, limit, method)
    prose = [m for m in members if not m.answer.decisive]
    if len(prose) >= 2 and method == "embedding":
        await _embed(ctx, backend, prose, model)
    elif len(prose) >= 2 and method == "judge":
        await _judge(ctx, backend, members, model, seed)
    total = max(counted if counted is not None else len(members), len(members))
    used: set[str] = set()

    def prose_same(a: Member, b: Member) -> bool:
        used.add(backend.how)
        return backend.same(a, b)

    groups = _cluster(members, prose_same, used)
    ordered = sorted(groups, key=len, reverse=True)  # stable: ties keep first-seen order
    if not used:  # nothing compared (one answer): what would have compared it
        used.add("answers" if any(m.answer.kind != "text" for m in members) else backend.how)
    return Agreement(
        groups=tuple(Group(tuple(g), len(g) / total if total else 0.0) for g in ordered),
        counted=total,
        method=" + ".join(sorted(used)),
        notes=tuple(backend.notes),
    )


def _cluster(
    members: list[Member],
    prose_same: Callable[[Member, Member], bool],
    used: set[str] | None = None,
) -> list[list[Member]]:
    """Greedy grouping: each answer joins the first group whose first member it agrees
    with. ``used`` collects what settled the comparisons ("answers": extraction)."""
    groups: list[list[Member]] = []
    for member in members:
        for group in groups:
            anchor = group[0]
            verdict = same_answer(anchor.answer, member.answer)
            if verdict is None and _numbers_conflict(anchor, member):
                verdict = False
            if verdict is not None and used is not None:
                used.add("answers")
            if verdict is None:
                verdict = prose_same(anchor, member)
            if verdict:
                group.append(member)
                break
        else:
            groups.append([member])
    return groups


async def _embed(ctx: Context, backend: _Backend, prose: list[Member], model: str) -> None:
    if not model:
        backend.how = "lexical"
        backend.notes.append("no embeddings model configured: compared by word overlap")
        return
    try:
        vectors = await ctx.embed(model, [m.text for m in prose])
    except Exception as exc:  # no embeddings endpoint, model gone, server down
        backend.how = "lexical"
        backend.notes.append(f"embeddings from {model} failed ({exc}): compared by word overlap")
        return
    backend.vectors = {m.lane: list(v) for m, v in zip(prose, vectors, strict=True)}


def judge_prompt(question: str, labelled: list[tuple[int, str]]) -> str:
    shown = "\n\n".join(f"[{number}]\n{text}" for number, text in labelled)
    return (
        f"Question:\n{question}\n\nAnswers:\n\n{shown}\n\n"
        "Which answers give the same final answer (the same fact, number, choice or "
        "conclusion), whatever their wording or length? Group them; an answer that agrees "
        "with none is a group of its own. Judge what they conclude, not their style. "
        'Reply with JSON only, like {"groups": [[1, 3], [2]]}.'
    )


async def _judge(
    ctx: Context, backend: _Backend, members: list[Member], model: str, seed: int | None
) -> None:
    if not model:
        backend.how = "lexical"
        backend.notes.append("no judge configured: compared by word overlap")
        return
    order = list(members)
    random.Random(seed).shuffle(order)  # no position bias; labels say nothing of models
    labelled = [(i + 1, m.text) for i, m in enumerate(order)]
    reply = await ctx.ask(
        model,
        [Message("user", judge_prompt(ctx.prompt, labelled))],
        role="judge",
        label=f"agreement judge ({model})",
        temperature=0.0,
    )
    groups = _read_groups(reply.text, len(order)) if reply.ok else None
    if groups is None:
        why = reply.error if not reply.ok else "its verdict was not readable"
        backend.how = "lexical"
        backend.notes.append(f"judge {model}: {why}; compared by word overlap")
        return
    backend.judged = {order[n - 1].lane: index for index, group in enumerate(groups) for n in group}


def _read_groups(reply: str, count: int) -> list[list[int]] | None:
    """[[1, 3], [2]] from the judge's reply; None unless every answer is placed once."""
    parsed = extract_json(reply)
    if isinstance(parsed, dict):
        parsed = parsed.get("groups")
    if not isinstance(parsed, list):
        return None
    groups: list[list[int]] = []
    seen: set[int] = set()
    for group in parsed:
        items = group if isinstance(group, list) else [group]
        numbers = []
        for item in items:
            try:
                number = int(item)
            except (TypeError, ValueError):
                return None
            if not 1 <= number <= count or number in seen:
                return None
            seen.add(number)
            numbers.append(number)
        if numbers:
            groups.append(numbers)
    return groups if seen == set(range(1, count + 1)) else None


class AgreementOptions(StrategyOptions):
    """Options every strategy that compares answers shares (voting, consensus,
    ensembles): how answers are compared, and whether members end with an answer line."""

    compare: Method = option(
        "lexical",
        "How prose answers are compared once numbers, letters and yes/no are extracted: "
        "lexical (word overlap), embedding (compare_with's embeddings), judge (compare_with "
        "groups them)",
    )
    compare_with: ModelRef = models_option(
        "", "The embeddings model (compare = embedding) or the judge (compare = judge)"
    )
    similarity: float | None = option(
        None,
        "How similar (0-1) two prose answers must be to agree (unset: 0.75 lexical, "
        "0.85 embedding)",
        ge=0,
        le=1,
    )
    answer_line: bool = option(
        True, "Ask each member to end with an 'Answer: …' line (what is compared)"
    )

    def comparison_calls(self, members: Sequence[str]) -> list[PlannedCall]:
        """The call comparing the members' answers costs: the judge or the embeddings
        model reads every answer (a budget's estimate counts it)."""
        if self.compare == "lexical" or not self.compare_with:
            return []
        return [PlannedCall(self.compare_with, tuple(members))]

    @model_validator(mode="after")
    def _needs_a_model(self) -> AgreementOptions:
        if self.compare != "lexical" and not self.compare_with:
            raise ValueError(f"compare = {self.compare!r} needs compare_with (a model alias)")
        return self


def member_messages(ctx: Context, options: AgreementOptions) -> list[Message] | None:
    """The conversation for a member: with the answer-line request when asked for."""
    if not options.answer_line:
        return None
    messages = list(ctx.messages)
    last = messages[-1]
    messages[-1] = Message(last.role, f"{last.content}\n\n{ANSWER_LINE_INSTRUCTION}")
    return messages


async def agreement_of(
    ctx: Context,
    options: AgreementOptions,
    answers: Sequence[LaneResult],
    *,
    counted: int | None = None,
    seed: int | None = None,
) -> Agreement:
    """:func:`group_answers` with a strategy's agreement options."""
    return await group_answers(
        ctx,
        answers,
        method=options.compare,
        model=options.compare_with,
        threshold=options.similarity,
        counted=counted,
        seed=seed,
    )


def agreement_bounds(question: str, answers: Sequence[LaneResult]) -> tuple[int, int]:
    """Votes of the largest group among ``answers``: (certain, possible). *Certain*
    counts only answers extraction shows agree; *possible* assumes every pair it cannot
    settle agrees. A strategy can stop waiting once a threshold is certainly met, or can
    no longer be met, without asking a backend (or a judge) after every answer."""
    members = [
        Member(r.lane, r.model, r.text, extract_answer(r.text, question))
        for r in answers
        if r.ok and r.text.strip()
    ]
    if not members:
        return 0, 0
    certain = max(len(g) for g in _cluster(members, lambda a, b: False))
    possible = max(len(g) for g in _cluster(members, lambda a, b: True))
    return certain, possible
