"""Lists and tables laid out as one Visual each, instead of a widget per item or cell.

Textual's Markdown builds a list item from four widgets (row, bullet, column, paragraph)
and a table from one widget per cell. Every frame re-arranges all of them, so a long
answer gets slower to stream the longer it grows. These Visuals draw the same content
inside the single block widget that owns it: a list or table costs one widget however
many items or cells it has. Lines are computed once per width and reused.

Styles are component-class names (``.lean-bullet`` …) resolved by the owning widget,
so themes restyle them like any other Markdown part.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Union

from rich.cells import cell_len
from rich.segment import Segment
from textual.content import Content
from textual.strip import Strip
from textual.visual import RenderOptions, Visual

if TYPE_CHECKING:
    from textual.css.styles import RulesMap
    from textual.style import Style

__all__ = ["Code", "LinesVisual", "ListItem", "ListVisual", "TableVisual"]

BULLET_STYLE = ".lean-bullet"
CODE_STYLE = ".lean-code"
HEADER_STYLE = ".lean-table-header"
RULE_STYLE = ".lean-table-rule"


@dataclass(frozen=True)
class Code:
    """A code block inside a list: kept as typed, folded (not wrapped) to the width."""

    content: Content


Body = Union[Content, Code, "ListVisual"]


@dataclass
class ListItem:
    bullet: str
    bodies: list[Body] = field(default_factory=list)


class LinesVisual(Visual):
    """A Visual that is a list of Content lines for a given width."""

    def __init__(self) -> None:
        self._cache: tuple[int, list[Content]] | None = None

    def lines(self, width: int) -> list[Content]:
        if self._cache is None or self._cache[0] != width:
            self._cache = (width, self._layout(max(1, width)))
        return self._cache[1]

    def _layout(self, width: int) -> list[Content]:
        raise NotImplementedError

    def plain(self, width: int) -> str:
        """The text as laid out at ``width``: what a mouse selection covers."""
        return "\n".join(line.plain.rstrip() for line in self.lines(width))

    def get_optimal_width(self, rules: RulesMap, container_width: int) -> int:
        return container_width

    def get_height(self, rules: RulesMap, width: int) -> int:
        return len(self.lines(width))

    def render_strips(
        self, width: int, height: int | None, style: Style, options: RenderOptions
    ) -> list[Strip]:
        lines = self.lines(width)
        if height is not None:
            lines = lines[:height]
        strips = []
        for line in lines:
            segments = [
                Segment(text, part.rich_style)
                for text, part in line.render(style, end="", parse_style=options.get_style)
            ]
            strip = Strip(segments, line.cell_length)
            strips.append(strip.extend_cell_length(width, style.rich_style).crop(0, width))
        return strips


def _wrap(content: Content, width: int) -> list[Content]:
    if not content.plain:
        return [Content("")]
    return content.wrap(width)


def _fold(content: Content, width: int) -> list[Content]:
    lines: list[Content] = []
    for line in content.split(allow_blank=True):
        lines.extend(line.expand_tabs(4).fold(width) if line.cell_length > width else [line])
    return lines


class ListVisual(LinesVisual):
    """A bullet or numbered list with hanging indents; nested lists indent further."""

    def __init__(self, items: Sequence[ListItem]) -> None:
        super().__init__()
        self.items = list(items)

    def _layout(self, width: int) -> list[Content]:
        lines: list[Content] = []
        for item in self.items:
            bullet_width = cell_len(item.bullet)
            inner = max(1, width - bullet_width)
            body_lines: list[Content] = []
            for body in item.bodies:
                if isinstance(body, ListVisual):
                    body_lines.extend(body.lines(inner))
                elif isinstance(body, Code):
                    code = [line.stylize_before(CODE_STYLE) for line in _fold(body.content, inner)]
                    body_lines.extend([Content(""), *code, Content("")])
                else:
                    body_lines.extend(_wrap(body, inner))
            if not body_lines:
                body_lines = [Content("")]
            head = Content.styled(item.bullet, BULLET_STYLE)
            pad = Content(" " * bullet_width)
            lines.extend((head if n == 0 else pad) + line for n, line in enumerate(body_lines))
        return lines


class TableVisual(LinesVisual):
    """A table in a light box: a rule under the header and between rows, as upstream draws it.

    Columns get their natural width when it fits; otherwise the widest columns give up
    space first and their cells wrap.
    """

    def __init__(self, headers: Sequence[Content], rows: Sequence[Sequence[Content]]) -> None:
        super().__init__()
        self.headers = list(headers)
        columns = max([len(self.headers), *(len(row) for row in rows)], default=0)
        self.headers += [Content("")] * (columns - len(self.headers))
        self.rows = [list(row) + [Content("")] * (columns - len(row)) for row in rows]

    def _widths(self, width: int) -> list[int]:
        columns = len(self.headers)
        natural = [
            max(cell_len(cell.plain) for cell in [self.headers[i], *(r[i] for r in self.rows)])
            for i in range(columns)
        ]
        widths = [max(1, w) for w in natural]
        room = width - 3 * columns - 1  # "│ " before each cell, " │" after the last
        while sum(widths) > max(room, columns) and max(widths) > 1:
            widths[widths.index(max(widths))] -= 1
        return widths

    def _layout(self, width: int) -> list[Content]:
        if not self.headers:
            return []
        widths = self._widths(width)
        bar = Content.styled("│", RULE_STYLE)
        lines: list[Content] = []

        def rule(left: str, middle: str, right: str) -> Content:
            inner = middle.join("─" * (w + 2) for w in widths)
            return Content.styled(f"{left}{inner}{right}", RULE_STYLE)

        def add_row(cells: Sequence[Content], style: str | None) -> None:
            wrapped = [_wrap(cell, w) for cell, w in zip(cells, widths, strict=True)]
            for n in range(max(len(w) for w in wrapped)):
                line = bar
                for cell_lines, w in zip(wrapped, widths, strict=True):
                    part = cell_lines[n] if n < len(cell_lines) else Content("")
                    part = part.pad_right(max(0, w - part.cell_length))
                    line += Content(" ") + (part.stylize_before(style) if style else part)
                    line += Content(" ") + bar
                lines.append(line)

        lines.append(rule("┌", "┬", "┐"))
        add_row(self.headers, HEADER_STYLE)
        for row in self.rows:
            lines.append(rule("├", "┼", "┤"))
            add_row(row, None)
        lines.append(rule("└", "┴", "┘"))
        return lines
