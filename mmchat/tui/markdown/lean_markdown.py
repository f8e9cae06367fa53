"""Textual's Markdown with one widget per top-level block.

Same parser, same streaming (``Markdown.append``), same look for headings and
paragraphs; what changes is the widget count. Upstream, every frame re-arranges every
list item, table cell and fence part, so streaming slows down as an answer grows (an
8,000-character answer with lists and tables was 211 widgets and took about 1.1 s to
render). The blocks are in :mod:`mmchat.tui.markdown.lean_blocks`; this is the document:
streaming appends, and a fan-out pane's view of only its newest lines.

This subclasses Textual 8.2's Markdown internals (the names are in
``PRIVATE_TEXTUAL_NAMES`` of :mod:`mmchat.tui.markdown`): lean mode only.
"""

from __future__ import annotations

import contextlib
from typing import TYPE_CHECKING, Any, ClassVar

from markdown_it import MarkdownIt
from textual.await_complete import AwaitComplete
from textual.widgets import Markdown
from textual.widgets._markdown import MarkdownBlock, MarkdownHeader

from mmchat.tui.markdown.lean_blocks import LEAN_BLOCKS
from mmchat.tui.runtime.one_frame import one_frame
from mmchat.tui.runtime.quiet_resize import QuietResize
from mmchat.tui.runtime.tuning import CHARS_PER_LINE

if TYPE_CHECKING:
    from markdown_it.token import Token

__all__ = ["LeanMarkdown"]

_INLINE_CLASSES = {"em", "strong", "s", "code_inline"}
_LEAN_CLASSES = {"lean-bullet", "lean-code", "lean-table-header", "lean-table-rule"}


