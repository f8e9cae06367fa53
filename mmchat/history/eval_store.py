"""The eval tables of the history database (``mmchat eval``'s runs and results).

Mixed into :class:`~mmchat.history.store.Store`, so eval results share its one
connection, its lock and its migrations, while the SQL for them lives here. Each
result is committed as its item finishes: an interrupted eval keeps every finished
item and a rerun skips them.
"""

from __future__ import annotations

import json
import sqlite3
import time
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from mmchat.api import Usage

__all__ = ["EvalRecords", "EvalResultRow", "EvalRunRow"]


@dataclass(frozen=True, slots=True)
class EvalRunRow:
    id: int
    dataset: str
    dataset_hash: str
    dataset_size: int
    preset: str
    strategy: str
    config_hash: str
    judge: str
    created: float
    updated: float


@dataclass(frozen=True, slots=True)
class EvalResultRow:
    item_id: str
    position: int
    check: str
    expected: str
    status: str  # ok | failed
    correct: bool
    extracted: str
    reply: str
    error: str | None
    models: tuple[str, ...]
    usage: Usage
    cost: float | None  # None = unknown price
    latency: float
    judge_verdict: str | None = None  # None = not judged
    judge_cost: float | None = None
    created: float = 0.0


class EvalRecords:
    if TYPE_CHECKING:  # provided by Store

        def _tx(self) -> AbstractContextManager[sqlite3.Connection]: ...
        def _one(self, sql: str, *params: Any) -> sqlite3.Row | None: ...
        def _all(self, sql: str, *params: Any) -> list[sqlite3.Row]: ...

    def eval_run(
        self,
        *,
        dataset: str,
        dataset_hash: str,
        dataset_size: int,
        preset: str,
        strategy: str,
        config_hash: str,
        judge: str = "",
    ) -> EvalRunRow:
        """The stored run for this dataset, preset configuration and judge; a new one
        if there is none."""
        now = time.time()
        with self._tx() as db:
            db.execute(
                "INSERT INTO eval_runs(dataset, dataset_hash, dataset_size, preset, strategy,"
                " config_hash, judge, created, updated) VALUES (?,?,?,?,?,?,?,?,?)"
                " ON CONFLICT(dataset_hash, preset, config_hash, judge) DO NOTHING",
                (dataset, dataset_hash, dataset_size, preset, strategy, config_hash, judge,
                 now, now),
            )  # fmt: skip
            row = db.execute(
                "SELECT * FROM eval_runs WHERE dataset_hash=? AND preset=? AND config_hash=?"
                " AND judge=?",
                (dataset_hash, preset, config_hash, judge),
            ).fetchone()
        return _run_row(row)

    def eval_runs(self) -> list[EvalRunRow]:
        """Every stored run that has results, the most recently updated first."""
        rows = self._all(
            "SELECT * FROM eval_runs r WHERE EXISTS (SELECT 1 FROM eval_results e"
            " WHERE e.run_id = r.id) ORDER BY updated DESC, id DESC"
        )
        return [_run_row(r) for r in rows]

    def eval_results(self, run_id: int) -> list[EvalResultRow]:
        rows = self._all(
            "SELECT * FROM eval_results WHERE run_id=? ORDER BY position, item_id", run_id
        )
        return [_result_row(r) for r in rows]

    def save_eval_result(self, run_id: int, result: EvalResultRow) -> None:
        """Store one item's result (replacing an earlier one for the same item)."""
        now = time.time()
        with self._tx() as db:
            db.execute(
                "INSERT OR REPLACE INTO eval_results(run_id, item_id, position, check_kind,"
                " expected, status, correct, extracted, reply, error, models, prompt_tokens,"
                " completion_tokens, tokens_estimated, cost, latency, judge_verdict,"
                " judge_cost, created) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                (
                    run_id, result.item_id, result.position, result.check, result.expected,
                    result.status, int(result.correct), result.extracted, result.reply,
                    result.error, json.dumps(list(result.models)), result.usage.prompt_tokens,
                    result.usage.completion_tokens, int(result.usage.estimated), result.cost,
                    result.latency, result.judge_verdict, result.judge_cost, now,
                ),
            )  # fmt: skip
            db.execute("UPDATE eval_runs SET updated=? WHERE id=?", (now, run_id))


def _run_row(row: sqlite3.Row) -> EvalRunRow:
    return EvalRunRow(
        id=row["id"],
        dataset=row["dataset"],
        dataset_hash=row["dataset_hash"],
        dataset_size=row["dataset_size"],
        preset=row["preset"],
        strategy=row["strategy"],
        config_hash=row["config_hash"],
        judge=row["judge"],
        created=row["created"],
        updated=row["updated"],
    )


def _result_row(row: sqlite3.Row) -> EvalResultRow:
    return EvalResultRow(
        item_id=row["item_id"],
        position=row["position"],
        check=row["check_kind"],
        expected=row["expected"],
        status=row["status"],
        correct=bool(row["correct"]),
        extracted=row["extracted"],
        reply=row["reply"],
        error=row["error"],
        models=tuple(json.loads(row["models"] or "[]")),
        usage=Usage(row["prompt_tokens"], row["completion_tokens"], bool(row["tokens_estimated"])),
        cost=row["cost"],
        latency=row["latency"],
        judge_verdict=row["judge_verdict"],
        judge_cost=row["judge_cost"],
        created=row["created"],
    )
