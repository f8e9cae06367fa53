"""The shared flush clock slows down when the app is saturated and speeds back up."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from mmchat.tui.runtime import runtime_of
from mmchat.tui.runtime.flush_clock import next_interval
from mmchat.tui.runtime.tuning import SLOWEST_FLUSH

if TYPE_CHECKING:
    from textual.app import App
    from textual.pilot import Pilot

    from mmchat.tui.markdown.lean_stream import LeanStream

FASTEST = 1 / 6  # eight streams


async def _two_streams_begun(pilot: Pilot[None]) -> tuple[LeanStream, LeanStream]:
    """Streams into the app's documents #one and #two, each shown with a first piece."""
    from mmchat.tui.markdown.lean_markdown import LeanMarkdown
    from mmchat.tui.markdown.lean_stream import LeanStream

    one = LeanStream(pilot.app.query_one("#one", LeanMarkdown))
    two = LeanStream(pilot.app.query_one("#two", LeanMarkdown))
    await one.write("first answer, ")
    await two.write("second answer, ")
    await pilot.pause(0.3)  # the clock has shown the beginnings
    assert "first answer" in one.markdown.source and "second answer" in two.markdown.source
    return one, two


def _two_documents() -> App[None]:
    from textual.app import App, ComposeResult

    from mmchat.tui.markdown.lean_markdown import LeanMarkdown

    class Two(App[None]):
        def compose(self) -> ComposeResult:
            yield LeanMarkdown(id="one")
            yield LeanMarkdown(id="two")

    return Two()


def test_clock_slows_when_ticks_come_late() -> None:
    assert next_interval(0.2, late=0.15, busy=0.3, fastest=FASTEST) > 0.2


def test_clock_slows_when_the_process_is_saturated_though_ticks_are_on_time() -> None:
    # Eight streams being read take most of a core: fewer frames leave it to them.
    assert next_interval(0.2, late=0.0, busy=0.95, fastest=FASTEST) > 0.2


def test_clock_speeds_up_to_the_fastest_rate_when_idle() -> None:
    interval = SLOWEST_FLUSH
    for _ in range(30):
        interval = next_interval(interval, late=0.0, busy=0.2, fastest=FASTEST)
    assert interval == FASTEST


def test_clock_never_waits_longer_than_the_slowest_flush() -> None:
    interval = FASTEST
    for _ in range(30):
        interval = next_interval(interval, late=5.0, busy=1.0, fastest=FASTEST)
    assert interval == SLOWEST_FLUSH


async def test_a_stopped_streams_last_text_shows_at_once_even_while_the_user_types() -> None:
    """Typing holds streamed text back (typing_hold), but not the end of an answer:
    a stream that stops hands its last text to the clock, which appends it within
    LAST_FLUSH_AFTER (with any other stream stopping then), then says so."""
    import time

    from mmchat.tui.runtime.tuning import LAST_FLUSH_AFTER

    app = _two_documents()
    async with app.run_test() as pilot:
        one, two = await _two_streams_begun(pilot)
        for stream, end in ((one, "the end of one."), (two, "the end of two.")):
            await stream.write(end)
        typing = runtime_of(app).typing
        typing.typed()  # the user types: streamed text would now wait
        assert typing.is_typing()
        assert one.pending and two.pending
        flushed: list[str] = []
        started = time.monotonic()
        await one.stop_soon(one.text, then=lambda: flushed.append("one"))
        await two.stop_soon(two.text, then=lambda: flushed.append("two"))
        assert one.stopped and one.pending  # not appended by stop_soon itself
        while len(flushed) < 2 and time.monotonic() - started < 2:
            typing.typed()  # still typing
            await pilot.pause(0.01)
        took = time.monotonic() - started
        assert sorted(flushed) == ["one", "two"]
        assert took < LAST_FLUSH_AFTER + 0.2  # not held for typing (HOLD is 0.25 s, up to 1 s)
        assert one.markdown.source == "first answer, the end of one."
        assert two.markdown.source == "second answer, the end of two."
        assert not one.pending and not two.pending
        await one.write(" more")  # a stopped stream shows no more text
        await pilot.pause(0.2)
        assert not one.pending and one.markdown.source.endswith("the end of one.")


async def test_a_flush_that_fails_says_so_and_the_app_runs_on(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Ticks run in a task of their own (keys must not wait for them), outside
    Textual's error handling: a failure is shown as a notification, as a view error is."""
    from textual.app import App, ComposeResult

    from mmchat.tui.markdown.lean_markdown import LeanMarkdown
    from mmchat.tui.markdown.lean_stream import LeanStream

    class One(App[None]):
        def compose(self) -> ComposeResult:
            yield LeanMarkdown(id="one")

    app = One()
    notes: list[str] = []
    async with app.run_test() as pilot:
        markdown = app.query_one("#one", LeanMarkdown)

        working_append = markdown.append

        async def broken_append(text: str) -> None:
            raise RuntimeError("the parser broke")

        monkeypatch.setattr(markdown, "append", broken_append)
        monkeypatch.setattr(app, "notify", lambda message, **_: notes.append(message))
        stream = LeanStream(markdown)
        await stream.write("some text")
        for _ in range(100):
            if notes:
                break
            await pilot.pause(0.02)
        assert notes == ["display error: the parser broke"]
        assert stream.text == "some text"  # what arrived is kept
        monkeypatch.setattr(markdown, "append", working_append)
        await stream.write(" and more")  # the clock still runs
        for _ in range(100):
            if "and more" in markdown.source:
                break
            await pilot.pause(0.02)
        assert markdown.source == " and more"
        assert app.is_running


async def test_streams_that_stop_while_a_flush_mounts_end_in_its_frame(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A fan-out's lanes close over 50-200 ms. One that closes while the last tick's
    appends are still mounting has its last text drawn in that tick's frame, not in a
    frame (a mount and a layout) of its own after it."""
    import asyncio

    from textual.screen import Screen

    app = _two_documents()
    async with app.run_test() as pilot:
        one, two = await _two_streams_begun(pilot)

        frames: list[tuple[bool, bool]] = []  # (one's end shown, two's end shown)
        lay_out = Screen._refresh_layout

        def record(screen: Screen[object], *args: object, **kwargs: object) -> None:
            lay_out(screen, *args, **kwargs)  # type: ignore[arg-type]
            ends = (
                "the end of one." in one.markdown.source,
                "the end of two." in two.markdown.source,
            )
            frames.append(ends)

        monkeypatch.setattr(Screen, "_refresh_layout", record)
        mounting = asyncio.Event()
        mounted = asyncio.Event()
        append_one = one.markdown.append

        async def slow_append(text: str) -> None:
            mounting.set()
            await mounted.wait()  # new blocks still mounting
            await append_one(text)

        monkeypatch.setattr(one.markdown, "append", slow_append)
        ended: list[str] = []
        await one.write("the end of one.")
        await one.stop_soon(one.text, then=lambda: ended.append("one"))
        await asyncio.wait_for(mounting.wait(), 2)  # the clock is appending one's end
        await two.write("the end of two.")
        await two.stop_soon(two.text, then=lambda: ended.append("two"))
        mounted.set()
        for _ in range(100):
            if len(ended) == 2 and not (one.appending or two.appending):
                break
            await pilot.pause(0.02)
        await pilot.pause()
        assert sorted(ended) == ["one", "two"]
        assert two.markdown.source == "second answer, the end of two."
        assert (True, False) not in frames  # never one's end without two's
        assert (True, True) in frames
