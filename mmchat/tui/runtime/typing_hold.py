"""Keystrokes first: streamed text waits a moment while the user types.

Drawing eight streaming panes takes most of a frame; a key that arrives meanwhile
waits for it (measured: echo p50 250 ms in tmux during an eight-pane fan-out, 20 ms
with the Markdown switched off). So each key in the prompt holds the streamed-text
flushes for ``HOLD`` seconds; a key then only redraws the prompt. Text is never
dropped, only drawn a little later: never held longer than ``MAX_HOLD`` in a row, and
while typing goes on past that, a few panes are redrawn per frame, in turn, each
frame drawn just after a key has shown (:meth:`TypingHold.on_next_key`), when the next
key is furthest off. One per app (``app.runtime.typing``). Imported before the first
frame: keep it tiny.
"""

from __future__ import annotations

import asyncio
import time

from mmchat.tui.runtime.tuning import HOLD, KEY_FRAME, MAX_HOLD

__all__ = ["TypingHold"]


class TypingHold:
    """When the user last typed into the prompt, and who waits for the next key."""

    def __init__(self) -> None:
        self._typed_at = float("-inf")
        self._key_waiter: asyncio.Event | None = None

    def typed(self) -> None:
        """A key reached the prompt."""
        self._typed_at = time.monotonic()

    def since_key(self) -> float:
        """Seconds since a key last reached the prompt (inf: never)."""
        return time.monotonic() - self._typed_at

    def is_typing(self) -> bool:
        """Did a key reach the prompt less than ``HOLD`` seconds ago?"""
        return self.since_key() < HOLD

    def typing_left(self) -> float:
        """Seconds until the user counts as no longer typing, without another key."""
        return max(0.0, HOLD - self.since_key())

    def hold_left(self, held_for: float) -> float:
        """Seconds streamed text should still wait, given it has waited ``held_for``:
        up to HOLD after a key (MAX_HOLD in a row at most), and never less than what
        is left of KEY_FRAME."""
        quiet = self.since_key()
        key_frame = max(0.0, KEY_FRAME - quiet)
        if quiet >= HOLD or held_for >= MAX_HOLD:
            return key_frame
        return max(key_frame, min(HOLD - quiet, MAX_HOLD - held_for))

    def key_shown(self) -> None:
        """A key's change to the prompt is on the screen."""
        waiter, self._key_waiter = self._key_waiter, None
        if waiter is not None:
            waiter.set()

    def on_next_key(self, event: asyncio.Event) -> None:
        """Set ``event`` when the next key's change to the prompt is on screen."""
        self._key_waiter = event
