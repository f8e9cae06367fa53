"""council: every member answers, ranks the others' answers, and a chair writes the answer.

karpathy/llm-council's three stages made real. Stage 1: every member answers at once.
Stage 2: each member that answered ranks the *others'* answers — never its own —
shown under fixed anonymous labels in an order shuffled per ranker; rankings are read
leniently (a "FINAL RANKING:" list, JSON, "B > A > C"), and an answer a ranking leaves
out counts as ranked last. The rankings are aggregated by mean rank (Borda points break
ties), and every ranking and the aggregate are a visible decision. Stage 3: the chair
writes the final answer from the anonymised answers, the rankings and what the
reviewers said. Members that fail are left out and named; without a chair's answer,
the answer ranked best is kept.
"""

from __future__ import annotations

import asyncio
import random

from mmchat.api import (
    Answer,
    Context,
    CouncilDetail,
    Decision,
    LaneResult,
    Message,
    ModelRef,
    Note,
    PlannedCall,
    RankingRun,
    RankRow,
    Strategy,
    StrategyError,
    StrategyOptions,
    model_validator,
    models_option,
    option,
    preset_option,
)
from mmchat_strategies.combining import (
    Member,
    as_turn,
    ask_member,
    chair_prompt,
    excluded,
    failures,
    labels,
    members_of,
    ranking_prompt,
    read_ranking,
    shuffled,
    usable,
)

REVIEW_CHARS = 1200  # of each ranker's reasoning passed to the chair


class CouncilOptions(StrategyOptions):
    models: list[ModelRef] = models_option(
        ["local", "creative", "terse"],
        "Council members: each answers, then ranks the others (0-8)",
        max_length=8,
    )
    member_presets: list[str] = preset_option(
        [], "Presets that sit on the council too (a preset answers and ranks as one member)"
    )
    chair: ModelRef = models_option(
        "precise", "Model that writes the final answer from the answers and the rankings"
    )
    seed: int | None = option(None, "Seed for labels and the order answers are shown in")

    @model_validator(mode="after")
    def _enough_members(self) -> CouncilOptions:
        if len(self.models) + len(self.member_presets) < 2:
            raise ValueError("a council needs at least two members (models + member_presets)")
        return self


def positions(ranking: list[str], shown: list[str]) -> dict[str, float]:
    """Lane → rank (1 = best) in one ranking; answers it left out share the last places."""
    placed = {lane: float(n) for n, lane in enumerate(ranking, start=1)}
    rest = [lane for lane in shown if lane not in placed]
    if rest:
        shared = (len(ranking) + 1 + len(shown)) / 2  # the mean of the places left
        placed.update(dict.fromkeys(rest, shared))
    return placed


def aggregate(answers: list[LaneResult], runs: list[RankingRun]) -> list[RankRow]:
    """Mean rank over the rankings that placed each answer; Borda points (answers ranked
    below it) break ties; then the order the members answered in."""
    ranks: dict[str, list[float]] = {a.lane: [] for a in answers}
    borda: dict[str, float] = dict.fromkeys(ranks, 0.0)
    for run in runs:
        if run.status != "done":
            continue
        for lane, place in positions(list(run.ranking), list(run.order)).items():
            ranks[lane].append(place)
            borda[lane] += len(run.order) - place
    rows = [
        RankRow(
            lane=a.lane,
            model=a.model,
            mean_rank=round(sum(ranks[a.lane]) / len(ranks[a.lane]), 2) if ranks[a.lane] else 0.0,
            borda=round(borda[a.lane], 2),
            rankings=len(ranks[a.lane]),
        )
        for a in answers
    ]
    order = {a.lane: n for n, a in enumerate(answers)}
    unranked = float("inf")
    return sorted(
        rows, key=lambda r: (r.mean_rank if r.rankings else unranked, -r.borda, order[r.lane])
    )


