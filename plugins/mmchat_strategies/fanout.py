"""fanout: the same conversation goes to N models at once, each in its own pane.

The seed's ``ModelFanOut.process`` made real: every model streams side by side, a
failed pane shows why while the others finish, and the user compares. The first
successful answer (in option order) becomes the assistant message; the TUI lets the
user pick another pane instead.
"""

from __future__ import annotations

import asyncio

from mmchat.api import (
    Answer,
    Context,
    Decision,
    FanoutDetail,
    LaneOutcome,
    LaneResult,
    ModelRef,
    Strategy,
    StrategyError,
    StrategyOptions,
    models_option,
)


class FanOutOptions(StrategyOptions):
    models: list[ModelRef] = models_option(
        ["local", "precise"], "Models that answer side by side (2-8)", min_length=2, max_length=8
    )


def pane_labels(models: list[str]) -> list[str]:
    """The alias, numbered when one alias appears twice (e.g. sampling variety)."""
    labels = []
    for index, model in enumerate(models):
        repeats = models[:index].count(model)
        labels.append(model if repeats == 0 else f"{model} #{repeats + 1}")
    return labels


def outcome(result: LaneResult, answered: bool) -> LaneOutcome:
    """How one member's call ended; a call that returned no text counts as failed."""
    if answered:
        return LaneOutcome(result.lane, result.model, "done")
    status = result.status if result.status != "done" else "failed"
    return LaneOutcome(result.lane, result.model, status, result.error or "no text")


class FanOut(Strategy):
    name = "fanout"
    summary = "The same conversation to several models at once, side by side."
    view = "lanes"
    Options = FanOutOptions

    async def run(self, ctx: Context, options: FanOutOptions) -> Answer:
        # gather starts the calls in option order, so lanes open in option order.
        results = await asyncio.gather(
            *(
                ctx.ask(model, role="answer", label=label)
                for model, label in zip(options.models, pane_labels(options.models), strict=True)
            )
        )
        answered = [r for r in results if r.ok and r.text.strip()]
        failed = [r for r in results if r not in answered]
        chosen = answered[0] if answered else None
        ctx.emit(
            Decision(
                summary=f"{len(answered)} of {len(results)} answered"
                + (f"; {chosen.model} by default" if chosen else ""),
                detail=FanoutDetail(
                    lanes=tuple(outcome(r, r in answered) for r in results),
                    chosen=chosen.lane if chosen else None,
                ),
            )
        )
        if chosen is None:
            reasons = "; ".join(f"{r.model}: {r.error or 'no text'}" for r in failed)
            raise StrategyError(f"no model answered ({reasons})")
        return Answer(chosen.text, (chosen.lane,))
