"""What an eval measured, per preset: the seed's trade-off table, with numbers.

Accuracy counts every item that has a result: a failed turn is not a right answer
(failures are also counted on their own). Latency is the wall time of the turns that
completed, from the engine (waiting for a free slot is not included). Cost is the
sum of the items' costs, and unknown as soon as one of them is: never 0 for
"unknown". The JSON form is versioned (``FORMAT``) and documented in docs/eval.md.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from mmchat.accounting import format_cost, total_cost
from mmchat.api import Usage
from mmchat.eval.stats import percentile, wilson_interval
from mmchat.history.eval_store import EvalRecords, EvalResultRow, EvalRunRow

if TYPE_CHECKING:
    from mmchat.eval.runner import EvalReport

__all__ = [
    "FORMAT",
    "HEADERS",
    "PresetFigures",
    "StoredRun",
    "cells",
    "figures",
    "report_figures",
    "report_json",
    "stored_runs",
    "table",
]

FORMAT = 1  # the --json layout; raised when a field changes meaning or goes away


@dataclass(frozen=True, slots=True)
class PresetFigures:
    preset: str
    strategy: str
    selected: int  # items asked for
    done: int  # items with a result
    correct: int
    failures: int
    accuracy: float | None  # correct / done
    interval: tuple[float, float] | None  # 95 % Wilson interval of the accuracy
    usage: Usage  # tokens of every item with a result
    tokens_per_item: float | None
    cost: float | None  # None: the price of some item is unknown
    cost_unknown: int  # items whose cost is unknown
    latency_p50: float | None  # seconds, completed items
    latency_p95: float | None
    judge_cost: float | None  # None: some judge price unknown; 0 when nothing was judged

    @property
    def cost_per_item(self) -> float | None:
        return None if self.cost is None or not self.done else self.cost / self.done


def figures(
    preset: str, strategy: str, results: Sequence[EvalResultRow], selected: int
) -> PresetFigures:
    done = len(results)
    correct = sum(r.correct for r in results)
    failures = sum(r.status != "ok" for r in results)
    usage = sum((r.usage for r in results), Usage())
    latencies = [r.latency for r in results if r.status == "ok"]
    judged = [r for r in results if r.judge_verdict is not None]
    return PresetFigures(
        preset=preset,
        strategy=strategy,
        selected=selected,
        done=done,
        correct=correct,
        failures=failures,
        accuracy=correct / done if done else None,
        interval=wilson_interval(correct, done) if done else None,
        usage=usage,
        tokens_per_item=usage.total_tokens / done if done else None,
        cost=total_cost(r.cost for r in results),
        cost_unknown=sum(r.cost is None for r in results),
        latency_p50=percentile(latencies, 50),
        latency_p95=percentile(latencies, 95),
        judge_cost=total_cost(r.judge_cost for r in judged),
    )


# ---------------------------------------------------------------- the table

HEADERS = (
    "preset", "done", "accuracy (95 % CI)", "tokens/item", "cost", "p50", "p95", "failed",
)  # fmt: skip
RIGHT = {1, 3, 4, 5, 6, 7}  # columns aligned right (numbers)


def _accuracy_text(f: PresetFigures) -> str:
    if f.accuracy is None or f.interval is None:
        return "—"
    low, high = (round(v * 100) for v in f.interval)
    return f"{f.accuracy * 100:.0f} % ({low}–{high} %)"


def _cost_text(f: PresetFigures) -> str:
    if f.cost is not None:
        return format_cost(f.cost)
    if f.cost_unknown < f.done:
        return f"unknown ({f.cost_unknown} of {f.done})"
    return "unknown"


def _seconds(value: float | None) -> str:
    return "—" if value is None else f"{value:.1f} s"


def cells(f: PresetFigures) -> list[str]:
    """One preset's row of the table, as text (the TUI's Eval screen shows the same)."""
    tokens = "—" if f.tokens_per_item is None else f"{f.tokens_per_item:,.0f}"
    if f.usage.estimated and f.tokens_per_item is not None:
        tokens = "~" + tokens
    return [
        f.preset,
        f"{f.done}/{f.selected}",
        _accuracy_text(f),
        tokens,
        _cost_text(f),
        _seconds(f.latency_p50),
        _seconds(f.latency_p95),
        str(f.failures),
    ]


def table(rows: Sequence[PresetFigures]) -> str:
    """A Markdown table (readable as is, and pastes into a README)."""
    grid = [list(HEADERS), *(cells(f) for f in rows)]
    widths = [max(len(row[i]) for row in grid) for i in range(len(HEADERS))]

    def line(row: list[str]) -> str:
        padded = [
            c.rjust(w) if i in RIGHT else c.ljust(w)
            for i, (c, w) in enumerate(zip(row, widths, strict=True))
        ]
        return "| " + " | ".join(padded) + " |"

    rule = "|" + "|".join(
        "-" * (w + 1) + ":" if i in RIGHT else "-" * (w + 2) for i, w in enumerate(widths)
    ) + "|"  # fmt: skip
    return "\n".join([line(grid[0]), rule, *(line(row) for row in grid[1:])])


# ---------------------------------------------------------------- JSON


def _round(value: float | None, digits: int) -> float | None:
    return None if value is None else round(value, digits)


def _preset_json(f: PresetFigures, config_hash: str, resumed: int) -> dict[str, Any]:
    return {
        "preset": f.preset,
        "strategy": f.strategy,
        "config_hash": config_hash,
        "selected": f.selected,
        "done": f.done,
        "resumed": resumed,
        "correct": f.correct,
        "failures": f.failures,
        "accuracy": _round(f.accuracy, 4),
        "interval": None if f.interval is None else [round(v, 4) for v in f.interval],
        "tokens": {
            "prompt": f.usage.prompt_tokens,
            "completion": f.usage.completion_tokens,
            "per_item": _round(f.tokens_per_item, 1),
            "estimated": f.usage.estimated,
        },
        "cost": {
            "total": f.cost,
            "per_item": f.cost_per_item,
            "unknown_items": f.cost_unknown,
            "judge": f.judge_cost,
        },
        "latency": {"p50": _round(f.latency_p50, 3), "p95": _round(f.latency_p95, 3)},
    }


def _item_json(preset: str, r: EvalResultRow) -> dict[str, Any]:
    return {
        "preset": preset,
        "id": r.item_id,
        "check": r.check,
        "expected": r.expected,
        "status": r.status,
        "correct": r.correct,
        "extracted": r.extracted,
        "reply": r.reply,
        "error": r.error,
        "models": list(r.models),
        "tokens": {
            "prompt": r.usage.prompt_tokens,
            "completion": r.usage.completion_tokens,
            "estimated": r.usage.estimated,
        },
        "cost": r.cost,
        "latency": round(r.latency, 3),
        "judge": None
        if r.judge_verdict is None
        else {"verdict": r.judge_verdict, "cost": r.judge_cost},
    }


def report_figures(report: EvalReport) -> list[PresetFigures]:
    return [
        figures(p.preset, p.strategy, report.results[p.preset], len(report.items))
        for p in report.plans
    ]


def report_json(report: EvalReport) -> dict[str, Any]:
    from mmchat import __version__

    rows = report_figures(report)
    return {
        "format": FORMAT,
        "mmchat": __version__,
        "dataset": {
            "name": report.dataset.name,
            "hash": report.dataset.digest,
            "size": len(report.dataset.items),
            "selected": len(report.items),
        },
        "judge": report.judge,
        "run": {
            "stopped": report.stopped,
            "left": report.left,
            "spent": report.spent,
            "unknown_cost_turns": report.unknown_cost,
            "judge_cost": report.judge_cost,
            "warnings": list(report.warnings),
        },
        "presets": [
            _preset_json(f, p.run.config_hash, report.resumed[p.preset])
            for f, p in zip(rows, report.plans, strict=True)
        ],
        "items": [_item_json(p.preset, r) for p in report.plans for r in report.results[p.preset]],
    }


# ---------------------------------------------------------------- stored runs


@dataclass(frozen=True, slots=True)
class StoredRun:
    run: EvalRunRow
    figures: PresetFigures


def stored_runs(store: EvalRecords) -> list[StoredRun]:
    """Every stored run with its figures over the items it has done (newest first)."""
    found = []
    for run in store.eval_runs():
        results = store.eval_results(run.id)
        found.append(StoredRun(run, figures(run.preset, run.strategy, results, run.dataset_size)))
    return found
