"""Decisions and notes a view has no dedicated widget for: a line each, and the
decision's own sentences (``DecisionDetail.lines``) beneath it."""

from __future__ import annotations

from textual.containers import Vertical
from textual.widgets import Static

from mmchat.api import Decision
from mmchat.tui.widgets.fmt import escape

__all__ = ["DecisionList"]


class DecisionList(Vertical):
    DEFAULT_CSS = """
    DecisionList { height: auto; margin: 0 0 1 0; }
    DecisionList > Static { height: auto; color: $text-muted; }
    DecisionList > .-warning { color: $warning; }
    DecisionList > .-error { color: $error; }
    """

    async def add_decision(self, decision: Decision) -> None:
        lines = [f"◆ [b]{escape(decision.kind)}[/b]: {escape(decision.summary)}"]
        lines += [f"  [dim]{escape(line)}[/dim]" for line in decision.detail.lines()]
        await self.mount(Static("\n".join(lines)))

    async def add_note(self, text: str, level: str) -> None:
        mark = {"warning": "⚠", "error": "✗"}.get(level, "ℹ")
        await self.mount(Static(f"{mark} {escape(text)}", classes=f"-{level}"))
