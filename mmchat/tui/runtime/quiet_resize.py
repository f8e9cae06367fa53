"""Widgets whose new size, found by a layout, does not ask for a second layout.

After every reflow Textual tells each widget its new size; a widget whose virtual size
changed sets its ``virtual_size`` reactive, which asks for *another* full-screen
layout. For a streaming pane's document and its scroll view that second pass only
finds the sizes it was told: measured in the eight-pane fan-out it was every other
layout (~60 ms each). Scrollbars appearing or going still re-lay out (their own
reactive does), and Textual passes ``layout=False`` itself when it only scrolled.

This overrides Textual 8.2's private ``Widget._size_updated`` (see
``PRIVATE_TEXTUAL_NAMES`` in :mod:`mmchat.tui.runtime`): lean mode only.
"""

from __future__ import annotations

import functools
from typing import TypeVar

from textual.geometry import Size
from textual.widget import Widget

__all__ = ["QuietResize", "quiet_variant"]

W = TypeVar("W", bound=Widget)


class QuietResize(Widget):
    """Mix in as the *last* base: Textual takes a widget's CSS (type names and default
    styles) from its first base, which must stay the real widget class."""

    def _size_updated(
        self, size: Size, virtual_size: Size, container_size: Size, layout: bool = True
    ) -> bool:
        return super()._size_updated(size, virtual_size, container_size, layout=False)


@functools.cache
def quiet_variant(cls: type[W]) -> type[W]:
    """``cls`` with QuietResize mixed in (one class per ``cls``, same name: same CSS)."""
    return type(cls.__name__, (cls, QuietResize), {"__module__": cls.__module__})
