"""mmchat in a real 60-column terminal (tmux, as tests/test_real_terminal.py): the
sidebar hides itself, the keys reach the app as a terminal sends them (alt+← switches
a regenerated answer with the prompt focused, ctrl+b opens the list), and the list
comes back when the window is widened."""

from __future__ import annotations

import sys
import uuid
from pathlib import Path

from tests.fakeserver import Reply
from tests.fakeserver.server import FakeServer
from tests.test_real_terminal import CONFIG, Terminal, pytestmark  # noqa: F401 (tmux marks)


def test_narrow_terminal_sidebar_and_branch_keys(
    fake_server: FakeServer, isolated_dirs: Path
) -> None:
    fake_server.script("model-a", Reply(text="First answer."), Reply(text="Second answer."))
    config_dir = isolated_dirs / "config"
    config_dir.mkdir(parents=True, exist_ok=True)
    (config_dir / "config.toml").write_text(CONFIG.format(url=fake_server.url))
    command = (
        f"env MMCHAT_CONFIG_DIR={config_dir} MMCHAT_DATA_DIR={isolated_dirs / 'data'} "
        f"{sys.executable} -m mmchat"
    )
    term = Terminal(f"mmchat-test-{uuid.uuid4().hex[:8]}", "app")
    term.tmux("new-session", "-d", "-s", term.session, "-x", "60", "-y", "30", command)
    try:
        screen = term.wait_for(lambda s: "message" in s and "starting" not in s)
        assert "Conversations" not in screen  # hidden: the chat has the whole width
        term.keys("Hello there", "Enter")
        term.wait_for(lambda s: "First answer." in s)
        term.keys("C-r")
        screen = term.wait_for(lambda s: "Second answer." in s and "2/2" in s)
        assert "First answer." not in screen
        term.keys("M-Left")  # what the terminal sends for alt+←, the prompt focused
        screen = term.wait_for(lambda s: "First answer." in s and "1/2" in s)
        assert "Second answer." not in screen
        term.keys("C-b")  # the conversation list, opened by key while narrow
        term.wait_for(lambda s: "Conversations" in s)
        term.keys("F2")
        term.wait_for(lambda s: "Conversations" not in s)
        term.tmux("resize-window", "-t", term.session, "-x", "140", "-y", "30")
        screen = term.wait_for(lambda s: "Conversations" in s and "Hello there" in s)
        assert "Traceback" not in screen
    finally:
        term.tmux("kill-server")
