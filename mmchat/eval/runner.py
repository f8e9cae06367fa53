"""Runs an eval: every selected item of a dataset through every preset.

Items run concurrently, at most ``concurrency`` at once and never more requests on a
provider than it serves at once (:mod:`.slots`). Each finished item is committed to
the history database at once (:mod:`mmchat.history.eval_store`), keyed by the
dataset's content, the preset's configuration and the item id, so a run that is
stopped (Ctrl+C, SIGTERM, a crash, ``--budget``) keeps every finished item and the
next run of the same command skips them. The turns themselves go through the
engine without a store: they are not conversations.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any, Literal

from mmchat.api import Event
from mmchat.eval.checks import judge_prompt, read_verdict, score
from mmchat.eval.dataset import Dataset, Item
from mmchat.eval.slots import SlotPool, preset_needs, provider_limits
from mmchat.history.eval_store import EvalResultRow, EvalRunRow
from mmchat.turn_state import MAX_DEPTH  # presets nest at most three levels deep

if TYPE_CHECKING:
    from mmchat.engine import Engine, TurnOutcome
    from mmchat.history.store import Store

__all__ = [
    "DEFAULT_CONCURRENCY",
    "EvalError",
    "EvalReport",
    "EvalRunner",
    "Finished",
    "PresetPlan",
]

DEFAULT_CONCURRENCY = 4
StopReason = Literal["interrupted", "budget"]


class EvalError(Exception):
    """The eval cannot start (unknown preset, missing judge...); the message says why."""


@dataclass(slots=True)
class PresetPlan:
    preset: str
    strategy: str
    run: EvalRunRow
    needs: dict[str, int]  # slots per limited provider for one item
    models: list[str]  # the aliases it names (nested presets included)
    stored: dict[str, EvalResultRow]  # results already in the store, by item id


@dataclass(frozen=True, slots=True)
class Finished:
    """One item of one preset is done and stored (what a progress display shows)."""

    preset: str
    item: Item
    result: EvalResultRow
    done: int  # items finished in this run so far
    total: int  # items this run has to do


@dataclass(slots=True)
class EvalReport:
    dataset: Dataset
    items: tuple[Item, ...]  # the selected items (--limit)
    plans: list[PresetPlan]
    results: dict[str, list[EvalResultRow]]  # per preset, selected items, in dataset order
    resumed: dict[str, int]  # per preset: selected items already done before this run
    judge: str | None
    stopped: StopReason | None = None
    left: int = 0  # items (× presets) left undone when it stopped
    spent: float = 0.0  # known cost of this run (answers and judge)
    unknown_cost: int = 0  # turns of this run (answers, judge) whose cost is unknown
    judge_cost: float | None = 0.0  # this run's judge calls (None: some price unknown)
    warnings: list[str] = field(default_factory=list)


def _ignore(_event: Event) -> None:
    """Eval turns are measured, not shown or recorded."""


class EvalRunner:
    def __init__(
        self,
        engine: Engine,
        store: Store,
        dataset: Dataset,
        presets: Sequence[str],
        *,
        limit: int | None = None,
        concurrency: int = DEFAULT_CONCURRENCY,
        budget: float | None = None,
        judge: str | None = None,
        retry_failed: bool = False,
        limits: dict[str, int] | None = None,
        on_finished: Callable[[Finished], None] | None = None,
    ) -> None:
        if concurrency < 1:
            raise EvalError("--concurrency must be at least 1")
        if limit is not None and limit < 1:
            raise EvalError("--limit must be at least 1")
        if budget is not None and budget < 0:
            raise EvalError("--budget must not be negative")
        self.engine = engine
        self.store = store
        self.dataset = dataset
        self.items = dataset.first(limit)
        self.concurrency = concurrency
        self.budget = budget
        self.judge = judge if dataset.uses_judge else None
        self.retry_failed = retry_failed
        self.on_finished = on_finished
        self.pool = SlotPool(provider_limits(engine.config) if limits is None else limits)
        self.warnings: list[str] = []
        if judge and not dataset.uses_judge:
            self.warnings.append(f'--judge {judge} is not used: no item has check "judge"')
        self.plans = [self._plan(name) for name in dict.fromkeys(presets)]
        if not self.plans:
            raise EvalError("no presets to run (--presets single,vote,...)")
        self._check_judge()
        self.stopped: StopReason | None = None
        self.spent = 0.0
        self.unknown_cost = 0
        self.judge_spent: float | None = 0.0
        self._running: set[asyncio.Task[None]] = set()
        self._done = 0

    # ------------------------------------------------------------ planning

    def _plan(self, name: str) -> PresetPlan:
        from mmchat.engine import PresetError

        try:
            closure = self._presets_run_by(name)
            models = self._models_of(closure)
        except PresetError as exc:
            raise EvalError(str(exc)) from None
        config = self.engine.config
        run = self.store.eval_run(
            dataset=self.dataset.name,
            dataset_hash=self.dataset.digest,
            dataset_size=len(self.dataset.items),
            preset=name,
            strategy=config.presets[name].strategy,
            config_hash=self._config_hash(closure, models),
            judge=self.judge or "",
        )
        stored = {r.item_id: r for r in self.store.eval_results(run.id)}
        needs = preset_needs(self.engine, models, self.pool.limits)
        return PresetPlan(name, run.strategy, run, needs, models, stored)

    def _presets_run_by(self, name: str, depth: int = 0) -> list[str]:
        """``name`` and the presets it runs as steps (raises PresetError)."""
        strategy, options = self.engine.resolve_preset(name)
        found = [name]
        if depth < MAX_DEPTH:
            for nested in type(strategy).preset_refs(options):
                found += self._presets_run_by(nested, depth + 1)
        return list(dict.fromkeys(found))

    def _models_of(self, presets: list[str]) -> list[str]:
        aliases: list[str] = []
        for name in presets:
            strategy, options = self.engine.resolve_preset(name)
            aliases += type(strategy).model_refs(options)
        return list(dict.fromkeys(aliases))

    def _config_hash(self, presets: list[str], models: list[str]) -> str:
        """What makes answers differ: the presets, the models (prices aside: they change
        the cost, not the answer), the servers, and the judge."""
        config = self.engine.config
        aliases = [*models, *([self.judge] if self.judge else [])]
        providers = {config.models[a].provider for a in aliases if a in config.models}
        identity: dict[str, Any] = {
            "presets": {p: config.presets[p].model_dump(mode="json") for p in presets},
            "models": {
                a: config.models[a].model_dump(mode="json", exclude={"price_in", "price_out"})
                for a in aliases
                if a in config.models
            },
            "providers": {
                p: config.providers[p].model_dump(mode="json", include={"kind", "base_url", "path"})
                for p in sorted(providers)
            },
        }
        canonical = json.dumps(identity, sort_keys=True, ensure_ascii=False).encode()
        return hashlib.sha256(canonical).hexdigest()[:16]

    def _check_judge(self) -> None:
        if not self.dataset.uses_judge:
            return
        if not self.judge:
            raise EvalError(
                f'{self.dataset.name} has items with check "judge": name the model that '
                "grades them with --judge ALIAS"
            )
        models = self.engine.config.models
        if self.judge not in models:
            raise EvalError(
                f"--judge {self.judge}: no model alias of that name "
                f"(configured: {', '.join(sorted(models)) or 'none'})"
            )
        for plan in self.plans:
            if self.judge in plan.models:
                self.warnings.append(
                    f"the judge {self.judge} also answers in preset {plan.preset}: "
                    "models tend to prefer their own answers"
                )

    def _todo(self, plan: PresetPlan) -> list[Item]:
        return [item for item in self.items if not self._is_done(plan, item)]

    def _is_done(self, plan: PresetPlan, item: Item) -> bool:
        stored = plan.stored.get(item.id)
        return stored is not None and (stored.status == "ok" or not self.retry_failed)

    @property
    def resumed(self) -> dict[str, int]:
        """Per preset: how many selected items were already done before this run."""
        return {p.preset: len(self.items) - len(self._todo(p)) for p in self.plans}

    @property
    def total(self) -> int:
        """Items (× presets) this run has to do."""
        return sum(len(self._todo(plan)) for plan in self.plans)

    def unpriced_models(self) -> list[str]:
        """Aliases the presets (and the judge) use whose price is unknown."""
        config = self.engine.config
        aliases = [a for p in self.plans for a in p.models] + ([self.judge] if self.judge else [])
        return [
            a
            for a in dict.fromkeys(aliases)
            if config.models[a].price_in is None or config.models[a].price_out is None
        ]

    def local_providers(self) -> list[str]:
        config = self.engine.config
        aliases = [a for p in self.plans for a in p.models] + ([self.judge] if self.judge else [])
        names = dict.fromkeys(config.models[a].provider for a in aliases)
        return [n for n in names if config.providers[n].kind == "local"]

    # ------------------------------------------------------------ running

    async def warm_up(self) -> None:
        """Start the local servers before the clock runs: loading a model is not the
        first item's latency. Raises EvalError when one cannot start."""
        from mmchat.providers.base import ProviderError

        for name in self.local_providers():
            try:
                provider = await self.engine.provider(name)
                await provider.list_models()
            except ProviderError as exc:
                raise EvalError(f"provider {name}: {exc}") from None

    def stop(self) -> None:
        """Stop now: start nothing more, cancel what runs (finished items are kept)."""
        if self.stopped is None:
            self.stopped = "interrupted"
        for task in self._running:
            task.cancel()

    def _over_budget(self) -> bool:
        return self.budget is not None and self.spent >= self.budget

    async def run(self) -> EvalReport:
        jobs = deque((plan, item) for item in self.items for plan in self.plans)
        jobs = deque(job for job in jobs if not self._is_done(*job))
        total = len(jobs)
        running = self._running
        try:
            while jobs or running:
                while jobs and len(running) < self.concurrency and self.stopped is None:
                    if self._over_budget():
                        self.stopped = "budget"
                        break
                    plan, item = jobs.popleft()
                    running.add(asyncio.create_task(self._job(plan, item, total)))
                if not running:
                    break
                done, _ = await asyncio.wait(running, return_when=asyncio.FIRST_COMPLETED)
                for task in done:
                    running.discard(task)
                    failure = None if task.cancelled() else task.exception()
                    if failure is not None:
                        raise failure  # a bug, or a store that cannot be written
        finally:
            for task in running:
                task.cancel()
            with contextlib.suppress(BaseException):
                await asyncio.gather(*running, return_exceptions=True)
            running.clear()
        return self._report(left=total - self._done)

    async def _job(self, plan: PresetPlan, item: Item, total: int) -> None:
        from mmchat.engine import TurnRequest

        async with self.pool.hold(plan.needs):
            if self._over_budget():
                self.stopped = "budget"
                return
            request = TurnRequest(prompt=item.prompt, preset=plan.preset)
            outcome = await self.engine.run_turn(request, _ignore)
        result = await self._result(item, outcome)
        self.store.save_eval_result(plan.run.id, result)
        self._done += 1
        if self.on_finished is not None:
            self.on_finished(Finished(plan.preset, item, result, self._done, total))

    def _pay(self, cost: float | None) -> None:
        if cost is None:
            self.unknown_cost += 1
        else:
            self.spent += cost

    async def _result(self, item: Item, outcome: TurnOutcome) -> EvalResultRow:
        self._pay(outcome.cost)
        row = EvalResultRow(
            item_id=item.id,
            position=item.line,
            check=item.check,
            expected=item.answer,
            status="ok",
            correct=False,
            extracted="",
            reply=outcome.text,
            error=None,
            models=tuple(outcome.models),
            usage=outcome.usage,
            cost=outcome.cost,
            latency=outcome.duration,
        )
        if outcome.status != "complete":
            error = outcome.error or f"the turn ended {outcome.status}"
            return replace(row, status="failed", error=error)
        if item.check != "judge":
            verdict = score(item, outcome.text)
            return replace(row, correct=verdict.correct, extracted=verdict.extracted)
        return await self._judged(item, row)

    async def _judged(self, item: Item, row: EvalResultRow) -> EvalResultRow:
        from mmchat.config_schema import PresetConfig
        from mmchat.engine import TurnRequest

        assert self.judge is not None
        preset = PresetConfig(strategy="single", options={"model": self.judge})
        request = TurnRequest(
            prompt=judge_prompt(item, row.reply), preset=f"judge:{self.judge}",
            preset_config=preset,
        )  # fmt: skip
        needs = preset_needs(self.engine, [self.judge], self.pool.limits)
        async with self.pool.hold(needs):
            outcome = await self.engine.run_turn(request, _ignore)
        self._pay(outcome.cost)
        if self.judge_spent is not None:
            self.judge_spent = None if outcome.cost is None else self.judge_spent + outcome.cost
        row = replace(row, judge_verdict=outcome.text.strip(), judge_cost=outcome.cost)
        if outcome.status != "complete":
            return replace(row, status="failed", error=f"the judge failed: {outcome.error}")
        verdict = read_verdict(outcome.text)
        if verdict is None:
            shown = " ".join(outcome.text.split())[:80]
            error = f"the judge's verdict is unclear: {shown!r}"
            return replace(row, status="failed", error=error)
        return replace(row, correct=verdict, extracted=f"judge: {'yes' if verdict else 'no'}")

    def _report(self, left: int) -> EvalReport:
        selected = {item.id for item in self.items}
        results = {}
        for plan in self.plans:
            stored = self.store.eval_results(plan.run.id)
            results[plan.preset] = [r for r in stored if r.item_id in selected]
        return EvalReport(
            dataset=self.dataset,
            items=self.items,
            plans=self.plans,
            results=results,
            resumed=self.resumed,
            judge=self.judge,
            stopped=self.stopped if left else None,
            left=left,
            spent=self.spent,
            unknown_cost=self.unknown_cost,
            judge_cost=self.judge_spent,
            warnings=self.warnings,
        )
