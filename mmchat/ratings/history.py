"""Comparisons into and ratings out of the history database.

Called by the TUI when the user picks a pane, by the engine when the user goes on from
a kept outcome, and by the leaderboard and ``Context.ratings``. What counts as a
comparison is :mod:`mmchat.ratings.comparisons`; the fit is
:mod:`mmchat.ratings.bradley_terry`. Ratings are derived from the rows each time
(fitting a few thousand comparisons takes milliseconds), never stored.
"""

from __future__ import annotations

from collections.abc import Sequence

from mmchat.api import Decision, Rating
from mmchat.history.codec import decode
from mmchat.history.comparison_store import SOURCES, ComparisonSource
from mmchat.history.protocol import HistoryStore
from mmchat.ratings.bradley_terry import fit
from mmchat.ratings.comparisons import outcome_pairs, pick_pairs

__all__ = ["is_blind", "ratings_from", "record_kept", "record_pick"]


def is_blind(store: HistoryStore, message_id: int) -> bool:
    """Was this turn a blind comparison (its models hidden until a pick)?"""
    return any(
        e.kind == "Decision" and e.data.get("kind") == "blind" for e in store.events(message_id)
    )


def record_pick(store: HistoryStore, message_id: int, lane: str) -> int:
    """The user picked ``lane`` of the message: its comparisons (replacing an earlier
    pick's). Returns how many were recorded."""
    pairs = pick_pairs(store.lanes(message_id), lane)
    source: ComparisonSource = "blind-pick" if is_blind(store, message_id) else "pick"
    store.replace_comparisons(message_id, pairs, source)
    return len(pairs)


def record_kept(store: HistoryStore, message_id: int) -> int:
    """The user went on from this answer: the comparisons of its outcome (vote,
    consensus, ensemble), once. A picked message has its pick instead."""
    message = store.get_message(message_id)
    if message is None or message.role != "assistant" or message.status != "complete":
        return 0
    if message.chosen_lane is not None or store.has_comparisons(message_id):
        return 0
    decisions = [
        event
        for stored in store.events(message_id)
        if isinstance(event := decode(stored.kind, stored.data, stored.at), Decision)
    ]
    pairs = outcome_pairs(decisions)
    if pairs:
        store.replace_comparisons(message_id, pairs, "kept")
    return len(pairs)


def ratings_from(
    store: HistoryStore, sources: Sequence[ComparisonSource] = SOURCES
) -> dict[str, Rating]:
    """Every compared model's rating, from the comparisons of ``sources``."""
    return fit(store.comparison_pairs(sources))
