"""One Markdown widget fed by streamed text, paced by a shared clock (no widget here).

Streaming goes through Textual's incremental ``Markdown.append`` (what
``MarkdownStream`` calls), never a full ``update()`` per token. Text is not appended as
it arrives: every pane's pending text is appended on one shared, adaptive tick (12 per
second when the app keeps up, fewer when it is busy), all panes inside one
``batch_update`` — so eight panes change in the same frame and the screen re-lays out
once per tick instead of once per pane (a layout of a busy fan-out costs ~60 ms; with
one ``MarkdownStream`` task per pane the appends landed in separate frames). That is
what keeps the app ahead of fast streams and keystrokes echoing while they run.
When the stream stops nothing is re-rendered: what was streamed is what a one-shot
render would show (``tests/tui/test_lean_markdown.py`` checks this over random
chunkings), and re-rendering a long answer costs as much as streaming it did.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
import weakref
from collections.abc import Callable
from functools import partial
from typing import TYPE_CHECKING

from textual.widgets import Markdown

from mmchat.tui import typing_hold
from mmchat.tui.one_frame import one_frame

if TYPE_CHECKING:
    from textual.app import App
    from textual.timer import Timer

__all__ = ["FLUSH_EVERY", "StreamedMarkdown", "next_interval"]

FLUSH_EVERY = 1 / 12  # seconds between screen updates of streamed text, when idle
SLOWEST_FLUSH = 1.0  # under heavy load, never wait longer than this
# Streams one tick can redraw at the full rate; more streams stretch the interval
# (8 fan-out panes redraw 6x a second), so a frame's work stays bounded.
PANES_PER_FRAME_BUDGET = 4
# Share of a core the app used since the last tick above which it is saturated: the
# network and keystrokes then need that CPU more than another frame does.
BUSY_SHARE = 0.8
# A stream that stops with text pending is flushed this soon (see stop_soon): the
# panes of a fan-out end within milliseconds of each other and share that frame.
LAST_FLUSH_AFTER = 0.03


def next_interval(interval: float, *, late: float, busy: float, fastest: float) -> float:
    """The flush clock's next period: 1.5x longer when the last tick came late or the
    app was saturated (``busy``: share of a core used since the last tick), else
    0.8x, within [fastest, SLOWEST_FLUSH]."""
    if late > interval / 2 or busy > BUSY_SHARE:
        return min(SLOWEST_FLUSH, interval * 1.5)
    return max(fastest, interval * 0.8)


class _Ticker:
    """Flushes every stream with pending text on one adaptive clock.

    Rendering Markdown costs the same CPU the event loop needs for keystrokes and for
    reading the network. When ticks come late (the app is busy rendering) or the
    process used most of a core since the last tick (busy reading eight streams,
    though ticks still come on time), the clock slows down so each flush carries more
    text (appending big pieces is much cheaper than many small ones, and a frame costs
    the same however much text it shows); otherwise it speeds back up.
    """

    def __init__(self) -> None:
        self.waiting: dict[int, StreamedMarkdown] = {}
        self.timer: Timer | None = None
        self.interval = FLUSH_EVERY
        self.due = 0.0
        self.held_since: float | None = None
        self.measured_at = (0.0, 0.0)  # (wall, process CPU) at the last tick
        self.ticking = False  # a tick is appending (it awaits the widgets)
        self.release: asyncio.Event | None = None
        self.task: asyncio.Task[None] | None = None

    def schedule(self, stream: StreamedMarkdown, app: App[object]) -> None:
        self.waiting[id(stream)] = stream
        if self.timer is None:
            self._arm(app)

    def _arm(self, app: App[object], delay: float | None = None) -> None:
        delay = self.interval if delay is None else delay
        self.due = time.monotonic() + delay
        self.timer = app.set_timer(delay, partial(self._start_tick, app), name="md-flush")

    def _start_tick(self, app: App[object]) -> None:
        # In a task of its own: Textual runs a timer's callback in the App's message
        # loop, and a tick awaits its new blocks' mounts (100-250 ms for eight panes),
        # so every key that arrived meanwhile (keys pass through the App) waited.
        self.task = asyncio.create_task(self.tick(app), name="md-flush")
        self.task.add_done_callback(partial(_report_failure, app))

    def draw_now(self) -> None:
        """A frame held for the next key (see _until_next_key_shown) is drawn now."""
        if self.release is not None:
            self.release.set()

    def hurry(self, app: App[object]) -> None:
        """Tick within LAST_FLUSH_AFTER: a stream that stopped waits for it."""
        if self.ticking:
            return  # the tick under way re-arms for the stopped stream when it ends
        if self.timer is not None and self.due - time.monotonic() > LAST_FLUSH_AFTER:
            self.timer.stop()
            self._arm(app, LAST_FLUSH_AFTER)

    async def tick(self, app: App[object]) -> None:
        now = time.monotonic()
        # A stopped stream's last text is not held for typing (a closing pane
        # flushed it at once before stop_soon; the turn is not over until it shows).
        finishing = [stream for stream in self.waiting.values() if stream.stopped]
        held_for = now - (self.held_since or now)
        if not finishing and (wait := typing_hold.hold_left(app, held_for)):
            # The user is typing: keep this frame for the prompt (see typing_hold).
            self.held_since = self.held_since or now
            self.due = now + wait  # a held tick is not a late one
            self.timer = app.set_timer(wait, partial(self._start_tick, app), name="md-flush")
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
        if typing_hold.is_typing(app):
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
                if not finishing and typing_hold.is_typing(app):
                    await self._until_next_key_shown(app)
        finally:
            self.ticking = False
            self.timer = None  # (also after a failure: later text gets a tick)
        if self.waiting:
            last = any(stream.stopped for stream in self.waiting.values())
            self._arm(app, LAST_FLUSH_AFTER if last else None)

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

    async def _until_next_key_shown(self, app: App[object]) -> None:
        """While the user types, this tick's frame is drawn just after the next key
        shows: its layout (100-200 ms for eight panes) then starts when the key after
        that is furthest off. Not later than the end of typing, nor than a stream's end
        (:meth:`draw_now`)."""
        self.release = asyncio.Event()
        typing_hold.on_next_key(app, self.release)
        try:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.release.wait(), typing_hold.typing_left(app))
        finally:
            self.release = None


def _report_failure(app: App[object], task: asyncio.Task[None]) -> None:
    """A tick that failed says so (it ran outside Textual, which would have)."""
    if not task.cancelled() and (error := task.exception()) is not None:
        app.log.error(f"streamed text not drawn: {error!r}")
        app.notify(f"display error: {error}", severity="error")


_tickers: weakref.WeakKeyDictionary[App[object], _Ticker] = weakref.WeakKeyDictionary()


class StreamedMarkdown:
    """``on_flush`` runs after each append of streamed text, in the same frame."""

    def __init__(self, markdown: Markdown, on_flush: Callable[[], None] | None = None) -> None:
        self.markdown = markdown
        self._on_flush = on_flush
        self.parts: list[str] = []
        self._pending: list[str] = []
        self._stopped = False
        # One append at a time: ``Markdown.append`` reads where the last one ended
        # before it awaits, so a flush from ``stop()`` racing the tick's would
        # append the same text twice.
        self._appending = asyncio.Lock()
        self._when_flushed: Callable[[], None] | None = None  # see stop_soon

    @property
    def text(self) -> str:
        return "".join(self.parts)

    @property
    def stopped(self) -> bool:
        """No more text is taken (what is pending still shows)."""
        return self._stopped

    @property
    def pending(self) -> bool:
        """Text has arrived that the widget does not show yet."""
        return bool(self._pending)

    @property
    def appending(self) -> bool:
        """An append is under way (its blocks may still be mounting)."""
        return self._appending.locked()

    async def write(self, chunk: str) -> None:
        if not chunk:
            return
        self.parts.append(chunk)
        if self._stopped:
            return
        if not self._pending and self.markdown.is_attached:
            app = self.markdown.app
            _tickers.setdefault(app, _Ticker()).schedule(self, app)
        self._pending.append(chunk)

    async def flush(self) -> None:
        """Append the text that arrived since the last tick to the Markdown widget."""
        async with self._appending:
            if self._pending and self.markdown.is_attached:
                text = "".join(self._pending)
                self._pending.clear()
                # Shielded like MarkdownStream does: a cancelled caller must not
                # leave a half-mounted block behind.
                await asyncio.shield(self.markdown.append(text))
                if self._on_flush is not None:
                    self._on_flush()
        if self._stopped and self._when_flushed is not None:
            then, self._when_flushed = self._when_flushed, None
            then()

    async def stop(self, final: str | None = None) -> None:
        """Stop streaming; show ``final`` (default: what was streamed) in full."""
        await self.flush()
        self._stopped = True
        self._draw_now()
        if final is not None and final != self.text:  # the store knows better: show that
            self.parts = [final]
            if self.markdown.is_attached:
                await self.markdown.update(final)

    async def stop_soon(self, final: str, then: Callable[[], None]) -> None:
        """``stop(final)`` without waiting for the last append: the shared clock
        makes it within LAST_FLUSH_AFTER, with any other stream's that stops meanwhile,
        and calls ``then`` after it.

        Eight panes closing one after the other, each awaiting its own append (and
        the mount of its new blocks), took ~0.2 s at the end of a fan-out turn.
        """
        if final != self.text or not self.markdown.is_attached:
            await self.stop(final)
            then()
            return
        self._stopped = True
        self._draw_now()
        if self._pending:
            self._when_flushed = then
            app = self.markdown.app
            ticker = _tickers.setdefault(app, _Ticker())
            ticker.schedule(self, app)
            ticker.hurry(app)
        elif self._appending.locked():
            self._when_flushed = then  # the append under way calls it
        else:
            then()

    def _draw_now(self) -> None:
        """A stream's end is not held for typing: nor is a frame that shows it."""
        if self.markdown.is_attached and (ticker := _tickers.get(self.markdown.app)):
            ticker.draw_now()

    async def reset(self) -> None:
        """Start again empty (the pane now shows another lane)."""
        self._when_flushed = None
        self._pending.clear()
        self.parts = []
        self._stopped = False
        if self.markdown.is_attached:
            await self.markdown.update("")
