"""supervisor: a supervisor assigns tasks to workers, reviews each task, answers.

The seed's ``SupervisorWorker.process`` made real: assignments are structured output
parsed leniently (else every worker gets the whole task), workers run at once, and a
failed worker's task goes to another worker. The review gives a verdict *per task* —
accept, revise (with that task's own feedback) or reassign (to another worker) — for a
bounded number of rounds; a review that cannot be read is a visible failure (the
results go to the final answer as they are), never the answer itself. The final
answer is written from the accepted results and says what is missing.
"""

from __future__ import annotations

import asyncio

from mmchat.api import (
    Answer,
    AssignmentsDetail,
    Context,
    Decision,
    Message,
    ModelRef,
    Note,
    PlannedCall,
    PlanNode,
    PlanState,
    ReviewDetail,
    Strategy,
    StrategyError,
    StrategyOptions,
    TaskInfo,
    TaskVerdict,
    models_option,
    option,
)
from mmchat_strategies.fanout import pane_labels
from mmchat_strategies.supervision import (
    Assignment,
    assignment_prompt,
    parse_assignments,
    read_verdicts,
    readable_results,
    results_text,
    review_prompt,
    worker_prompt,
)


class SupervisorOptions(StrategyOptions):
    supervisor: ModelRef = models_option("local", "Model that assigns, reviews and answers")
    workers: list[ModelRef] = models_option(
        ["local", "precise"], "Worker models (1-8)", min_length=1, max_length=8
    )
    max_rounds: int = option(1, "Most times the supervisor may send work back", ge=0, le=3)


def tree_node(
    node: str, label: str, state: PlanState, kind: str, lane: str | None = None
) -> PlanNode:
    """A node under the "supervisor" root of the tree view."""
    return PlanNode(node=node, label=label, state=state, parent="supervisor", lane=lane, kind=kind)


def as_turn(ctx: Context, content: str) -> list[Message]:
    """The conversation so far with ``content`` in place of the user's last message."""
    return [*ctx.messages[:-1], Message("user", content)]


class Supervisor(Strategy):
    name = "supervisor"
    summary = "A supervisor delegates to workers, reviews their work and answers."
    view = "tree"
    Options = SupervisorOptions

    @classmethod
    def planned_calls(cls, options: StrategyOptions) -> list[PlannedCall]:
        # Assign; each round every worker works and the supervisor reviews what they
        # wrote; the supervisor answers from it.
        assert isinstance(options, SupervisorOptions)
        boss, workers = options.supervisor, tuple(options.workers)
        work = [PlannedCall(w) for w in workers] + [PlannedCall(boss, workers)]
        return [PlannedCall(boss), *work * (1 + options.max_rounds), PlannedCall(boss, workers)]

    async def run(self, ctx: Context, options: SupervisorOptions) -> Answer:
        names = pane_labels(options.workers)
        ctx.emit(PlanNode(node="supervisor", label="supervisor", state="running", kind="plan"))
        assignments = await self.assign(ctx, options, names)
        todo = list(assignments)
        for round_number in range(1, options.max_rounds + 2):
            await asyncio.gather(*(self.work(ctx, options, names, a) for a in todo))
            if round_number > options.max_rounds:
                break  # no review left: the final answer says what is missing
            todo = await self.review(ctx, options, names, assignments, round_number)
            if not todo:
                break
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
        """Run one task; if its worker fails, give it once to a worker who has not had it."""
        fresh = [i for i in range(len(names)) if i != a.worker and i not in a.tried]
        for attempt, worker in enumerate([a.worker, *fresh][:2]):
            if attempt:
                ctx.emit(
                    Note(
                        text=f"{a.id}: {names[a.worker]} failed; reassigned to {names[worker]}",
                        level="warning",
                    )
                )
                a.tried.append(a.worker)
            a.worker, a.result = worker, None
            self.show(ctx, a, names, "running")
            try:
                a.result = await ctx.ask(
                    options.workers[worker],
                    as_turn(ctx, worker_prompt(ctx.prompt, a)),
                    role="worker",
                    label=f"{a.id} · {names[worker]}",
                    parent=f"task:{a.id}",
                )
            except asyncio.CancelledError:
                self.show(ctx, a, names, "cancelled")
                raise
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
    ) -> list[Assignment]:
        """Review every task; return the ones to run again (revised or reassigned)."""
        node = f"review:{round_number}"
        ctx.emit(tree_node(node, f"review {round_number}", "running", "review"))
        reply = await ctx.ask(
            options.supervisor,
            as_turn(ctx, review_prompt(ctx.prompt, assignments, names)),
            role="review",
            label=f"review {round_number}",
            parent=node,
        )
        ids = [a.id for a in assignments]
        verdicts = read_verdicts(reply.text, ids) if reply.ok else None
        if verdicts is None:
            why = (
                reply.error or "the review was not readable"
                if not reply.ok
                else ("the review gave no readable verdict for every task")
            )
            ctx.emit(tree_node(node, f"review {round_number}: failed", "failed", "review",
                               reply.lane))  # fmt: skip
            ctx.emit(Note(text=f"review {round_number}: {why}; the results are used as "
                          "they are", level="warning"))  # fmt: skip
            ctx.emit(
                Decision(
                    summary=f"round {round_number}: no usable verdict — {why}",
                    detail=ReviewDetail(round=round_number, verdict="unreadable",
                                        lane=reply.lane),
                )
            )  # fmt: skip
            return []
        again: list[Assignment] = []
        for a in assignments:
            verdict, feedback = verdicts[a.id]
            a.verdict, a.feedback = verdict, feedback
            if verdict == "accept":
                continue
            a.previous = a.result.text if a.result is not None else ""
            if verdict == "reassign":
                others = [i for i in range(len(names)) if i != a.worker and i not in a.tried]
                a.tried.append(a.worker)
                if others:  # the least busy of the workers who have not had it
                    busy = [b.worker for b in assignments]
                    a.worker = min(others, key=busy.count)
                else:
                    a.verdict = "revise"  # nobody else left: the same worker tries again
            again.append(a)
            self.show(ctx, a, names, "queued")
        overall = "accept" if not again else "revise"
        ctx.emit(tree_node(node, f"review {round_number}: {overall}", "done", "review",
                           reply.lane))  # fmt: skip
        ctx.emit(
            Decision(
                summary=f"round {round_number}: "
                + ", ".join(f"{a.id} {a.verdict}" for a in assignments),
                detail=ReviewDetail(
                    round=round_number,
                    verdict=overall,
                    feedback="; ".join(f"{a.id}: {a.feedback}" for a in again if a.feedback),
                    lane=reply.lane,
                    tasks=tuple(
                        TaskVerdict(a.id, a.verdict, names[a.worker], a.feedback)
                        for a in assignments
                    ),
                ),
            )
        )
        return again

    async def synthesize(
        self, ctx: Context, options: SupervisorOptions, names: list[str], work: list[Assignment]
    ) -> Answer:
        ctx.emit(tree_node("synthesis", "final answer", "running", "synthesis"))
        open_points = [
            f"{a.id} ({a.verdict or 'failed'}: {a.feedback or 'no usable result'})"
            for a in work
            if not a.done or a.verdict in ("revise", "reassign")
        ]
        prompt = (
            f"Request:\n{ctx.prompt}\n\nYour workers' results:\n\n{results_text(work, names)}"
            "\n\nWrite the final answer for the user, combining the results"
            + (
                f". These were not accepted: {'; '.join(open_points)}. Say what is missing."
                if open_points
                else "."
            )
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
        return Answer(readable_results(done), tuple(a.result.lane for a in done if a.result))
