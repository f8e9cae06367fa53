"""Streamed text into a LeanMarkdown, appended on the app's shared flush clock.

Streaming goes through the incremental ``Markdown.append`` (what ``MarkdownStream``
calls), never a full ``update()`` per token, and not as text arrives: the pending text
of every stream is appended on one tick of the app's flush clock
(:mod:`mmchat.tui.runtime.flush_clock`), so eight panes change in one frame.
When the stream stops nothing is re-rendered: what was streamed is what a one-shot
render would show (``tests/tui/test_lean_markdown.py`` checks this over random
chunkings), and re-rendering a long answer costs as much as streaming it did.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import TYPE_CHECKING

from mmchat.tui.runtime import runtime_of

if TYPE_CHECKING:
    from mmchat.tui.markdown.lean_markdown import LeanMarkdown
    from mmchat.tui.runtime.flush_clock import FlushClock

__all__ = ["LeanStream"]


class LeanStream:
    """``on_flush`` runs after each append of streamed text, in the same frame."""

    def __init__(self, markdown: LeanMarkdown, on_flush: Callable[[], None] | None = None) -> None:
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

    def _clock(self) -> FlushClock:
        return runtime_of(self.markdown.app).clock

    async def write(self, chunk: str) -> None:
        if not chunk:
            return
        self.parts.append(chunk)
        if self._stopped:
            return
        if not self._pending and self.markdown.is_attached:
            self._clock().schedule(self)
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
            clock = self._clock()
            clock.schedule(self)
            clock.hurry()
        elif self._appending.locked():
            self._when_flushed = then  # the append under way calls it
        else:
            then()

    def _draw_now(self) -> None:
        """A stream's end is not held for typing: nor is a frame that shows it."""
        if self.markdown.is_attached:
            self._clock().draw_now()

    async def reset(self) -> None:
        """Start again empty (the pane now shows another lane)."""
        self._when_flushed = None
        self._pending.clear()
        self.parts = []
        self._stopped = False
        if self.markdown.is_attached:
            await self.markdown.update("")

    # -- the tail of a pane (see LeanMarkdown.keep_lines) -------------------------------
    @property
    def hidden_blocks(self) -> int:
        return self.markdown.hidden_blocks

    def trim(self) -> None:
        self.markdown.trim()

    async def compact(self) -> None:
        await self.markdown.compact()

    async def show_all(self) -> None:
        await self.markdown.show_all()
