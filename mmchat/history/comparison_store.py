"""The comparisons table of the history database: which model the user preferred.

Mixed into :class:`~mmchat.history.store.Store` (its connection, lock and migrations);
what counts as a comparison is decided in :mod:`mmchat.ratings`, which is also where
ratings are fitted from these rows (they are never stored).
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Iterable, Sequence
from contextlib import AbstractContextManager
from typing import TYPE_CHECKING, Any, Literal, TypeAlias

__all__ = ["SOURCES", "ComparisonRecords", "ComparisonSource"]

# pick: the user picked a pane with the models shown; blind-pick: with the models
# hidden; kept: the user went on from a vote / consensus / ensemble outcome.
ComparisonSource: TypeAlias = Literal["pick", "blind-pick", "kept"]
SOURCES: tuple[ComparisonSource, ...] = ("pick", "blind-pick", "kept")


class ComparisonRecords:
    if TYPE_CHECKING:  # provided by Store

        def _tx(self) -> AbstractContextManager[sqlite3.Connection]: ...
        def _one(self, sql: str, *params: Any) -> sqlite3.Row | None: ...
        def _all(self, sql: str, *params: Any) -> list[sqlite3.Row]: ...

    def replace_comparisons(
        self, message_id: int, pairs: Iterable[tuple[str, str]], source: ComparisonSource
    ) -> None:
        """The comparisons of one message, ``(winner, loser)`` pairs; a second pick of the
        same message replaces the first (one answer is preferred per message)."""
        now = time.time()
        rows = [(message_id, w, loser, source, now) for w, loser in pairs if w != loser]
        with self._tx() as db:
            db.execute("DELETE FROM comparisons WHERE message_id = ?", (message_id,))
            db.executemany(
                "INSERT INTO comparisons(message_id, winner, loser, source, created)"
                " VALUES (?,?,?,?,?)",
                rows,
            )

    def has_comparisons(self, message_id: int) -> bool:
        return self._one("SELECT 1 FROM comparisons WHERE message_id = ?", message_id) is not None

    def comparison_pairs(
        self, sources: Sequence[ComparisonSource] = SOURCES
    ) -> list[tuple[str, str]]:
        """Every ``(winner, loser)`` pair of the given sources, oldest first."""
        marks = ",".join("?" * len(sources))
        rows = self._all(
            f"SELECT winner, loser FROM comparisons WHERE source IN ({marks}) ORDER BY id",
            *sources,
        )
        return [(str(r[0]), str(r[1])) for r in rows]

    def forget_comparisons(self) -> int:
        """Delete every comparison (ratings start again); how many there were."""
        with self._tx() as db:
            return int(db.execute("DELETE FROM comparisons").rowcount)
