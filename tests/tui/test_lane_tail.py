"""A streaming fan-out pane lays out only the tail of its answer (older blocks are
hidden while it streams; a reopened pane does not mount them), and shows it all when
the user turns to it."""

from __future__ import annotations

from textual.widgets.markdown import MarkdownBlock

from mmchat.tui.runtime.tuning import TAIL_LINES
from mmchat.tui.widgets.lane_pane import LanePane
from tests.fakeserver import FakeServer, Reply
from tests.reliability.test_tui_faults import screen_text
from tests.tui.conftest import build_app, idle, send, wait_for

LONG = "\n\n".join(f"Paragraph {n}: " + "words that fill the pane " * 6 for n in range(1, 41))
LONG += "\n\n| name | value |\n|---|---|\n| alpha | 1 |\n| omega | 2 |"  # ends in a table


def blocks(pane: LanePane) -> list[MarkdownBlock]:
    """The blocks a layout of the pane has to place."""
    return [b for b in pane.body.markdown.query_children(MarkdownBlock) if b.display]


async def test_streaming_pane_mounts_the_tail_and_shows_everything_when_focused(
    fake_server: FakeServer,
) -> None:
    fake_server.script("model-a", Reply(text=LONG, chunk_chars=40, delay=0.004))
    fake_server.script("model-b", Reply(text="short answer from b", delay=0.01))
    fake_server.script("model-c", Reply(text="short answer from c", delay=0.01))
    app = build_app(fake_server, preset="compare")
    async with app.run_test(size=(150, 45)) as pilot:
        await send(pilot, "compare please")
        most = 0
        chat = app.chat_screen
        assert chat is not None

        def pane_a() -> LanePane | None:
            return next((p for p in app.screen.query(LanePane) if p.info.model == "a"), None)

        while not idle(app)():
            pane = pane_a()
            if pane is not None:
                most = max(most, len(blocks(pane)))
            await pilot.pause(0.01)
        await pilot.pause()
        pane = pane_a()
        assert pane is not None and pane.info.status == "done"
        # 40 paragraphs of 3-4 lines were streamed; about TAIL_LINES lines stayed shown
        assert most < 40 and len(blocks(pane)) <= TAIL_LINES // 2
        assert pane.body.hidden_blocks > 0
        text, _ = screen_text(app)
        assert "earlier text" in text  # the pane says some text is not shown yet
        assert "omega" in text  # the newest text is what the pane shows, to its end:
        assert "└" in text  # the table's last line (a settled pane once cut off two)
        await wait_for(pilot, lambda: pane._scroll.max_scroll_y > 0)
        assert pane._scroll.scroll_y == pane._scroll.max_scroll_y, "stopped above the end"
        assert pane.text == LONG  # nothing was lost
        # Settled, the hidden blocks are unmounted too: a long session's DOM stays small
        await wait_for(pilot, lambda: len(pane.body.markdown.children) <= TAIL_LINES // 2)
        pane.focus()
        await wait_for(pilot, lambda: len(blocks(pane)) == 41)
        assert pane.body.hidden_blocks == 0
        await pilot.press("home")  # read back from the start, with the pane's own keys
        await pilot.pause()
        text, _ = screen_text(app)
        assert "Paragraph 1:" in text and "earlier text" not in text


async def test_a_reopened_fan_out_mounts_the_tail_of_each_pane(fake_server: FakeServer) -> None:
    fake_server.script("model-a", Reply(text=LONG, chunk_chars=400, delay=0.001))
    fake_server.script("model-b", "short answer from b")
    fake_server.script("model-c", "short answer from c")
    app = build_app(fake_server, preset="compare")
    async with app.run_test(size=(150, 45)) as pilot:
        await send(pilot, "compare please")
        await wait_for(pilot, idle(app))
        chat = app.chat_screen
        assert chat is not None and chat.controller.conversation_id is not None
        conversation = chat.controller.conversation_id
        await chat.controller.new_chat()
        await chat.controller.open_conversation(conversation)
        await pilot.pause()

        def pane_a() -> LanePane | None:
            return next((p for p in app.screen.query(LanePane) if p.info.model == "a"), None)

        await wait_for(pilot, lambda: (p := pane_a()) is not None and p.info.closed is not None)
        pane = pane_a()
        assert pane is not None
        await pilot.pause()
        assert 0 < len(blocks(pane)) <= TAIL_LINES // 2 and pane.body.hidden_blocks > 0
        text, _ = screen_text(app)
        assert "omega" in text  # the pane shows the end of the answer
        assert text.count("earlier text") == 1  # only the long pane hides any
        pane.focus()
        await wait_for(pilot, lambda: len(blocks(pane)) == 41)
