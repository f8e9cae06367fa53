"""moa: mixture of agents — proposers answer, layers of aggregators improve, one writes.

Together's Mixture-of-Agents (Wang et al. 2024): the proposers answer at once; each
aggregation layer's members are each shown *every* answer of the layer before
(anonymised, in an order shuffled per reader) and write a better one; the final
layer's single aggregator writes the answer. A member that fails is left out of what
the next layer sees, and the layer's decision says so; a layer that gives nothing
passes the layer before it on; without a final aggregator the most agreed answer of
the last layer is kept, visibly. The layers are a live tree: layer → its members.
"""

from __future__ import annotations

import asyncio
import random

from mmchat.api import (
    Answer,
    Context,
    Decision,
    LaneResult,
    LaneRole,
    LayerDetail,
    ModelRef,
    Note,
    PlannedCall,
    PlanNode,
    PlanState,
    Strategy,
    StrategyError,
    StrategyOptions,
    model_validator,
    models_option,
    option,
    preset_option,
)
from mmchat.api.agreement import group_answers
from mmchat_strategies.combining import (
    Member,
    aggregate_prompt,
    as_turn,
    ask_member,
    failures,
    labelled,
    members_of,
    outcome,
    usable,
)

MAX_LAYERS = 4


class MoaOptions(StrategyOptions):
    proposers: list[ModelRef] = models_option(
        ["local", "creative", "terse"], "Models that answer first, at once (0-8)", max_length=8
    )
    proposer_presets: list[str] = preset_option(
        [], "Presets that propose too, each as one proposer (its final answer)"
    )
    layers: int | list[list[ModelRef]] = models_option(
        1,
        "Aggregation layers between the proposers and the aggregator: a count (each layer "
        "is the proposers' models again) or a list of lists of models (0-4 layers)",
    )
    aggregator: ModelRef = models_option(
        "precise", "Model that writes the final answer from the last layer's answers"
    )
    seed: int | None = option(None, "Seed for the order answers are shown in (empty: random)")

    @model_validator(mode="after")
    def _shape(self) -> MoaOptions:
        if not (self.proposers or self.proposer_presets):
            raise ValueError("needs at least one proposer (proposers or proposer_presets)")
        count = self.layers if isinstance(self.layers, int) else len(self.layers)
        if not 0 <= count <= MAX_LAYERS:
            raise ValueError(f"layers: 0 to {MAX_LAYERS} aggregation layers, not {count}")
        if isinstance(self.layers, list) and any(not 1 <= len(x) <= 8 for x in self.layers):
            raise ValueError("layers: each layer needs 1 to 8 models")
        if isinstance(self.layers, int) and count and not self.proposers:
            raise ValueError("layers as a count reuses the proposers' models: name some")
        return self


def plan_layers(options: MoaOptions) -> list[list[Member]]:
    """The proposers, then each aggregation layer (the final aggregator not included)."""
    first = members_of(options.proposers, options.proposer_presets)
    if isinstance(options.layers, int):
        middle = [members_of(options.proposers) for _ in range(options.layers)]
    else:
        middle = [members_of(models) for models in options.layers]
    return [first, *middle]


def node(
    node_id: str,
    label: str,
    state: PlanState,
    kind: str,
    parent: str = "moa",
    lane: str | None = None,
) -> PlanNode:
    return PlanNode(node=node_id, label=label, state=state, parent=parent, lane=lane, kind=kind)