def _tail_start(ranges: list[tuple[int, int]], source_lines: list[str], keep_lines: int) -> int:
    """Index of the first of the newest blocks (given by their source line ranges)
    that fill ``keep_lines`` lines on screen.

    Lines are guessed before layout: a source line per CHARS_PER_LINE characters (see
    its relations to the pane widths in :mod:`mmchat.tui.runtime.tuning`).
    """
    kept = len(ranges)
    lines = 0
    while kept > 0 and lines < keep_lines:
        kept -= 1
        start, end = ranges[kept]
        chars = sum(len(line) for line in source_lines[start:end])
        lines += max(1, end - start, chars // CHARS_PER_LINE)
    return kept


def _unseen_dropped(
    tokens: list[Token], source_lines: list[str], keep_lines: int
) -> tuple[list[Token], int]:
    """``tokens`` without the top-level blocks older than the newest ``keep_lines``
    lines, and how many blocks were dropped."""
    starts: list[int] = []  # index of each top-level block's first token
    ranges: list[tuple[int, int]] = []
    for index, token in enumerate(tokens):
        if token.level == 0 and token.nesting >= 0 and token.map is not None:
            starts.append(index)
            ranges.append((token.map[0], token.map[1]))
    kept = _tail_start(ranges, source_lines, keep_lines)
    if kept == 0:
        return tokens, 0
    return tokens[starts[kept] :], kept


class LeanMarkdown(Markdown, QuietResize):
    """Markdown with cheap blocks; optionally shows only the newest lines while streaming.

    ``keep_lines``: while text is appended, blocks older than roughly this many lines
    of newer text are unmounted (the source keeps them), so a fixed-height pane that
    shows the tail of a long answer lays out a few blocks, not all of them.
    :meth:`show_all` brings them back.
    """

    COMPONENT_CLASSES: ClassVar[set[str]] = _INLINE_CLASSES | _LEAN_CLASSES

    def __init__(
        self, markdown: str | None = None, *, keep_lines: int | None = None, **kwargs: Any
    ) -> None:
        super().__init__(markdown, **kwargs)
        self.keep_lines = keep_lines
        self.hidden_blocks = 0  # older blocks not shown (hidden or not mounted)
        # Some hidden blocks are not mounted, or out of date: show_all renders the
        # source again rather than unhiding them.
        self._rebuild_to_show_all = False

    def append(self, markdown: str) -> AwaitComplete:
        """``Markdown.append`` (the same parse, the same update of the last block),
        except that with ``keep_lines`` the blocks that could not be seen are not
        built: a fan-out pane flushed a second of text (a dozen blocks, ~300 widgets
        over eight panes, code highlighted) at a time, to hide most of it at once."""
        parser = MarkdownIt("gfm-like") if self._parser_factory is None else self._parser_factory()
        self._markdown = self.source + markdown
        updated_source = "".join(self._markdown.splitlines(keepends=True)[self._last_parsed_line :])

        async def await_append() -> None:
            async with self.lock:
                tokens = parser.parse(updated_source)
                existing = [child for child in self.children if isinstance(child, MarkdownBlock)]
                start_line = self._last_parsed_line
                for token in reversed(tokens):
                    if token.map is not None and token.level == 0:
                        self._last_parsed_line += token.map[0]
                        break
                skipped = 0
                if self.keep_lines is not None:
                    tokens, skipped = _unseen_dropped(
                        tokens, updated_source.splitlines(), self.keep_lines
                    )
                new_blocks = list(self._parse_markdown(tokens))
                for block in new_blocks:
                    start, end = block.source_range
                    block.source_range = (start + start_line, end + start_line)
                with one_frame(self.app):
                    if skipped:
                        # Everything shown is older than what is kept (the first
                        # skipped block was the last one shown, re-parsed).
                        self._hide(existing)
                        new = skipped - 1 if existing else skipped
                        self.hidden_blocks += new
                        self._rebuild_to_show_all = True  # (and the last shown is stale)
                    elif existing and new_blocks:
                        last = existing[-1]
                        last.source_range = new_blocks[0].source_range
                        with contextlib.suppress(IndexError):  # as upstream does
                            await last._update_from_block(new_blocks[0])
                            new_blocks = new_blocks[1:]
                    if new_blocks:
                        await self.mount_all(new_blocks)
                        for block in new_blocks:
                            # Mounting asked this document for a layout, which places
                            # the new block; the block's own request (made when its
                            # content was set, before it was mounted) would arrive a
                            # frame later and cost a second full layout.
                            block._layout_required = False
                    if self.keep_lines is not None:
                        self.trim()
                if any(isinstance(block, MarkdownHeader) for block in new_blocks):
                    # (Upstream also posts TableOfContentsUpdated: nothing here
                    # shows a table of contents, so that message is not sent.)
                    self._table_of_contents = None

        return AwaitComplete(await_append())

    def _hide(self, blocks: list[MarkdownBlock]) -> None:
        for block in blocks:
            if block.display:
                block.display = False
                self.hidden_blocks += 1

    def trim(self) -> None:
        """Hide the blocks older than ``keep_lines`` lines of newer text (none when
        the document shows everything)."""
        if self.keep_lines is None:
            return
        blocks = [
            child for child in self.children if isinstance(child, MarkdownBlock) and child.display
        ]
        # Heights are known once a block has been laid out; a new block counts as 0,
        # so trimming errs on the side of keeping text.
        newer = sum(block.outer_size.height for block in blocks[1:])
        drop = 0
        while drop < len(blocks) - 1 and newer >= self.keep_lines:
            drop += 1
            newer -= blocks[drop].outer_size.height
        # Hidden, not removed: a layout skips them, and removing widgets finishes a
        # frame later with a layout of its own (a second full layout per flush).
        self._hide(blocks[:drop])

    def update(self, markdown: str) -> AwaitComplete:
        if self.keep_lines is None or not markdown:
            self.hidden_blocks = 0
            self._rebuild_to_show_all = False
            return super().update(markdown)
        return AwaitComplete(self._show_tail(markdown, self.keep_lines))

    async def _show_tail(self, markdown: str, keep_lines: int) -> None:
        """A whole text at once (a stored answer), but only its last blocks mounted."""
        async with self.lock:
            blocks = self._build_from_source(markdown)
            source_lines = markdown.splitlines()
            ranges = [block.source_range for block in blocks]
            kept = _tail_start(ranges, source_lines, keep_lines)  # blocks[kept:] mount
            self._markdown = markdown
            self._table_of_contents = None
            self._last_parsed_line = len(source_lines) - (
                1 if source_lines and source_lines[-1] else 0
            )
            self.hidden_blocks = kept
            self._rebuild_to_show_all = kept > 0
            with one_frame(self.app):
                await self.remove_children()
                await self.mount_all(blocks[kept:])

    async def compact(self) -> None:
        """Unmount the hidden blocks (the source keeps them): a settled pane would
        otherwise keep every block of a long answer in the DOM for the whole session.
        Done once streaming is over: removing widgets costs a layout of its own."""
        hidden = [child for child in self.children if not child.display]
        if hidden:
            await self.remove_children(hidden)
            self._rebuild_to_show_all = True

    async def show_all(self) -> None:
        """Stop trimming and show every block of the text so far."""
        self.keep_lines = None
        if self._rebuild_to_show_all:
            await self.update(self.source)
        elif self.hidden_blocks:
            self.hidden_blocks = 0
            with one_frame(self.app):
                for child in self.children:
                    child.display = True

    DEFAULT_CSS = """
    LeanMarkdown {
        & > .em { text-style: italic; }
        & > .strong { text-style: bold; }
        & > .s { text-style: strike; }
        &:dark > .code_inline { background: $warning 10%; color: $text-warning 95%; }
        &:light > .code_inline { background: $error 5%; color: $text-error 95%; }
        &:ansi > .code_inline { background: ansi_default; }
        & > .lean-bullet { color: $text-primary; }
        &:light > .lean-bullet { color: $text-secondary; }
        & > .lean-code { background: black 10%; }
        & > .lean-table-header { color: $primary; text-style: bold; }
        & > .lean-table-rule { color: $foreground 30%; }
        LeanBulletList, LeanOrderedList { margin: 0 0 1 0; }
        LeanTable { margin: 0 0 1 0; }
        LeanFence { padding: 1 2; text-wrap: nowrap; text-overflow: fold; }
        LeanFence:ansi { padding: 1 0; }
    }
    """

    BLOCKS: dict[str, type[MarkdownBlock]] = {  # noqa: RUF012 (declared so upstream)
        **Markdown.BLOCKS,
        **LEAN_BLOCKS,
    }
