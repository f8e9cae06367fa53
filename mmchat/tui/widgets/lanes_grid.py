"""Fan-out: 2–8 lane panes side by side; the number of columns follows the width."""

from __future__ import annotations

from textual import events
from textual.containers import Grid

from mmchat.api import LaneOpened
from mmchat.tui.runtime.tuning import COMPACT_AFTER, COMPACT_STAGGER, MIN_PANE_WIDTH
from mmchat.tui.widgets.lane_pane import LanePane

__all__ = ["LanesGrid"]


class LanesGrid(Grid):
    DEFAULT_CSS = """
    LanesGrid {
        height: auto;
        grid-size: 2;
        grid-gutter: 0 1;
        /* Rows follow the panes' limits (18 rows while streaming: see LanePane).
           Not switched from a fixed size later: that refreshes every block. */
        grid-rows: auto;
    }
    """

    def __init__(self, *, pickable: bool = True) -> None:
        super().__init__()
        self.pickable = pickable
        self.panes: dict[str, LanePane] = {}
        self.blind = False  # a blind comparison, not revealed yet

    def set_blind(self, blind: bool) -> None:
        """Hide every pane's model (and the panes opened later), or reveal them."""
        self.blind = blind
        for pane in self.panes.values():
            pane.set_blind(blind)

    async def add_lane(self, opened: LaneOpened) -> LanePane:
        pane = LanePane(opened, pickable=self.pickable)
        pane.info.blind = self.blind
        self.panes[opened.lane] = pane
        await self.mount(pane)
        self._fit(self.size.width)
        return pane

    def lane_closed(self) -> None:
        """When every pane is done, let rows and panes shrink to their content."""
        if all(pane.info.closed is not None for pane in self.panes.values()):
            for n, pane in enumerate(self.panes.values()):
                # Unmounting a pane's hidden blocks costs ~30 ms: one pane at a time,
                # so the screen does not stall when eight panes finish together.
                pane.settle(compact_in=COMPACT_AFTER + n * COMPACT_STAGGER)

    def mark_default(self, lane: str | None) -> None:
        """The pane whose answer the conversation goes on with unless the user picks."""
        for name, pane in self.panes.items():
            pane.set_default(name == lane)

    def choose(self, lane: str | None) -> None:
        """The user picked ``lane``: it is marked chosen, and no pane is "default" any more."""
        for name, pane in self.panes.items():
            if lane is not None:
                pane.default = False  # (set_chosen redraws the head)
            pane.set_chosen(name == lane)

    def on_resize(self, event: events.Resize) -> None:
        self._fit(event.size.width)

    def _fit(self, width: int) -> None:
        count = max(1, len(self.panes))
        fits = max(1, (width or 120) // MIN_PANE_WIDTH)
        columns = max(1, min(count, fits, 4))
        if self.styles.grid_size_columns != columns:
            self.styles.grid_size_columns = columns
            self.refresh(layout=True)
