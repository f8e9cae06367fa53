"""Planner / supervisor: a live tree plan → steps → results → synthesis, per-node
state; selecting a node shows its output below the tree."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import Tree
from textual.widgets.tree import TreeNode

from mmchat.api import PlanNode, PlanState
from mmchat.tui import markdown
from mmchat.tui.widgets.fmt import escape

__all__ = ["PlanTree"]

_STATE_MARKS = {
    "queued": "○",
    "running": "◐",
    "done": "●",
    "failed": "✗",
    "skipped": "–",
    "cancelled": "■",
}


class PlanTree(Vertical):
    DEFAULT_CSS = """
    PlanTree { height: auto; margin: 0 0 1 0; }
    PlanTree > Tree { height: auto; max-height: 20; background: $boost; padding: 0 1; }
    PlanTree > .plan-output {
        height: auto; max-height: 20; border-left: thick $accent; margin: 0 0 0 2;
    }
    """

    def __init__(self, text_for: Callable[[str], str]) -> None:
        super().__init__()
        self._text_for = text_for
        self.plan: Tree[str] = Tree("plan", id="plan-tree")
        self.plan.show_root = False
        self.plan.guide_depth = 3
        self._tree_nodes: dict[str, TreeNode[str]] = {}
        self._events: dict[str, PlanNode] = {}
        self._selected: str | None = None
        self._node_lanes: dict[str, str] = {}
        self._output = markdown.document(self.app, classes="plan-output")

    def compose(self) -> ComposeResult:
        yield self.plan
        yield self._output

    def on_mount(self) -> None:
        self._output.display = False

    def upsert(self, event: PlanNode) -> None:
        previous = self._events.get(event.node)
        if previous is not None and event.lane is None and previous.lane is not None:
            event = _with_lane(event, previous.lane)
        self._events[event.node] = event
        label = self._label(event)
        node = self._tree_nodes.get(event.node)
        if node is None:
            parent = self._tree_nodes.get(event.parent or "") or self.plan.root
            node = parent.add(label, data=event.node, expand=True, allow_expand=False)
            self._tree_nodes[event.node] = node
            parent.allow_expand = True
            parent.expand()
        else:
            node.set_label(label)
        if event.node == self._selected:
            self._show(event.node)

    def settle(self, state: PlanState) -> None:
        """The turn ended: no node may still claim to be queued or running."""
        for event in list(self._events.values()):
            if event.state in ("queued", "running"):
                self.upsert(dataclasses.replace(event, state=state))

    def has_node(self, node_id: str) -> bool:
        return node_id in self._tree_nodes

    def attach_lane(self, node_id: str, lane: str) -> None:
        """A lane opened under ``node_id`` (e.g. the planner's): show it for that node."""
        self._node_lanes.setdefault(node_id, lane)

    def lane_changed(self, lane: str) -> None:
        """A lane's text or status changed: refresh the preview if it shows that lane."""
        if self._selected is not None:
            shown = self._events.get(self._selected)
            if (shown is not None and shown.lane == lane) or (
                self._node_lanes.get(self._selected) == lane
            ):
                self._show(self._selected)

    @staticmethod
    def _label(event: PlanNode) -> str:
        mark = _STATE_MARKS.get(event.state, "?")
        kind = f" [dim]\\[{escape(event.kind)}][/dim]" if event.kind else ""
        state = "" if event.state == "done" else f" [i]{event.state}[/i]"
        return f"{mark} {escape(event.label)}{kind}{state}"

    def on_tree_node_selected(self, message: Tree.NodeSelected[str]) -> None:
        message.stop()
        if message.node.data is not None:
            self._selected = message.node.data
            self._show(message.node.data)

    def _show(self, node_id: str) -> None:
        event = self._events.get(node_id)
        lane = event.lane if event is not None and event.lane else self._node_lanes.get(node_id)
        text = self._text_for(lane) if lane else ""
        self._output.update(text or "_(no output yet)_")
        self._output.display = True


def _with_lane(event: PlanNode, lane: str) -> PlanNode:
    return dataclasses.replace(event, lane=lane)
