"""LeanMarkdown: one widget per top-level block, and streaming shows what a render would."""

from __future__ import annotations

import random
from typing import Any

import pytest
from textual.app import App, ComposeResult
from textual.selection import Selection
from textual.widgets import Markdown
from textual.widgets._markdown import MarkdownBlock, MarkdownTable

from mmchat.tui.markdown.lean_markdown import LeanMarkdown
from mmchat.tui.markdown.lean_stream import LeanStream
from tests.reliability.test_tui_faults import screen_text

DOC = """## Plan

Some text with `code()` and **bold** words, long enough to wrap in a narrow column.

- first item, long enough that it has to wrap onto a second line somewhere
- second item
  - nested one
  - nested two with `inline`

    ```sh
    make test
    ```
- third

3. three
4. four
10. ten

```python
def compute(items):
    return sum(items)
```

| name | value | note |
|---|---|---|
| alpha | 12 | streams tokens while the terminal renders them |
| beta | 999 | x |

> a quote

End of the answer.
"""


class Pair(App[None]):
    """Two documents side by side: the left one streamed, the right one rendered once."""

    CSS = "Screen { layout: horizontal; } Markdown { width: 1fr; }"

    def __init__(self, cls: type[Markdown] = LeanMarkdown) -> None:
        super().__init__()
        self.cls = cls

    def compose(self) -> ComposeResult:
        yield self.cls(id="streamed")
        yield self.cls(id="rendered")


def halves(app: App[None], width: int) -> tuple[list[str], list[str]]:
    text, _ = screen_text(app)
    lines = text.splitlines()
    return [x[:width].rstrip() for x in lines], [x[width:].rstrip() for x in lines]


async def test_streamed_text_looks_exactly_like_a_one_shot_render() -> None:
    app = Pair()
    async with app.run_test(size=(120, 120)) as pilot:
        streamed = app.query_one("#streamed", Markdown)
        await app.query_one("#rendered", Markdown).update(DOC)
        for seed in range(8):
            rnd = random.Random(seed)
            await streamed.update("")
            stream = LeanStream(streamed)  # the app's path: batched ticks, append
            at = 0
            while at < len(DOC):
                size = rnd.choice([1, 2, 3, 5, 8, 21, 80])
                await stream.write(DOC[at : at + size])
                at += size
                if rnd.random() < 0.3:
                    await stream.flush()  # what the shared flush clock does per tick
                    await pilot.pause()
            await stream.stop()
            await pilot.pause()
            left, right = halves(app, 60)
            assert left == right, f"chunking seed {seed}"
        assert "End of the answer." in "\n".join(right)


async def test_a_tail_document_mounts_only_the_newest_blocks_and_shows_all_on_request() -> None:
    """A fan-out pane's document (``keep_lines``) handed a long piece at once mounts
    only the blocks it can show; ``show_all`` then looks exactly like a one-shot render."""
    long_doc = "".join(f"## Part {n}\n\n{DOC}\n" for n in range(1, 5))
    app = Pair()
    async with app.run_test(size=(120, 220)) as pilot:
        streamed = app.query_one("#streamed", LeanMarkdown)
        rendered = app.query_one("#rendered", LeanMarkdown)
        streamed.keep_lines = 10
        await rendered.update(long_doc)
        # Big pieces, some cut inside a block (a list, a table) that later ones finish.
        cuts = [long_doc.index("## Part 3"), long_doc.index("- second item", 900)]
        cuts += [long_doc.index("| beta", cuts[-1]), len(long_doc)]
        at = 0
        for cut in cuts:
            await streamed.append(long_doc[at:cut])
            await pilot.pause()
            at = cut
        total = len(rendered.query_children(MarkdownBlock))
        mounted = streamed.query_children(MarkdownBlock)
        shown = [block for block in mounted if block.display]
        assert len(mounted) < total // 2, "blocks nobody sees were mounted"
        assert len(shown) > 0 and streamed.hidden_blocks == total - len(shown)
        left, _ = halves(app, 60)
        assert "End of the answer." in "\n".join(left) and "Part 1" not in "\n".join(left)
        assert streamed.source == long_doc
        await streamed.show_all()
        await pilot.pause()
        left, right = halves(app, 60)
        assert left == right

        # A piece that finishes the last block shown and adds a screenful after it:
        # that block is hidden before it was brought up to date; show_all has it whole.
        await streamed.update("")
        await rendered.update("")
        streamed.keep_lines = 10
        tail = "".join(f"line {n}\n" for n in range(30))
        await streamed.append("Intro ")
        await pilot.pause()
        await streamed.append(f"continues here.\n\n```\n{tail}```\n")
        await rendered.update(f"Intro continues here.\n\n```\n{tail}```\n")
        await streamed.show_all()
        await pilot.pause()
        left, right = halves(app, 60)
        assert left == right and any("Intro continues here." in line for line in left)


