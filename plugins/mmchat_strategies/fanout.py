"""fanout: the same conversation goes to N models at once, each in its own pane.

The seed's ``ModelFanOut.process`` made real: every model streams side by side, a
failed pane shows why while the others finish, and the user compares. The first
successful answer (in option order) becomes the assistant message; the TUI lets the
user pick another pane instead.

``blind = true`` makes it a blind comparison: the models are shuffled and their panes
labelled A, B, C…; the TUI hides which model wrote which pane (and the per-pane token
counts and costs that would give it away) until the user picks one. The pick is then a
comparison of models that knew nothing of their names (see mmchat.ratings).

``default = "best-rated"`` shows the answer of the model the user's own picks rate
highest (``ctx.ratings()``) instead of the first; not in a blind comparison, where
the default pane would tell which model is the favourite.
"""

from __future__ import annotations

import asyncio
import random
from typing import Literal

from mmchat.api import (
    Answer,
    BlindDetail,
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
    option,
)


class FanOutOptions(StrategyOptions):
    models: list[ModelRef] = models_option(
        ["local", "precise"], "Models that answer side by side (2-8)", min_length=2, max_length=8
    )
    blind: bool = option(
        False,
        "Blind comparison: panes A, B, C… in shuffled order, models hidden until you pick",
    )
    default: Literal["first", "best-rated"] = option(
        "first",
        "The answer shown until you pick: the first that answered (option order), or the "
        "best-rated model's by your picks (see mmchat leaderboard)",
    )


def blind_labels(count: int) -> list[str]:
    """A, B, C… (at most eight panes)."""
    return [chr(ord("A") + i) for i in range(count)]


def pane_labels(models: list[str]) -> list[str]:
    """The alias, numbered when one alias appears twice (e.g. sampling variety)."""
    labels = []
    for index, model in enumerate(models):
        repeats = models[:index].count(model)
        labels.append(model if repeats == 0 else f"{model} #{repeats + 1}")
    return labels


def outcome(result: LaneResult, answered: bool, name: str = "") -> LaneOutcome:
    """How one member's call ended; a call that returned no text counts as failed.
    ``name``: what the pane is called (a blind pane's letter), else its model."""
    name = name or result.model
    if answered:
        return LaneOutcome(result.lane, name, "done")
    status = result.status if result.status != "done" else "failed"
    return LaneOutcome(result.lane, name, status, result.error or "no text")


class FanOut(Strategy):
    name = "fanout"
    summary = "The same conversation to several models at once, side by side."
    view = "lanes"
    Options = FanOutOptions

    @classmethod
    def warnings(cls, options: StrategyOptions) -> list[str]:
        assert isinstance(options, FanOutOptions)
        if options.blind and options.default == "best-rated":
            return [
                'a blind comparison shows the first answer by default: default = "best-rated" '
                "would tell which pane is your favourite model"
            ]
        return []

    async def run(self, ctx: Context, options: FanOutOptions) -> Answer:
        models = list(options.models)
        if options.blind:
            # Shuffled, so that pane A is not always the first model of the preset.
            random.shuffle(models)
            labels = blind_labels(len(models))
            # Before the lanes open: the view hides the models from the first frame.
            ctx.emit(
                Decision(
                    summary=f"blind comparison of {len(models)} answers",
                    detail=BlindDetail(labels=tuple(labels)),
                )
            )
        else:
            labels = pane_labels(models)
        # gather starts the calls in order, so lanes open in order.
        results = await asyncio.gather(
            *(
                ctx.ask(model, role="answer", label=label)
                for model, label in zip(models, labels, strict=True)
            )
        )
        label_of = dict(zip((r.lane for r in results), labels, strict=True))
        answered = [r for r in results if r.ok and r.text.strip()]
        failed = [r for r in results if r not in answered]
        chosen, why = self.default_answer(ctx, options, answered)
        # Blind: the decision names panes, not models (it is shown before the pick).
        shown = (lambda r: label_of[r.lane]) if options.blind else (lambda r: r.model)
        lanes = tuple(outcome(r, r in answered, shown(r)) for r in results)
        if options.blind:  # an error may name its model: the pane shows it after the pick
            lanes = tuple(LaneOutcome(o.lane, o.model, o.status) for o in lanes)
        ctx.emit(
            Decision(
                summary=f"{len(answered)} of {len(results)} answered"
                + (f"; {shown(chosen)} by default{why}" if chosen else ""),
                detail=FanoutDetail(lanes=lanes, chosen=chosen.lane if chosen else None),
            )
        )
        if chosen is None:
            reasons = "; ".join(f"{shown(r)}: {r.error or 'no text'}" for r in failed)
            raise StrategyError(f"no model answered ({reasons})")
        return Answer(chosen.text, (chosen.lane,))

    @staticmethod
    def default_answer(
        ctx: Context, options: FanOutOptions, answered: list[LaneResult]
    ) -> tuple[LaneResult | None, str]:
        """The answer shown until the user picks, and why (for the decision's summary)."""
        if not answered:
            return None, ""
        if options.default != "best-rated" or options.blind:
            return answered[0], ""
        ratings = ctx.ratings()
        rated = [r for r in answered if r.model in ratings]
        if not rated:
            return answered[0], " (none of them rated yet: the first)"
        best = max(rated, key=lambda r: ratings[r.model].rating)  # first on ties
        rating = ratings[best.model]
        return best, f" (best rated: {rating.rating:.0f} ± {rating.interval:.0f})"
