"""router: decide which route a request takes; that route's specialist answers.

The seed's ``ModelRouter.route`` made real, in layers, each only deciding when it is
sure, and every decision saying which layer decided and why:

1. **rules** — shapes and words of code, maths and creative requests, in many
   languages (``route_rules.py``): free, instant, explainable;
2. **examples** — each route described by example requests in many languages; a
   request clearly closer to one route's examples than to the others takes it (by
   default TF-IDF character n-grams learnt from the examples, ``route_tfidf.py``; or
   the nearest example by trigrams or by a model's embeddings);
3. **classifier** — a model held to the route names (JSON schema, Ollama format,
   Anthropic tool use); its pick counts only when its token log-probabilities make it
   confident enough (``min_confidence``);
4. **default** — the default route, with the reason it was needed.

A route chosen by the user (re-routing a turn in the app) comes first, and the
user's corrections can serve as extra examples.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Literal

from mmchat.api import (
    Answer,
    Context,
    Decision,
    Message,
    ModelRef,
    Note,
    RouteDetail,
    RouteSource,
    Strategy,
    StrategyError,
    StrategyOptions,
    model_validator,
    models_option,
    option,
    preset_option,
)
from mmchat_strategies.route_examples import DEFAULT_EXAMPLES
from mmchat_strategies.route_rules import DEFAULT_RULES
from mmchat_strategies.routing import (
    LEXICAL_MARGIN,
    classify_by_rules,
    compile_rule,
    describe_hits,
    match_by_embeddings,
    match_lexically,
    match_tfidf,
    merge_learned,
)

Decider = Literal["rules", "examples", "classifier"]


class RouterOptions(StrategyOptions):
    classifier: ModelRef = models_option("local", "Model that classifies when nothing else decides")
    routes: dict[str, ModelRef] = models_option(
        {"code": "local", "math": "local", "creative": "local", "general": "local"},
        "Route → specialist model",
    )
    route_presets: dict[str, str] = preset_option(
        {}, "Route → preset to run instead of a model (takes precedence over routes)"
    )
    deciders: list[Decider] = option(
        ["rules", "examples", "classifier"],
        "What decides, in order; the first that is sure wins, else the default route",
    )
    rules: dict[str, list[str]] = option(
        DEFAULT_RULES,
        "Route → words (whole words; stem* for word starts) or regular expressions; "
        "the most hits wins, a tie goes to the route listed first",
    )
    examples: dict[str, list[str]] = option(
        DEFAULT_EXAMPLES, "Route → example requests (routes not listed have none)"
    )
    examples_compare: Literal["tfidf", "lexical", "embedding"] = option(
        "tfidf",
        "How a request is compared with examples: TF-IDF character n-grams (each route's "
        "centroid and nearest examples), the nearest example by trigrams, or by embeddings",
    )
    examples_with: ModelRef = models_option("", "Embeddings model (examples_compare = embedding)")
    examples_threshold: float | None = option(
        None,
        "Closeness (0-1) a request needs to an example "
        "(unset: 0 tfidf, 0.3 lexical, 0.8 embedding)",
        ge=0, le=1,
    )  # fmt: skip
    min_confidence: float = option(
        0.7, "The classifier's pick counts only at this confidence (when it has one)", ge=0, le=1
    )
    default: str = option("general", "Route used when nothing else decides")
    fallback: ModelRef = models_option(
        "", "Model that answers when the specialist fails (empty: the default route's model)"
    )

    @model_validator(mode="before")
    @classmethod
    def _old_mode(cls, data: Any) -> Any:
        """Presets written for the older ``mode`` option keep working."""
        if isinstance(data, dict) and "mode" in data and "deciders" not in data:
            data = dict(data)
            mode = data.pop("mode")
            old: dict[str, list[str]] = {
                "rules": ["rules"], "llm": ["classifier"], "rules+llm": ["rules", "classifier"],
            }  # fmt: skip
            data["deciders"] = old.get(mode, mode)
        return data

    @model_validator(mode="after")
    def _check(self) -> RouterOptions:
        categories = route_categories(self)
        if self.default not in categories:
            raise ValueError(
                f"default {self.default!r} is not a route (routes: {', '.join(categories)})"
            )
        for category, patterns in self.rules.items():
            for pattern in patterns:
                try:
                    compile_rule(pattern)
                except re.error as exc:
                    raise ValueError(f"rules.{category}: bad pattern {pattern!r}: {exc}") from None
        if self.examples_compare == "embedding" and not self.examples_with:
            raise ValueError("examples_compare = 'embedding' needs examples_with (a model alias)")
        return self


def route_categories(options: RouterOptions) -> list[str]:
    return list(dict.fromkeys([*options.routes, *options.route_presets]))


def classifier_prompt(prompt: str, categories: list[str]) -> str:
    return (
        "Which kind of request is the message below? Choose one of: "
        f"{', '.join(categories)}.\n\nMessage:\n{prompt}"
    )


@dataclass(frozen=True, slots=True)
class Route:
    category: str
    source: RouteSource
    reason: str
    runner_up: str | None = None
    confidence: float | None = None
    scores: dict[str, float] | None = None


class Router(Strategy):
    name = "router"
    summary = "Rules, examples, then a classifier pick a route; its specialist answers."
    view = "single"
    Options = RouterOptions

    async def run(self, ctx: Context, options: RouterOptions) -> Answer:
        categories = route_categories(options)
        route = await self.choose(ctx, options, categories)
        preset = options.route_presets.get(route.category)
        target = f"preset {preset}" if preset else options.routes[route.category]
        ctx.emit(
            Decision(
                summary=f"{route.category} → {target} ({route.source}: {route.reason})",
                detail=RouteDetail(
                    route=route.category,
                    target=target,
                    source=route.source,
                    reason=route.reason,
                    runner_up=route.runner_up,
                    confidence=route.confidence,
                    scores=route.scores or {},
                    routes=tuple(categories),
                ),
            )
        )
        if preset:
            try:
                return await ctx.run_preset(preset)
            except Exception as exc:  # a broken sub-preset falls back like a failed model
                failure = f"preset {preset} failed: {exc}"
        else:
            result = await ctx.ask(target, role="answer", label=f"{route.category} → {target}")
            if result.ok:
                return Answer(result.text, (result.lane,))
            failure = f"{target} failed: {result.error or result.status}"
        return await self.fall_back(ctx, options, failure, tried=target)

    async def choose(self, ctx: Context, options: RouterOptions, categories: list[str]) -> Route:
        chosen = ctx.hints.get("route")
        if chosen in categories:
            return Route(chosen, "user", "you re-routed this request")
        if chosen:
            ctx.emit(Note(text=f"there is no route {chosen!r} (routes: {', '.join(categories)}); "
                               "deciding as usual", level="warning"))  # fmt: skip
        unsure: list[str] = []
        for decider in options.deciders:
            if decider == "rules":
                route = self.by_rules(ctx, options, categories)
            elif decider == "examples":
                route = await self.by_examples(ctx, options, categories)
            else:
                route = await self.by_classifier(ctx, options, categories)
            if route.source != "default":
                return route
            unsure.append(route.reason)
        reason = "; ".join(unsure) or "no decider configured"
        return Route(options.default, "default", reason)

    @staticmethod
    def by_rules(ctx: Context, options: RouterOptions, categories: list[str]) -> Route:
        rules = {c: p for c, p in options.rules.items() if c in categories}
        verdict = classify_by_rules(ctx.prompt, rules)
        if verdict.category is None:
            return Route(options.default, "default", "no rule fired")
        scores = {c: float(n) for c, n in verdict.scores.items()}
        return Route(verdict.category, "rule", describe_hits(verdict), verdict.runner_up,
                     scores=scores)  # fmt: skip

    @staticmethod
    async def by_examples(ctx: Context, options: RouterOptions, categories: list[str]) -> Route:
        examples = {c: texts for c, texts in options.examples.items() if c in categories and texts}
        examples = merge_learned(examples, ctx.learned("route"), categories)
        if not examples:
            return Route(options.default, "default", "no route has examples")
        if options.examples_compare == "embedding":
            threshold = 0.8 if options.examples_threshold is None else options.examples_threshold
            match = await match_by_embeddings(ctx, options.examples_with, examples, threshold)
        elif options.examples_compare == "lexical":
            threshold = 0.3 if options.examples_threshold is None else options.examples_threshold
            match = match_lexically(ctx.prompt, examples, threshold, margin=LEXICAL_MARGIN)
        else:
            from mmchat_strategies.route_tfidf import MARGIN as TFIDF_MARGIN  # when routing

            threshold = options.examples_threshold or 0.0
            match = match_tfidf(ctx.prompt, examples, threshold, margin=TFIDF_MARGIN)
        ranked = sorted(match.scores, key=lambda r: -match.scores[r])
        if match.route is None:
            best = f" (closest: {ranked[0]} at {match.scores[ranked[0]]:.2f})" if ranked else ""
            return Route(options.default, "default", f"no example close enough{best}")
        runner_up = next((r for r in ranked if r != match.route), None)
        said = match.closest if len(match.closest) <= 60 else match.closest[:59] + "…"
        return Route(
            match.route, "examples",
            f"closest to the example {said!r} ({match.scores[match.route]:.2f})",
            runner_up, scores=match.scores,
        )  # fmt: skip

    @staticmethod
    async def by_classifier(ctx: Context, options: RouterOptions, categories: list[str]) -> Route:
        pick = await ctx.classify(
            options.classifier,
            categories,
            [Message("user", classifier_prompt(ctx.prompt, categories))],
            label=f"classifier ({options.classifier})",
        )
        if not pick.lane.ok:
            return Route(options.default, "default", f"the classifier failed ({pick.lane.error})")
        if pick.value is None:
            said = " ".join(pick.lane.text.split())[:40]
            return Route(options.default, "default", f"the classifier said {said!r}")
        sure = pick.confidence
        if sure is not None and sure < options.min_confidence:
            return Route(
                options.default, "default",
                f"the classifier said {pick.value!r} but only {sure:.0%} sure "
                f"(needs {options.min_confidence:.0%})",
            )  # fmt: skip
        how = f"{sure:.0%} sure" if sure is not None else "confidence not reported"
        return Route(pick.value, "classifier", f"it said {pick.value!r}, {how}", confidence=sure)

    async def fall_back(
        self, ctx: Context, options: RouterOptions, failure: str, *, tried: str
    ) -> Answer:
        model = options.fallback or options.routes.get(options.default, "")
        if not model or model == tried:
            raise StrategyError(f"{failure}; no other fallback model configured")
        ctx.emit(Note(text=f"{failure}; falling back to {model}", level="warning"))
        result = await ctx.ask(model, role="answer", label=f"fallback → {model}")
        if not result.ok:
            raise StrategyError(f"{failure}; fallback {model} failed too: {result.error}")
        return Answer(result.text, (result.lane,))
