"""supervisor: a supervisor assigns tasks to workers, reviews their work, answers.

The seed's ``SupervisorWorker.process`` made real: assignments are structured output
parsed leniently (else every worker gets the whole task), workers run at once, a
failed worker's task is reassigned once, and the supervisor either accepts or sends
the work back with feedback, for a bounded number of rounds.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from mmchat.api import (
    Answer,
    AssignmentsDetail,
    Context,
    Decision,
    LaneResult,
    Message,
    ModelRef,
    Note,
    PlanNode,
    PlanState,
    ReviewDetail,
    Strategy,
    StrategyError,
    StrategyOptions,
    TaskInfo,
    models_option,
    option,
)
from mmchat.api.parsing import extract_json, pick_category
from mmchat_strategies.fanout import pane_labels

MAX_ASSIGNMENTS = 8


class SupervisorOptions(StrategyOptions):
    supervisor: ModelRef = models_option("local", "Model that assigns, reviews and answers")
    workers: list[ModelRef] = models_option(
        ["local", "precise"], "Worker models (1-8)", min_length=1, max_length=8
    )
    max_rounds: int = option(1, "Most times the supervisor may send work back", ge=0, le=3)


@dataclass
class Assignment:
    id: str
    worker: int  # index into the workers list
    task: str
    result: LaneResult | None = None

    @property
    def done(self) -> bool:
        return self.result is not None and self.result.ok and bool(self.result.text.strip())


def assignment_prompt(request: str, names: list[str]) -> str:
    return (
        f"You supervise these workers: {', '.join(names)}. Split the request below into "
        "sub-tasks and assign each to a worker. Reply with a JSON array only, like "
        f'[{{"worker": "{names[0]}", "task": "complete instructions"}}].\n\nRequest:\n{request}'
    )


def parse_assignments(reply: str, names: list[str]) -> list[Assignment]:
    parsed = extract_json(reply)
    if isinstance(parsed, dict):
        parsed = parsed.get("assignments") or parsed.get("tasks") or [parsed]
    found: list[Assignment] = []
    for item in parsed if isinstance(parsed, list) else []:
        if not isinstance(item, dict) or not str(item.get("task") or "").strip():
            continue
        who = str(item.get("worker", ""))
        pick = pick_category(who, names)
        index = names.index(pick.category) if pick else len(found) % len(names)
        if who.strip().isdigit() and 1 <= int(who) <= len(names):
            index = int(who) - 1
        found.append(Assignment(f"t{len(found) + 1}", index, str(item["task"]).strip()))
    return found[:MAX_ASSIGNMENTS]


def results_text(assignments: list[Assignment], names: list[str]) -> str:
    parts = []
    for a in assignments:
        body = a.result.text if a.done and a.result else f"(failed: {a.result and a.result.error})"
        parts.append(f"### {a.id} ({names[a.worker]}): {a.task}\n{body}")
    return "\n\n".join(parts)


def tree_node(
    node: str, label: str, state: PlanState, kind: str, lane: str | None = None
) -> PlanNode:
    """A node under the "supervisor" root of the tree view."""
    return PlanNode(node=node, label=label, state=state, parent="supervisor", lane=lane, kind=kind)


def as_turn(ctx: Context, content: str) -> list[Message]:
    """The conversation so far with ``content`` in place of the user's last message."""
    return [*ctx.messages[:-1], Message("user", content)]


def read_verdict(reply: str) -> tuple[str, str]:
    """("accept", final answer) or ("revise", feedback); anything else accepts the text."""
    text = reply.strip()
    first = text.splitlines()[0].strip(" *#_`").upper() if text else ""
    if first.startswith("REVISE"):
        return "revise", text.split(":", 1)[1].strip() if ":" in text else text[6:].strip()
    if first.startswith("ACCEPT"):
        return "accept", text.lstrip(" *#_`")[6:].lstrip(" :*\n").strip()
    return "accept", text


