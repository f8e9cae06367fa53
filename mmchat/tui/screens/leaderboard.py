"""The Leaderboard screen: your models ranked by the answers you picked.

The same table as ``mmchat leaderboard`` (rank, model, rating ± its 95 % interval,
comparisons, wins), fitted from the history database in a thread when the screen
opens (milliseconds for thousands of picks, but the store may be busy). ``p`` counts
only the panes you picked (not the vote / consensus / ensemble answers you kept).
Model names come from the database: shown as text, never as markup, with control
characters made visible.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, ClassVar

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Static

from mmchat.sanitize import for_terminal

if TYPE_CHECKING:
    from mmchat.history.comparison_store import ComparisonSource
    from mmchat.history.protocol import HistoryStore
    from mmchat.ratings.leaderboard import Row

__all__ = ["LeaderboardScreen"]

EMPTY = (
    "No comparisons yet: pick an answer in a side-by-side preset (compare, or a blind "
    "one), or go on from a vote, agree or ensemble answer."
)
ABOUT = (
    "Bradley–Terry ratings from your picks: 1000 is the average of the models "
    "compared; 400 points more means 10 : 1 odds of being preferred. ± is the 95 % "
    "interval: ratings whose intervals overlap are not told apart yet."
)
COLUMNS = ("rank", "model", "rating", "± 95 %", "compared", "wins")


class LeaderboardScreen(Screen[None]):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "close", "Close", id="leaderboard.close"),
        Binding("p", "toggle_picks", "Picks only / all", id="leaderboard.picks"),
    ]
    DEFAULT_CSS = """
    LeaderboardScreen #lb-title { padding: 0 1; background: $panel; text-style: bold; }
    LeaderboardScreen #lb-note { padding: 0 1; color: $text-muted; height: auto; }
    LeaderboardScreen DataTable { height: auto; max-height: 1fr; margin: 1 1 0 1; }
    """

    def __init__(self, store: HistoryStore | None) -> None:
        super().__init__()
        self.store = store
        self.picks_only = False
        self.rows: list[Row] = []

    def compose(self) -> ComposeResult:
        yield Static("Leaderboard", id="lb-title")
        yield Static("Loading…", id="lb-note", markup=False)
        yield DataTable(id="lb-table", cursor_type="row", zebra_stripes=True)
        yield Footer()

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        for column in COLUMNS:
            table.add_column(column, key=column)
        self._load()

    def action_close(self) -> None:
        self.dismiss(None)

    def action_toggle_picks(self) -> None:
        self.picks_only = not self.picks_only
        self._load()

    @work(exclusive=True, group="leaderboard-load")
    async def _load(self) -> None:
        from mmchat.ratings.history import ratings_from
        from mmchat.ratings.leaderboard import leaderboard

        store = self.store
        if store is None:
            self.show([], "No history database: nothing to rank.")
            return
        sources: tuple[ComparisonSource, ...] = ("pick", "blind-pick")
        if not self.picks_only:
            sources += ("kept",)
        try:
            ratings = await asyncio.to_thread(ratings_from, store, sources)
        except Exception as exc:  # a locked or damaged database: say so, keep running
            self.show([], f"Could not read the comparisons: {exc}")
            return
        self.show(leaderboard(ratings))

    def show(self, rows: list[Row], note: str = "") -> None:
        self.rows = rows
        counted = "your picks only (p: all)" if self.picks_only else "picks and kept answers (p)"
        self.query_one("#lb-title", Static).update(f"Leaderboard — {counted}")
        self.query_one("#lb-note", Static).update(note or (ABOUT if rows else EMPTY))
        table = self.query_one(DataTable)
        table.clear()
        for row in rows:
            table.add_row(
                str(row.rank),
                # Text: a name is never read as markup; one line, whatever it holds
                Text(" ".join(for_terminal(row.model).split())),
                f"{row.rating:.0f}",
                f"± {row.interval:.0f}",
                str(row.comparisons),
                str(row.wins),
                key=row.model,
            )
