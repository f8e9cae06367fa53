"""Router decision: the chosen route, why, and the runner-up (expandable)."""

from __future__ import annotations

from typing import Any

from textual.app import ComposeResult
from textual.widgets import Collapsible, Static

from mmchat.tui.widgets.fmt import escape

__all__ = ["RouteBadge"]


class RouteBadge(Collapsible):
    DEFAULT_CSS = """
    RouteBadge { height: auto; border: none; padding: 0; margin: 0 0 1 0; background: $boost; }
    RouteBadge > Contents { padding: 0 2; height: auto; }
    RouteBadge .route-detail { color: $text-muted; height: auto; }
    """

    def __init__(self, summary: str, detail: dict[str, Any]) -> None:
        self._detail_widget = Static(classes="route-detail")
        super().__init__(self._detail_widget, title=self._heading(summary, detail), collapsed=True)
        self.show(summary, detail)

    def compose(self) -> ComposeResult:
        yield from super().compose()

    @staticmethod
    def _heading(summary: str, detail: dict[str, Any]) -> str:
        route = detail.get("route") or summary
        model = detail.get("target") or detail.get("model")
        target = f"{route} → {model}" if model else str(route)
        return f"⤳ route: {target}"

    def show(self, summary: str, detail: dict[str, Any]) -> None:
        self.title = self._heading(summary, detail)
        lines = [f"[b]route[/b] {escape(str(detail.get('route', '?')))}"]
        if detail.get("reason"):
            lines.append(f"[b]why[/b] {escape(str(detail['reason']))}")
        lines.append(f"[b]runner-up[/b] {escape(str(detail.get('runner_up') or '–'))}")
        shown = ("route", "reason", "runner_up", "model", "target")
        for key, value in detail.items():
            if key not in shown and value not in (None, "", {}, []):
                lines.append(f"[b]{escape(key)}[/b] {escape(str(value))}")
        if summary and summary != detail.get("route"):
            lines.append(escape(summary))
        self._detail_widget.update("\n".join(lines))
