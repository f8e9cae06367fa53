"""``App.batch_update()`` that also wakes the screen when the batch ends.

Textual's end of a batch prompts only the app. A screen that went idle during the
batch (its redraw skipped, since nothing is drawn while batching) is then not drawn
until some later message reaches it. A flush tick of a fan-out is an async batch of
100-250 ms; keys typed meanwhile reached the prompt at once but showed 0.2-1 s later
in tmux, after the next ticks, whenever a message happened to reach the screen between
two batches.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from textual.app import App

__all__ = ["one_frame"]


@contextlib.contextmanager
def one_frame(app: App[Any]) -> Iterator[None]:
    """Changes inside are drawn together, in the next frame after the block."""
    with app.batch_update():
        yield
    from textual.app import ScreenStackError

    with contextlib.suppress(ScreenStackError):
        app.screen.check_idle()
