"""The Eval screen: stored `mmchat eval` runs in a table, and the two plots."""

from __future__ import annotations

import json
from typing import Any

from textual.widgets import DataTable

from mmchat import paths
from mmchat.eval.dataset import Dataset, parse_dataset
from mmchat.eval.runner import EvalRunner
from mmchat.history.store import Store
from tests.fakeserver import FakeServer, Reply
from tests.harness import make_engine, user_text
from tests.tui.conftest import PRESETS, PRICED, build_app, wait_for


def sums(count: int, name: str) -> Dataset:
    lines = [
        {"id": f"s{n}", "prompt": f"What is {n} + 1?", "answer": str(n + 1), "check": "number"}
        for n in range(1, count + 1)
    ]
    return parse_dataset("\n".join(json.dumps(line) for line in lines).encode(), name)


def model(wrong_from: int) -> Any:
    """Right up to item ``wrong_from - 1``, then wrong; 100 + 10 tokens each."""

    def reply(body: dict[str, Any]) -> Reply:
        n = int(user_text(body).split()[2])
        text = str(n + 1) if n < wrong_from else "0"
        return Reply(text=text, prompt_tokens=100, completion_tokens=10)

    return reply


async def store_two_datasets(server: FakeServer) -> None:
    """Real eval runs through the runner: single and vote on one set, single on another."""
    server.script_fn("model-a", model(wrong_from=4))  # 3 of 4 right
    server.script_fn("model-b", model(wrong_from=3))
    server.script_fn("model-c", model(wrong_from=5))
    with Store.open(paths.db_file()) as store:
        for dataset, presets in ((sums(4, "sums.jsonl"), ["single", "vote"]),
                                 (sums(2, "short.jsonl"), ["single"])):  # fmt: skip
            engine = make_engine(server, PRESETS, models=PRICED)
            await EvalRunner(engine, store, dataset, presets).run()
            await engine.aclose()


def cells(table: DataTable[Any], row: int) -> list[str]:
    return [str(cell) for cell in table.get_row_at(row)]


async def test_eval_screen_from_the_palette(fake_server: FakeServer) -> None:
    from textual_plotext import PlotextPlot

    from mmchat.tui.screens.eval import EvalScreen

    await store_two_datasets(fake_server)
    app = build_app(fake_server)
    async with app.run_test(size=(140, 44)) as pilot:
        await pilot.pause()
        await pilot.press("ctrl+p")
        await pilot.pause()
        await pilot.press(*"eval results")
        await pilot.pause(0.3)
        await pilot.press("enter")
        await wait_for(
            pilot, lambda: isinstance(app.screen, EvalScreen) and bool(app.screen.query(DataTable))
        )
        screen = app.screen
        table = screen.query_one(DataTable)
        await wait_for(pilot, lambda: table.row_count == 3)
        rows = {(r[0], r[1]): r for r in (cells(table, i) for i in range(3))}
        assert set(rows) == {("short.jsonl", "single"), ("sums.jsonl", "single"),
                             ("sums.jsonl", "vote")}  # fmt: skip
        single = rows[("sums.jsonl", "single")]
        assert single[2:9] == ["4/4", "75 % (30–95 %)", "110", "$0.0005", single[6], single[7], "0"]
        vote = rows[("sums.jsonl", "vote")]
        assert vote[5] == "unknown"  # b and c have no price
        # Item 3: a and c outvote b; item 4: a and b outvote c.
        assert vote[3].startswith("75 %")

        # The plots show the highlighted run's dataset: the newest run first.
        cost = screen.query_one("#eval-cost", PlotextPlot)
        latency = screen.query_one("#eval-latency", PlotextPlot)
        first = cells(table, 0)[0]
        assert screen.plotted == table_dataset_hash(screen, 0)
        assert f"{first}: accuracy vs cost" in str(cost.render())
        # Move to a run of the other dataset: the plots follow.
        other = next(i for i in range(3) if cells(table, i)[0] != first)
        table.move_cursor(row=other)
        await pilot.pause()
        assert screen.plotted == table_dataset_hash(screen, other)
        second = cells(table, other)[0]
        assert f"{second}: accuracy vs cost" in str(cost.render())
        assert f"{second}: accuracy vs latency" in str(latency.render())
        # On sums.jsonl the vote's cost is unknown: it cannot be placed on the cost axis.
        sums_row = next(i for i in range(3) if cells(table, i)[0] == "sums.jsonl")
        table.move_cursor(row=sums_row)
        await pilot.pause()
        drawn = str(cost.render())
        assert "sums.jsonl: accuracy vs cost (1 not shown: unknown)" in drawn
        assert "single" in drawn and "cost per item (USD)" in drawn
        assert "vote" in str(latency.render())  # both runs have latencies
        await pilot.press("escape")
        await pilot.pause()
        assert not isinstance(app.screen, EvalScreen)


def table_dataset_hash(screen: Any, row: int) -> str:
    table = screen.query_one(DataTable)
    key = table.coordinate_to_cell_key((row, 0)).row_key.value
    return str(screen.runs[key].run.dataset_hash)


async def test_eval_screen_without_runs_says_how_to_make_one(fake_server: FakeServer) -> None:
    from textual.widgets import Static

    from mmchat.tui.screens.eval import EMPTY, EvalScreen

    app = build_app(fake_server)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        await app.push_screen(EvalScreen(app.store))
        note = app.screen.query_one("#eval-note", Static)
        await wait_for(pilot, lambda: str(note.render()) == EMPTY)
        assert app.screen.query_one(DataTable).row_count == 0
