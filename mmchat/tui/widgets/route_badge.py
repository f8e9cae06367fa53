"""Router decision: the chosen route, how it was chosen, and the runner-up (expandable)."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.widgets import Collapsible, Static

from mmchat.api import RouteDetail
from mmchat.tui.widgets.fmt import escape

__all__ = ["RouteBadge"]


class RouteBadge(Collapsible):
    DEFAULT_CSS = """
    RouteBadge { height: auto; border: none; padding: 0; margin: 0 0 1 0; background: $boost; }
    RouteBadge > Contents { padding: 0 2; height: auto; }
    RouteBadge .route-detail { color: $text-muted; height: auto; }
    """

    def __init__(self, detail: RouteDetail) -> None:
        self._detail_widget = Static(classes="route-detail")
        super().__init__(self._detail_widget, title=self._heading(detail), collapsed=True)
        self.show(detail)

    def compose(self) -> ComposeResult:
        yield from super().compose()

    @staticmethod
    def _heading(detail: RouteDetail) -> str:
        sure = f", {detail.confidence:.0%} sure" if detail.confidence is not None else ""
        return f"⤳ route: {detail.route} → {detail.target} (by {detail.source}{sure})"

    def show(self, detail: RouteDetail) -> None:
        self.detail = detail
        self.title = self._heading(detail)
        lines = [escape(line) for line in detail.lines()]
        if detail.scores:
            ranked = sorted(detail.scores.items(), key=lambda kv: -kv[1])
            scores = ", ".join(f"{route} {score:g}" for route, score in ranked)
            lines.append(f"[dim]scores: {escape(scores)}[/dim]")
        if len(detail.routes) > 1:
            lines.append("[dim]Wrong route? alt+r sends the last question down another.[/dim]")
        self._detail_widget.update("\n".join(lines))
