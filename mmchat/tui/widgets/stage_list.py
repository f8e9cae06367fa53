"""Earlier lanes of a turn (pipeline stages, a router's classifier), each expandable."""

from __future__ import annotations

from textual.containers import Vertical
from textual.widgets import Collapsible, Markdown

from mmchat.tui import markdown
from mmchat.tui.widgets.lane_state import LaneInfo

__all__ = ["StageList"]


class StageList(Vertical):
    DEFAULT_CSS = """
    StageList { height: auto; margin: 0 0 1 0; }
    StageList > Collapsible { border: none; padding: 0; margin: 0; background: $boost; }
    StageList Collapsible > Contents { padding: 0 1 0 3; height: auto; }
    """

    def __init__(self) -> None:
        super().__init__()
        self._stages: dict[str, Collapsible] = {}

    async def add_stage(self, info: LaneInfo) -> None:
        """A collapsed entry for a lane that is no longer the one on show."""
        stage = Collapsible(
            markdown.document(self.app, info.text or "_(no text)_"),
            title=self._title(info),
            collapsed=True,
        )
        self._stages[info.lane] = stage
        await self.mount(stage)

    def refresh_stage(self, info: LaneInfo) -> None:
        """A lane closed after it was moved here: update its title (and text)."""
        stage = self._stages.get(info.lane)
        if stage is not None:
            stage.title = self._title(info)
            stage.query_one(Markdown).update(info.text or "_(no text)_")

    def _title(self, info: LaneInfo) -> str:
        number = (
            list(self._stages).index(info.lane) + 1
            if info.lane in self._stages
            else (len(self._stages) + 1)
        )
        role = f"{info.role} · " if info.role else ""
        why = f" — {info.error}" if info.error else ""
        return f"{number}. {role}{info.name} · {info.status_line()}{why}"
