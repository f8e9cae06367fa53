"""voting: N models answer; answers are grouped by agreement; the largest group wins.

The seed's ``ModelVoting.vote`` made real: voters run at once, "the same answer"
means normalized-equal for short answers and fuzzy-similar for prose (not identical
strings), failed voters are excluded and the tally says so.
"""

from __future__ import annotations

import asyncio

from mmchat.api import (
    Answer,
    AnswerGroup,
    Context,
    Decision,
    Excluded,
    LaneResult,
    ModelRef,
    Strategy,
    StrategyError,
    StrategyOptions,
    Tally,
    VoteDetail,
    models_option,
    option,
)
from mmchat_strategies._similarity import (
    DEFAULT_SIMILARITY,
    SHORT_ANSWER_WORDS,
    Agreement,
    cluster_answers,
)
from mmchat_strategies.fanout import pane_labels

TALLY_TEXT_CHARS = 200


class VotingOptions(StrategyOptions):
    models: list[ModelRef] = models_option(
        ["local", "precise", "creative"], "Models that vote (2-9)", min_length=2, max_length=9
    )
    similarity: float = option(
        DEFAULT_SIMILARITY, "How similar (0-100) two prose answers must be to agree", ge=0, le=100
    )
    short_answer_words: int = option(
        SHORT_ANSWER_WORDS, "Answers this short are compared exactly (after normalizing)", ge=1
    )


def excluded_members(results: list[LaneResult]) -> tuple[Excluded, ...]:
    """Members whose call failed or said nothing: they count against agreement."""
    return tuple(
        Excluded(r.lane, r.model, r.error or "no text")
        for r in results
        if not (r.ok and r.text.strip())
    )


def tally_of(
    agreement: Agreement, models: dict[str, str], excluded: tuple[Excluded, ...] = ()
) -> Tally:
    """The decision's view of an agreement: one group per cluster, largest first."""
    groups = tuple(
        AnswerGroup(
            answer=cluster.representative[:TALLY_TEXT_CHARS],
            extracted="",
            votes=cluster.votes,
            fraction=round(cluster.fraction, 3),
            lanes=cluster.lanes,
            models=tuple(models[lane] for lane in cluster.lanes),
        )
        for cluster in agreement.clusters
    )
    return Tally(groups, agreement.counted, agreement.method, excluded)


class Voting(Strategy):
    name = "voting"
    summary = "Several models answer; the largest group of agreeing answers wins."
    view = "tally"
    Options = VotingOptions

    async def run(self, ctx: Context, options: VotingOptions) -> Answer:
        results = await asyncio.gather(
            *(
                ctx.ask(model, role="voter", label=label)
                for model, label in zip(options.models, pane_labels(options.models), strict=True)
            )
        )
        votes = [(r.lane, r.text) for r in results if r.ok and r.text.strip()]
        excluded = excluded_members(list(results))
        agreement = cluster_answers(
            votes, threshold=options.similarity, short_words=options.short_answer_words
        )
        winner = agreement.top
        models = {r.lane: r.model for r in results}
        if winner is None:
            summary = "no votes: every voter failed"
        else:
            summary = (
                f"{winner.votes} of {len(votes)} agree ({agreement.fraction:.0%})"
                + (" — tie, first group wins" if agreement.tied else "")
                + (f"; {len(excluded)} excluded" if excluded else "")
            )
        ctx.emit(
            Decision(
                summary=summary,
                detail=VoteDetail(
                    tally=tally_of(agreement, models, excluded),
                    tie=agreement.tied,
                    winner=winner.representative_lane if winner else None,
                ),
            )
        )
        if winner is None:
            reasons = "; ".join(f"{e.model}: {e.why}" for e in excluded)
            raise StrategyError(f"no voter answered ({reasons})")
        # The representative first, then the rest of the winning group.
        lead = winner.representative_lane
        sources = (lead, *(lane for lane in winner.lanes if lane != lead))
        return Answer(winner.representative, sources)