class Council(Strategy):
    name = "council"
    summary = "Every member answers and ranks the others' answers; a chair writes the answer."
    view = "tally"
    Options = CouncilOptions

    @classmethod
    def planned_calls(cls, options: StrategyOptions) -> list[PlannedCall]:
        # Every member answers, then ranks the others' answers; the chair reads them all.
        assert isinstance(options, CouncilOptions)
        members = list(options.models)
        answers = [PlannedCall(m) for m in members]
        rankings = [PlannedCall(m, tuple(o for o in members if o != m)) for m in members]
        return [*answers, *rankings, PlannedCall(options.chair, tuple(members))]

    @classmethod
    def warnings(cls, options: StrategyOptions) -> list[str]:
        assert isinstance(options, CouncilOptions)
        if options.chair in options.models:
            return [
                f"chair {options.chair!r} is also a member: it weighs its own answer "
                "(self-preference); name a model that does not sit on the council"
            ]
        return []

    async def run(self, ctx: Context, options: CouncilOptions) -> Answer:
        members = members_of(options.models, options.member_presets)
        results = list(
            await asyncio.gather(*(ask_member(ctx, m, None, role="answer") for m in members))
        )
        answered = [(m, r) for m, r in zip(members, results, strict=True) if usable(r)]
        if not answered:
            raise StrategyError(f"no member answered ({failures(results)})")
        answers = [r for _, r in answered]
        if len(answered) == 1:
            only = answers[0]
            said = f"only {only.model} answered ({failures(results)}): nothing to rank"
            ctx.emit(Note(text=f"{said}; its answer is kept", level="warning"))
            return Answer(only.text, (only.lane,))
        rng = random.Random(options.seed)
        label_of = dict(
            zip([a.lane for a in shuffled(answers, rng)], labels(len(answers)), strict=True)
        )
        # With two answers each member could only "rank" the other one: nothing to learn.
        ranked = len(answered) > 2
        runs, reviews = await self.rank(ctx, answered, label_of, rng) if ranked else ([], [])
        rows = aggregate(answers, runs)
        best = rows[0]
        counted = sum(run.status == "done" for run in runs)
        summary = (
            f"{best.model} ranked best (mean rank {best.mean_rank:g}); "
            f"{counted} of {len(runs)} rankings counted"
            if counted
            else "no usable ranking: the chair weighs the answers alone"
            if ranked
            else "two answers, nothing to rank: the chair weighs them alone"
        )
        ctx.emit(
            Decision(
                summary=summary,
                detail=CouncilDetail(
                    rows=tuple(rows),
                    rankings=tuple(runs),
                    chair=options.chair,
                    excluded=excluded(results),
                ),
            )
        )
        return await self.chair(ctx, options, answers, rows, label_of, reviews, rng)

    async def rank(
        self,
        ctx: Context,
        answered: list[tuple[Member, LaneResult]],
        label_of: dict[str, str],
        rng: random.Random,
    ) -> tuple[list[RankingRun], list[str]]:
        """Each member ranks the others' answers, in its own shuffled order."""
        model_of = {r.lane: r.model for _, r in answered}
        plans = []
        for member, own in answered:
            others = shuffled([r for _, r in answered if r.lane != own.lane], rng)
            shown = [(label_of[r.lane], r) for r in others]
            plans.append((member, own, others, shown))

        async def one(member: Member, shown: list[tuple[str, LaneResult]]) -> LaneResult:
            prompt = [Message("user", ranking_prompt(ctx.prompt, shown))]
            return await ask_member(
                ctx, member, prompt, role="ranker", label=member.label, temperature=0.0
            )

        replies = await asyncio.gather(*(one(m, shown) for m, _, _, shown in plans))
        runs, reviews = [], []
        for (member, _, others, shown), reply in zip(plans, replies, strict=True):
            lane_of = {label: r.lane for label, r in shown}
            read = read_ranking(reply.text, list(lane_of)) if usable(reply) else []
            ranking = tuple(lane_of[label] for label in read)
            status = reply.status if not reply.ok else "done" if ranking else "unparseable"
            if ranking:
                reviews.append(reply.text.strip()[:REVIEW_CHARS])
            runs.append(
                RankingRun(
                    ranker=member.label,
                    lane=reply.lane,
                    status=status,
                    order=tuple(r.lane for r in others),
                    ranking=ranking,
                    ranked_models=tuple(model_of[lane] for lane in ranking),
                    complete=len(ranking) == len(others),
                )
            )
        return runs, reviews

    async def chair(
        self,
        ctx: Context,
        options: CouncilOptions,
        answers: list[LaneResult],
        rows: list[RankRow],
        label_of: dict[str, str],
        reviews: list[str],
        rng: random.Random,
    ) -> Answer:
        items = [(label_of[a.lane], a) for a in shuffled(answers, rng)]
        standings = [
            f"Response {label_of[row.lane]}: mean rank {row.mean_rank:g} "
            f"({row.rankings} ranking(s))"
            for row in rows
            if row.rankings
        ]
        result = await ctx.ask(
            options.chair,
            as_turn(ctx, chair_prompt(ctx.prompt, items, standings, reviews)),
            role="chair",
            label=options.chair,
        )
        lanes = tuple(row.lane for row in rows)
        if usable(result):
            return Answer(result.text, (result.lane, *lanes))
        best = next(a for a in answers if a.lane == rows[0].lane)
        ctx.emit(
            Note(
                text=f"the chair {options.chair} failed ({result.error or 'no text'}); "
                f"keeping the answer ranked best, {best.model}'s",
                level="warning",
            )
        )
        return Answer(best.text, lanes)
