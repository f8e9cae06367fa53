"""consensus: accept the agreed answer when enough models agree, else escalate.

The seed's ``ConsensusEnsemble.decide`` made real. Members answer at once, each with a
closing "Answer: …" line; what they answered is extracted and compared
(``mmchat.api.agreement``: numbers by value, prose by the preset's backend). Waiting
stops (remaining lanes are cancelled) the moment the outcome cannot change: the
threshold is certainly met, or can no longer be met. Without enough agreement, a
stronger model (or another preset) answers, shown the disagreeing answers under
anonymous labels.
"""

from __future__ import annotations

import asyncio
import contextlib
import random

from mmchat.api import (
    Answer,
    ConsensusDetail,
    Context,
    Decision,
    EscalationDetail,
    LaneResult,
    Message,
    ModelRef,
    Note,
    PlannedCall,
    Strategy,
    StrategyError,
    StrategyOptions,
    model_validator,
    models_option,
    option,
    preset_option,
)
from mmchat.api.agreement import (
    Agreement,
    AgreementOptions,
    agreement_bounds,
    agreement_of,
    member_messages,
)
from mmchat_strategies.fanout import pane_labels
from mmchat_strategies.voting import excluded_members


class ConsensusOptions(AgreementOptions):
    models: list[ModelRef] = models_option(
        ["local", "precise", "creative"],
        "Models whose agreement is measured (2-9)",
        min_length=2,
        max_length=9,
    )
    threshold: float = option(
        0.67,
        "Share of the models that must agree (compared at two decimals: 0.67 = 2 of 3)",
        gt=0,
        le=1,
    )
    escalate_to: ModelRef = models_option(
        "", "A stronger model (not one of the members) that answers without agreement"
    )
    escalate_preset: str = preset_option("", "Or: a preset to run instead of escalate_to")
    include_answers: bool = option(True, "Show the escalation the disagreeing answers")
    early_stop: bool = option(True, "Stop waiting (cancel the rest) once the outcome is decided")
    seed: int | None = option(None, "Seed for the order answers are shown in (empty: random)")

    @model_validator(mode="after")
    def _one_escalation(self) -> ConsensusOptions:
        if self.escalate_to and self.escalate_preset:
            raise ValueError("set escalate_to or escalate_preset, not both")
        return self


def reached(votes: int, counted: int, threshold: float) -> bool:
    """Agreement needs two answers at least; one model alone is not a consensus."""
    # Two decimals, so that 2/3 = 0.666… meets the 0.67 a user writes for "two thirds".
    return votes >= 2 and round(votes / counted, 2) >= threshold


def decided(
    question: str, finished: list[LaneResult], pending: int, options: ConsensusOptions
) -> bool:
    """Can the remaining answers still change whether the threshold is met?"""
    counted = len(options.models)
    certain, possible = agreement_bounds(question, finished)
    if reached(certain, counted, options.threshold):
        return True  # already agreed: more answers can't undo a majority share
    return not reached(possible + pending, counted, options.threshold)


async def collect(ctx: Context, options: ConsensusOptions) -> tuple[list[LaneResult], list[str]]:
    """Ask every model at once; return (finished, in option order; labels cancelled)."""
    labels = pane_labels(options.models)
    messages = member_messages(ctx, options)
    tasks = [
        asyncio.create_task(ctx.ask(model, messages, role="voter", label=label))
        for model, label in zip(options.models, labels, strict=True)
    ]
    pending = set(tasks)
    try:
        while pending:
            _, pending = await asyncio.wait(pending, return_when=asyncio.FIRST_COMPLETED)
            finished = [t.result() for t in tasks if t.done()]
            if (
                options.early_stop
                and pending
                and decided(ctx.prompt, finished, len(pending), options)
            ):
                break
    finally:
        for task in pending:
            task.cancel()  # a cancelled lane closes "cancelled" and keeps its partial text
        with contextlib.suppress(asyncio.CancelledError):
            await asyncio.gather(*pending, return_exceptions=True)
    # A cancelled ask() returns nothing, so cancelled lanes are named by their label.
    done = [t.result() for t in tasks if not t.cancelled()]
    cancelled = [label for t, label in zip(tasks, labels, strict=True) if t.cancelled()]
    return done, cancelled


def escalation_messages(
    ctx: Context, agreement: Agreement, options: ConsensusOptions
) -> list[Message]:
    if not (options.include_answers and agreement.groups):
        return list(ctx.messages)
    groups = list(agreement.groups)
    random.Random(options.seed).shuffle(groups)  # no position bias toward the plurality
    shown = "\n\n".join(
        f"Answer {chr(ord('A') + i)} (given by {g.votes} of {agreement.counted} models):\n"
        f"{g.representative.text}"
        for i, g in enumerate(groups)
    )
    content = (
        f"{ctx.prompt}\n\n---\nOther assistants answered this and did not agree:\n\n{shown}\n\n"
        "---\nThey may all be wrong. Give your own best answer to the request above."
    )
    return [*ctx.messages[:-1], Message("user", content)]


