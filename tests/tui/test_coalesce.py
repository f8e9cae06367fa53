"""Text deltas are merged per lane between other events, never across them."""

from __future__ import annotations

from mmchat.api import Decision, Event, LaneClosed, TextDelta
from mmchat.tui.coalesce import coalesce_text


def delta(lane: str, text: str, at: float = 0.0) -> TextDelta:
    return TextDelta(lane=lane, text=text, at=at)


def test_each_lanes_text_is_merged_in_order() -> None:
    batch: list[Event | None] = [
        delta("L1", "a", 1), delta("L2", "x", 2), delta("L1", "b", 3), delta("L2", "y", 4),
    ]  # fmt: skip
    merged = coalesce_text(batch)
    assert [(e.lane, e.text, e.at) for e in merged if isinstance(e, TextDelta)] == [
        ("L1", "ab", 3),
        ("L2", "xy", 4),
    ]


def test_no_text_crosses_a_lane_closed_or_a_decision_or_the_end() -> None:
    closed = LaneClosed(lane="L1", status="done", text="ab")
    decision = Decision(kind="vote", summary="s")
    batch: list[Event | None] = [
        delta("L1", "a"), delta("L1", "b"), closed, delta("L2", "c"), decision,
        delta("L2", "d"), None,
    ]  # fmt: skip
    merged = coalesce_text(batch)
    assert merged == [delta("L1", "ab"), closed, delta("L2", "c"), decision, delta("L2", "d"), None]