class Supervisor(Strategy):
    name = "supervisor"
    summary = "A supervisor delegates to workers, reviews their work and answers."
    view = "tree"
    Options = SupervisorOptions

    async def run(self, ctx: Context, options: SupervisorOptions) -> Answer:
        names = pane_labels(options.workers)
        ctx.emit(PlanNode(node="supervisor", label="supervisor", state="running", kind="plan"))
        assignments = await self.assign(ctx, options, names)
        for round_number in range(1, options.max_rounds + 2):
            await asyncio.gather(*(self.work(ctx, options, names, a) for a in assignments))
            if round_number > options.max_rounds:
                break  # no revision left: the next call writes the final answer
            verdict, text, lane = await self.review(ctx, options, names, assignments, round_number)
            if verdict == "accept" and text:
                ctx.emit(PlanNode(node="supervisor", label="supervisor", state="done", kind="plan"))
                return Answer(text, (lane,))
            if verdict in ("accept", "failed"):
                break
            for a in assignments:  # the feedback goes with each task into the next round
                previous = a.result.text if a.done and a.result else "(no answer)"
                a.task = f"{a.task}\n\nYour previous answer:\n{previous}\n\nFeedback:\n{text}"
        return await self.synthesize(ctx, options, names, assignments)

    async def assign(
        self, ctx: Context, options: SupervisorOptions, names: list[str]
    ) -> list[Assignment]:
        reply = await ctx.ask(
            options.supervisor,
            as_turn(ctx, assignment_prompt(ctx.prompt, names)),
            role="supervisor",
            label="assign",
            parent="supervisor",
        )
        assignments = parse_assignments(reply.text, names) if reply.ok else []
        source = "json" if assignments else "fallback"
        if not assignments:  # everyone gets the whole request
            assignments = [Assignment(f"t{i + 1}", i, ctx.prompt) for i in range(len(names))]
        ctx.emit(
            Decision(
                summary=f"{len(assignments)} task(s) for {len({a.worker for a in assignments})} "
                f"worker(s)" + (" (fallback: whole request to each)" if source != "json" else ""),
                detail=AssignmentsDetail(
                    tasks=tuple(TaskInfo(a.id, names[a.worker], a.task) for a in assignments),
                    source=source,
                    lane=reply.lane,
                    error=reply.error,
                ),
            )
        )
        for a in assignments:
            self.show(ctx, a, names, "queued")
        return assignments

    def show(self, ctx: Context, a: Assignment, names: list[str], state: PlanState) -> None:
        label = f"{names[a.worker]}: {a.task.splitlines()[0]}"[:80]
        lane = a.result.lane if a.result else None
        ctx.emit(tree_node(f"task:{a.id}", label, state, "task", lane))

    async def work(
        self, ctx: Context, options: SupervisorOptions, names: list[str], a: Assignment
    ) -> None:
        """Run one task; if its worker fails, give it once to another worker."""
        tried: list[int] = []
        for worker in [a.worker, *(i for i in range(len(names)) if i != a.worker)][:2]:
            if tried:
                ctx.emit(
                    Note(
                        text=f"{a.id}: {names[tried[-1]]} failed; reassigned to {names[worker]}",
                        level="warning",
                    )
                )
            a.worker, a.result = worker, None
            self.show(ctx, a, names, "running")
            try:
                a.result = await ctx.ask(
                    options.workers[worker],
                    as_turn(ctx, f"{a.task}\n\n(Overall request: {ctx.prompt})"),
                    role="worker",
                    label=f"{a.id} · {names[worker]}",
                    parent=f"task:{a.id}",
                )
            except asyncio.CancelledError:
                self.show(ctx, a, names, "cancelled")
                raise
            tried.append(worker)
            if a.done:
                break
        self.show(ctx, a, names, "done" if a.done else "failed")

    async def review(
        self,
        ctx: Context,
        options: SupervisorOptions,
        names: list[str],
        assignments: list[Assignment],
        round_number: int,
    ) -> tuple[str, str, str]:
        """(verdict, final answer or feedback, review lane); verdict accept|revise|failed."""
        node = f"review:{round_number}"
        ctx.emit(tree_node(node, f"review {round_number}", "running", "review"))
        prompt = (
            f"Request:\n{ctx.prompt}\n\nYour workers' results:\n\n"
            f"{results_text(assignments, names)}"
            "\n\nIf the results are good enough, reply ACCEPT on the first line, then the final "
            "answer for the user, combining the results. If they need work, reply "
            "REVISE: followed by feedback for the workers."
        )
        reply = await ctx.ask(
            options.supervisor,
            as_turn(ctx, prompt),
            role="review",
            label=f"review {round_number}",
            parent=node,
        )
        verdict, text = read_verdict(reply.text) if reply.ok else ("failed", reply.error or "")
        state: PlanState = "failed" if verdict == "failed" else "done"
        ctx.emit(tree_node(node, f"review {round_number}: {verdict}", state, "review", reply.lane))
        ctx.emit(
            Decision(
                summary=f"round {round_number}: {verdict}" + (f" — {text[:80]}" if text else ""),
                detail=ReviewDetail(
                    round=round_number,
                    verdict=verdict,
                    feedback=text if verdict == "revise" else "",
                    lane=reply.lane,
                ),
            )
        )
        return verdict, text, reply.lane

    async def synthesize(
        self, ctx: Context, options: SupervisorOptions, names: list[str], work: list[Assignment]
    ) -> Answer:
        ctx.emit(tree_node("synthesis", "final answer", "running", "synthesis"))
        prompt = (
            f"Request:\n{ctx.prompt}\n\nYour workers' results:\n\n{results_text(work, names)}"
            "\n\nWrite the final answer for the user, combining the results; say what is "
            "missing if a task failed."
        )
        final = await ctx.ask(
            options.supervisor,
            as_turn(ctx, prompt),
            role="synthesis",
            label="final answer",
            parent="synthesis",
        )
        ok = final.ok and bool(final.text.strip())
        state: PlanState = "done" if ok else "failed"
        ctx.emit(tree_node("synthesis", "final answer", state, "synthesis", final.lane))
        ctx.emit(PlanNode(node="supervisor", label="supervisor", state=state, kind="plan"))
        if ok:
            return Answer(final.text, (final.lane,))
        done = [a for a in work if a.done and a.result]
        if not done:
            raise StrategyError(f"no worker answered and the supervisor failed: {final.error}")
        ctx.emit(
            Note(
                text=f"final answer failed ({final.error}); showing worker results", level="warning"
            )
        )
        return Answer(results_text(done, names), tuple(a.result.lane for a in done if a.result))
