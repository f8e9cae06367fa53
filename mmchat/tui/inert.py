"""Keep control characters of untrusted text (model output) away from the terminal.

Model text reaches the screen through Markdown, panes, plan nodes, decisions and
history; any of it may carry ESC sequences (OSC 52 clipboard writes, cursor moves,
title changes) or C1 controls. Textual passes such characters through to the
terminal inside a segment's text. This line filter, applied by the app to every line
it renders, removes them. They have zero cell width, so the layout does not move;
what remains (``]52;c;...``, ``[31m``) shows as the inert text it is.
"""

from __future__ import annotations

import re

from rich.segment import Segment
from textual.color import Color
from textual.filter import LineFilter

__all__ = ["InertControls"]

# Every C0 control (tab and newline included: Textual expands/splits those itself,
# a raw one inside a segment would move the cursor), DEL and the C1 controls.
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f]")


class InertControls(LineFilter):
    def apply(self, segments: list[Segment], background: Color) -> list[Segment]:
        if not any(_CONTROL.search(segment.text) for segment in segments):
            return segments
        return [
            Segment(_CONTROL.sub("", segment.text), segment.style, segment.control)
            if not segment.control
            else segment
            for segment in segments
        ]
