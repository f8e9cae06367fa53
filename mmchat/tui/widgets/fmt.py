"""Small formatting helpers shared by the widgets (no widget here).

``MMCHAT_TUI_HIDE_TIMINGS=1`` (or :func:`hide_timings`) replaces live durations and
rates by a fixed mark so snapshot tests are deterministic.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

from mmchat.accounting import cost_label, format_cost

if TYPE_CHECKING:  # the strategy bar imports this before the first paint: no pydantic
    from collections.abc import Sequence

    from mmchat.api import Usage

__all__ = [
    "cost",
    "duration",
    "escape",
    "hide_timings",
    "message_footer",
    "message_head",
    "rate",
    "timings_hidden",
    "tokens",
]

_HIDDEN: list[bool] = []


def hide_timings(hidden: bool = True) -> None:
    _HIDDEN[:] = [hidden]


def timings_hidden() -> bool:
    if _HIDDEN:
        return _HIDDEN[0]
    return os.environ.get("MMCHAT_TUI_HIDE_TIMINGS", "") not in ("", "0")


def cost(value: float | None) -> str:
    """ "cost unknown" when the price is unknown: never $0 for unknown."""
    return format_cost(value)


def tokens(usage: Usage) -> str:
    mark = "~" if usage.estimated else ""
    return f"{mark}{usage.prompt_tokens}→{mark}{usage.completion_tokens} tok"


def duration(seconds: float | None) -> str:
    if seconds is None:
        return ""
    if timings_hidden():
        return "–s"
    if seconds < 10:
        return f"{seconds:.1f}s"
    if seconds < 120:
        return f"{seconds:.0f}s"
    return f"{seconds // 60:.0f}m{seconds % 60:02.0f}s"


def rate(tokens_out: float, seconds: float) -> str:
    if timings_hidden() or seconds <= 0:
        return "– tok/s"
    return f"{tokens_out / seconds:.0f} tok/s"


def escape(text: str) -> str:
    """Make any text (model output, errors, dict dumps) safe inside Textual markup.

    ``textual.markup.escape`` only escapes brackets that look like tags; a stray
    ``[{`` inside a styled span still breaks parsing, so escape every bracket.
    """
    return text.replace("[", "\\[")


def message_head(preset: str, strategy: str) -> str:
    """An assistant message's first line: its preset (and strategy, when it differs)."""
    extra = f" ({strategy})" if strategy and strategy != preset else ""
    return f"◆ {preset or 'assistant'}{extra}"


def message_footer(
    preset: str,
    strategy: str,
    models: Sequence[str],
    totals: tuple[Usage, float | None, float | None] | None,
    cost_source: str = "",
) -> str:
    """Preset/strategy · models · tokens · cost (its prices' source) · time (``totals``:
    None while it runs)."""
    parts = [preset + (f"/{strategy}" if strategy != preset else "")]
    if models:
        parts.append(", ".join(models))
    if totals is None:
        parts.append("…")
    else:
        usage, spent, seconds = totals
        parts += [tokens(usage), cost_label(spent, cost_source), duration(seconds)]
    return " · ".join(p for p in parts if p)
