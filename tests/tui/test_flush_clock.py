"""The shared flush clock slows down when the app is saturated and speeds back up."""

from __future__ import annotations

from mmchat.tui.widgets.streamed_markdown import SLOWEST_FLUSH, next_interval

FASTEST = 1 / 6  # eight streams


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
