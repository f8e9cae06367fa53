"""Decisions and notes a view has no dedicated widget for, one line each."""

from __future__ import annotations

from typing import Any

from textual.containers import Vertical
from textual.widgets import Static

from mmchat.tui.widgets.fmt import escape

__all__ = ["DecisionList"]


def _compact(detail: dict[str, Any]) -> str:
    items = []
    for key, value in detail.items():
        if value in (None, "") or isinstance(value, (list, dict, tuple)):
            continue  # structured detail is in the store and the export
        text = str(value)
        items.append(f"{key}={text if len(text) < 60 else text[:57] + '…'}")
    return ", ".join(items)


class DecisionList(Vertical):
    DEFAULT_CSS = """
    DecisionList { height: auto; margin: 0 0 1 0; }
    DecisionList > Static { height: auto; color: $text-muted; }
    DecisionList > .-warning { color: $warning; }
    DecisionList > .-error { color: $error; }
    """

    async def add_decision(self, kind: str, summary: str, detail: dict[str, Any]) -> None:
        extra = _compact(detail)
        line = f"◆ [b]{escape(kind)}[/b]: {escape(summary)}"
        if extra:
            line += f" [dim]({escape(extra)})[/dim]"
        await self.mount(Static(line))

    async def add_note(self, text: str, level: str) -> None:
        mark = {"warning": "⚠", "error": "✗"}.get(level, "ℹ")
        await self.mount(Static(f"{mark} {escape(text)}", classes=f"-{level}"))
