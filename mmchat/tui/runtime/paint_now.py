"""Draw one widget at once, ahead of the screen's next frame: the typed key's echo.

A key that arrives while eight panes stream waits for the next frame, and that frame
first lays out everything the flush tick changed: measured in tmux, 100-170 ms of
layout after the key was handled, and longer when the tick (an async batch of
100-250 ms, in which nothing is drawn) was still open. The prompt did not move, so its
region from the last layout is still right: painting just that region now shows the
key without waiting for the layout or the batch. The next full frame draws it again.

This reaches into Textual 8.2's compositor (pinned in pyproject.toml; the names are in
``PRIVATE_TEXTUAL_NAMES`` of :mod:`mmchat.tui.runtime`; lean mode only);
``tests/tui/test_paint_now.py`` and ``tests/test_real_terminal.py`` check it.
"""

from __future__ import annotations

from typing import Any

from textual.app import ScreenStackError
from textual.dom import NoScreen
from textual.widget import Widget

__all__ = ["paint_now"]


def paint_now(widget: Widget) -> bool:
    """Write ``widget``'s pending repaint to the terminal now, laid out as last drawn.

    Returns False (and does nothing) when that would be wrong: the widget's size is
    about to change, it is not on the screen being shown, or the app draws inline.
    Other regions waiting to be redrawn are left for the next frame.
    """
    app: Any = widget.app
    try:
        screen: Any = widget.screen
        shown = app.screen
    except (NoScreen, ScreenStackError):  # not mounted yet, or the app is closing
        return False
    if app.is_inline or screen is not shown or widget._layout_required:
        return False
    compositor = screen._compositor
    if widget not in compositor.visible_widgets:
        return False
    waiting = set(compositor._dirty_regions)
    compositor._dirty_regions.clear()
    try:
        compositor.update_widgets({widget})
        if not compositor._dirty_regions:
            return False
        update = compositor.render_update(screen_stack=app._background_screens)
    finally:
        compositor._dirty_regions.update(waiting)
    # Textual writes nothing while a batch is open; this one region is safe to write.
    batches, app._batch_count = app._batch_count, 0
    try:
        app._display(screen, update)
    finally:
        app._batch_count = batches
    return True
