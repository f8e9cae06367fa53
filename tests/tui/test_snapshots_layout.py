"""Snapshots of the chat's branch switcher and of the narrow layout (see
test_snapshots.py for how they are kept deterministic; ``MMCHAT_WRITE_SCREENSHOTS``
saves the README images too)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from tests.fakeserver import FakeServer
from tests.tui.conftest import build_app, idle, wait_for
from tests.tui.test_snapshots import _turn

POEM = "Roses are red,\nviolets are blue,\nthis answer keeps\nits line breaks too."


def test_branch_switcher_on_a_regenerated_answer(
    fake_server: FakeServer, snap_compare: Any
) -> None:
    fake_server.script("model-a", "The first answer.", POEM)

    async def regenerate(pilot: Any) -> None:
        app = pilot.app
        await pilot.press("ctrl+r")
        await wait_for(pilot, lambda: idle(app)() and app.screen.query("BranchSwitcher"))
        await wait_for(pilot, lambda: "2/2" in str(app.screen.query_one("BranchSwitcher").render()))

    app = build_app(fake_server)
    run = _turn("Write a short poem", "branches.svg", after=regenerate)
    assert snap_compare(app, terminal_size=(100, 20), run_before=run)


def test_narrow_terminal_hides_the_sidebar(
    fake_server: FakeServer, snap_compare: Callable[..., bool]
) -> None:
    fake_server.script("model-a", "A short answer, with the whole width for it.")
    app = build_app(fake_server)
    run = _turn("Hello from a narrow window", "narrow.svg")
    assert snap_compare(app, terminal_size=(60, 20), run_before=run)
