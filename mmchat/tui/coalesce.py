"""Merging a batch of turn events so the screen updates per batch, not per token."""

from __future__ import annotations

import dataclasses

from mmchat.api import Event, TextDelta

__all__ = ["coalesce_text"]


def coalesce_text(batch: list[Event | None]) -> list[Event | None]:
    """Merge each lane's consecutive text deltas; any other event keeps its place.

    Deltas are held per lane until a non-text event arrives, so every lane's text stays
    in order and no lane's text crosses its own LaneClosed (or anything else).
    """
    out: list[Event | None] = []
    pending: dict[str, list[TextDelta]] = {}

    def flush() -> None:
        for deltas in pending.values():
            first = deltas[0]
            if len(deltas) == 1:
                out.append(first)
            else:
                text = "".join(d.text for d in deltas)
                out.append(dataclasses.replace(first, text=text, at=deltas[-1].at))
        pending.clear()

    for event in batch:
        if isinstance(event, TextDelta):
            pending.setdefault(event.lane, []).append(event)
        else:
            flush()
            out.append(event)
    flush()
    return out
