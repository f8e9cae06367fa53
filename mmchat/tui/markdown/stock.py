"""Stock mode: Textual's own ``Markdown`` fed by Textual's own ``MarkdownStream``.

Public Textual API only, so it keeps working after a Textual upgrade that breaks the
lean code. Everything is shown (no tail), each stream runs its own append task
(``Markdown.get_stream``), and nothing of the runtime's speed machinery is involved:
correct everywhere, slower with long answers and many panes.

One thing is not as upstream: when a stream stops, the whole text is rendered once
more. ``MarkdownStream.stop`` cancels its task, and when an append is still mounting
blocks at that moment, the text that arrived meanwhile is appended from where the
earlier append started (``Markdown.append`` reads that before it awaits): its blocks
could appear twice. One render from the final text cannot be wrong.
"""

from __future__ import annotations

from collections.abc import Callable

from textual.widgets import Markdown
from textual.widgets.markdown import MarkdownStream

from mmchat.tui.markdown.parser import chat_parser

__all__ = ["StockStream", "stock_document", "stock_streamed"]


def stock_document(markdown: str = "", *, classes: str | None = None) -> Markdown:
    return Markdown(markdown, classes=classes, parser_factory=chat_parser)


def stock_streamed(
    *, classes: str | None = None, on_flush: Callable[[], None] | None = None
) -> StockStream:
    return StockStream(Markdown(classes=classes, parser_factory=chat_parser), on_flush)


class StockStream:
    """Streamed text into a Markdown widget through ``MarkdownStream``; the same
    interface as :class:`mmchat.tui.markdown.lean_stream.LeanStream`.

    ``on_flush`` runs after each write (the stream appends in its own task, so the
    text may show a frame later).
    """

    def __init__(self, markdown: Markdown, on_flush: Callable[[], None] | None = None) -> None:
        self.markdown = markdown
        self._on_flush = on_flush
        self.parts: list[str] = []
        self._stream: MarkdownStream | None = None
        self._streamed = False  # some text went through a MarkdownStream
        self._stopped = False

    @property
    def text(self) -> str:
        return "".join(self.parts)

    @property
    def stopped(self) -> bool:
        return self._stopped

    @property
    def pending(self) -> bool:
        """Text has arrived that the widget does not have yet."""
        return not self._stopped and self.markdown.source != self.text

    @property
    def appending(self) -> bool:
        return bool(self.markdown.lock.is_locked)

    async def write(self, chunk: str) -> None:
        if not chunk:
            return
        self.parts.append(chunk)
        if self._stopped or not self.markdown.is_attached:
            return  # (stop() shows it all)
        if self._stream is None:
            self._stream = Markdown.get_stream(self.markdown)
            chunk = self.text  # with whatever arrived before the widget was mounted
        self._streamed = True
        await self._stream.write(chunk)
        if self._on_flush is not None:
            self._on_flush()

    async def _end_stream(self) -> None:
        if self._stream is not None:
            stream, self._stream = self._stream, None
            await stream.stop()

    async def stop(self, final: str | None = None) -> None:
        """Stop streaming; show ``final`` (default: what was streamed) in full."""
        await self._end_stream()
        self._stopped = True
        final = self.text if final is None else final
        self.parts = [final] if final else []
        if self.markdown.is_attached and (self._streamed or self.markdown.source != final):
            await self.markdown.update(final)  # (see the module docstring)
            self._streamed = False
            if self._on_flush is not None:
                self._on_flush()

    async def stop_soon(self, final: str, then: Callable[[], None]) -> None:
        await self.stop(final)
        then()

    async def reset(self) -> None:
        """Start again empty (the pane now shows another lane)."""
        await self._end_stream()
        self.parts = []
        self._stopped = False
        self._streamed = False
        if self.markdown.is_attached:
            await self.markdown.update("")

    # -- the tail of a pane: stock mode shows everything ----------------------------
    @property
    def hidden_blocks(self) -> int:
        return 0

    def trim(self) -> None:
        pass

    async def compact(self) -> None:
        pass

    async def show_all(self) -> None:
        pass
