"""What the app says once the first screen is up: broken plugins and answers a crash
interrupted (mmchat.tui.first_notices)."""

from __future__ import annotations

from pathlib import Path

from mmchat import paths
from mmchat.history.store import Store
from mmchat.plugins import discover
from mmchat.tui.app import make_app
from tests.fakeserver import FakeServer
from tests.harness import make_config
from tests.tui.conftest import PRESETS, wait_for


async def test_the_user_is_told_about_broken_plugins_and_interrupted_answers(
    fake_server: FakeServer, tmp_path: Path
) -> None:
    crashed = Store.open(paths.db_file())
    conv = crashed.create_conversation()
    user = crashed.add_user_message(conv, "q", None)
    crashed.start_assistant(conv, user, "single", "single")
    crashed._conn.close()  # the app died mid-answer
    plugins = tmp_path / "plugins"
    plugins.mkdir()
    (plugins / "half_written.py").write_text("def strategy(:\n")

    app = make_app(
        loaded=make_config(fake_server, PRESETS), store=Store.open(paths.db_file()),
        registry=discover([plugins]), onboarding=False,
    )  # fmt: skip
    async with app.run_test() as pilot:

        def said(text: str) -> bool:
            return any(text in str(n.message) for n in app._notifications)

        await wait_for(pilot, lambda: said("were interrupted by a crash"))
        assert said("1 answer(s) were interrupted by a crash; their partial text is kept.")
        assert said("half_written")
        assert app.chat_screen is not None and app.chat_screen.prompt.has_focus
