"""Markdown for the message views: the one door to Textual's Markdown internals.

Widgets ask this package for what they show: :func:`document` (a Markdown widget) or
:func:`streamed` (a :class:`TextStream`: the widget plus the text streamed into it).
What they get depends on the app's Markdown mode (``app.runtime.markdown``):

- ``lean`` (default): :class:`~mmchat.tui.markdown.lean_markdown.LeanMarkdown`, one
  widget per list, table or fence instead of one per item or cell, and a fan-out
  pane that keeps only the tail of its answer mounted; streamed text is appended on
  the app's shared flush clock. This subclasses Textual's private Markdown classes
  (``PRIVATE_TEXTUAL_NAMES``), which is why textual is pinned in pyproject.toml.
- ``stock``: Textual's own ``Markdown`` and ``MarkdownStream``, public API only
  (:mod:`mmchat.tui.markdown.stock`): the fallback when a Textual upgrade breaks the
  lean code. None of the lean modules is imported then.

No widget outside this package imports ``textual.widgets._markdown`` or touches a
Markdown private (``tests/tui/test_textual_privates.py`` scans for it).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Protocol

from mmchat.tui.runtime import runtime_of

if TYPE_CHECKING:
    from textual.app import App
    from textual.widgets import Markdown

__all__ = [
    "PRIVATE_MODULES",
    "PRIVATE_TEXTUAL_NAMES",
    "TextStream",
    "document",
    "streamed",
]

_M = "textual.widgets._markdown"
# Textual 8.2 private names the lean modules use ("module:Class.attribute"; a module
# alone when it is private). tests/tui/test_textual_privates.py checks each exists in
# the installed Textual and that no other one is used: after a Textual upgrade, a
# failing entry is what to port (or run with MMCHAT_MARKDOWN=stock meanwhile).
PRIVATE_TEXTUAL_NAMES = (
    _M,  # the block classes, replaced (lean_blocks) or tested for (isinstance)
    *(
        f"{_M}:{name}"
        for name in (
            "MarkdownHeader",
            "MarkdownH1",
            "MarkdownH2",
            "MarkdownH3",
            "MarkdownH4",
            "MarkdownH5",
            "MarkdownH6",
            "MarkdownHorizontalRule",
            "MarkdownParagraph",
            "MarkdownBlockQuote",
            "MarkdownBulletList",
            "MarkdownOrderedList",
            "MarkdownListItem",
            "MarkdownUnorderedListItem",
            "MarkdownOrderedListItem",
            "MarkdownTable",
            "MarkdownTHead",
            "MarkdownTBody",
            "MarkdownTR",
            "MarkdownTH",
            "MarkdownTD",
        )
    ),
    # LeanMarkdown.append / update: upstream's append, reimplemented with a tail
    f"{_M}:Markdown._markdown",
    f"{_M}:Markdown._parser_factory",
    f"{_M}:Markdown._last_parsed_line",
    f"{_M}:Markdown._table_of_contents",
    f"{_M}:Markdown._parse_markdown",
    f"{_M}:Markdown._build_from_source",
    # lean_blocks: blocks that draw their items and cells, parsed as data
    f"{_M}:MarkdownBlock._blocks",
    f"{_M}:MarkdownBlock._content",
    f"{_M}:MarkdownBlock._token",
    f"{_M}:MarkdownBlock._inline_token",
    f"{_M}:MarkdownBlock._copy_context",
    f"{_M}:MarkdownBlock._update_from_block",
    f"{_M}:MarkdownBlock._token_to_content",
    f"{_M}:MarkdownFence._highlighted_code",
    f"{_M}:MarkdownTable._get_headers_and_rows",
    "textual.dom:DOMNode._inherit_component_classes",
    # a mounted block's layout request is already covered by its document's
    "textual.widget:Widget._layout_required",
)
# The modules that use them (with runtime.PRIVATE_MODULES): never imported in stock mode.
PRIVATE_MODULES = ("mmchat.tui.markdown.lean_markdown", "mmchat.tui.markdown.lean_blocks")


class TextStream(Protocol):
    """Text streamed into a Markdown widget (:func:`streamed`)."""

    @property
    def markdown(self) -> Markdown:
        """The widget to mount."""
        ...

    @property
    def text(self) -> str:
        """Everything written (or the final text given to :meth:`stop`)."""
        ...

    @property
    def stopped(self) -> bool: ...

    @property
    def pending(self) -> bool:
        """Text has arrived that the widget does not show yet."""
        ...

    @property
    def appending(self) -> bool:
        """An append is under way (its blocks may still be mounting)."""
        ...

    async def write(self, chunk: str) -> None: ...

    async def stop(self, final: str | None = None) -> None:
        """Stop streaming; show ``final`` (default: what was streamed) in full."""
        ...

    async def stop_soon(self, final: str, then: Callable[[], None]) -> None:
        """``stop(final)``, then ``then()``; lean mode does not wait for the last
        append (it comes on the shared clock, with other panes' last text)."""
        ...

    async def reset(self) -> None:
        """Start again empty."""
        ...

    # A fan-out pane's tail (``tail_lines``): stock mode shows everything.
    @property
    def hidden_blocks(self) -> int:
        """Older blocks not shown (hidden or unmounted) while only the tail shows."""
        ...

    def trim(self) -> None:
        """Hide the blocks older than the tail (their heights known by now)."""
        ...

    async def compact(self) -> None:
        """Unmount the hidden blocks (the text keeps them): streaming is over."""
        ...

    async def show_all(self) -> None:
        """Show every block from now on (the user turned to the pane)."""
        ...


def document(app: App[Any], markdown: str = "", *, classes: str | None = None) -> Markdown:
    """A Markdown widget showing ``markdown`` (``update`` / ``append`` change it)."""
    if runtime_of(app).lean:
        from mmchat.tui.markdown.lean import lean_document

        return lean_document(markdown, classes=classes)
    from mmchat.tui.markdown.stock import stock_document

    return stock_document(markdown, classes=classes)


def streamed(
    app: App[Any],
    *,
    classes: str | None = None,
    tail_lines: int | None = None,
    on_flush: Callable[[], None] | None = None,
) -> TextStream:
    """A Markdown widget to stream text into (``stream.markdown`` is the widget).

    ``tail_lines``: while text streams, lean mode keeps only about this many of the
    newest lines mounted (a fixed-height pane shows the tail); ``on_flush``: runs
    after new text is handed to the widget, in the same frame.
    """
    if runtime_of(app).lean:
        from mmchat.tui.markdown.lean import lean_streamed

        return lean_streamed(classes=classes, tail_lines=tail_lines, on_flush=on_flush)
    from mmchat.tui.markdown.stock import stock_streamed

    return stock_streamed(classes=classes, on_flush=on_flush)
