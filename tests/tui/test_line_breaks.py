"""A model's single newlines are line breaks (a poem keeps its lines), in both Markdown
modes, while streaming and when a stored answer is shown again; code fences, tables
and lists draw as before."""

from __future__ import annotations

from typing import Any

from markdown_it import MarkdownIt

from mmchat.tui.markdown.parser import chat_parser
from tests.fakeserver import FakeServer, Reply
from tests.reliability.test_tui_faults import screen_text
from tests.tui.conftest import build_app, idle, send, wait_for

POEM = "Roses are red,\nviolets are blue,\nthe lines of a poem\nstay lines here too."
MIXED = (
    f"{POEM}\n\n"
    "- first item\n  still the first\n- second item\n\n"
    "| name | value |\n| --- | --- |\n| alpha | 1 |\n\n"
    "```python\ndef add(a, b):\n    return a + b\n```\n\n"
    "Last paragraph,\nits second line."
)


def lines_of(app: Any) -> list[str]:
    return [line.strip(" │▎▌┃") for line in screen_text(app)[0].splitlines()]


def poem_kept(app: Any) -> bool:
    text = screen_text(app)[0]
    together = any("red," in line and "violets" in line for line in text.splitlines())
    return "stay lines here too." in text and not together


async def test_streamed_poem_keeps_its_lines(markdown_mode: str, fake_server: FakeServer) -> None:
    fake_server.script("model-a", Reply(text=MIXED, chunk_chars=7))
    app = build_app(fake_server)
    async with app.run_test(size=(120, 50)) as pilot:
        chat = app.chat_screen
        assert chat is not None
        await send(pilot, "a poem please")
        # while it streams: the first lines are already apart
        await wait_for(pilot, lambda: "violets are blue," in screen_text(app)[0])
        assert not any("red," in s and "violets" in s for s in screen_text(app)[0].splitlines())
        await wait_for(pilot, idle(app))
        await wait_for(pilot, lambda: "its second line." in screen_text(app)[0])
        await pilot.pause()
        assert poem_kept(app)
        text = screen_text(app)[0]
        # the list item's second line stays in the item; the table and code are intact
        assert "still the first" in text and "second item" in text
        assert not any("first item" in s and "still the first" in s for s in text.splitlines())
        assert any("alpha" in s and "1" in s for s in text.splitlines())
        assert "def add(a, b):" in text and "    return a + b" in text
        assert not any("Last paragraph," in s and "its second" in s for s in text.splitlines())

        # shown again from the store (a reopened conversation): the same lines
        conv = chat.controller.conversation_id
        assert conv is not None
        await chat.controller.new_chat()
        await chat.controller.open_conversation(conv)
        await wait_for(pilot, lambda: "stay lines here too." in screen_text(app)[0])
        await pilot.pause()
        assert poem_kept(app)


def test_parser_turns_soft_breaks_into_hard_ones_only() -> None:
    """The tokens: a soft break becomes a hard break; fences, tables and lists are the
    same tokens as CommonMark's (gfm-like) otherwise."""
    ours = chat_parser().parse(MIXED)
    stock = MarkdownIt("gfm-like").parse(MIXED)
    assert [t.type for t in ours] == [t.type for t in stock]
    breaks = [c.type for t in ours if t.children for c in t.children if "break" in c.type]
    assert breaks and set(breaks) == {"hardbreak"}
    fence = next(t for t in ours if t.type == "fence")
    assert fence.content == "def add(a, b):\n    return a + b\n"
    assert chat_parser() is chat_parser()  # one parser, not one per append
