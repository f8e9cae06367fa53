"""voting: N models answer; answers that say the same thing are grouped; the largest
group wins.

The seed's ``ModelVoting.vote`` made real: voters run at once and end with an
"Answer: …" line; what they answered is extracted (a number with its unit, a letter,
yes/no, a short entity) and compared by value, prose by the preset's backend
(``mmchat.api.agreement``); failed voters are excluded and the tally says so, with the
extracted answers that were compared.
"""

from __future__ import annotations

import asyncio

from mmchat.api import (
    Answer,
    Context,
    Decision,
    Excluded,
    LaneResult,
    ModelRef,
    PlannedCall,
    Strategy,
    StrategyError,
    StrategyOptions,
    VoteDetail,
    models_option,
)
from mmchat.api.agreement import AgreementOptions, agreement_of, member_messages
from mmchat_strategies.fanout import pane_labels


class VotingOptions(AgreementOptions):
    models: list[ModelRef] = models_option(
        ["local", "precise", "creative"], "Models that vote (2-9)", min_length=2, max_length=9
    )


def excluded_members(results: list[LaneResult]) -> tuple[Excluded, ...]:
    """Members whose call failed or said nothing: they count against agreement."""
    return tuple(
        Excluded(r.lane, r.model, r.error or "no text")
        for r in results
        if not (r.ok and r.text.strip())
    )


class Voting(Strategy):
    name = "voting"
    summary = "Several models answer; the largest group of agreeing answers wins."
    view = "tally"
    Options = VotingOptions

    @classmethod
    def planned_calls(cls, options: StrategyOptions) -> list[PlannedCall]:
        assert isinstance(options, VotingOptions)
        calls = [PlannedCall(m) for m in options.models]
        return calls + options.comparison_calls(options.models)

    async def run(self, ctx: Context, options: VotingOptions) -> Answer:
        messages = member_messages(ctx, options)
        results = list(
            await asyncio.gather(
                *(
                    ctx.ask(model, messages, role="voter", label=label)
                    for model, label in zip(
                        options.models, pane_labels(options.models), strict=True
                    )
                )
            )
        )
        excluded = excluded_members(results)
        agreement = await agreement_of(ctx, options, results)
        winner = agreement.top
        if winner is None:
            summary = "no votes: every voter failed"
        else:
            said = winner.representative.answer
            answer = f" on {said.shown!r}" if said.kind != "text" else ""
            summary = (
                f"{winner.votes} of {agreement.counted} agree{answer} ({agreement.fraction:.0%})"
                + (" — tie, first group wins" if agreement.tied else "")
                + (f"; {len(excluded)} excluded" if excluded else "")
            )
        ctx.emit(
            Decision(
                summary=summary,
                detail=VoteDetail(
                    tally=agreement.tally(excluded),
                    tie=agreement.tied,
                    winner=winner.representative.lane if winner else None,
                    notes=agreement.notes,
                ),
            )
        )
        if winner is None:
            reasons = "; ".join(f"{e.model}: {e.why}" for e in excluded)
            raise StrategyError(f"no voter answered ({reasons})")
        # The representative first, then the rest of the winning group.
        lead = winner.representative
        sources = (lead.lane, *(lane for lane in winner.lanes if lane != lead.lane))
        return Answer(lead.text, sources)