async def test_lists_tables_and_code_are_one_widget_each_and_read_like_upstream() -> None:
    lean_app, upstream_app = Pair(LeanMarkdown), Pair(Markdown)
    async with lean_app.run_test(size=(120, 60)) as pilot:
        lean = lean_app.query_one("#rendered", Markdown)
        await lean.update(DOC)
        await pilot.pause()
        lean_widgets = len(lean.query("*"))
        lean_lines = [line for line in halves(lean_app, 60)[1] if line.strip()]
    async with upstream_app.run_test(size=(120, 60)) as pilot:
        upstream = upstream_app.query_one("#rendered", Markdown)
        await upstream.update(DOC)
        await pilot.pause()
        upstream_widgets = len(upstream.query("*"))
        upstream_lines = [line for line in halves(upstream_app, 60)[1] if line.strip()]
    # heading, paragraph, two lists, fence, table, quote (+ its paragraph), paragraph
    assert lean_widgets == 9
    assert upstream_widgets > 3 * lean_widgets
    # Same words in the same order, bullets and numbers as upstream draws them.
    words = [w for line in lean_lines for w in line.split() if w.strip("│─┌┐└┘├┤┬┴┼")]
    upstream_words = [w for line in upstream_lines for w in line.split() if w.strip("│─┌┐└┘├┤┬┴┼")]
    assert words == upstream_words
    assert "  • first item, long enough that it has to wrap onto a" in lean_lines
    assert "    second line somewhere" in lean_lines  # hanging indent under the text
    assert "    ▪ nested two with inline" in lean_lines
    assert "   3. three" in lean_lines and "   5. ten" in lean_lines  # numbered on, as upstream


async def test_list_items_and_table_cells_are_parsed_as_data_not_widgets(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The self-drawn blocks read only their parts' text: building those parts as
    widgets (upstream) cost ~0.1 ms each, and each left cyclic garbage behind."""
    from markdown_it import MarkdownIt
    from textual.widget import Widget

    app = Pair(LeanMarkdown)
    async with app.run_test(size=(120, 60)):
        document = app.query_one("#rendered", LeanMarkdown)
        built: list[str] = []
        widget_init = Widget.__init__

        def counting_init(widget: Widget, *args: Any, **kwargs: Any) -> None:
            built.append(type(widget).__name__)
            widget_init(widget, *args, **kwargs)

        monkeypatch.setattr(Widget, "__init__", counting_init)
        blocks = list(document._parse_markdown(MarkdownIt("gfm-like").parse(DOC)))
        monkeypatch.undo()
    # Widgets: the heading, two paragraphs, the quote and its paragraph, the two lists
    # (and the list nested in an item), two fences (one in an item), the table, and
    # the eight items' paragraphs; no item, row or cell.
    assert sorted(built) == sorted(
        ["LeanH2", "LeanParagraph", "LeanParagraph", "LeanBlockQuote", "LeanParagraph"]
        + ["LeanBulletList", "LeanBulletList", "LeanOrderedList", "LeanFence", "LeanFence"]
        + ["LeanTable"]
        + ["LeanParagraph"] * 8
    )
    table = next(block for block in blocks if isinstance(block, MarkdownTable))
    headers, rows = table._get_headers_and_rows()  # the parts still read as cells
    assert [str(cell) for cell in headers] == ["name", "value", "note"]
    assert [str(cell) for cell in rows[1]] == ["beta", "999", "x"]


async def test_table_wraps_cells_inside_a_box_when_narrow_and_rewraps_on_resize() -> None:
    app = Pair()
    async with app.run_test(size=(70, 60)) as pilot:
        doc = app.query_one("#rendered", Markdown)
        await doc.update(DOC)
        await pilot.pause()
        lines = [line for line in halves(app, 35)[1] if line.strip()]
        table = [line for line in lines if line.lstrip()[:1] in ("┌", "│", "├", "└")]
        assert table[0].lstrip().startswith("┌") and table[-1].lstrip().startswith("└")
        assert all(len(line) <= 35 for line in table)
        cells = " ".join(part.strip() for line in table for part in line.split("│"))
        assert "streams tokens while the terminal renders them" not in cells  # wrapped
        for word in [
            "alpha",
            "12",
            "streams",
            "tokens",
            "while",
            "the",
            "terminal",
            "renders",
            "them",
            "beta",
            "999",
        ]:
            assert word in cells.split()
        narrow_height = doc.size.height
        await pilot.resize_terminal(120, 60)
        await pilot.pause()
        assert doc.size.height < narrow_height  # re-laid out for the new width


async def test_selecting_a_list_or_table_copies_the_text_as_shown() -> None:
    app = Pair()
    async with app.run_test(size=(120, 60)) as pilot:
        doc = app.query_one("#rendered", Markdown)
        await doc.update(DOC)
        await pilot.pause()
        everything = Selection(None, None)
        lists = [b for b in doc.children if type(b).__name__ == "LeanBulletList"]
        tables = [b for b in doc.children if type(b).__name__ == "LeanTable"]
        selected = lists[0].get_selection(everything)
        assert selected is not None
        assert selected[0].splitlines()[:2] == [
            "• first item, long enough that it has to wrap onto a",
            "  second line somewhere",
        ]
        table = tables[0].get_selection(everything)
        assert table is not None and "│ alpha │ 12    │" in table[0]
