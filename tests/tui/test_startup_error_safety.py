"""The start-up error screen with a hostile or odd config file: every problem at once,
control characters shown rather than passed on, no traceback, no hang."""

from __future__ import annotations

import os

from textual.widgets import Static

from mmchat import paths
from mmchat.tui.app import make_app
from mmchat.tui.screens.error import StartupErrorScreen

CONTROL = {chr(c) for c in [*range(0x20), 0x7F, *range(0x80, 0xA0)]} - {"\n", "\t"}

HOSTILE_FILE = """[defaults]
preset = "agree"

[ui]
"\\u001b]52;c;cm0gLXJmIH4v\\u0007\\u009b31m" = 1
theme = "nope"

[providers.p]
kind = "openai"
base_url = "http://127.0.0.1:9/v1"

[models.a]
provider = "p"
model = "model-a"

[presets.agree]
strategy = "consensus"
options = { models = ["a", "a"], escalate_preset = "agree" }
"""


async def _error_text(size: tuple[int, int] = (140, 40)) -> str:
    app = make_app(onboarding=False)
    async with app.run_test(size=size) as pilot:
        await pilot.pause()
        assert isinstance(app.screen, StartupErrorScreen)
        text = str(app.screen.query_one("#error-message", Static).render())
        await pilot.press("q")
    return text


async def test_error_screen_lists_every_problem_inert() -> None:
    path = paths.ensure_dir(paths.config_dir()) / "config.toml"
    path.write_text(HOSTILE_FILE)
    text = await _error_text()
    assert not CONTROL & set(text), sorted(f"U+{ord(c):04X}" for c in CONTROL & set(text))
    assert "^[]52;c;cm0gLXJmIH4v^G<U+009B>31m" in text  # shown, not obeyed
    assert "line 5:" in text and "line 6: ui.theme" in text and "cycle: agree → agree" in text
    assert "Traceback" not in text


async def test_deep_nesting_gives_the_error_screen_not_a_traceback() -> None:
    path = paths.ensure_dir(paths.config_dir()) / "config.toml"
    path.write_text('[ui]\nsecret = "hunter2"\nx = ' + "[" * 600 + "]" * 600 + "\n")
    text = await _error_text()
    assert "line 3:" in text and "nested more than" in text
    assert "Traceback" not in text and "RecursionError" not in text and "hunter2" not in text


async def test_a_fifo_gives_the_error_screen_without_hanging() -> None:
    path = paths.ensure_dir(paths.config_dir()) / "config.toml"
    os.mkfifo(path)
    text = await _error_text()
    assert "FIFO" in text and "not a regular file" in text
