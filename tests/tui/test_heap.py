"""Full garbage collections wait for the end of a turn (mmchat.tui.runtime.gc_policy)."""

from __future__ import annotations

import gc

import pytest

from mmchat.tui.runtime import gc_policy
from tests.fakeserver import FakeServer, Reply
from tests.tui.conftest import build_app, idle, send, wait_for


async def test_full_collections_run_between_turns_not_during_them(
    fake_server: FakeServer,
) -> None:
    fake_server.script("model-a", Reply(text="hello there " * 40, chunk_chars=6, delay=0.005))
    app = build_app(fake_server)
    app.pause_gc(freeze=True)  # what the mmchat command does
    saved = gc.get_threshold()
    try:
        async with app.run_test() as pilot:
            await wait_for(pilot, lambda: gc.get_threshold()[2] > 10**6)  # start-up done
            assert gc.isenabled() and gc.get_freeze_count() > 0
            full = gc.get_stats()[2]["collections"]
            await send(pilot, "hi")
            await wait_for(pilot, idle(app))
            frozen = gc.get_freeze_count()
            await wait_for(pilot, lambda: gc.get_stats()[2]["collections"] > full)
            assert app.screen.query_one("AssistantMessage").text.startswith("hello there")
            # What survived is frozen, so the next turn's collection walks only newer
            # objects; the idle clock's collection reclaims frozen garbage as well.
            assert gc.get_freeze_count() > frozen
            app.runtime.collector.collect_if_idle()
            assert gc.get_freeze_count() > 0
    finally:
        gc.set_threshold(*saved)
        gc.unfreeze()


@pytest.mark.parametrize(
    ("keys", "gap", "through_the_turn"),
    [(20, 0.1, True), (6, 0.6, False)],
    ids=["typing through the turn's end", "slow typing after it"],
)
async def test_the_collection_after_a_turn_waits_until_the_user_stops_typing(
    fake_server: FakeServer,
    monkeypatch: pytest.MonkeyPatch,
    keys: int,
    gap: float,
    through_the_turn: bool,
) -> None:
    """A full collection after a fan-out stops the app for up to ~0.7 s, and a key
    pressed then waits for all of it: not while keys are coming in, even 0.6 s apart
    (someone typing slowly, or between words). It runs once they stop for KEY_QUIET."""
    monkeypatch.setattr(gc_policy, "AFTER_TURN", 0.2)
    fake_server.script("model-a", "short answer")
    app = build_app(fake_server)
    app.pause_gc(freeze=True)
    saved = gc.get_threshold()
    try:
        async with app.run_test() as pilot:
            await wait_for(pilot, lambda: gc.get_threshold()[2] > 10**6)
            await send(pilot, "hi")
            if not through_the_turn:
                await wait_for(pilot, idle(app))
            full = gc.get_stats()[2]["collections"]
            for _ in range(keys):  # typing the next question, well past AFTER_TURN
                await pilot.press("x")
                await pilot.pause(gap)
            assert idle(app)()  # the turn ended while the user typed...
            assert gc.get_stats()[2]["collections"] == full  # ...and nothing collected
            await wait_for(
                pilot,
                lambda: gc.get_stats()[2]["collections"] > full,
                within=gc_policy.KEY_QUIET + 2 * gc_policy.POSTPONE_STEP + 1,
            )
            assert app.chat_screen is not None
            assert app.chat_screen.prompt.text == "x" * keys
    finally:
        gc.set_threshold(*saved)
        gc.unfreeze()
