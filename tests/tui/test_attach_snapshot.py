"""Snapshot of attachments on screen: chips on a sent message, and a chip row above the
prompt for the next one (deterministic, as in test_snapshots.py)."""

from __future__ import annotations

from typing import Any

from mmchat.api import Attachment
from tests.fakeserver import FakeServer
from tests.sample_images import png
from tests.tui.conftest import build_app, idle, send, wait_for

VISION = {"a": {"provider": "fake", "model": "model-a", "vision": True}}
NOTES = Attachment("release-notes.md", "text/markdown", b"# 2.0\n- attachments\n" * 40)
CHART = Attachment("chart.png", "image/png", png(16, 16))
LOG = Attachment("build.log", "text/plain", b"ok\n" * 700)


def test_chips_on_a_message_and_above_the_prompt(
    fake_server: FakeServer, snap_compare: Any
) -> None:
    fake_server.script("model-a", "The chart shows the 2.0 release going out on time.")
    app = build_app(fake_server, models=VISION)

    async def run_before(pilot: Any) -> None:
        chat = pilot.app.chat_screen
        chat.prompt.cursor_blink = False
        await chat.attachments.set_files([NOTES, CHART])
        await send(pilot, "What does the chart say about the release?")
        await wait_for(pilot, idle(pilot.app))
        await chat.attachments.add(LOG)
        chat.prompt.text = "And this log?"
        await pilot.pause()
        pilot.app.clear_notifications()
        await pilot.pause()

    assert snap_compare(app, terminal_size=(120, 30), run_before=run_before)
