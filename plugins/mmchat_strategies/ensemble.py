"""ensemble: every answer is scored, the score is multiplied by the model's weight.

The seed's ``WeightedEnsemble.decide`` made real. Scores come from judge models, or
from a rule (agreement with the other answers) when no judge is wanted or a judge
gives nothing usable. Judges see answers under anonymous labels, shuffled per judge,
and never score their own model's answer while another judge can.

``weights = "learned"`` takes the weights from the user's own picks instead (see
:mod:`mmchat_strategies.learned_weights`).
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import Mapping
from typing import Any, Literal

from mmchat.api import (
    Answer,
    Context,
    Decision,
    Excluded,
    JudgeRun,
    LaneResult,
    Message,
    ModelRef,
    Note,
    PlannedCall,
    ScoreRow,
    ScoresDetail,
    Strategy,
    StrategyError,
    StrategyOptions,
    model_validator,
    models_option,
    option,
)
from mmchat.api.agreement import Agreement, AgreementOptions, agreement_of, member_messages
from mmchat_strategies.fanout import pane_labels
from mmchat_strategies.learned_weights import learned_weights
from mmchat_strategies.scoring import judge_prompt, may_judge, read_scores


class EnsembleOptions(AgreementOptions):
    models: dict[ModelRef, float] = models_option(
        {"local": 1.0, "precise": 1.0}, "Model → weight (how much you trust it)", min_length=2
    )
    scoring: Literal["judge", "rule"] = option(
        "judge", "judge: judge models score each answer 0-10; rule: agreement with the others"
    )
    mode: Literal["best", "sum"] = option(
        "best",
        "best: the highest score × weight wins; sum: answers that agree add their "
        "score × weight, and the group with the highest total wins (the seed's ensemble)",
    )
    judges: list[ModelRef] = models_option(
        [], "Judge models (empty: the members judge each other, never their own answer)"
    )
    answer_line: bool = option(
        False, "Ask each member to end with an 'Answer: …' line (what sum mode compares)"
    )
    seed: int | None = option(None, "Seed for the order judges see answers in (empty: random)")
    weights: Literal["given", "learned"] = option(
        "given",
        "given: the weights in models; learned: from your picks (each member's rating, "
        "see mmchat leaderboard), equal until every member has min_comparisons",
    )
    min_comparisons: int = option(
        5, "learned weights: comparisons each member needs before its rating is used", ge=1
    )

    @model_validator(mode="after")
    def _weights_not_negative(self) -> EnsembleOptions:
        negative = [m for m, w in self.models.items() if w < 0]
        if negative:
            raise ValueError(f"weights must be ≥ 0 ({', '.join(negative)})")
        return self


def agreement_scores(agreement: Agreement) -> dict[str, float]:
    """Rule score 0-10 per lane: the share of the other answers that agree with it
    (measured agreement, not a claim)."""
    others = max(1, sum(g.votes for g in agreement.groups) - 1)
    return {
        lane: 10.0 * (group.votes - 1) / others if others else 10.0
        for group in agreement.groups
        for lane in group.lanes
    }


class Ensemble(Strategy):
    name = "ensemble"
    summary = "Every answer scored (judge or rule) × the model's weight; highest total wins."
    view = "tally"
    Options = EnsembleOptions

    @classmethod
    def planned_calls(cls, options: StrategyOptions) -> list[PlannedCall]:
        # The members; each judge (or member) reading the answers; a sum's comparison.
        assert isinstance(options, EnsembleOptions)
        members = tuple(options.models)
        judges = (options.judges or members) if options.scoring == "judge" else []
        calls = [PlannedCall(m) for m in members] + [PlannedCall(j, members) for j in judges]
        return calls + (options.comparison_calls(members) if options.mode == "sum" else [])

    @classmethod
    def warnings(cls, options: StrategyOptions) -> list[str]:
        assert isinstance(options, EnsembleOptions)
        judging = [j for j in options.judges if j in options.models]
        if options.scoring == "judge" and judging and len(options.judges) == len(judging):
            return [
                f"every judge ({', '.join(judging)}) is also a member: each one scores its "
                "own answer too (self-preference); add a judge that does not answer"
            ]
        return []

    @classmethod
    def model_refs(cls, options: Any) -> list[str]:
        # The models are the dict's keys, which the generic walk does not collect.
        refs = super().model_refs(options)
        return [*refs, *(m for m in options.models if m not in refs)]

    async def run(self, ctx: Context, options: EnsembleOptions) -> Answer:
        members = list(options.models)
        weights, weighed = dict(options.models), "given"
        if options.weights == "learned":
            weights, why = learned_weights(ctx.ratings(), members, options.min_comparisons)
            weighed = "equal" if why else "learned"
            if why:
                ctx.emit(Note(text=why, level="warning"))
        messages = member_messages(ctx, options)
        results = await asyncio.gather(
            *(
                ctx.ask(model, messages, role="answer", label=label)
                for model, label in zip(members, pane_labels(members), strict=True)
            )
        )
        answers = [r for r in results if r.ok and r.text.strip()]
        if not answers:
            reasons = "; ".join(f"{r.model}: {r.error or 'no text'}" for r in results)
            raise StrategyError(f"no model answered ({reasons})")
        judged: dict[str, dict[str, float]] = {a.lane: {} for a in answers}
        judge_log: list[JudgeRun] = []
        if options.scoring == "judge":
            judge_log = await self.judge(ctx, options, answers, judged)
        agreement: Agreement | None = None
        if options.mode == "sum" or any(not scores for scores in judged.values()):
            agreement = await agreement_of(ctx, options, answers)
        by_rule = agreement_scores(agreement) if agreement is not None else {}
        group_of = {
            lane: number
            for number, group in enumerate(agreement.groups if agreement else (), start=1)
            for lane in group.lanes
        }
        rows = [self.row(a, judged[a.lane], by_rule, weights, group_of) for a in answers]
        excluded = tuple(
            Excluded(r.lane, r.model, r.error or "no text") for r in results if r not in answers
        )
        if options.mode == "sum":
            winner, summary = self.sum_winner(rows)
        else:
            winner = max(rows, key=lambda row: row.total)  # first on ties: option order
            summary = (
                f"{winner.model} wins: {winner.score:g} × {winner.weight:g} = {winner.total:g}"
            )
        ctx.emit(
            Decision(
                summary=summary,
                detail=ScoresDetail(
                    rows=tuple(sorted(rows, key=lambda row: -row.total)),
                    winner=winner.lane,
                    scoring=options.scoring,
                    mode=options.mode,
                    judges=tuple(judge_log),
                    excluded=excluded,
                    compared_by=agreement.method if agreement else "",
                    weights=weighed,
                ),
            )
        )
        return Answer(next(a.text for a in answers if a.lane == winner.lane), (winner.lane,))

    @staticmethod
    def row(
        answer: LaneResult,
        scores: dict[str, float],
        by_rule: dict[str, float],
        weights: Mapping[str, float],
        group_of: dict[str, int],
    ) -> ScoreRow:
        score = sum(scores.values()) / len(scores) if scores else by_rule.get(answer.lane, 0.0)
        weight = weights[answer.model]
        return ScoreRow(
            lane=answer.lane,
            model=answer.model,
            score=round(score, 2),
            weight=weight,
            total=round(score * weight, 3),
            scored_by=tuple(sorted(scores)),
            group=group_of.get(answer.lane, 0),
        )

    @staticmethod
    def sum_winner(rows: list[ScoreRow]) -> tuple[ScoreRow, str]:
        """The seed's weighted ensemble: agreeing answers add their score × weight; the
        best-scored member of the winning group is the answer shown."""
        totals: dict[int, float] = {}
        for row in rows:
            totals[row.group] = totals.get(row.group, 0.0) + row.total
        best = max(totals, key=lambda g: totals[g])  # first on ties: first group formed
        members = [row for row in rows if row.group == best]
        winner = max(members, key=lambda row: row.total)
        names = ", ".join(row.model for row in members)
        added = " + ".join(f"{row.total:g}" for row in members)
        return winner, f"group {best} ({names}) wins: {added} = {totals[best]:g}"

    async def judge(
        self,
        ctx: Context,
        options: EnsembleOptions,
        answers: list[LaneResult],
        judged: dict[str, dict[str, float]],
    ) -> list[JudgeRun]:
        """Each judge scores the answers it may judge, in its own shuffled order."""
        judges = list(dict.fromkeys(options.judges or [a.model for a in answers]))
        rng = random.Random(options.seed)
        plans: list[tuple[str, dict[str, LaneResult]]] = []
        for judge in judges:
            mine = [a for a in answers if may_judge(judge, a.model, judges)]
            rng.shuffle(mine)
            if mine:
                plans.append((judge, {chr(ord("A") + i): a for i, a in enumerate(mine)}))
        replies = await asyncio.gather(
            *(
                ctx.ask(
                    judge,
                    [
                        Message(
                            "user", judge_prompt(ctx.prompt, [(k, a.text) for k, a in key.items()])
                        )
                    ],
                    role="judge",
                    label=f"judge: {judge}",
                    temperature=0.0,
                )
                for judge, key in plans
            )
        )
        log = []
        for (judge, key), reply in zip(plans, replies, strict=True):
            scores = read_scores(reply.text, list(key)) if reply.ok else {}
            for label, score in scores.items():
                judged[key[label].lane][judge] = score
            log.append(
                JudgeRun(
                    judge=judge,
                    lane=reply.lane,
                    status=reply.status if scores or not reply.ok else "unparseable",
                    order=tuple(a.lane for a in key.values()),
                    scores={key[label].lane: s for label, s in scores.items()},
                )
            )
        return log
