"""The blocks of a LeanMarkdown: one widget per top-level block.

Upstream, a list item is four widgets, a table cell is one, a code fence two. Here a
list, a table or a fence is a single block that draws itself (see
``mmchat.tui.markdown.layout``), and the parts it draws from (items, rows, cells) are
parsed as data, not widgets. Blocks also carry no component classes of their own:
Textual styles every component class of a new widget with a full pass over the
stylesheet, so inline styles (``.em``, ``.code_inline`` …) are resolved on the document.
"""

from __future__ import annotations

import contextlib
from typing import TYPE_CHECKING, TypeVar

from textual.content import Content
from textual.widgets import Markdown
from textual.widgets._markdown import (
    MarkdownBlock,
    MarkdownBlockQuote,
    MarkdownBulletList,
    MarkdownFence,
    MarkdownH1,
    MarkdownH2,
    MarkdownH3,
    MarkdownH4,
    MarkdownH5,
    MarkdownH6,
    MarkdownHorizontalRule,
    MarkdownListItem,
    MarkdownOrderedList,
    MarkdownOrderedListItem,
    MarkdownParagraph,
    MarkdownTable,
    MarkdownTBody,
    MarkdownTD,
    MarkdownTH,
    MarkdownTHead,
    MarkdownTR,
    MarkdownUnorderedListItem,
)

from mmchat.tui.markdown.layout import (
    Body,
    Code,
    LinesVisual,
    ListItem,
    ListVisual,
    TableVisual,
)
from mmchat.tui.runtime.quiet_resize import QuietResize

if TYPE_CHECKING:
    from markdown_it.token import Token
    from textual.app import ComposeResult
    from textual.selection import Selection

__all__ = ["LEAN_BLOCKS", "LeanBulletList", "LeanFence", "LeanOrderedList", "LeanTable"]


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


_Block = TypeVar("_Block", bound=type[MarkdownBlock])


def _unstyled(block: _Block) -> _Block:
    """No component classes: styles named in a block's text come from the document.

    (``inherit_component_classes=False`` in the class statement would say the same,
    but Textual's Widget does not pass that keyword on.)
    """
    block.COMPONENT_CLASSES = set()
    block._inherit_component_classes = False
    return block


def _lean(block: type[MarkdownBlock]) -> type[MarkdownBlock]:
    name = "Lean" + block.__name__.removeprefix("Markdown")
    return _unstyled(type(name, (block, QuietResize), {"__module__": __name__}))


class _SelfDrawn(MarkdownBlock, QuietResize):
    """A block that draws its whole subtree (items, cells, nested code) itself."""

    def _visual(self, block: MarkdownBlock) -> LinesVisual:
        raise NotImplementedError

    def compose(self) -> ComposeResult:
        self.set_content(self._visual(self))  # type: ignore[arg-type]
        self._blocks.clear()
        return iter(())

    async def _update_from_block(self, block: MarkdownBlock) -> None:
        # Streaming: the block grew. Redraw this widget; nothing is mounted or removed.
        if type(block) is type(self):
            self._copy_context(block)
            self.set_content(self._visual(block))  # type: ignore[arg-type]
        else:
            await MarkdownBlock._update_from_block(self, block)

    def get_selection(self, selection: Selection) -> tuple[str, str] | None:
        """A mouse selection over the block: its text as it is laid out."""
        visual = self._content
        if not isinstance(visual, LinesVisual):
            return None
        return selection.extract(visual.plain(self.content_size.width)), "\n"


@_unstyled
class LeanBulletList(_SelfDrawn, MarkdownBulletList):
    def _visual(self, block: MarkdownBlock) -> LinesVisual:
        return ListVisual(_items(block))


@_unstyled
class LeanOrderedList(_SelfDrawn, MarkdownOrderedList):
    def _visual(self, block: MarkdownBlock) -> LinesVisual:
        return ListVisual(_items(block))


@_unstyled
class LeanTable(_SelfDrawn, MarkdownTable):
    def _visual(self, block: MarkdownBlock) -> LinesVisual:
        assert isinstance(block, MarkdownTable)
        return TableVisual(*block._get_headers_and_rows())


@_unstyled
class LeanFence(MarkdownFence, QuietResize):
    """Highlighted code drawn by the block itself (upstream adds a Label child)."""

    def __init__(self, markdown: Markdown, token: Token, code: str) -> None:
        super().__init__(markdown, token, code)
        MarkdownBlock.set_content(self, self._highlighted_code)

    def compose(self) -> ComposeResult:
        return iter(())

    def set_content(self, content: object) -> None:
        MarkdownBlock.set_content(self, content)  # type: ignore[arg-type]


class _DataOnly(MarkdownBlock):
    """A list item, or a table's row, cell, head or body: the parser's data, never a widget.

    A self-drawn list or table reads only its parts' ``_blocks``, ``_content`` and
    ``bullet``, but upstream builds each part as a widget that nothing mounts: 116 of the
    178 widgets of an 8,000-character answer, ~0.1 ms each, and each ~100 objects in
    reference cycles, garbage for the next full collection (after an eight-pane turn, 850
    of its 1,290 garbage widgets). The subclasses keep the upstream classes, because the
    parser and ``MarkdownTable._get_headers_and_rows`` test ``isinstance``, but skip
    ``Widget.__init__``.
    """

    def __init__(self, markdown: Markdown, token: Token, bullet: str = "") -> None:
        # No super().__init__(): no styles, message queue or node lists for a part
        # that is never mounted. Only what the parser and the drawn blocks use is set.
        self._blocks: list[MarkdownBlock] = []
        self._content = Content()
        self._token = token
        self._inline_token: Token | None = None
        self.source_range = (token.map[0], token.map[1]) if token.map is not None else (0, 0)
        self.bullet = bullet

    def build_from_token(self, token: Token) -> None:
        self._inline_token = token
        self._content = self._token_to_content(token)  # (upstream also redraws a widget)


class _Item(_DataOnly, MarkdownUnorderedListItem):
    pass


class _OrderedItem(_DataOnly, MarkdownOrderedListItem):
    pass


class _TableHead(_DataOnly, MarkdownTHead):
    pass


class _TableBody(_DataOnly, MarkdownTBody):
    pass


class _Row(_DataOnly, MarkdownTR):
    pass


class _HeaderCell(_DataOnly, MarkdownTH):
    pass


class _Cell(_DataOnly, MarkdownTD):
    pass


_HEADINGS = (MarkdownH1, MarkdownH2, MarkdownH3, MarkdownH4, MarkdownH5, MarkdownH6)


# What LeanMarkdown builds for each token (``Markdown.BLOCKS`` for the rest).
LEAN_BLOCKS: dict[str, type[MarkdownBlock]] = {
    **{f"h{n}": _lean(h) for n, h in enumerate(_HEADINGS, 1)},
    "hr": _lean(MarkdownHorizontalRule),
    "paragraph_open": _lean(MarkdownParagraph),
    "blockquote_open": _lean(MarkdownBlockQuote),
    "bullet_list_open": LeanBulletList,
    "ordered_list_open": LeanOrderedList,
    "table_open": LeanTable,
    "thead_open": _TableHead,
    "tbody_open": _TableBody,
    "tr_open": _Row,
    "th_open": _HeaderCell,
    "td_open": _Cell,
    "list_item_unordered_open": _Item,
    "list_item_ordered_open": _OrderedItem,
    "fence": LeanFence,
    "code_block": LeanFence,
}
