"""planner: a planner model writes typed steps, executors run them, the planner synthesizes.

The seed's ``PlannerExecutor.process`` made real. The plan is structured output parsed
leniently (JSON, else a numbered list, else one step) and checked (``plans.validate``:
no placeholder titles, no repeated steps, a cap, dependencies that exist); it can be
approved or edited before it runs, and steps run as soon as the steps they depend on
are done, so independent steps run in parallel. When a step fails the planner is asked
once for a new plan for what is missing; the synthesis is told, and says, what was
skipped. A live tree shows plan → steps → (replan) → synthesis.
"""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import asdict

from mmchat.api import (
    Answer,
    Context,
    Decision,
    LaneResult,
    Message,
    ModelRef,
    Note,
    PlanDetail,
    PlannedCall,
    PlanNode,
    PlanState,
    Strategy,
    StrategyError,
    StrategyOptions,
    models_option,
    option,
)
from mmchat.api.parsing import extract_json
from mmchat_strategies.plans import (
    Step,
    one_step,
    parse_plan,
    plan_calls,
    plan_prompt,
    replan_prompt,
    step_messages,
    synthesis_messages,
    to_steps,
    validate,
)


class PlannerOptions(StrategyOptions):
    planner: ModelRef = models_option("local", "Model that writes the plan and the final answer")
    executors: dict[str, ModelRef] = models_option(
        {"default": "local"}, "Step type (code, math, search, writing, general, default) → model"
    )
    approve: bool = option(False, "Show the plan for approval or editing before it runs")
    max_steps: int = option(6, "Most steps a plan may have (extra steps are dropped)", ge=1, le=20)
    replan: bool = option(
        True, "When a step fails, ask the planner once for a new plan for what is missing"
    )


class Planner(Strategy):
    name = "planner"
    summary = "A planner writes steps, executors run them (in parallel when independent)."
    view = "tree"
    Options = PlannerOptions

    @classmethod
    def planned_calls(cls, options: StrategyOptions) -> list[PlannedCall]:
        assert isinstance(options, PlannerOptions)
        executors = list(dict.fromkeys(options.executors.values()))
        return plan_calls(options.planner, executors, options.max_steps, options.replan)

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
        steps, problems = validate(steps, options.max_steps)
        if not steps:
            steps, source = one_step(ctx.prompt), "fallback"
        if source == "fallback":
            why = plan.error if not plan.ok else "plan not readable"
            ctx.emit(Note(text=f"{why}; running the request as one step", level="warning"))
        if options.approve:
            edited = await ctx.review("plan", [asdict(s) for s in steps])
            if edited is None:
                ctx.emit(PlanNode(node="plan", label="plan", state="cancelled", kind="plan"))
                raise StrategyError("plan rejected")
            steps, edits = validate(to_steps(list(edited), ctx.prompt), options.max_steps)
            steps, source, problems = steps or one_step(ctx.prompt), "edited", problems + edits
        self.announce(ctx, steps, source, problems)
        state, results = await self.execute(ctx, options, steps)
        if options.replan and any(state[s.id] == "failed" for s in steps):
            more = await self.replan(ctx, options, steps, state, results)
            if more:
                extra_state, results = await self.execute(ctx, options, more, state, results)
                steps, state = steps + more, {**state, **extra_state}
        return await self.synthesize(ctx, options, steps, state, results)

    @staticmethod
    def announce(ctx: Context, steps: list[Step], source: str, problems: list[str]) -> None:
        fixed = f"; {len(problems)} fix(es)" if problems else ""
        ctx.emit(
            Decision(
                summary=f"{len(steps)} step(s), read as {source}{fixed}",
                detail=PlanDetail(
                    steps=tuple(s.info() for s in steps),
                    source=source,
                    problems=tuple(problems),
                ),
            )
        )

    async def replan(
        self,
        ctx: Context,
        options: PlannerOptions,
        steps: list[Step],
        state: dict[str, PlanState],
        results: dict[str, LaneResult],
    ) -> list[Step]:
        """Once: the planner sees what ran and what failed, and plans what is missing."""
        ctx.emit(PlanNode(node="replan", label="replan", state="running", parent="plan",
                          kind="plan"))  # fmt: skip
        texts = {k: r.text for k, r in results.items()}
        reply = await ctx.ask(
            options.planner,
            [*ctx.messages[:-1], Message("user", replan_prompt(ctx.prompt, steps, state, texts))],
            role="planner",
            label=f"replan ({options.planner})",
            parent="replan",
        )
        done = {s.id for s in steps if state[s.id] == "done"}
        parsed = extract_json(reply.text) if reply.ok else None
        items = parsed.get("steps") if isinstance(parsed, dict) else parsed
        fresh = to_steps(items, ctx.prompt, prefix="r") if isinstance(items, list) else []
        taken = {s.id for s in steps}
        for step in fresh:  # never reuse an id of the first plan
            if step.id in taken:
                step.id = f"r{step.id}"
        more, problems = validate(fresh, options.max_steps, known=done)
        readable = reply.ok and isinstance(items, list)
        ctx.emit(PlanNode(node="replan", label=f"replan: {len(more)} new step(s)",
                          state="done" if readable else "failed", parent="plan",
                          lane=reply.lane, kind="plan"))  # fmt: skip
        if readable:
            self.announce(ctx, more, "replan", problems)
        else:
            why = reply.error if not reply.ok else "the new plan was not readable"
            ctx.emit(Note(text=f"replan: {why}; going on with what succeeded", level="warning"))
        return more

    async def execute(
        self,
        ctx: Context,
        options: PlannerOptions,
        steps: list[Step],
        earlier: dict[str, PlanState] | None = None,
        results: dict[str, LaneResult] | None = None,
    ) -> tuple[dict[str, PlanState], dict[str, LaneResult]]:
        """Start each step once its dependencies (here or ``earlier``) are done; skip it
        if one failed."""
        state: dict[str, PlanState] = {**(earlier or {}), **{s.id: "queued" for s in steps}}
        results = dict(results or {})

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
        return {s.id: state[s.id] for s in steps}, results

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

        missing = [s for s in steps if state[s.id] != "done"]
        if missing:
            said = ", ".join(f"{s.id} ({state[s.id]})" for s in missing)
            ctx.emit(Note(text=f"the answer is written without {said}", level="warning"))
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
