"""Keyboard focus by pane: f8 / shift+f8 go round the chat's panes, in screen order.

Tab visits every focusable widget, including those of every message scrolled out of
view, so reaching a fan-out pane or a plan tree took many presses. The panes are: the
conversation list (when shown), the transcript, the lane panes and plan trees of the
messages in view, and the prompt. The focused one has a visible ring (each widget's
``:focus`` style).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual.widget import Widget

if TYPE_CHECKING:
    from mmchat.tui.widgets.sidebar import Sidebar
    from mmchat.tui.widgets.transcript import Transcript

__all__ = ["focus_pane", "pane_order"]


def _in_view(transcript: Transcript) -> list[Widget]:
    """The lane panes and plan trees inside the transcript that are on screen."""
    from textual.widgets import Tree

    from mmchat.tui.widgets.lane_pane import LanePane

    view = transcript.content_region
    found: list[Widget] = []
    for widget in transcript.query("LanePane, PlanTree > Tree"):
        if not isinstance(widget, (LanePane, Tree)) or not widget.focusable:
            continue
        region = widget.region
        if region and view.overlaps(region):
            found.append(widget)
    return found


def pane_order(sidebar: Sidebar, transcript: Transcript, prompt: Widget) -> list[Widget]:
    panes: list[Widget] = []
    if sidebar.display:
        panes.append(sidebar.list)
    panes.append(transcript)
    panes += _in_view(transcript)
    panes.append(prompt)
    return panes


def focus_pane(
    focused: Widget | None, sidebar: Sidebar, transcript: Transcript, prompt: Widget, step: int
) -> Widget:
    """Focus the pane ``step`` places from the one holding the focus; returns it."""
    panes = pane_order(sidebar, transcript, prompt)
    current = _current(focused, panes, transcript)
    index = panes.index(current) + step if current is not None else 0
    target = panes[index % len(panes)]
    target.focus()
    return target


def _current(focused: Widget | None, panes: list[Widget], transcript: Widget) -> Widget | None:
    """The pane that is, or holds, the focused widget (a widget inside a message that
    is not a pane itself counts as the transcript)."""
    node: Widget | None = focused
    while node is not None:
        if node in panes:
            return node
        if node is transcript:
            return transcript
        parent = node.parent
        node = parent if isinstance(parent, Widget) else None
    return None
