"""A strategy plugin: every model answers at once, the shortest answer wins."""

import asyncio

from mmchat.api import (
    Answer,
    Context,
    Decision,
    Strategy,
    StrategyError,
    StrategyOptions,
    models_option,
)


class ShortestOptions(StrategyOptions):
    models: list[str] = models_option(["precise", "terse"], "Models that answer")


class Shortest(Strategy):
    name = "shortest"
    summary = "Every model answers at once; the shortest answer wins."
    view = "lanes"  # side-by-side panes in the TUI
    Options = ShortestOptions

    async def run(self, ctx: Context, options: ShortestOptions) -> Answer:
        results = await asyncio.gather(*(ctx.ask(m, role="answer") for m in options.models))
        answers = [r for r in results if r.ok and r.text.strip()]
        if not answers:
            raise StrategyError("no model answered")
        best = min(answers, key=lambda r: len(r.text))
        ctx.emit(Decision(kind="shortest", summary=f"{best.model}: {len(best.text)} chars"))
        return Answer(best.text, (best.lane,))
