"""`mmchat eval`: run a dataset through presets and print what each one measured.

The table goes to stdout (Markdown, so it pastes into notes); progress goes to stderr,
as a bar when stderr is a terminal (rich, which Textual already brings: imported only
here) and as one plain line per item otherwise. Ctrl+C and SIGTERM stop the run
cleanly: finished items are stored, and the same command resumes.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import signal
import sqlite3
import sys
from typing import TYPE_CHECKING, Any

from mmchat.cli._common import err, open_session_or_report
from mmchat.sanitize import for_terminal, json_for_terminal

if TYPE_CHECKING:
    from mmchat.eval.runner import EvalReport, EvalRunner, Finished

HELP = "measure presets on a dataset of questions with known answers"


def add_parser(sub: Any) -> None:
    p = sub.add_parser(
        "eval",
        help=HELP,
        description="Run every item of a dataset through every preset and print accuracy "
        "(95 %% Wilson interval), tokens, cost, latency and failures per preset. Results "
        "are stored; a rerun skips the items already done.",
    )
    p.add_argument(
        "dataset", help="builtin:arithmetic, builtin:facts, builtin:choice or a JSONL file"
    )
    p.add_argument(
        "-p", "--presets", help="comma-separated presets to compare (default: the default preset)"
    )
    p.add_argument("-n", "--limit", type=int, help="only the first N items")
    p.add_argument(
        "-c", "--concurrency", type=int, default=None, help="items run at once (default 4)"
    )
    p.add_argument("--budget", type=float, help="USD: start no new item once this run spent it")
    p.add_argument("--judge", help='model alias that grades items with check "judge"')
    p.add_argument("--retry-failed", action="store_true", help="run failed items again")
    p.add_argument("--json", action="store_true", help="print the results as JSON (format 1)")


def run(args: argparse.Namespace) -> int:
    return asyncio.run(_eval(args))


async def _eval(args: argparse.Namespace) -> int:
    from mmchat.eval.dataset import DatasetError, load_dataset
    from mmchat.eval.runner import DEFAULT_CONCURRENCY, EvalError, EvalRunner
    from mmchat.history.store import StoreError
    from mmchat.wiring import open_store

    try:
        dataset = load_dataset(args.dataset)
    except DatasetError as exc:
        err(for_terminal(str(exc)))
        return 2
    session = open_session_or_report(save=False)  # the turns are not conversations
    if session is None:
        return 2
    try:
        store = open_store()
    except StoreError as exc:
        err(str(exc))
        await session.aclose()
        return 2
    config = session.loaded.config
    presets = [p.strip() for p in (args.presets or config.defaults.preset).split(",")]
    progress = _Progress(tty=sys.stderr.isatty())
    try:
        runner = EvalRunner(
            session.engine,
            store,
            dataset,
            [p for p in presets if p],
            limit=args.limit,
            concurrency=DEFAULT_CONCURRENCY if args.concurrency is None else args.concurrency,
            budget=args.budget,
            judge=args.judge,
            retry_failed=args.retry_failed,
            on_finished=progress.finished,
        )
        return await _run(runner, args, progress)
    except EvalError as exc:
        err(for_terminal(str(exc)))
        return 2
    except sqlite3.Error as exc:  # the disk is full, the database locked for too long…
        err(f"cannot store the results in {store.path}: {exc}; finished items are kept")
        return 1
    finally:
        progress.close()
        await session.aclose()
        store.close()


async def _run(runner: EvalRunner, args: argparse.Namespace, progress: _Progress) -> int:
    for warning in runner.warnings:
        err(f"warning: {for_terminal(warning)}")
    unpriced = runner.unpriced_models()
    if args.budget is not None and unpriced:
        err(f"warning: no price for {', '.join(unpriced)}: --budget counts known costs only")
    resumed = runner.resumed
    done_before = sum(resumed.values())
    if done_before:
        selected = len(runner.items) * len(runner.plans)
        each = ", ".join(f"{name} {count}/{len(runner.items)}" for name, count in resumed.items())
        err(f"resumed: {done_before} of {selected} already done ({each})")
    if runner.total and runner.local_providers():
        err("loading the local model…")
        await runner.warm_up()
    loop = asyncio.get_running_loop()
    stops = (signal.SIGINT, signal.SIGTERM)
    for signum in stops:
        loop.add_signal_handler(signum, runner.stop)
    try:
        progress.start(runner.total)
        report = await runner.run()
    finally:
        for signum in stops:
            loop.remove_signal_handler(signum)
        progress.close()
    _print(report, as_json=args.json)
    if report.stopped == "interrupted":
        err(f"stopped: {report.left} item(s) not done; run the same command again to resume")
        return 130
    if report.stopped == "budget":
        err(
            f"budget reached (${report.spent:.4f} of ${args.budget:.4f}): {report.left} "
            "item(s) not started; raise --budget and run again to go on"
        )
    return 0


def _print(report: EvalReport, *, as_json: bool) -> None:
    from mmchat.accounting import format_cost
    from mmchat.eval.summary import report_figures, report_json, table

    if as_json:
        print(json_for_terminal(json.dumps(report_json(report), ensure_ascii=False, indent=2)))
        return
    dataset = report.dataset
    judge = f", judged by {report.judge}" if report.judge else ""
    print(
        for_terminal(
            f"{dataset.name} (sha256 {dataset.digest[:12]}): {len(report.items)} of "
            f"{len(dataset.items)} items{judge}"
        )
    )
    print()
    print(for_terminal(table(report_figures(report))))
    spent = format_cost(report.spent)
    if report.unknown_cost:
        spent += f" + {report.unknown_cost} turn(s) of unknown cost"
    err(f"this run spent {spent}")


class _Progress:
    """Items as they finish: a rich progress bar on a terminal, plain lines otherwise."""

    def __init__(self, *, tty: bool) -> None:
        self.tty = tty
        self._bar: Any = None
        self._task: Any = None

    def start(self, total: int) -> None:
        if not self.tty or not total:
            return
        from rich.console import Console
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            TextColumn,
            TimeElapsedColumn,
            TimeRemainingColumn,
        )

        self._bar = Progress(
            TextColumn("eval"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            TimeRemainingColumn(),
            TextColumn("{task.description}", markup=False),
            console=Console(stderr=True),
            transient=True,
        )
        self._bar.start()
        self._task = self._bar.add_task("", total=total)

    def finished(self, event: Finished) -> None:
        result = event.result
        if result.status != "ok":
            mark, what = "!", f"failed: {result.error or ''}"
        else:
            mark, what = ("✓" if result.correct else "✗"), result.extracted
        line = for_terminal(f"{event.preset} {event.item.id} {mark} {what}")
        if self._bar is not None:
            self._bar.update(self._task, advance=1, description=line[:60])
            if result.status != "ok":
                from rich.text import Text

                self._bar.console.print(Text(line))
            return
        width = len(str(event.total))
        print(
            f"[{event.done:>{width}}/{event.total}] {line} ({result.latency:.1f} s)",
            file=sys.stderr,
            flush=True,
        )

    def close(self) -> None:
        if self._bar is not None:
            self._bar.stop()
            self._bar = None
