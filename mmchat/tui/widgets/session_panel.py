"""Per-strategy totals for this session: turns, tokens, cost, average wall time.

The seed article's cost/latency trade-off table, measured live (toggle with f3)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from textual.widgets import Static

from mmchat.tui.widgets import fmt
from mmchat.tui.widgets.fmt import escape

if TYPE_CHECKING:
    from mmchat.api import Usage

__all__ = ["SessionPanel", "StrategyTotals"]


def _no_usage() -> Usage:
    # mmchat.api imports pydantic: not at import time, the chat screen is built before
    # the first paint and the panel only counts once a turn has run.
    from mmchat.api import Usage

    return Usage()


@dataclass(slots=True)
class StrategyTotals:
    turns: int = 0
    usage: Usage = field(default_factory=_no_usage)
    cost: float = 0.0
    unknown_cost: int = 0
    seconds: float = 0.0
    failed: int = 0

    def add(self, usage: Usage, cost: float | None, seconds: float, ok: bool) -> None:
        self.turns += 1
        self.usage = self.usage + usage
        if cost is None:
            self.unknown_cost += 1
        else:
            self.cost += cost
        self.seconds += seconds
        self.failed += 0 if ok else 1

    @property
    def cost_text(self) -> str:
        if self.unknown_cost == self.turns:
            return fmt.cost(None)
        known = fmt.cost(self.cost)
        return f"{known} + {self.unknown_cost} unknown" if self.unknown_cost else known


class SessionPanel(Static):
    DEFAULT_CSS = """
    SessionPanel {
        width: 58; height: 1fr;
        background: $panel; padding: 0 1; border-left: vkey $panel-lighten-2;
    }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.totals: dict[str, StrategyTotals] = {}

    def on_mount(self) -> None:
        self._render_table()

    def record(
        self, label: str, usage: Usage, cost: float | None, seconds: float, ok: bool
    ) -> None:
        self.totals.setdefault(label, StrategyTotals()).add(usage, cost, seconds, ok)
        self._render_table()

    def _render_table(self) -> None:
        lines = [
            "[b]This session, by strategy[/b]",
            f"[dim]{'strategy':<14}{'turns':>5}{'tokens':>9}{'avg time':>9}  cost[/dim]",
        ]
        for label, total in sorted(self.totals.items()):
            avg = fmt.duration(total.seconds / total.turns) if total.turns else ""
            failed = f" ({total.failed} failed)" if total.failed else ""
            lines.append(
                f"{escape(label[:14]):<14}{total.turns:>5}{total.usage.total_tokens:>9}"
                f"{avg:>9}  {escape(total.cost_text)}{failed}"
            )
        if not self.totals:
            lines.append("[dim]no turns yet[/dim]")
        self.update("\n".join(lines))
