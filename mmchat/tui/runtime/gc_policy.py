"""When the cyclic garbage collector may pause the app.

Start-up allocates tens of thousands of objects that all live on (widgets, styles,
modules); every collection meanwhile walks them again (~50-100 ms before the first
frame), so the collector is paused until the deferred loading is done. Reference
counting still frees everything else.

While answers stream, Textual allocates many containers that outlive a young
collection (strips with their caches, segments, styles), and CPython's full
collections walked all of them: 100-440 ms each, several times per eight-pane turn,
with keystrokes waiting behind every one. So the ``mmchat`` command (one app per
process) also freezes what exists after start-up (:func:`gc.freeze`), keeps the
young collections as they are and runs the full ones itself: shortly after a turn
ends (freezing what survives, so each walks one turn's objects), and on a slow clock
while nothing streams (a whole-heap pass that reclaims frozen garbage too). A
collection that falls due while the user types waits for a pause in the typing:
``KEY_QUIET`` without a key, longer than the gaps between words, since a key pressed
during the collection waits for all of it. One per app (``app.runtime.collector``);
the timings are in :mod:`mmchat.tui.runtime.tuning`. Public ``gc`` API only: both
Markdown modes use it.
"""

from __future__ import annotations

import gc
from collections.abc import Callable
from functools import partial
from typing import Protocol

from mmchat.tui.runtime.tuning import (
    AFTER_TURN,
    IDLE_COLLECT_EVERY,
    KEY_QUIET,
    POSTPONE_AT_MOST,
    POSTPONE_STEP,
)

__all__ = ["Collector"]

_NEVER = 1_000_000_000  # young collections before an automatic full one: never


class _Timers(Protocol):  # the App: the collector runs on its clock
    def set_timer(self, delay: float, callback: Callable[[], object]) -> object: ...
    def set_interval(self, interval: float, callback: Callable[[], object]) -> object: ...


class Collector:
    """The app's garbage-collector policy (see the module docstring).

    ``busy``: an answer is streaming (no full collection then); ``since_key``: seconds
    since the user's last key (a full collection waits for KEY_QUIET of them).
    """

    def __init__(
        self, timers: _Timers, *, busy: Callable[[], bool], since_key: Callable[[], float]
    ) -> None:
        self._timers = timers
        self._busy = busy
        self._since_key = since_key
        self._paused = False  # paused by us: turn it back on after start-up
        self._freeze = False
        self.full_by_us = False  # full collections are ours to run (between turns)

    def pause(self, *, freeze: bool = False) -> None:
        """Pause collections until :meth:`resume`; ``freeze``: then freeze the heap."""
        if gc.isenabled():
            gc.disable()
            self._paused = True
        self._freeze = self._freeze or freeze

    def resume(self) -> None:
        """Turn collections back on (again: a no-op); once full ones become ours,
        run them on the idle clock."""
        if not self._paused:
            return
        self._paused = False
        if self._freeze:
            gc.freeze()
            young, middle, _ = gc.get_threshold()
            gc.set_threshold(young, middle, _NEVER)
            self.full_by_us = True
            self._timers.set_interval(IDLE_COLLECT_EVERY, self.collect_if_idle)
        gc.enable()

    def after_turn(self) -> None:
        """A turn is over: collect what it left once its last frame is out."""
        if self.full_by_us:
            self._timers.set_timer(AFTER_TURN, partial(self.collect_if_idle, reclaim_frozen=False))

    def collect_if_idle(self, *, reclaim_frozen: bool = True, waited: float = 0.0) -> None:
        """A full collection now, unless an answer is streaming; while the user types,
        at the next pause (it stops the app for up to ~0.5 s after a fan-out)."""
        if self._busy():
            return
        if self._since_key() < KEY_QUIET and waited < POSTPONE_AT_MOST:
            retry = partial(
                self.collect_if_idle, reclaim_frozen=reclaim_frozen, waited=waited + POSTPONE_STEP
            )
            self._timers.set_timer(POSTPONE_STEP, retry)
            return
        self.collect(reclaim_frozen=reclaim_frozen)

    def collect(self, *, reclaim_frozen: bool = False) -> None:
        """One full collection (what CPython would have done at some random moment),
        then freeze what survived: the next one walks only what is newer, so the
        collection after an eight-pane turn walks that turn's objects, not every
        earlier turn's again (0.75 s measured without). ``reclaim_frozen`` (the idle
        clock) first unfreezes, so cycles among frozen objects (a conversation the
        user closed) are reclaimed too."""
        if self.full_by_us:
            if reclaim_frozen:
                gc.unfreeze()
            gc.collect()
            gc.freeze()
