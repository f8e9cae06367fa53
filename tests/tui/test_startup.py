"""Start-up: a broken config shows a readable error screen, never a traceback."""

from __future__ import annotations

import gc

from textual.widgets import Static

from mmchat import paths
from mmchat.tui.app import make_app
from mmchat.tui.screens.chat import ChatScreen
from mmchat.tui.screens.error import StartupErrorScreen


async def test_broken_config_shows_error_screen() -> None:
    path = paths.ensure_dir(paths.config_dir()) / "config.toml"
    path.write_text('[defaults]\npreset = "single"\n[models.x]\nprovider = "nowhere"\nmodel = 3\n')
    app = make_app(onboarding=False)
    async with app.run_test(size=(120, 30)) as pilot:
        await pilot.pause()
        assert isinstance(app.screen, StartupErrorScreen)
        assert gc.isenabled()  # paused during start-up only
        message = str(app.screen.query_one("#error-message", Static).render())
        assert str(path) in message and "models.x" in message
        # fix the file, press r: the chat comes up
        path.write_text(
            '[providers.fake]\nkind = "openai"\nbase_url = "http://127.0.0.1:9/v1"\n'
            '[models.x]\nprovider = "fake"\nmodel = "m"\n'
            '[presets.single]\nstrategy = "single"\noptions = { model = "x" }\n'
        )
        await pilot.press("r")
        await pilot.pause()
        await pilot.pause()
        assert isinstance(app.screen, ChatScreen)


async def test_toml_syntax_error_names_the_line() -> None:
    path = paths.ensure_dir(paths.config_dir()) / "config.toml"
    path.write_text("[defaults\n")
    app = make_app(onboarding=False)
    async with app.run_test(size=(120, 30)) as pilot:
        await pilot.pause()
        assert isinstance(app.screen, StartupErrorScreen)
        assert "line 1" in str(app.screen.query_one("#error-message", Static).render())
        await pilot.press("q")
    assert app.return_code in (0, None)


async def test_first_run_writes_default_config_and_starts() -> None:
    app = make_app(onboarding=False)
    async with app.run_test(size=(120, 30)) as pilot:
        await pilot.pause()
        assert isinstance(app.screen, ChatScreen)
        assert paths.config_file().exists()
        assert paths.db_file().exists()
