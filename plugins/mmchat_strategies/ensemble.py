"""ensemble: every answer is scored, the score is multiplied by the model's weight.

The seed's ``WeightedEnsemble.decide`` made real. Scores come from judge models, or
from a rule (agreement with the other answers) when no judge is wanted or a judge
gives nothing usable. Judges see answers under anonymous labels, shuffled per judge,
and never score their own model's answer while another judge can.
"""

from __future__ import annotations

import asyncio
import random
import re
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
    ScoreRow,
    ScoresDetail,
    Strategy,
    StrategyError,
    StrategyOptions,
    model_validator,
    models_option,
    option,
)
from mmchat_strategies._parsing import extract_json, parse_score
from mmchat_strategies._similarity import similarity
from mmchat_strategies.fanout import pane_labels


class EnsembleOptions(StrategyOptions):
    models: dict[ModelRef, float] = models_option(
        {"local": 1.0, "precise": 1.0}, "Model → weight (how much you trust it)", min_length=2
    )
    scoring: Literal["judge", "rule"] = option(
        "judge", "judge: judge models score each answer 0-10; rule: agreement with the others"
    )
    judges: list[ModelRef] = models_option(
        [], "Judge models (empty: the members judge each other, never their own answer)"
    )
    seed: int | None = option(None, "Seed for the order judges see answers in (empty: random)")

    @model_validator(mode="after")
    def _weights_not_negative(self) -> EnsembleOptions:
        negative = [m for m, w in self.models.items() if w < 0]
        if negative:
            raise ValueError(f"weights must be ≥ 0 ({', '.join(negative)})")
        return self


def may_judge(judge: str, author: str, judges: list[str]) -> bool:
    """A model scores its own answer only when it is the only judge there is."""
    return judge != author or all(j == author for j in judges)


def judge_prompt(request: str, labelled: list[tuple[str, str]]) -> str:
    shown = "\n\n".join(f"Answer {label}:\n{text}" for label, text in labelled)
    example = ", ".join(f'"{label}": 7' for label, _ in labelled)
    return (
        f"Request:\n{request}\n\n{shown}\n\n"
        "Score each answer from 0 (useless or wrong) to 10 (correct, complete, clear). "
        "Judge content, not length or position. "
        f"Reply with JSON only, like {{{example}}}."
    )


def read_scores(reply: str, labels: list[str]) -> dict[str, float]:
    """Label → score from a JSON object, else from lines like "A: 7" / "Answer B - 6/10"."""
    found: dict[str, float] = {}
    parsed = extract_json(reply)
    if isinstance(parsed, dict):
        for key, value in parsed.items():
            label = str(key).strip().upper().removeprefix("ANSWER").strip()
            score = parse_score(str(value))
            if label in labels and score is not None:
                found[label] = score
    if not found:
        for line in reply.splitlines():
            match = re.match(r"\W*(?:answer\s+)?([A-Z])\b\W*(.*)", line.strip(), re.IGNORECASE)
            if match and match.group(1).upper() in labels:
                score = parse_score(match.group(2))
                if score is not None:
                    found.setdefault(match.group(1).upper(), score)
    return found


def agreement_score(answer: LaneResult, answers: list[LaneResult]) -> float:
    """Rule score 0-10: mean similarity to the other answers (measured, not claimed)."""
    others = [a for a in answers if a.lane != answer.lane]
    if not others:
        return 10.0
    return sum(similarity(answer.text, o.text) for o in others) / len(others) / 10


class Ensemble(Strategy):
    name = "ensemble"
    summary = "Every answer scored (judge or rule) × the model's weight; highest total wins."
    view = "tally"
    Options = EnsembleOptions

    @classmethod
    def model_refs(cls, options: Any) -> list[str]:
        # The models are the dict's keys, which the generic walk does not collect.
        refs = super().model_refs(options)
        return [*refs, *(m for m in options.models if m not in refs)]

    async def run(self, ctx: Context, options: EnsembleOptions) -> Answer:
        members = list(options.models)
        results = await asyncio.gather(
            *(
                ctx.ask(model, role="answer", label=label)
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
        rows: list[ScoreRow] = []
        for answer in answers:
            scores = judged[answer.lane]
            score = (
                sum(scores.values()) / len(scores) if scores else agreement_score(answer, answers)
            )
            weight = options.models[answer.model]
            rows.append(
                ScoreRow(
                    lane=answer.lane,
                    model=answer.model,
                    score=round(score, 2),
                    weight=weight,
                    total=round(score * weight, 3),
                    scored_by=tuple(sorted(scores)),
                )
            )
        winner = max(rows, key=lambda row: row.total)  # first on ties: option order
        excluded = tuple(
            Excluded(r.lane, r.model, r.error or "no text") for r in results if r not in answers
        )
        ctx.emit(
            Decision(
                summary=f"{winner.model} wins: {winner.score:g} × {winner.weight:g} "
                f"= {winner.total:g}",
                detail=ScoresDetail(
                    rows=tuple(sorted(rows, key=lambda row: -row.total)),
                    winner=winner.lane,
                    scoring=options.scoring,
                    judges=tuple(judge_log),
                    excluded=excluded,
                ),
            )
        )
        return Answer(next(a.text for a in answers if a.lane == winner.lane), (winner.lane,))

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
