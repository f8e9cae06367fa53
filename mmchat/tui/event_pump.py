"""Turn events from the engine's queue to the turn's view, one batch per frame.

Everything that piled up while the last batch was drawn is taken at once, each lane's
text deltas are merged (:func:`~mmchat.tui.coalesce.coalesce_text`), and the batch is
handed to the view inside one ``batch_update``: under load the screen updates once per
batch, not once per token, and eight ``LaneOpened`` mounting eight panes cost one
layout (~50 ms each, while the answers already streamed), not eight.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Protocol

from mmchat.api import Event
from mmchat.tui.coalesce import coalesce_text
from mmchat.tui.runtime.one_frame import one_frame

if TYPE_CHECKING:
    from textual.app import App

__all__ = ["EventView", "pump_events"]


class EventView(Protocol):
    async def handle(self, event: Event) -> None: ...


async def pump_events(
    app: App[Any],
    queue: asyncio.Queue[Event | None],
    view: EventView,
    seen: Callable[[Event], None],
) -> None:
    """Hand every event to ``view`` (after ``seen``) until ``None`` arrives."""
    while True:
        batch = [await queue.get()]
        while not queue.empty():
            batch.append(queue.get_nowait())
        with one_frame(app):
            for event in coalesce_text(batch):
                if event is None:
                    return
                seen(event)
                await _handle(app, view, event)


async def _handle(app: App[Any], view: EventView, event: Event) -> None:
    try:
        await view.handle(event)
    except asyncio.CancelledError:
        # A task awaited inside the view was cancelled (not this pump): carry on, or
        # every later event of the turn (lanes closing) would be lost.
        task = asyncio.current_task()
        if task is not None and task.cancelling():
            raise
        app.log.error(f"view cancelled on {type(event).__name__}")
    except Exception as exc:  # a view bug must not lose the turn
        app.log.error(f"view failed on {type(event).__name__}: {exc!r}")
        app.notify(f"display error: {exc}", severity="error")
