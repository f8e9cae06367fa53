"""debate: debaters answer, read each other's answers and revise, until they agree.

llm-consortium's iterate-to-confidence made real. Round 1: every debater answers at
once (ending with an "Answer: …" line). Each later round, every debater is shown its
own previous answer and the others' (anonymised, shuffled per reader) and revises.
After each round the agreement is *measured* (``mmchat.api.agreement``: answers
extracted and compared by value, prose by the preset's backend), and an optional
arbiter, shown the answers anonymised, writes the best answer and says how sure it is
("Confidence: 0.8", read leniently). The debate stops once the measured agreement or
the arbiter's confidence reaches its threshold, or after ``max_rounds``. A debater
that fails drops out and the round says so; the final answer is the last arbiter's
(without its confidence line), else the most agreed answer. Rounds are a live tree.
"""

from __future__ import annotations

import asyncio
import random

from mmchat.api import (
    Answer,
    Context,
    Decision,
    LaneResult,
    ModelRef,
    Note,
    PlannedCall,
    PlanNode,
    PlanState,
    RoundDetail,
    Strategy,
    StrategyError,
    StrategyOptions,
    model_validator,
    models_option,
    option,
    preset_option,
)
from mmchat.api.agreement import Agreement, AgreementOptions, agreement_of, member_messages
from mmchat_strategies.combining import (
    Member,
    arbiter_prompt,
    as_turn,
    ask_member,
    excluded,
    failures,
    labelled,
    members_of,
    read_confidence,
    revise_prompt,
    usable,
    without_confidence,
)
from mmchat_strategies.consensus import reached


class DebateOptions(AgreementOptions):
    models: list[ModelRef] = models_option(
        ["local", "creative", "terse"],
        "Debaters: they answer, read each other's answers and revise (0-8)",
        max_length=8,
    )
    debater_presets: list[str] = preset_option(
        [], "Presets that debate too (a preset answers each round as one debater)"
    )
    arbiter: ModelRef = models_option(
        "",
        "Model that writes the answer from each round's answers and says how sure it is "
        "(empty: no arbiter; the most agreed answer is the answer)",
    )
    max_rounds: int = option(3, "Most rounds (the first answers are round 1)", ge=1, le=6)
    agreement: float = option(
        0.67, "Stop once this share of the debaters agree (measured; 0.67 = 2 of 3)", gt=0, le=1
    )
    confidence: float | None = option(
        0.8, "Or once the arbiter says it is at least this sure (empty: ignore it)", ge=0, le=1
    )
    seed: int | None = option(None, "Seed for the order answers are shown in (empty: random)")

    @model_validator(mode="after")
    def _enough_debaters(self) -> DebateOptions:
        if len(self.models) + len(self.debater_presets) < 2:
            raise ValueError("a debate needs at least two debaters (models + debater_presets)")
        return self


def node(
    node_id: str, label: str, state: PlanState, kind: str, parent: str, lane: str | None = None
) -> PlanNode:
    return PlanNode(node=node_id, label=label, state=state, parent=parent, lane=lane, kind=kind)


