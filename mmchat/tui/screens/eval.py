"""The Eval screen: the stored ``mmchat eval`` runs, and what accuracy costs.

A table of every stored run (one preset on one dataset) with the figures
``mmchat eval`` prints, and, for the dataset of the highlighted run, two plots:
accuracy against cost per item and accuracy against median latency, each point with
its 95 % interval. The plots are textual-plotext's ``PlotextPlot`` (Plotext inside a
Textual widget, kept by Textualize), imported when the screen is composed, so the
chat never loads it. When every run of a dataset cost $0 or an unknown amount (local
models), the first plot uses tokens per item instead, and says so.
"""

from __future__ import annotations

import asyncio
import time
from typing import TYPE_CHECKING, Any, ClassVar

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Static

from mmchat.eval.summary import HEADERS, StoredRun, cells, stored_runs

if TYPE_CHECKING:
    from mmchat.history.eval_store import EvalRecords

__all__ = ["EvalScreen"]

# Plotext colour names, one per run in a plot (the CI bar takes its point's colour).
COLOURS = ("cyan+", "magenta+", "green+", "yellow+", "blue+", "red+", "orange", "white")
EMPTY = "No eval runs yet. Run one: mmchat eval builtin:arithmetic --presets single,vote,agree"


class EvalScreen(Screen[None]):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "close", "Close", id="eval.close"),
        Binding("r", "reload", "Reload", id="eval.reload"),
    ]
    # A grid, not nested containers: the plots are the screen's own children, so they
    # are mounted when the screen is and the loaded runs can be drawn at once.
    DEFAULT_CSS = """
    EvalScreen { layout: grid; grid-size: 2 4; grid-rows: auto auto auto 1fr; }
    EvalScreen #eval-title { column-span: 2; padding: 0 1; background: $panel;
                             text-style: bold; }
    EvalScreen #eval-note { column-span: 2; padding: 0 1; color: $text-muted; }
    EvalScreen DataTable { column-span: 2; height: auto; max-height: 20; margin: 0 1; }
    EvalScreen PlotextPlot { height: 1fr; min-height: 12; margin: 1 1 0 1; }
    """

    def __init__(self, store: EvalRecords | None) -> None:
        super().__init__()
        self.store = store
        self.runs: dict[str, StoredRun] = {}
        self.plotted: str | None = None  # dataset hash shown in the plots

    def compose(self) -> ComposeResult:
        from textual_plotext import PlotextPlot

        yield Static("Eval runs", id="eval-title")
        yield Static("Loading…", id="eval-note", markup=False)
        yield DataTable(id="eval-runs", cursor_type="row", zebra_stripes=True)
        yield PlotextPlot(id="eval-cost")
        yield PlotextPlot(id="eval-latency")
        yield Footer()

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        table.add_column("dataset", key="dataset")
        for header in HEADERS:
            table.add_column(header, key=header)
        table.add_column("updated", key="updated")
        self.action_reload()

    def action_close(self) -> None:
        self.dismiss(None)

    def action_reload(self) -> None:
        self._load()

    @work(exclusive=True, group="eval-load")
    async def _load(self) -> None:
        store = self.store
        runs = [] if store is None else await asyncio.to_thread(stored_runs, store)
        self.show_runs(runs)

    def show_runs(self, runs: list[StoredRun]) -> None:
        self.runs = {str(r.run.id): r for r in runs}
        table = self.query_one(DataTable)
        table.clear()
        for stored in runs:
            row = [stored.run.dataset, *cells(stored.figures), _when(stored.run.updated)]
            # Text, not str: a dataset named "[b]x" is a name, not markup.
            table.add_row(*(Text(cell) for cell in row), key=str(stored.run.id))
        note = self.query_one("#eval-note", Static)
        if self.store is None:
            note.update("No history database: eval results are stored there.")
        elif not runs:
            note.update(EMPTY)
        else:
            note.update(
                f"{len(runs)} stored run(s). Accuracy with its 95 % Wilson interval; "
                "the plots show the highlighted run's dataset."
            )
        self.plot(runs[0].run.dataset_hash if runs else None)

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        stored = self.runs.get(str(event.row_key.value))
        if stored is not None and stored.run.dataset_hash != self.plotted:
            self.plot(stored.run.dataset_hash)

    # ------------------------------------------------------------------ plots

    def plot(self, dataset_hash: str | None) -> None:
        from textual_plotext import PlotextPlot

        self.plotted = dataset_hash
        runs = [
            r
            for r in self.runs.values()
            if r.run.dataset_hash == dataset_hash and r.figures.accuracy is not None
        ]
        name = runs[0].run.dataset if runs else ""
        cost_plot = self.query_one("#eval-cost", PlotextPlot)
        latency_plot = self.query_one("#eval-latency", PlotextPlot)
        use_cost = any(r.figures.cost_per_item for r in runs)
        if use_cost:
            points = [(r, r.figures.cost_per_item) for r in runs]
            xlabel = "cost per item (USD)"
        else:
            points = [(r, r.figures.tokens_per_item) for r in runs]
            xlabel = "tokens per item (cost: $0 or unknown)"
        _scatter(cost_plot, points, f"{name}: accuracy vs cost", xlabel)
        latency = [(r, r.figures.latency_p50) for r in runs]
        _scatter(latency_plot, latency, f"{name}: accuracy vs latency", "median latency (s)")


def _scatter(
    widget: Any, points: list[tuple[StoredRun, float | None]], title: str, xlabel: str
) -> None:
    """One point per run at (x, accuracy %), with its interval as a vertical bar."""
    plt = widget.plt
    plt.clear_figure()
    shown = [(r, x) for r, x in points if x is not None]
    missing = len(points) - len(shown)
    plt.title(title + (f" ({missing} not shown: unknown)" if missing else ""))
    plt.xlabel(xlabel)
    plt.ylabel("accuracy %")
    plt.ylim(0, 100)
    presets = [r.run.preset for r, _ in shown]
    for index, (stored, x) in enumerate(shown):
        figures = stored.figures
        assert figures.accuracy is not None and figures.interval is not None
        colour = COLOURS[index % len(COLOURS)]
        label = stored.run.preset
        if presets.count(label) > 1:  # the same preset, configured differently
            label += f" #{stored.run.config_hash[:4]}"
        low, high = figures.interval
        plt.plot([x, x], [low * 100, high * 100], color=colour, marker="braille")
        plt.scatter([x], [figures.accuracy * 100], color=colour, label=label, marker="dot")
    xs = [x for _, x in shown]
    if xs:
        plt.xlim(0, max(xs) * 1.15 or 1)
    widget.refresh()


def _when(timestamp: float) -> str:
    return time.strftime("%Y-%m-%d %H:%M", time.localtime(timestamp))
