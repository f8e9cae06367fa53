"""The "◀ 2/3 ▶" under a message that has alternatives (a regenerated answer, an edited
question): click an arrow, or focus it and press ←/→ (alt+←/→ from anywhere in the chat
acts on the nearest one, see :mod:`mmchat.tui.branches`)."""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from textual.binding import Binding, BindingType
from textual.content import Content
from textual.message import Message
from textual.widgets import Static

if TYPE_CHECKING:
    from mmchat.history.branches import Siblings

__all__ = ["BranchSwitcher"]


class BranchSwitcher(Static, can_focus=True):
    DEFAULT_CSS = """
    BranchSwitcher { width: auto; height: 1; color: $text-muted; }
    BranchSwitcher:focus { background: $accent 35%; color: $text; text-style: bold; }
    """
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("left", "step(-1)", "Previous branch", show=False),
        Binding("right", "step(1)", "Next branch", show=False),
    ]

    class Chosen(Message):
        """Show the branch that goes through message ``target`` (an alternative)."""

        def __init__(self, switcher: BranchSwitcher, target: int) -> None:
            super().__init__()
            self.switcher = switcher
            self.target = target

    def __init__(self, siblings: Siblings) -> None:
        super().__init__(markup=False)
        self._alternatives = siblings
        self.tooltip = "Other versions of this message (alt+← / alt+→)"

    @property
    def alternatives(self) -> Siblings:
        return self._alternatives

    @alternatives.setter
    def alternatives(self, siblings: Siblings) -> None:
        self._alternatives = siblings
        self.refresh(layout=True)

    def render(self) -> Content:
        alternatives = self._alternatives
        # An arrow that leads somewhere is a link; one at the end is dimmed.
        older = "[@click=older]◀[/]" if alternatives.step(-1) is not None else "[dim]◀[/]"
        newer = "[@click=newer]▶[/]" if alternatives.step(1) is not None else "[dim]▶[/]"
        return Content.from_markup(f"{older} {alternatives.position}/{alternatives.count} {newer}")

    def action_older(self) -> None:
        self.action_step(-1)

    def action_newer(self) -> None:
        self.action_step(1)

    def action_step(self, delta: int) -> None:
        target = self._alternatives.step(delta)
        if target is None:
            self.app.bell()
            return
        self.post_message(self.Chosen(self, target))
