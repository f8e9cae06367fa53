"""Alt+A in a real terminal (tmux sends it as ESC a): the dialog opens with the prompt
focused, the file is attached as a chip and reaches the model with the message."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.fakeserver.server import FakeServer
from tests.test_real_terminal import Terminal, terminal  # noqa: F401 (the fixture)

pytestmark = [
    pytest.mark.integration,
    pytest.mark.skipif(
        shutil.which("tmux") is None, reason="tmux is not installed (apt-get install tmux)"
    ),
]


def test_alt_a_attaches_a_file_in_a_real_terminal(
    fake_server: FakeServer,
    terminal: Terminal,  # noqa: F811
    tmp_path: Path,
) -> None:
    notes = tmp_path / "notes.md"
    notes.write_text("The launch is on Tuesday.\n")
    terminal.wait_for(lambda s: "message" in s and "preset single" in s)
    terminal.keys("M-a")
    terminal.wait_for(lambda s: "Attach a file" in s)
    terminal.keys("-l", str(notes))
    terminal.keys("Enter")
    terminal.wait_for(lambda s: "📎 notes.md · text · 26 B" in s and "Attach a file" not in s)
    terminal.keys("When is the launch?", "Enter")
    screen = terminal.wait_for(lambda s: "echo: File: notes.md" in s)
    assert "Traceback" not in screen
    sent = fake_server.last.json["messages"][0]["content"]
    assert sent.startswith("File: notes.md\n```\nThe launch is on Tuesday.\n```")
