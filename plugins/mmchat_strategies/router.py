"""router: a classifier picks a category, the category's specialist answers.

The seed's ``ModelRouter.route`` made real. The classifier is the weak link, so it is
layered: keyword/regex rules first (free, instant, explainable), an LLM only when no
rule fires, and a default route when the LLM fails or says nothing usable. The chosen
route, the reason and the runner-up are always shown.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Literal

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
from mmchat.api.parsing import pick_category

# Plain words match as whole words; anything else is a regular expression.
# fmt: off
DEFAULT_RULES: dict[str, list[str]] = {
    "code": [
        "python", "javascript", "typescript", "rust", "golang", "java", "sql", "bash", "regex",
        "function", "class", "method", "compile", "compiler", "bug", "debug", "stack trace",
        "exception", "traceback", "segfault", "api", "json", "dockerfile", "git", "refactor",
        "unit test", "script", "code", "variable", "loop", "array", "null pointer",
        r"\w+\(\)", r"```", r"\bimport \w+", r"\bdef \w+",
    ],
    "math": [
        "integral", "derivative", "differentiate", "integrate", "equation", "solve for",
        r"\bprimes?\b(?! minister)", "probability", "matrix", "eigenvalue", "theorem",
        "prove", "proof", "calculate", "compute", "square root", "factorial", "logarithm",
        "percent", "percentage", "fraction", "geometry", "triangle", "algebra", "sum of",
        "divisible", r"\d+\s*[-+*/^×÷]\s*\d+", r"\bx\s*=", r"\bx\^?2\b",
    ],
    "creative": [
        "poem", "haiku", "limerick", "sonnet", "story", "short story", "lyrics", "song",
        "fiction", "novel", "screenplay", "slogan", "tagline", "rhyme", "fairy tale",
        "character", "plot", "imagine", "metaphor", "verse", "write a scene", "fable",
    ],
}
# fmt: on


class RouterOptions(StrategyOptions):
    classifier: ModelRef = models_option("local", "Model that classifies when no rule fires")
    routes: dict[str, ModelRef] = models_option(
        {"code": "local", "math": "local", "creative": "local", "general": "local"},
        "Category → specialist model",
    )
    route_presets: dict[str, str] = preset_option(
        {}, "Category → preset to run instead of a model (takes precedence over routes)"
    )
    rules: dict[str, list[str]] = option(
        DEFAULT_RULES, "Category → keywords (whole words) or regular expressions"
    )
    mode: Literal["rules", "llm", "rules+llm"] = option(
        "rules+llm", "rules only, LLM only, or rules first and the LLM when no rule fires"
    )
    default: str = option("general", "Category used when nothing else decides")
    fallback: ModelRef = models_option(
        "", "Model that answers when the specialist fails (empty: the default route's model)"
    )

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
        return self


def route_categories(options: RouterOptions) -> list[str]:
    return list(dict.fromkeys([*options.routes, *options.route_presets]))


def compile_rule(pattern: str) -> re.Pattern[str]:
    if re.fullmatch(r"[\w' -]+", pattern):
        return re.compile(rf"(?<!\w){re.escape(pattern)}(?!\w)", re.IGNORECASE)
    return re.compile(pattern, re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class RuleVerdict:
    category: str | None  # None: no rule fired, or a tie the rules can't break
    scores: dict[str, int] = field(default_factory=dict)  # category → patterns that hit
    hits: dict[str, list[str]] = field(default_factory=dict)

    @property
    def runner_up(self) -> str | None:
        ranked = sorted(self.scores, key=lambda c: -self.scores[c])
        others = [c for c in ranked if c != self.category]
        return others[0] if others else None


def classify_by_rules(prompt: str, rules: dict[str, list[str]]) -> RuleVerdict:
    """Count matching patterns per category; the most hits wins, a tie decides nothing."""
    hits: dict[str, list[str]] = {}
    for category, patterns in rules.items():
        matched = [p for p in patterns if compile_rule(p).search(prompt)]
        if matched:
            hits[category] = matched
    scores = {category: len(found) for category, found in hits.items()}
    if not scores:
        return RuleVerdict(None)
    best = max(scores.values())
    leaders = [c for c, s in scores.items() if s == best]
    return RuleVerdict(leaders[0] if len(leaders) == 1 else None, scores, hits)


def classifier_prompt(prompt: str, categories: list[str]) -> str:
    return (
        "Classify the message below into exactly one of these categories: "
        f"{', '.join(categories)}.\n"
        "Reply with the category name only, nothing else.\n\n"
        f"Message:\n{prompt}"
    )


@dataclass(frozen=True, slots=True)
class Route:
    category: str
    source: RouteSource
    reason: str
    runner_up: str | None = None


class Router(Strategy):
    name = "router"
    summary = "A classifier picks a category; that category's specialist answers."
    view = "single"
    Options = RouterOptions

    async def run(self, ctx: Context, options: RouterOptions) -> Answer:
        categories = route_categories(options)
        verdict = classify_by_rules(ctx.prompt, options.rules)
        route = await self.choose(ctx, options, categories, verdict)
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
                    scores={c: float(n) for c, n in verdict.scores.items()},
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

    async def choose(
        self, ctx: Context, options: RouterOptions, categories: list[str], verdict: RuleVerdict
    ) -> Route:
        if options.mode != "llm" and verdict.category in categories:
            hit = verdict.hits[verdict.category][0]
            what = "keyword" if re.fullmatch(r"[\w' -]+", hit) else "pattern"
            return Route(verdict.category, "rule", f"the {what} {hit!r}", verdict.runner_up)
        if options.mode == "rules":
            why = "rules tied" if verdict.scores else "no rule fired"
            return Route(options.default, "default", why, verdict.runner_up)
        result = await ctx.ask(
            options.classifier,
            [Message("user", classifier_prompt(ctx.prompt, categories))],
            role="classifier",
            label=f"classifier ({options.classifier})",
            max_tokens=16,
            temperature=0.0,
        )
        if not result.ok:
            return Route(options.default, "default", f"the classifier failed ({result.error})")
        pick = pick_category(result.text, categories)
        if pick is None:
            said = " ".join(result.text.split())[:40]
            return Route(options.default, "default", f"the classifier said {said!r}")
        return Route(pick.category, "classifier", f"it said {pick.category!r}", pick.runner_up)

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
