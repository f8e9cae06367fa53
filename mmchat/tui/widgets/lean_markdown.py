"""Textual's Markdown with one widget per top-level block.

Same parser, same streaming (``Markdown.get_stream`` / ``append``), same look for
headings and paragraphs; what changes is the widget count. Upstream, a list item is
four widgets, a table cell is one, a code fence two, and every frame re-arranges them
all, so streaming slows down as an answer grows (an 8,000-character answer with lists
and tables was 211 widgets and took about 1.1 s to render). Here a list, a table or a
fence is a single block that draws itself (see ``mmchat.tui.markdown_layout``).
"""

from __future__ import annotations

import contextlib
from typing import TYPE_CHECKING, ClassVar

from textual.widgets import Markdown
from textual.widgets._markdown import (
    MarkdownBlock,
    MarkdownBulletList,
    MarkdownFence,
    MarkdownList,
    MarkdownListItem,
    MarkdownOrderedList,
    MarkdownOrderedListItem,
    MarkdownTable,
)

from mmchat.tui.markdown_layout import Body, Code, ListItem, ListVisual, TableVisual

if TYPE_CHECKING:
    from markdown_it.token import Token
    from textual.app import ComposeResult

__all__ = ["LeanMarkdown"]

_SHARED_CLASSES = MarkdownBlock.COMPONENT_CLASSES | {
    "lean-bullet",
    "lean-code",
    "lean-table-header",
    "lean-table-rule",
}


def _bodies(blocks: list[MarkdownBlock]) -> list[Body]:
    """A list item's children as things a ListVisual can draw."""
    bodies: list[Body] = []
    for block in blocks:
        if isinstance(block, (MarkdownBulletList, MarkdownOrderedList)):
            bodies.append(ListVisual(_items(block)))
        elif isinstance(block, MarkdownFence):
            bodies.append(Code(block._highlighted_code))
        elif block._blocks:  # a quote or a table inside an item: keep its text
            bodies.extend(_bodies(block._blocks))
        else:
            bodies.append(block._content)
    return bodies


def _items(block: MarkdownBlock) -> list[ListItem]:
    items = [child for child in block._blocks if isinstance(child, MarkdownListItem)]
    if isinstance(block, MarkdownOrderedList):
        start = 1
        if items and isinstance(items[0], MarkdownOrderedListItem):
            with contextlib.suppress(ValueError):
                start = int(items[0].bullet)
        numbers = [f"{n}. " for n in range(start, start + len(items))]
        size = max((len(number) for number in numbers), default=0)
        bullets = [number.rjust(size + 1) for number in numbers]
    else:
        bullets = [item.bullet for item in items]
    return [
        ListItem(bullet, _bodies(item._blocks)) for bullet, item in zip(bullets, items, strict=True)
    ]


class _FlatList(MarkdownList):
    """The whole list (items, nested lists, code in items) in one widget."""

    def compose(self) -> ComposeResult:
        self._show(self)
        self._blocks.clear()
        return iter(())

    async def _update_from_block(self, block: MarkdownBlock) -> None:
        # Streaming: the list grew. Redraw this widget; nothing is mounted or removed.
        if type(block) is type(self):
            self._copy_context(block)
            self._show(block)
        else:
            await super()._update_from_block(block)

    def _show(self, block: MarkdownBlock) -> None:
        self.set_content(ListVisual(_items(block)))  # type: ignore[arg-type]


class LeanBulletList(_FlatList, MarkdownBulletList):
    COMPONENT_CLASSES: ClassVar[set[str]] = _SHARED_CLASSES


class LeanOrderedList(_FlatList, MarkdownOrderedList):
    COMPONENT_CLASSES: ClassVar[set[str]] = _SHARED_CLASSES


class LeanTable(MarkdownTable):
    """The whole table in one widget."""

    COMPONENT_CLASSES: ClassVar[set[str]] = _SHARED_CLASSES

    def compose(self) -> ComposeResult:
        self._show(self)
        self._blocks.clear()
        return iter(())

    async def _update_from_block(self, block: MarkdownBlock) -> None:
        if isinstance(block, MarkdownTable):
            self._copy_context(block)
            self._show(block)
        else:
            await MarkdownBlock._update_from_block(self, block)

    def _show(self, block: MarkdownTable) -> None:
        self._headers, self._rows = block._get_headers_and_rows()
        self.set_content(TableVisual(self._headers, self._rows))  # type: ignore[arg-type]


class LeanFence(MarkdownFence):
    """Highlighted code drawn by the block itself (upstream adds a Label child)."""

    COMPONENT_CLASSES: ClassVar[set[str]] = _SHARED_CLASSES

    def __init__(self, markdown: Markdown, token: Token, code: str) -> None:
        super().__init__(markdown, token, code)
        MarkdownBlock.set_content(self, self._highlighted_code)

    def compose(self) -> ComposeResult:
        return iter(())

    def set_content(self, content: object) -> None:
        MarkdownBlock.set_content(self, content)  # type: ignore[arg-type]


class LeanMarkdown(Markdown):
    DEFAULT_CSS = """
    LeanMarkdown {
        LeanBulletList, LeanOrderedList { margin: 0 0 1 0; }
        LeanBulletList > .lean-bullet, LeanOrderedList > .lean-bullet { color: $text-primary; }
        LeanBulletList:light > .lean-bullet, LeanOrderedList:light > .lean-bullet {
            color: $text-secondary;
        }
        LeanBulletList > .lean-code, LeanOrderedList > .lean-code { background: black 10%; }
        LeanTable { margin: 0 0 1 0; }
        LeanTable > .lean-table-header { color: $primary; text-style: bold; }
        LeanTable > .lean-table-rule { color: $foreground 30%; }
        LeanFence { padding: 1 2; text-wrap: nowrap; text-overflow: fold; }
        LeanFence:ansi { padding: 1 0; }
    }
    """

    BLOCKS: dict[str, type[MarkdownBlock]] = {  # noqa: RUF012 (declared so upstream)
        **Markdown.BLOCKS,
        "bullet_list_open": LeanBulletList,
        "ordered_list_open": LeanOrderedList,
        "table_open": LeanTable,
        "fence": LeanFence,
        "code_block": LeanFence,
    }
