"""The top bar: current preset, its strategy and models, the session's running cost."""

from __future__ import annotations

from textual.widgets import Static

from mmchat.tui.widgets import fmt
from mmchat.tui.widgets.fmt import escape

__all__ = ["StrategyBar"]


class StrategyBar(Static):
    DEFAULT_CSS = """
    StrategyBar { height: 1; background: $panel; color: $text; padding: 0 1; }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.preset = ""
        self.strategy = ""
        self.models: list[str] = []
        self.session_cost: float | None = 0.0
        self.running = False
        self.persona = ""  # the conversation's persona ('' = none: not shown)
        self.status = ""  # e.g. "loading model…" while a local model starts

    def set_preset(self, preset: str, strategy: str, models: list[str]) -> None:
        self.preset, self.strategy, self.models = preset, strategy, list(models)
        self._render_bar()

    def set_persona(self, persona: str) -> None:
        if persona != self.persona:
            self.persona = persona
            self._render_bar()

    def set_session_cost(self, cost: float | None) -> None:
        self.session_cost = cost
        self._render_bar()

    def set_running(self, running: bool) -> None:
        self.running = running
        self._render_bar()

    def set_status(self, status: str) -> None:
        self.status = status
        self._render_bar()

    def _render_bar(self) -> None:
        strategy = f" [dim]({escape(self.strategy)})[/dim]" if self.strategy != self.preset else ""
        models = escape(", ".join(self.models)) if self.models else "–"
        persona = f"  [b]persona[/b] {escape(self.persona)}" if self.persona else ""
        busy = "  [b $warning]◐ running — esc stops[/]" if self.running else ""
        if self.status:
            busy += f"  [$accent]⧗ {escape(self.status)}[/]"
        self.update(
            f"[b]preset[/b] {escape(self.preset or '–')}{strategy}  "
            f"[b]models[/b] {models}{persona}  "
            f"[b]session[/b] {escape(fmt.cost(self.session_cost))}{busy}"
        )
