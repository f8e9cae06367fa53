"""single: one model answers. The baseline every other strategy is measured against."""

from __future__ import annotations

from mmchat.api import (
    Answer,
    Context,
    ModelRef,
    Strategy,
    StrategyError,
    StrategyOptions,
    models_option,
)


class SingleOptions(StrategyOptions):
    model: ModelRef = models_option("local", "The model that answers")


class Single(Strategy):
    name = "single"
    summary = "One model answers."
    view = "single"
    Options = SingleOptions

    async def run(self, ctx: Context, options: SingleOptions) -> Answer:
        result = await ctx.ask(options.model, role="answer")
        if not result.ok:
            raise StrategyError(result.error or f"{options.model} did not answer")
        return Answer(result.text, (result.lane,))
