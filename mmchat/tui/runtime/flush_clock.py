"""The shared, adaptive clock on which every stream's pending text is appended.

Text is not appended as it arrives: every pane's pending text is appended on one
tick (12 per second when the app keeps up, fewer when it is busy), all panes inside
one ``batch_update`` — so eight panes change in the same frame and the screen
re-lays out once per tick instead of once per pane (a layout of a busy fan-out costs
~60 ms; with one ``MarkdownStream`` task per pane the appends landed in separate
frames). That is what keeps the app ahead of fast streams and keystrokes echoing
while they run. One per app (``app.runtime.clock``), built on the first streamed
text; the streams are :class:`mmchat.tui.markdown.lean_stream.LeanStream`.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from functools import partial
from typing import TYPE_CHECKING, Any, Protocol

from mmchat.tui.runtime.one_frame import one_frame
from mmchat.tui.runtime.tuning import (
    BUSY_SHARE,
    FLUSH_EVERY,
    LAST_FLUSH_AFTER,
    PANES_PER_FRAME_BUDGET,
    SLOWEST_FLUSH,
)

if TYPE_CHECKING:
    from textual.app import App
    from textual.timer import Timer

    from mmchat.tui.runtime.typing_hold import TypingHold

__all__ = ["ClockedStream", "FlushClock", "next_interval"]


class ClockedStream(Protocol):
    @property
    def stopped(self) -> bool:
        """No more text will come: its last text is not held for typing."""
        ...

    async def flush(self) -> None:
        """Append the text that arrived since the last tick."""
        ...


def next_interval(interval: float, *, late: float, busy: float, fastest: float) -> float:
    """The flush clock's next period: 1.5x longer when the last tick came late or the
    app was saturated (``busy``: share of a core used since the last tick), else
    0.8x, within [fastest, SLOWEST_FLUSH]."""
    if late > interval / 2 or busy > BUSY_SHARE:
        return min(SLOWEST_FLUSH, interval * 1.5)
    return max(fastest, interval * 0.8)


class FlushClock:
    """Flushes every stream with pending text on one adaptive clock.

    Rendering Markdown costs the same CPU the event loop needs for keystrokes and for
    reading the network. When ticks come late (the app is busy rendering) or the
    process used most of a core since the last tick (busy reading eight streams,
    though ticks still come on time), the clock slows down so each flush carries more
    text (appending big pieces is much cheaper than many small ones, and a frame costs
    the same however much text it shows); otherwise it speeds back up. While the user
    types, ticks wait for the keys (see :mod:`mmchat.tui.runtime.typing_hold`).
    """

    def __init__(self, app: App[Any], typing: TypingHold) -> None:
        self._app = app
        self._typing = typing
        self.waiting: dict[int, ClockedStream] = {}
        self.timer: Timer | None = None
        self.interval = FLUSH_EVERY
        self.due = 0.0
        self.held_since: float | None = None
        self.measured_at = (0.0, 0.0)  # (wall, process CPU) at the last tick
        self.ticking = False  # a tick is appending (it awaits the widgets)
        self.release: asyncio.Event | None = None
        self.task: asyncio.Task[None] | None = None

    def schedule(self, stream: ClockedStream) -> None:
        """``stream`` has pending text: flush it on the next tick."""
        self.waiting[id(stream)] = stream
        if self.timer is None:
            self._arm()

    def _arm(self, delay: float | None = None) -> None:
        delay = self.interval if delay is None else delay
        self.due = time.monotonic() + delay
        self.timer = self._app.set_timer(delay, self._start_tick, name="md-flush")

    def _start_tick(self) -> None:
        # In a task of its own: Textual runs a timer's callback in the App's message
        # loop, and a tick awaits its new blocks' mounts (100-250 ms for eight panes),
        # so every key that arrived meanwhile (keys pass through the App) waited.
        self.task = asyncio.create_task(self.tick(), name="md-flush")
        self.task.add_done_callback(partial(_report_failure, self._app))

    def draw_now(self) -> None:
        """A frame held for the next key (see _until_next_key_shown) is drawn now."""
        if self.release is not None:
            self.release.set()

    def hurry(self) -> None:
        """Tick within LAST_FLUSH_AFTER: a stream that stopped waits for it."""
        if self.ticking:
            return  # the tick under way re-arms for the stopped stream when it ends
        if self.timer is not None and self.due - time.monotonic() > LAST_FLUSH_AFTER:
            self.timer.stop()
            self._arm(LAST_FLUSH_AFTER)

    async def tick(self) -> None:
        app, typing = self._app, self._typing
        now = time.monotonic()
        # A stopped stream's last text is not held for typing (a closing pane
        # flushed it at once before stop_soon; the turn is not over until it shows).
        finishing = [stream for stream in self.waiting.values() if stream.stopped]
        held_for = now - (self.held_since or now)
        if not finishing and (wait := typing.hold_left(held_for)):
            # The user is typing: keep this frame for the prompt (see typing_hold).
            self.held_since = self.held_since or now
            self.due = now + wait  # a held tick is not a late one
            self.timer = app.set_timer(wait, self._start_tick, name="md-flush")
            return
        late = now - self.due
        cpu = time.process_time()
        wall_then, cpu_then = self.measured_at
        busy = (cpu - cpu_then) / max(now - wall_then, 1e-3)
        self.measured_at = (now, cpu)
        streams = list(self.waiting.values())
        if len(streams) <= PANES_PER_FRAME_BUDGET:
            busy = 0.0  # a few panes' frames are cheap: a single answer keeps 12 Hz
        fastest = FLUSH_EVERY * max(1.0, len(streams) / PANES_PER_FRAME_BUDGET)
        self.interval = next_interval(self.interval, late=late, busy=busy, fastest=fastest)
        if typing.is_typing():
            # Still typing after MAX_HOLD: redraw a few panes per frame, longest
            # waiting first (a flushed stream rejoins at the end when it has more).
            rest = [stream for stream in streams if not stream.stopped]
            streams = finishing + rest[:PANES_PER_FRAME_BUDGET]
        else:
            self.held_since = None
        for stream in streams:
            del self.waiting[id(stream)]
        self.ticking = True
        try:
            with one_frame(app):  # one layout and one frame for all of them
                await asyncio.gather(*(stream.flush() for stream in streams))
                await self._flush_stopped_meanwhile()
                if not finishing and typing.is_typing():
                    await self._until_next_key_shown()
        finally:
            self.ticking = False
            self.timer = None  # (also after a failure: later text gets a tick)
        if self.waiting:
            last = any(stream.stopped for stream in self.waiting.values())
            self._arm(LAST_FLUSH_AFTER if last else None)

    async def _flush_stopped_meanwhile(self) -> None:
        """Streams that stopped while this tick's appends mounted show their last text
        in its frame too. A fan-out's lanes close over 50-200 ms (the app reads behind
        the server while it draws), so the first tick after a close caught about half
        of them, and a second tick for the rest (often a few dozen characters) cost
        another mount and layout (130-250 ms) at the very end of the turn."""
        while stopped := [stream for stream in self.waiting.values() if stream.stopped]:
            for stream in stopped:
                del self.waiting[id(stream)]
            await asyncio.gather(*(stream.flush() for stream in stopped))

    async def _until_next_key_shown(self) -> None:
        """While the user types, this tick's frame is drawn just after the next key
        shows: its layout (100-200 ms for eight panes) then starts when the key after
        that is furthest off. Not later than the end of typing, nor than a stream's end
        (:meth:`draw_now`)."""
        self.release = asyncio.Event()
        self._typing.on_next_key(self.release)
        try:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.release.wait(), self._typing.typing_left())
        finally:
            self.release = None


def _report_failure(app: App[Any], task: asyncio.Task[None]) -> None:
    """A tick that failed says so (it ran outside Textual, which would have)."""
    if not task.cancelled() and (error := task.exception()) is not None:
        app.log.error(f"streamed text not drawn: {error!r}")
        app.notify(f"display error: {error}", severity="error")
