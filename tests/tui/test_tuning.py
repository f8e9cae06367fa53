"""The tuning constants keep the relations written next to them (runtime/tuning.py)."""

from __future__ import annotations

from textual.app import App, ComposeResult
from textual.containers import VerticalScroll

from mmchat.api import LaneOpened
from mmchat.tui.runtime import tuning as t
from mmchat.tui.widgets.lane_pane import LanePane
from mmchat.tui.widgets.lanes_grid import LanesGrid
from tests.tui.conftest import wait_for


def test_every_pane_unmounts_its_hidden_blocks_before_the_collection_after_a_turn() -> None:
    last_compaction = t.COMPACT_AFTER + (t.MAX_PANES - 1) * t.COMPACT_STAGGER
    assert last_compaction < t.AFTER_TURN


def test_an_ending_stream_is_never_drawn_later_than_a_streaming_one() -> None:
    assert t.LAST_FLUSH_AFTER < t.FLUSH_EVERY <= t.SLOWEST_FLUSH


def test_typing_holds_are_ordered_and_shorter_than_a_pause_in_typing() -> None:
    assert t.KEY_FRAME < t.HOLD <= t.MAX_HOLD
    assert t.HOLD < t.KEY_QUIET
    assert t.POSTPONE_STEP < t.POSTPONE_AT_MOST < t.IDLE_COLLECT_EVERY


def test_a_pane_keeps_more_lines_than_it_shows() -> None:
    assert t.TAIL_LINES > t.PANE_ROWS


class Grid(App[None]):
    """A fan-out's grid, as wide as MAX_PANES panes of MIN_PANE_WIDTH columns allow:
    four panes to a row, each as narrow as the grid ever makes one."""

    def compose(self) -> ComposeResult:
        grid = LanesGrid()
        grid.styles.width = 4 * t.MIN_PANE_WIDTH
        yield grid


async def test_the_guessed_line_width_fits_the_panes_the_grid_makes() -> None:
    app = Grid()
    async with app.run_test(size=(4 * t.MIN_PANE_WIDTH + 10, 60)) as pilot:
        grid = app.query_one(LanesGrid)
        panes: list[LanePane] = []
        for n in range(t.MAX_PANES):
            opened = LaneOpened(turn="t", lane=f"L{n}", model=f"m{n}", role="answer")
            panes.append(await grid.add_lane(opened))
        pane = panes[0]
        paragraph = "A sentence of streamed text that wraps in a narrow pane. " * 4
        for _ in range(30):
            await pane.write(paragraph + "\n\n", 0.0)
        await wait_for(pilot, lambda: pane.body.hidden_blocks > 0 and not pane.body.pending)
        await pilot.pause()
        assert grid.styles.grid_size_columns == 4
        assert pane.outer_size.height == t.PANE_ROWS
        text_width = pane.body.markdown.content_size.width
        text_rows = pane.query_one(VerticalScroll).size.height  # the "earlier" line shows
        chrome = pane.outer_size.width - text_width  # border, padding, scrollbar gutter
        # The narrowest pane draws no more than CHARS_PER_LINE columns of text: the
        # guess never counts more lines than it shows (it keeps more, never less).
        assert 0 < text_width <= t.CHARS_PER_LINE
        # Wider panes: TAIL_LINES guessed lines still fill the text rows of two panes
        # side by side on a 200-column terminal.
        widest_filled = t.TAIL_LINES * t.CHARS_PER_LINE / text_rows
        two_across = (200 - 1) // 2 - chrome
        assert widest_filled >= two_across, (text_rows, chrome)
