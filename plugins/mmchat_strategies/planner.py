"""planner: a planner model writes typed steps, executors run them, the planner synthesizes.

The seed's ``PlannerExecutor.process`` made real. The plan is structured output parsed
leniently (JSON, else a numbered list, else one step), can be approved or edited
before it runs, and steps run as soon as the steps they depend on are done, so
independent steps run in parallel. A live tree shows plan → steps → synthesis.
"""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import asdict, dataclass, field
from typing import Any

from mmchat.api import (
    Answer,
    Context,
    Decision,
    LaneResult,
    Message,
    ModelRef,
    Note,
    PlanDetail,
    PlanNode,
    PlanState,
    PlanStepInfo,
    Strategy,
    StrategyError,
    StrategyOptions,
    models_option,
    option,
)
from mmchat.api.parsing import extract_json, numbered_items

STEP_TYPES = ("code", "math", "search", "writing", "general")


class PlannerOptions(StrategyOptions):
    planner: ModelRef = models_option("local", "Model that writes the plan and the final answer")
    executors: dict[str, ModelRef] = models_option(
        {"default": "local"}, "Step type (code, math, search, writing, general, default) → model"
    )
    approve: bool = option(False, "Show the plan for approval or editing before it runs")
    max_steps: int = option(6, "Most steps a plan may have (extra steps are dropped)", ge=1, le=20)


@dataclass
class Step:
    id: str
    title: str
    type: str = "general"
    prompt: str = ""
    depends_on: list[str] = field(default_factory=list)


def plan_prompt(request: str, max_steps: int) -> str:
    return (
        f"Break the request below into at most {max_steps} steps. Reply with a JSON array "
        'only, like [{"id": "s1", "title": "short title", "type": "general", '
        '"prompt": "complete instructions for whoever does this step", "depends_on": []}]. '
        f"type is one of: {', '.join(STEP_TYPES)}. depends_on lists the ids of steps whose "
        "results this step needs; keep steps independent where you can. A simple request "
        f"needs one step.\n\nRequest:\n{request}"
    )


def to_steps(items: list[Any], request: str) -> list[Step]:
    """Normalize whatever the planner (or the user's edit) gave into valid steps."""
    steps: list[Step] = []
    for number, item in enumerate(items, start=1):
        entry = item if isinstance(item, dict) else {"title": str(item)}
        raw_id = str(entry.get("id") or f"s{number}")
        step_id = raw_id if raw_id not in {s.id for s in steps} else f"{raw_id}-{number}"
        title = str(entry.get("title") or entry.get("prompt") or f"step {number}").strip()
        kind = str(entry.get("type") or "general").lower().strip()
        deps = entry.get("depends_on") or []
        steps.append(
            Step(
                id=step_id,
                title=title[:80],
                type=kind if kind in STEP_TYPES else "general",
                prompt=str(entry.get("prompt") or title),
                depends_on=[str(d) for d in deps] if isinstance(deps, list) else [str(deps)],
            )
        )
    known = {s.id for s in steps}
    for step in steps:  # a dependency on a step that doesn't exist is no dependency
        step.depends_on = [d for d in dict.fromkeys(step.depends_on) if d in known and d != step.id]
    return steps or [Step("s1", "answer the request", "general", request)]


def parse_plan(reply: str, request: str) -> tuple[list[Step], str]:
    """(steps, how it was read): "json", "list", or "fallback" (one step)."""
    parsed = extract_json(reply)
    if isinstance(parsed, dict):
        parsed = parsed.get("steps") or parsed.get("plan") or [parsed]
    if isinstance(parsed, list) and parsed:
        return to_steps(parsed, request), "json"
    items = numbered_items(reply)
    if items:
        return to_steps(items, request), "list"
    return to_steps([], request), "fallback"


def step_messages(ctx: Context, step: Step, results: dict[str, LaneResult]) -> list[Message]:
    earlier = "".join(
        f"\n\n### {dep}\n{results[dep].text}" for dep in step.depends_on if dep in results
    )
    content = (
        f"You are doing one step of a larger plan.\n\nOverall request:\n{ctx.prompt}\n\n"
        f"Your step ({step.title}):\n{step.prompt}"
        + (f"\n\nResults of the steps this one builds on:{earlier}" if earlier else "")
    )
    return [*ctx.messages[:-1], Message("user", content)]


def synthesis_messages(
    ctx: Context, steps: list[Step], state: dict[str, PlanState], results: dict[str, LaneResult]
) -> list[Message]:
    done = "".join(
        f"\n\n### {s.id}: {s.title}\n{results[s.id].text}" for s in steps if state[s.id] == "done"
    )
    missing = [f"{s.id} ({s.title}): {state[s.id]}" for s in steps if state[s.id] != "done"]
    content = (
        f"{ctx.prompt}\n\n---\nResults of the plan's steps:{done or ' (none)'}\n\n"
        + (f"Steps that failed or were skipped: {'; '.join(missing)}. " if missing else "")
        + "Write the final answer to the request using these results"
        + ("; say what is missing if it matters." if missing else ".")
    )
    return [*ctx.messages[:-1], Message("user", content)]


