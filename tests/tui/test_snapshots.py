"""Snapshot tests of each strategy view (pytest-textual-snapshot).

Deterministic: fixed terminal size, no delays in the scripted replies, live durations
and rates hidden (``hide_timings``), notifications cleared, no cursor blink.
``MMCHAT_WRITE_SCREENSHOTS=docs/screenshots`` also saves the README images.
"""

from __future__ import annotations

import json
import os
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest

from mmchat.tui.widgets.lane_pane import LanePane
from mmchat.tui.widgets.plan_tree import PlanTree
from tests.fakeserver import FakeServer, Reply
from tests.tui.conftest import build_app, idle, send, wait_for

SIZE = (140, 44)
ANSWER = (
    "Here is an answer with **markdown**:\n\n- a point\n- another point\n\n"
    "```python\ndef add(a, b):\n    return a + b\n```"
)
PLAN = json.dumps(
    [
        {"id": "s1", "title": "collect the facts", "type": "search"},
        {"id": "s2", "title": "compute the total", "type": "math", "depends_on": ["s1"]},
    ]
)


Step = Callable[[Any], Awaitable[None]]
SCREENSHOTS = os.environ.get("MMCHAT_WRITE_SCREENSHOTS")
SCREENSHOT_DIR = str(Path(SCREENSHOTS).resolve()) if SCREENSHOTS else ""


def _turn(prompt: str, screenshot: str | None = None, after: Step | None = None) -> Step:
    async def run_before(pilot: Any) -> None:
        app = pilot.app
        app.chat_screen.prompt.cursor_blink = False
        await send(pilot, prompt)
        await wait_for(pilot, idle(app))
        if after is not None:
            await after(pilot)
        await pilot.pause()
        app.clear_notifications()
        await pilot.pause()
        if SCREENSHOT_DIR and screenshot:
            app.save_screenshot(screenshot, SCREENSHOT_DIR)

    return run_before


@pytest.fixture
def snap(snap_compare: Any) -> Callable[..., bool]:
    def compare(app: Any, run_before: Any) -> bool:
        return bool(snap_compare(app, terminal_size=SIZE, run_before=run_before))

    return compare


def test_single_chat(fake_server: FakeServer, snap: Callable[..., bool]) -> None:
    fake_server.script("model-a", Reply(text=ANSWER, chunk_chars=5))
    app = build_app(fake_server)
    assert snap(app, _turn("How do I add two numbers?", "chat.svg"))


def test_fanout_with_a_failing_lane(fake_server: FakeServer, snap: Callable[..., bool]) -> None:
    fake_server.script("model-a", ANSWER)
    fake_server.script("model-b", "A shorter answer from b, in one paragraph.")
    fake_server.script("model-c", Reply(status=503, error_message="upstream overloaded"))

    async def pick_b(pilot: Any) -> None:
        panes = {p.info.model: p for p in pilot.app.screen.query(LanePane)}
        await pilot.click(panes["b"])

    app = build_app(fake_server, preset="compare")
    assert snap(app, _turn("Compare your answers", "fanout.svg", pick_b))


def test_voting_tally(fake_server: FakeServer, snap: Callable[..., bool]) -> None:
    fake_server.script("model-a", "42")
    fake_server.script("model-b", "42")
    fake_server.script("model-c", "41")
    app = build_app(fake_server, preset="vote")
    assert snap(app, _turn("What is 6 × 7?", "tally.svg"))


def test_ensemble_scores(fake_server: FakeServer, snap: Callable[..., bool]) -> None:
    fake_server.script("model-a", "Paris")
    fake_server.script("model-b", "Paris, France")
    fake_server.script("model-c", "Lyon")
    fake_server.script("model-judge", '{"A": 9, "B": 8, "C": 2}')
    app = build_app(fake_server, preset="ensemble")
    assert snap(app, _turn("Capital of France?"))


def test_router_badge_expanded(fake_server: FakeServer, snap: Callable[..., bool]) -> None:
    fake_server.script("model-judge", "code")
    fake_server.script("model-a", "def f(): pass")

    async def expand(pilot: Any) -> None:
        from mmchat.tui.widgets.route_badge import RouteBadge

        pilot.app.screen.query_one(RouteBadge).collapsed = False

    app = build_app(fake_server, preset="route")
    assert snap(app, _turn("hello there", after=expand))


def test_plan_tree_with_selected_node(fake_server: FakeServer, snap: Callable[..., bool]) -> None:
    fake_server.script("model-judge", PLAN, "**Synthesis**: the total is 42.")
    fake_server.script("model-a", "Step output: 40 + 2.")

    async def select(pilot: Any) -> None:
        tree = pilot.app.screen.query_one(PlanTree)
        tree.plan.select_node(tree._tree_nodes["step:s2"])

    app = build_app(fake_server, preset="plan")
    assert snap(app, _turn("Plan a party budget", "plan.svg", select))


def test_pipeline_stages(fake_server: FakeServer, snap: Callable[..., bool]) -> None:
    fake_server.script("model-a", "a rough draft")
    fake_server.script("model-b", "The refined answer.")
    app = build_app(fake_server, preset="pipeline")
    assert snap(app, _turn("Write a haiku"))


def test_thinking_expanded(fake_server: FakeServer, snap: Callable[..., bool]) -> None:
    thought = "Two numbers: add them. The function should take `a` and `b`."
    fake_server.script("model-a", Reply(text=ANSWER, reasoning=thought, chunk_chars=5))

    async def expand(pilot: Any) -> None:
        from mmchat.tui.widgets.thinking_view import ThinkingView

        pilot.app.screen.query_one(ThinkingView).collapsed = False

    app = build_app(fake_server)
    assert snap(app, _turn("How do I add two numbers?", "thinking.svg", after=expand))
