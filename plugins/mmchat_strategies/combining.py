"""What moa, council and debate share: members, anonymised answers, prompts, parsing.

A *member* is a model alias or a whole preset: a model is one lane (``ctx.ask``), a
preset runs as a step (``ctx.run_preset``) and comes back as a :class:`LaneResult`,
so a preset that fails is a failed member, never a failed turn. Whoever reads other
members' answers (an aggregator, a ranker, a debater, a chair, an arbiter) sees them
under labels ("Response A") in an order shuffled for that reader, never a model name.
Replies are read leniently (:mod:`mmchat.api.parsing`): a ranking from a "FINAL
RANKING:" list, JSON or "B > A > C"; a confidence from "Confidence: 0.8", "80 %" or
"8/10"; ``None`` when there is nothing to read, so the strategy can say so.
"""

from __future__ import annotations

import random
import re
from collections.abc import Sequence
from dataclasses import dataclass

from mmchat.api import (
    Context,
    Excluded,
    LaneOutcome,
    LaneResult,
    LaneRole,
    Message,
)
from mmchat.api.answers import ANSWER_LINE_INSTRUCTION
from mmchat.api.parsing import extract_json, numbered_items
from mmchat_strategies.fanout import pane_labels

# ------------------------------------------------------------------ members


@dataclass(frozen=True, slots=True)
class Member:
    name: str  # a model alias, or a preset's name
    label: str  # how it is shown: the alias (numbered when repeated) or "preset NAME"
    preset: bool = False


def members_of(models: Sequence[str], presets: Sequence[str] = ()) -> list[Member]:
    labels = pane_labels([*models, *(f"preset {p}" for p in presets)])
    kinds = [(m, False) for m in models] + [(p, True) for p in presets]
    return [Member(n, label, p) for (n, p), label in zip(kinds, labels, strict=True)]


async def ask_member(
    ctx: Context,
    member: Member,
    messages: Sequence[Message] | None,
    *,
    role: LaneRole,
    label: str = "",
    parent: str | None = None,
    temperature: float | None = None,
) -> LaneResult:
    """One member's reply; a preset's answer (or its failure) as a LaneResult whose
    lane is the preset's first source lane."""
    if not member.preset:
        return await ctx.ask(
            member.name,
            messages,
            role=role,
            label=label or member.label,
            parent=parent,
            temperature=temperature,
        )
    try:
        answer = await ctx.run_preset(member.name, messages, parent=parent)
    except Exception as exc:  # a broken sub-preset is one failed member
        why = str(exc) or type(exc).__name__
        return LaneResult(
            lane=member.label, model=member.label, text="", status="failed", error=why
        )
    lane = answer.sources[0] if answer.sources else member.label
    return LaneResult(lane=lane, model=member.label, text=answer.text, status="done")


def usable(result: LaneResult) -> bool:
    return result.ok and bool(result.text.strip())


def outcome(result: LaneResult) -> LaneOutcome:
    if usable(result):
        return LaneOutcome(result.lane, result.model, "done")
    status = result.status if result.status != "done" else "failed"
    return LaneOutcome(result.lane, result.model, status, result.error or "no text")


def excluded(results: Sequence[LaneResult]) -> tuple[Excluded, ...]:
    return tuple(Excluded(r.lane, r.model, r.error or "no text") for r in results if not usable(r))


def failures(results: Sequence[LaneResult]) -> str:
    return "; ".join(f"{r.model}: {r.error or 'no text'}" for r in results if not usable(r))


# ------------------------------------------------------------------ anonymised answers


def labels(count: int) -> list[str]:
    return [chr(ord("A") + i) for i in range(count)]


def shuffled(items: Sequence[LaneResult], rng: random.Random) -> list[LaneResult]:
    order = list(items)
    rng.shuffle(order)
    return order


def labelled(answers: Sequence[LaneResult], rng: random.Random) -> list[tuple[str, LaneResult]]:
    """The answers in a shuffled order, labelled A, B, C… in that order."""
    order = shuffled(answers, rng)
    return list(zip(labels(len(order)), order, strict=True))


def shown(items: Sequence[tuple[str, LaneResult]]) -> str:
    return "\n\n".join(f"Response {label}:\n{answer.text.strip()}" for label, answer in items)


def as_turn(ctx: Context, content: str) -> list[Message]:
    """The conversation so far with ``content`` in place of the user's last message."""
    return [*ctx.messages[:-1], Message("user", content)]


# ------------------------------------------------------------------ prompts


def aggregate_prompt(request: str, items: Sequence[tuple[str, LaneResult]]) -> str:
    """Mixture of agents' aggregate-and-synthesize instruction."""
    return (
        f"{request}\n\n---\nSeveral assistants answered the request above:\n\n{shown(items)}\n\n"
        "---\nSome of these responses may be wrong, incomplete or biased. Evaluate them "
        "critically and write one better response to the request: accurate, complete and "
        "clear. Do not copy them blindly, and do not mention them; just answer."
    )


def ranking_prompt(request: str, items: Sequence[tuple[str, LaneResult]]) -> str:
    example = "\n".join(f"{n}. Response {label}" for n, (label, _) in enumerate(items, 1))
    return (
        f"Request:\n{request}\n\nResponses from different assistants, in no particular "
        f"order:\n\n{shown(items)}\n\n---\nEvaluate each response in a sentence or two: "
        "what it gets right and what it gets wrong. Judge correctness and usefulness, not "
        "length or position. Then end your reply with the line FINAL RANKING: followed by "
        f"every response, best first, one per line, like:\n\nFINAL RANKING:\n{example}"
    )