class Planner(Strategy):
    name = "planner"
    summary = "A planner writes steps, executors run them (in parallel when independent)."
    view = "tree"
    Options = PlannerOptions

    async def run(self, ctx: Context, options: PlannerOptions) -> Answer:
        ctx.emit(PlanNode(node="plan", label="plan", state="running", kind="plan"))
        plan = await ctx.ask(
            options.planner,
            [*ctx.messages[:-1], Message("user", plan_prompt(ctx.prompt, options.max_steps))],
            role="planner",
            label=f"planner ({options.planner})",
            parent="plan",
        )
        steps, source = parse_plan(plan.text, ctx.prompt) if plan.ok else ([], "fallback")
        steps = steps or to_steps([], ctx.prompt)
        if source == "fallback":
            why = plan.error if not plan.ok else "plan not readable"
            ctx.emit(Note(text=f"{why}; running the request as one step", level="warning"))
        dropped = max(0, len(steps) - options.max_steps)
        steps = to_steps([asdict(s) for s in steps[: options.max_steps]], ctx.prompt)
        if options.approve:
            edited = await ctx.review("plan", [asdict(s) for s in steps])
            if edited is None:
                ctx.emit(PlanNode(node="plan", label="plan", state="cancelled", kind="plan"))
                raise StrategyError("plan rejected")
            steps = to_steps(list(edited), ctx.prompt)
        ctx.emit(
            Decision(
                summary=f"{len(steps)} step(s), read as {source}"
                + (f"; {dropped} dropped over max_steps" if dropped else ""),
                detail=PlanDetail(
                    steps=tuple(
                        PlanStepInfo(s.id, s.title, s.type, s.prompt, tuple(s.depends_on))
                        for s in steps
                    ),
                    source=source,
                    dropped=dropped,
                ),
            )
        )
        state, results = await self.execute(ctx, options, steps)
        return await self.synthesize(ctx, options, steps, state, results)

    async def execute(
        self, ctx: Context, options: PlannerOptions, steps: list[Step]
    ) -> tuple[dict[str, PlanState], dict[str, LaneResult]]:
        """Start each step once its dependencies are done; skip it if one failed."""
        state: dict[str, PlanState] = {s.id: "queued" for s in steps}
        results: dict[str, LaneResult] = {}

        def show(step: Step, new: PlanState, lane: str | None = None) -> None:
            state[step.id] = new
            ctx.emit(
                PlanNode(
                    node=f"step:{step.id}",
                    label=step.title,
                    state=new,
                    parent="plan",
                    lane=lane,
                    kind=step.type,
                )
            )

        for step in steps:
            show(step, "queued")
        running: dict[asyncio.Task[LaneResult], Step] = {}
        try:
            while True:
                for step in steps:
                    deps = [state[d] for d in step.depends_on]
                    if state[step.id] == "queued" and any(d in ("failed", "skipped") for d in deps):
                        show(step, "skipped")
                    elif state[step.id] == "queued" and all(d == "done" for d in deps):
                        call = self.run_step(ctx, options, step, results)
                        running[asyncio.create_task(call)] = step
                        show(step, "running")
                if not running:
                    break
                finished, _ = await asyncio.wait(running, return_when=asyncio.FIRST_COMPLETED)
                for task in finished:
                    step, result = running.pop(task), task.result()
                    results[step.id] = result
                    ok = result.ok and bool(result.text.strip())
                    show(step, "done" if ok else "failed", result.lane)
        finally:  # only reached with tasks running when the turn is cancelled
            for task in running:
                task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await asyncio.gather(*running, return_exceptions=True)
            for step in running.values():
                show(step, "cancelled")
        for step in steps:  # still queued: a dependency cycle
            if state[step.id] == "queued":
                show(step, "skipped")
        return state, results

    async def run_step(
        self, ctx: Context, options: PlannerOptions, step: Step, results: dict[str, LaneResult]
    ) -> LaneResult:
        executors = options.executors
        model = executors.get(step.type) or executors.get("default") or options.planner
        return await ctx.ask(
            model,
            step_messages(ctx, step, results),
            role="step",
            label=f"{step.id}: {step.title}"[:60],
            parent=f"step:{step.id}",
        )

    async def synthesize(
        self,
        ctx: Context,
        options: PlannerOptions,
        steps: list[Step],
        state: dict[str, PlanState],
        results: dict[str, LaneResult],
    ) -> Answer:
        done = [s for s in steps if state[s.id] == "done"]

        def node(state: PlanState, lane: str | None = None) -> PlanNode:
            return PlanNode(
                node="synthesis",
                label="synthesis",
                state=state,
                parent="plan",
                lane=lane,
                kind="synthesis",
            )

        if len(steps) == 1 and done:  # one step: its result already is the answer
            ctx.emit(node("skipped", results[done[0].id].lane))
            ctx.emit(PlanNode(node="plan", label="plan", state="done", kind="plan"))
            return Answer(results[done[0].id].text, (results[done[0].id].lane,))
        ctx.emit(node("running"))
        final = await ctx.ask(
            options.planner,
            synthesis_messages(ctx, steps, state, results),
            role="synthesis",
            label=f"synthesis ({options.planner})",
            parent="synthesis",
        )
        ok = final.ok and bool(final.text.strip())
        ctx.emit(node("done" if ok else "failed", final.lane))
        ctx.emit(PlanNode(node="plan", label="plan", state="done" if ok else "failed", kind="plan"))
        if ok:
            return Answer(final.text, (final.lane, *(results[s.id].lane for s in done)))
        if not done:
            raise StrategyError(f"every step failed and synthesis failed: {final.error}")
        ctx.emit(
            Note(text=f"synthesis failed ({final.error}); showing step results", level="warning")
        )
        text = "\n\n".join(f"## {s.title}\n{results[s.id].text}" for s in done)
        return Answer(text, tuple(results[s.id].lane for s in done))