class Debate(Strategy):
    name = "debate"
    summary = "Models answer, read each other and revise until they agree (or an arbiter is sure)."
    view = "tree"
    Options = DebateOptions

    @classmethod
    def planned_calls(cls, options: StrategyOptions) -> list[PlannedCall]:
        # Round 1: everyone answers; each later round every debater reads all answers;
        # the arbiter (and a judge comparing answers) take part in every round.
        assert isinstance(options, DebateOptions)
        debaters = tuple(options.models)
        others = [a for a in super().model_refs(options) if a not in debaters]
        calls: list[PlannedCall] = []
        for round_number in range(options.max_rounds):
            reads = debaters if round_number else ()
            calls += [PlannedCall(m, reads) for m in debaters]
            calls += [PlannedCall(a, debaters) for a in others]
        return calls

    @classmethod
    def warnings(cls, options: StrategyOptions) -> list[str]:
        assert isinstance(options, DebateOptions)
        if options.arbiter and options.arbiter in options.models:
            return [
                f"arbiter {options.arbiter!r} is also a debater: it weighs its own answer "
                "(self-preference); name a model that does not debate"
            ]
        return []

    async def run(self, ctx: Context, options: DebateOptions) -> Answer:
        debaters = members_of(options.models, options.debater_presets)
        rng = random.Random(options.seed)
        ctx.emit(PlanNode(node="debate", label="debate", state="running", kind="plan"))
        current: dict[int, LaneResult] = {}  # debater → its latest answer
        agreement: Agreement | None = None
        arbiter: LaneResult | None = None
        for number in range(1, options.max_rounds + 1):
            round_id = f"round:{number}"
            ctx.emit(node(round_id, f"round {number}", "running", "round", "debate"))
            speaking = list(current) if current else list(range(len(debaters)))
            results = await asyncio.gather(
                *(self.speak(ctx, options, number, i, debaters[i], current, rng) for i in speaking)
            )
            fresh = {i: r for i, r in zip(speaking, results, strict=True) if usable(r)}
            if not fresh:
                silent = f"round {number}: nobody answered"
                ctx.emit(node(round_id, silent, "failed", "round", "debate"))
                if number == 1:
                    ctx.emit(PlanNode(node="debate", label="debate", state="failed", kind="plan"))
                    raise StrategyError(f"no debater answered ({failures(results)})")
                said = f"{silent} ({failures(results)}); round {number - 1} stands"
                ctx.emit(Note(text=said, level="warning"))
                break
            current = fresh
            answers = list(current.values())
            agreement = await agreement_of(ctx, options, answers, counted=len(debaters))
            arbiter, confidence, status = await self.arbitrate(ctx, options, number, current, rng)
            stop, reason = self.verdict(options, number, agreement, confidence, len(current))
            ctx.emit(
                Decision(
                    summary=f"round {number}: {'stop' if stop else 'another round'} — {reason}",
                    detail=RoundDetail(
                        number=number,
                        of=options.max_rounds,
                        tally=agreement.tally(excluded(results)),
                        agreement_threshold=options.agreement,
                        stop=stop,
                        reason=reason,
                        confidence=confidence,
                        confidence_threshold=options.confidence,
                        arbiter=options.arbiter,
                        arbiter_status=status,
                        notes=agreement.notes,
                    ),
                )
            )
            ctx.emit(node(round_id, f"round {number}", "done", "round", "debate"))
            if stop:
                break
        ctx.emit(PlanNode(node="debate", label="debate", state="done", kind="plan"))
        assert agreement is not None and agreement.top is not None  # round 1 gave answers
        top = agreement.top
        if arbiter is not None and usable(arbiter) and without_confidence(arbiter.text):
            return Answer(without_confidence(arbiter.text), (arbiter.lane, *top.lanes))
        if options.arbiter:
            why = (arbiter.error if arbiter is not None else None) or "no text"
            said = f"the arbiter {options.arbiter} failed ({why}); keeping the most agreed answer"
            ctx.emit(Note(text=said, level="warning"))
        lead = top.representative
        return Answer(lead.text, (lead.lane, *(lane for lane in top.lanes if lane != lead.lane)))

    async def speak(
        self,
        ctx: Context,
        options: DebateOptions,
        number: int,
        index: int,
        member: Member,
        current: dict[int, LaneResult],
        rng: random.Random,
    ) -> LaneResult:
        """One debater's answer (round 1) or revision, shown the others anonymised."""
        round_id = f"round:{number}"
        node_id = f"{round_id}:{index}"
        messages = member_messages(ctx, options)
        if number > 1:
            others = labelled([r for i, r in current.items() if i != index], rng)
            prompt = revise_prompt(ctx.prompt, current[index].text, others, options.answer_line)
            messages = as_turn(ctx, prompt)
        ctx.emit(node(node_id, member.label, "running", "debater", round_id))
        result = await ask_member(
            ctx, member, messages, role="debater", parent=node_id,
            label=f"{member.label} · round {number}",
        )  # fmt: skip
        state: PlanState = "done" if usable(result) else "failed"
        ctx.emit(node(node_id, member.label, state, "debater", round_id, result.lane))
        return result

    async def arbitrate(
        self,
        ctx: Context,
        options: DebateOptions,
        number: int,
        current: dict[int, LaneResult],
        rng: random.Random,
    ) -> tuple[LaneResult | None, float | None, str]:
        """The arbiter's answer, its confidence and how reading it went ("" without one)."""
        if not options.arbiter:
            return None, None, ""
        round_id = f"round:{number}"
        node_id = f"{round_id}:arbiter"
        label = f"arbiter · {options.arbiter}"
        ctx.emit(node(node_id, label, "running", "arbiter", round_id))
        items = labelled(list(current.values()), rng)
        reply = await ctx.ask(
            options.arbiter,
            as_turn(ctx, arbiter_prompt(ctx.prompt, items)),
            role="arbiter",
            label=f"arbiter · round {number}",
            parent=node_id,
        )
        confidence = read_confidence(reply.text) if usable(reply) else None
        status = (
            "failed" if not usable(reply) else "done" if confidence is not None else "unreadable"
        )
        shown = f"{label}: confidence {confidence:g}" if confidence is not None else label
        state: PlanState = "failed" if status == "failed" else "done"
        ctx.emit(node(node_id, shown, state, "arbiter", round_id, reply.lane))
        return reply, confidence, status

    @staticmethod
    def verdict(
        options: DebateOptions,
        number: int,
        agreement: Agreement,
        confidence: float | None,
        left: int,
    ) -> tuple[bool, str]:
        """Whether the debate stops after this round, and why, in words."""
        top = agreement.top
        votes = top.votes if top is not None else 0
        if reached(votes, agreement.counted, options.agreement):
            return True, f"{votes} of {agreement.counted} agree ({agreement.fraction:.0%})"
        sure = options.confidence
        if confidence is not None and sure is not None and confidence >= sure:
            return True, f"the arbiter is {confidence:g} sure (≥ {sure:g})"
        if left < 2:
            return True, "fewer than two debaters are left"
        if number >= options.max_rounds:
            return True, f"no agreement after {number} round(s), the most allowed"
        said = f"; the arbiter is {confidence:g} sure" if confidence is not None else ""
        return False, f"agreement {agreement.fraction:.0%} < {options.agreement:.0%}{said}"