class MixtureOfAgents(Strategy):
    name = "moa"
    summary = "Proposers answer; layers of aggregators each see every answer and improve on them."
    view = "tree"
    Options = MoaOptions

    @classmethod
    def planned_calls(cls, options: StrategyOptions) -> list[PlannedCall]:
        # Proposers, then each layer reading the layer before, then the aggregator.
        assert isinstance(options, MoaOptions)
        calls = [PlannedCall(m) for m in options.proposers]
        previous = tuple(options.proposers)
        if isinstance(options.layers, int):
            layers = [list(options.proposers)] * options.layers
        else:
            layers = [list(layer) for layer in options.layers]
        for layer in layers:
            calls += [PlannedCall(m, previous) for m in layer]
            previous = tuple(layer)
        return [*calls, PlannedCall(options.aggregator, previous)]

    async def run(self, ctx: Context, options: MoaOptions) -> Answer:
        layers = plan_layers(options)
        total = len(layers) + 1
        rng = random.Random(options.seed)
        ctx.emit(PlanNode(node="moa", label="mixture of agents", state="running", kind="plan"))
        seen: list[LaneResult] = []  # the answers of the latest layer that gave any
        seen_from = 0
        for number, members in enumerate(layers, start=1):
            results = await self.layer(ctx, number, members, seen, rng)
            answers = [r for r in results if usable(r)]
            fallback = ""
            if not answers and number == 1:
                self.decide(ctx, number, total, results, 0, 0, "")
                ctx.emit(
                    PlanNode(node="moa", label="mixture of agents", state="failed", kind="plan")
                )
                raise StrategyError(f"no proposer answered ({failures(results)})")
            if not answers:
                fallback = (
                    f"Layer {number} gave no answer: the next layer sees layer {seen_from}'s."
                )
            self.decide(ctx, number, total, results, len(seen), seen_from, fallback)
            if answers:
                seen, seen_from = answers, number
        return await self.aggregate(ctx, options, total, seen, seen_from, rng)

    async def layer(
        self,
        ctx: Context,
        number: int,
        members: list[Member],
        seen: list[LaneResult],
        rng: random.Random,
    ) -> list[LaneResult]:
        """Every member of one layer at once; aggregators each see ``seen`` shuffled."""
        role = "proposers" if number == 1 else "aggregators"
        layer_id = f"layer:{number}"
        ctx.emit(node(layer_id, f"layer {number} · {role}", "running", "layer"))
        prompts = [
            as_turn(ctx, aggregate_prompt(ctx.prompt, labelled(seen, rng))) if seen else None
            for _ in members
        ]

        async def one(index: int, member: Member) -> LaneResult:
            member_id = f"{layer_id}:{index}"
            kind: LaneRole = "proposer" if number == 1 else "aggregator"
            ctx.emit(node(member_id, member.label, "running", kind, parent=layer_id))
            result = await ask_member(
                ctx, member, prompts[index], role=kind, parent=member_id,
                label=member.label if number == 1 else f"{member.label} · layer {number}",
            )  # fmt: skip
            state: PlanState = "done" if usable(result) else "failed"
            ctx.emit(node(member_id, member.label, state, kind, layer_id, result.lane))
            return result

        results = list(await asyncio.gather(*(one(i, m) for i, m in enumerate(members))))
        state: PlanState = "done" if any(usable(r) for r in results) else "failed"
        ctx.emit(node(layer_id, f"layer {number} · {role}", state, "layer"))
        return results

    @staticmethod
    def decide(
        ctx: Context,
        number: int,
        total: int,
        results: list[LaneResult],
        shown: int,
        shown_from: int,
        fallback: str,
    ) -> None:
        answered = sum(usable(r) for r in results)
        who = "proposers" if number == 1 else "aggregators"
        if number == total:
            summary = (
                f"{results[0].model} wrote the answer" if answered else "the aggregator failed"
            )
        else:
            summary = f"layer {number}: {answered} of {len(results)} {who} answered"
        ctx.emit(
            Decision(
                summary=summary,
                detail=LayerDetail(
                    number=number,
                    of=total,
                    members=tuple(outcome(r) for r in results),
                    shown=shown,
                    shown_from=shown_from,
                    fallback=fallback,
                ),
            )
        )

    async def aggregate(
        self,
        ctx: Context,
        options: MoaOptions,
        total: int,
        seen: list[LaneResult],
        seen_from: int,
        rng: random.Random,
    ) -> Answer:
        """The final layer: one aggregator writes the answer from ``seen``."""
        label = f"aggregator · {options.aggregator}"
        ctx.emit(node("aggregate", label, "running", "synthesis"))
        result = await ctx.ask(
            options.aggregator,
            as_turn(ctx, aggregate_prompt(ctx.prompt, labelled(seen, rng))),
            role="synthesis",
            label=label,
            parent="aggregate",
        )
        ok = usable(result)
        ctx.emit(
            node("aggregate", label, "done" if ok else "failed", "synthesis", lane=result.lane)
        )
        sources = tuple(r.lane for r in seen)
        if ok:
            self.decide(ctx, total, total, [result], len(seen), seen_from, "")
            ctx.emit(PlanNode(node="moa", label="mixture of agents", state="done", kind="plan"))
            return Answer(result.text, (result.lane, *sources))
        top = (await group_answers(ctx, seen)).top
        assert top is not None  # seen holds at least one answer
        kept = top.representative
        fallback = (
            f"The aggregator failed: the answer most of layer {seen_from} agreed on "
            f"({kept.model}) is kept."
        )
        self.decide(ctx, total, total, [result], len(seen), seen_from, fallback)
        why = result.error or "no text"
        ctx.emit(Note(text=f"{label}: {why}; keeping {kept.model}'s answer", level="warning"))
        ctx.emit(PlanNode(node="moa", label="mixture of agents", state="done", kind="plan"))
        return Answer(kept.text, (kept.lane, *(s for s in sources if s != kept.lane)))
