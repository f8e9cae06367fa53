"""The Leaderboard screen from the palette: a pick in the app ranks its model first;
``p`` counts picks only; a hostile model name is shown as text, not obeyed."""

from __future__ import annotations

from textual.widgets import DataTable, Static

from mmchat.tui.screens.leaderboard import LeaderboardScreen
from mmchat.tui.widgets.assistant_message import AssistantMessage
from mmchat.tui.widgets.lane_pane import LanePane
from tests.fakeserver import FakeServer
from tests.tui.conftest import build_app, idle, send, wait_for

HOSTILE = "[b]bold[/b]\x1b]52;c;cHduZWQ=\x07"


def cells(table: DataTable[object], row: int) -> list[str]:
    return [str(cell) for cell in table.get_row_at(row)]


async def test_leaderboard_ranks_the_picked_model(fake_server: FakeServer) -> None:
    app = build_app(fake_server, preset="compare")
    async with app.run_test(size=(140, 44)) as pilot:
        chat = app.chat_screen
        assert chat is not None and app.store is not None
        for turn in range(2):
            for alias in "abc":
                fake_server.script(f"model-{alias}", f"turn {turn} from {alias}")
            await send(pilot, f"question {turn}")
            await wait_for(pilot, lambda n=turn: idle(app)() and len(chat.controller.records) > n)
        first, second = app.screen.query(AssistantMessage)
        await wait_for(pilot, lambda: second.status == "complete")
        pane = next(p for p in first.query(LanePane) if p.info.model == "c")
        pane.scroll_visible(animate=False)
        await pilot.pause()
        await pilot.click(pane)
        await wait_for(pilot, lambda: first.chosen_lane == pane.lane)
        # an outcome kept, with a model name a hostile config or import could hold
        assert second.message_id is not None
        app.store.replace_comparisons(second.message_id, [(HOSTILE, "a")], "kept")

        await pilot.press("ctrl+p")
        await pilot.pause()
        await pilot.press(*"leaderboard")
        await pilot.pause(0.3)
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, LeaderboardScreen))
        screen = app.screen
        assert isinstance(screen, LeaderboardScreen)
        table = screen.query_one(DataTable)
        await wait_for(pilot, lambda: table.row_count == 4)
        rows = [cells(table, i) for i in range(4)]
        assert rows[0][:2] == ["1", "c"]
        assert rows[0][0] == "1" and rows[0][4:] == ["2", "2"]  # compared with a and b, won
        shown = next(r for r in rows if "bold" in r[1])
        assert shown[1] == "[b]bold[/b]^[]52;c;cHduZWQ=^G"  # as text: no markup, no escape
        assert "1000 is the average" in str(screen.query_one("#lb-note", Static).render())

        await pilot.press("p")  # picks only: the kept outcome is not counted
        await wait_for(pilot, lambda: table.row_count == 3)
        names = [cells(table, i)[1] for i in range(3)]
        assert names[0] == "c" and sorted(names) == ["a", "b", "c"]
        assert "picks only" in str(screen.query_one("#lb-title", Static).render())

        await pilot.press("escape")
        await wait_for(pilot, lambda: app.screen is chat)