def chair_prompt(
    request: str,
    items: Sequence[tuple[str, LaneResult]],
    standings: Sequence[str],
    reviews: Sequence[str],
) -> str:
    ranked = "\n".join(standings) or "(no usable rankings)"
    said = "\n\n".join(f"Reviewer {n}:\n{text}" for n, text in enumerate(reviews, 1))
    return (
        f"{request}\n\n---\nYou chair a council of assistants. Each answered the request "
        f"above:\n\n{shown(items)}\n\n---\nEach then ranked the others' answers. Combined "
        f"ranking (mean rank, 1 = best):\n{ranked}"
        + (f"\n\nWhat the reviewers said:\n\n{said}" if said else "")
        + "\n\n---\nWrite the council's final answer to the request: take what is right in "
        "the answers, fix what is wrong, weigh the rankings. Do not mention the council; "
        "just answer."
    )


def revise_prompt(
    request: str, own: str, others: Sequence[tuple[str, LaneResult]], answer_line: bool
) -> str:
    return (
        f"{request}\n\n---\nYour previous answer:\n{own.strip()}\n\n---\nOther assistants "
        f"answered:\n\n{shown(others)}\n\n---\nWeigh their reasoning against yours. Where "
        "they are right, change your answer; where you are right, keep it and say briefly "
        "why. Give your full revised answer."
        + (f" {ANSWER_LINE_INSTRUCTION}" if answer_line else "")
    )


def arbiter_prompt(request: str, items: Sequence[tuple[str, LaneResult]]) -> str:
    return (
        f"{request}\n\n---\nSeveral assistants answered the request above:\n\n{shown(items)}"
        "\n\n---\nWrite the best final answer to the request, keeping what is right in "
        "them. Then, as the very last line, write 'Confidence: X', where X (0 to 1) is how "
        "sure you are that the final answer is correct."
    )


# ------------------------------------------------------------------ reading replies

_RANKING_HEAD = re.compile(r"(?:final\s+ranking\s*:?|\branking\s*:)", re.IGNORECASE)
_INLINE_ITEM = re.compile(r"(?:^|\s)\d+[.)]\s+")


def _label_in(text: str, known: Sequence[str]) -> str | None:
    match = re.search(r"(?:response|answer)\s*\(?([A-Z])\b", text, re.IGNORECASE)
    if match is None:
        match = re.fullmatch(r"\W*([A-Z])\W*", text.strip(), re.IGNORECASE)
    if match is None:
        return None
    label = match.group(1).upper()
    return label if label in known else None


def read_ranking(reply: str, known: Sequence[str]) -> list[str]:
    """The labels a reply ranks, best first, each once: from its "FINAL RANKING:" list
    (else the whole reply) as a numbered list, JSON, or "B > A > C"; [] if none."""
    heads = list(_RANKING_HEAD.finditer(reply))
    section = reply[heads[-1].end() :] if heads else reply
    candidates: list[str] = []
    parsed = extract_json(section)
    if isinstance(parsed, dict):
        parsed = parsed.get("ranking") or parsed.get("FINAL RANKING")
    if isinstance(parsed, list):
        candidates = [str(item) for item in parsed]
    if not candidates:
        candidates = numbered_items(section)
    if not candidates and ">" in section:
        candidates = section.split(">")
    if not candidates and heads:
        inline = _INLINE_ITEM.split(section)
        candidates = inline if len(inline) > 2 else re.split(r"[,;\n]", section)
    found: list[str] = []
    for candidate in (piece for c in candidates for piece in _INLINE_ITEM.split(c)):
        label = _label_in(candidate, known)
        if label is not None and label not in found:
            found.append(label)
    return found


_NUMBER = r"(\d+(?:\.\d+)?)\s*(%|/\s*100\b|/\s*10\b)?"
_CONFIDENCE = re.compile(
    r"confidence(?:\s+(?:level|score))?[\s*_:=]*"
    r"(?:\(\s*0\s*(?:-|–|to)\s*1(?:00?)?\s*\))?[\s*_:=]*(?:is|of)?[\s*_:=]*" + _NUMBER,
    re.IGNORECASE,
)
# A line that only states the confidence ("**Confidence:** 0.8"), and nothing else.
_CONFIDENCE_LINE = re.compile(
    r"^[\s>*_#-]*" + _CONFIDENCE.pattern + r"[\s*_).]*$", re.IGNORECASE | re.MULTILINE
)


def read_confidence(reply: str) -> float | None:
    """0-1 from the last "Confidence: …" in a reply (0.8, 80 %, 8/10); None if none."""
    matches = list(_CONFIDENCE.finditer(reply))
    if not matches:
        return None
    value, scale = float(matches[-1].group(1)), (matches[-1].group(2) or "").replace(" ", "")
    if scale in ("%", "/100") or (not scale and 10 < value <= 100):
        value /= 100
    elif scale == "/10" or (not scale and 1 < value <= 10):
        value /= 10
    return value if 0 <= value <= 1 else None


def without_confidence(reply: str) -> str:
    """The reply without its confidence line(s): what the user reads as the answer."""
    return _CONFIDENCE_LINE.sub("", reply).strip()
