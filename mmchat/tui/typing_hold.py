"""Keystrokes first: streamed text waits a moment while the user types.

Drawing eight streaming panes takes most of a frame; a key that arrives meanwhile
waits for it (measured: echo p50 250 ms in tmux during an eight-pane fan-out, 20 ms
with the Markdown switched off). So each key in the prompt holds the streamed-text
flushes for ``HOLD`` seconds; a key then only redraws the prompt. Text is never
dropped, only drawn a little later: never held longer than ``MAX_HOLD`` in a row, and
while typing goes on past that, a few panes are redrawn per frame, in turn, each
frame drawn just after a key has shown (:func:`on_next_key`), when the next key is
furthest off. This module is imported by the prompt before the first frame: keep it
tiny.
"""

from __future__ import annotations

import asyncio
import time
import weakref
from typing import Any

__all__ = [
    "HOLD",
    "KEY_FRAME",
    "MAX_HOLD",
    "hold_left",
    "is_typing",
    "key_shown",
    "on_next_key",
    "since_key",
    "typed",
    "typing_left",
]

HOLD = 0.25  # seconds of quiet after a key before streamed text is drawn again
MAX_HOLD = 1.0  # while typing non-stop, still draw streamed text this often
# Even then, no streamed text is drawn this soon after a key: the key's own frame goes
# out first (with streamed text in it, that frame also lays out the answer: +50-150 ms).
KEY_FRAME = 0.05

_typed_at: weakref.WeakKeyDictionary[Any, float] = weakref.WeakKeyDictionary()
_key_waiters: weakref.WeakKeyDictionary[Any, asyncio.Event] = weakref.WeakKeyDictionary()


def typed(app: Any) -> None:
    """A key reached the prompt of ``app``."""
    _typed_at[app] = time.monotonic()


def since_key(app: Any) -> float:
    """Seconds since a key last reached the prompt of ``app`` (inf: never)."""
    return time.monotonic() - _typed_at.get(app, float("-inf"))


def is_typing(app: Any) -> bool:
    """Did a key reach the prompt less than ``HOLD`` seconds ago?"""
    return since_key(app) < HOLD


def typing_left(app: Any) -> float:
    """Seconds until ``app``'s user counts as no longer typing, without another key."""
    return max(0.0, HOLD - since_key(app))


def hold_left(app: Any, held_for: float) -> float:
    """Seconds streamed text should still wait, given it has waited ``held_for``:
    up to HOLD after a key (MAX_HOLD in a row at most), and never less than what is
    left of KEY_FRAME."""
    quiet = since_key(app)
    key_frame = max(0.0, KEY_FRAME - quiet)
    if quiet >= HOLD or held_for >= MAX_HOLD:
        return key_frame
    return max(key_frame, min(HOLD - quiet, MAX_HOLD - held_for))


def key_shown(app: Any) -> None:
    """A key's change to the prompt of ``app`` is on the screen."""
    waiter = _key_waiters.pop(app, None)
    if waiter is not None:
        waiter.set()


def on_next_key(app: Any, event: asyncio.Event) -> None:
    """Set ``event`` when the next key's change to the prompt of ``app`` is on screen."""
    _key_waiters[app] = event