class Consensus(Strategy):
    name = "consensus"
    summary = "Accept when enough models agree; otherwise escalate to a stronger model."
    view = "tally"
    Options = ConsensusOptions

    @classmethod
    def warnings(cls, options: StrategyOptions) -> list[str]:
        assert isinstance(options, ConsensusOptions)
        if options.escalate_to and options.escalate_to in options.models:
            return [
                f"escalate_to {options.escalate_to!r} is also one of the models: without "
                "agreement the turn goes to a model that already answered, not a stronger one"
            ]
        return []

    @classmethod
    def planned_calls(cls, options: StrategyOptions) -> list[PlannedCall]:
        # The members; a judge comparing their answers; the escalation, which reads them.
        assert isinstance(options, ConsensusOptions)
        members = tuple(options.models)
        calls = [PlannedCall(m) for m in members] + options.comparison_calls(members)
        if options.escalate_to:
            reads = members if options.include_answers else ()
            calls.append(PlannedCall(options.escalate_to, reads))
        return calls

    async def run(self, ctx: Context, options: ConsensusOptions) -> Answer:
        done, cancelled = await collect(ctx, options)
        # Every model asked is counted: a failed or silent model is not agreement.
        agreement = await agreement_of(ctx, options, done, counted=len(options.models))
        answered = sum(g.votes for g in agreement.groups)
        top = agreement.top
        ok = top is not None and reached(top.votes, agreement.counted, options.threshold)
        if ok and top is not None:
            said = top.representative.answer
            on = f" on {said.shown!r}" if said.kind != "text" else ""
            reason = f"{top.votes} of {agreement.counted} agree{on} ({agreement.fraction:.0%})"
            reason += f" ≥ {options.threshold:.0%}"
        elif answered < 2:
            reason = f"only {answered} answer(s): too few to decide"
        else:
            reason = (
                f"best agreement {agreement.fraction:.0%} < {options.threshold:.0%}"
                f" ({len(agreement.groups)} different answers)"
            )
        if cancelled:
            reason += f"; stopped early, {len(cancelled)} lane(s) cancelled"
        ctx.emit(
            Decision(
                summary=("accepted: " if ok else "escalating: ") + reason,
                detail=ConsensusDetail(
                    tally=agreement.tally(excluded_members(done)),
                    threshold=options.threshold,
                    accepted=ok,
                    reason=reason,
                    cancelled=tuple(cancelled),
                    notes=agreement.notes,
                ),
            )
        )
        if ok and top is not None:
            lead = top.representative
            return Answer(
                lead.text, (lead.lane, *(lane for lane in top.lanes if lane != lead.lane))
            )
        failed = "; ".join(
            f"{r.model}: {r.error or 'no text'}" for r in done if not (r.ok and r.text.strip())
        )
        return await self.escalate(ctx, options, agreement, failed=failed)

    async def escalate(
        self, ctx: Context, options: ConsensusOptions, agreement: Agreement, *, failed: str = ""
    ) -> Answer:
        messages = escalation_messages(ctx, agreement, options)
        shown = len(agreement.groups) if options.include_answers else 0
        target = f"preset {options.escalate_preset}" if options.escalate_preset else ""
        target = target or options.escalate_to
        answer: Answer | None = None
        lane: str | None = None
        failure = "no escalate_to or escalate_preset configured"
        if options.escalate_preset:
            try:
                answer = await ctx.run_preset(options.escalate_preset, messages)
            except Exception as exc:  # a broken sub-preset must not lose the votes
                failure = f"{target} failed: {exc}"
        elif options.escalate_to:
            result = await ctx.ask(
                options.escalate_to, messages, role="escalation", label=f"escalation → {target}"
            )
            lane = result.lane
            if result.ok:
                answer = Answer(result.text, (result.lane,))
            else:
                failure = f"{target} failed: {result.error or result.status}"
        ctx.emit(
            Decision(
                summary=f"escalated to {target or 'nobody'}" + ("" if answer else f" — {failure}"),
                detail=EscalationDetail(
                    target=target or "nobody",
                    status="done" if answer else "failed",
                    answers_shown=shown,
                    lane=lane,
                    error=None if answer else failure,
                ),
            )
        )
        if answer is not None:
            return answer
        top = agreement.top
        if top is None:
            why = f" ({failed})" if failed else ""
            raise StrategyError(f"no model answered{why} and escalation is impossible: {failure}")
        ctx.emit(Note(text=f"{failure}; keeping the most agreed answer", level="warning"))
        lead = top.representative
        return Answer(lead.text, (lead.lane, *(lane for lane in top.lanes if lane != lead.lane)))
