"""The command palette: mmchat's commands first, no duplicates, "keys" finds API keys,
Textual's key help closes with esc; a theme picked there is saved in the config and is
still there after a restart."""

from __future__ import annotations

import tomllib
from typing import Any

from textual.command import CommandPalette
from textual.widgets import OptionList

from mmchat import paths
from mmchat.config import save_config
from mmchat.history.store import Store
from mmchat.plugins import discover
from mmchat.tui.app import MMChatApp, make_app
from tests.fakeserver import FakeServer
from tests.harness import make_config
from tests.tui.conftest import PRESETS, build_app, wait_for


def hits(app: MMChatApp) -> list[str]:
    """The palette's results, by name (the first line of each)."""
    options = app.screen.query_one(OptionList)
    return [
        str(options.get_option_at_index(i).prompt).split("\n")[0].strip()
        for i in range(options.option_count)
    ]


async def search(pilot: Any, app: MMChatApp, query: str, first: str) -> list[str]:
    if not isinstance(app.screen, CommandPalette):
        await pilot.press("ctrl+p")
        await wait_for(pilot, lambda: isinstance(app.screen, CommandPalette))
    await pilot.press(*query)
    await wait_for(pilot, lambda: bool(hits(app)) and hits(app)[0] == first)
    await pilot.pause(0.3)  # every provider has answered
    return hits(app)


async def test_keys_finds_api_keys_first(fake_server: FakeServer) -> None:
    app = build_app(fake_server)
    async with app.run_test(size=(120, 40)) as pilot:
        found = await search(pilot, app, "keys", "API keys")
        assert found.count("Keys") == 1 and found.index("Keys") > 0  # Textual's, after
        await pilot.press("enter")
        from mmchat.tui.screens.keys import KeysScreen

        await wait_for(pilot, lambda: isinstance(app.screen, KeysScreen))


async def test_theme_listed_once_and_own_commands_first(fake_server: FakeServer) -> None:
    app = build_app(fake_server)
    async with app.run_test(size=(120, 40)) as pilot:
        found = await search(pilot, app, "theme", "Theme")
        assert found.count("Theme") == 1
        await pilot.press("escape")
        await wait_for(pilot, lambda: not isinstance(app.screen, CommandPalette))
        # with nothing typed: every mmchat command, then Textual's (Quit is Textual's)
        await pilot.press("ctrl+p")
        await wait_for(pilot, lambda: "Quit" in hits(app))
        listed = hits(app)
        assert len(listed) == len(set(listed)), listed
        assert listed.index("New chat") < listed.index("API keys") < listed.index("Quit")
        assert listed.index("Eval results") < listed.index("Quit")


async def test_textual_key_help_closes_with_escape(fake_server: FakeServer) -> None:
    app = build_app(fake_server)
    async with app.run_test(size=(120, 40)) as pilot:
        chat = app.chat_screen
        assert chat is not None
        await pilot.press("alt+t")  # the prompt's own keys would fill the panel first
        found = await search(pilot, app, "keys", "API keys")
        options = app.screen.query_one(OptionList)
        options.highlighted = found.index("Keys")
        await pilot.press("enter")
        await wait_for(pilot, lambda: bool(app.screen.query("HelpPanel")))
        assert app.screen is chat and chat.transcript.has_focus
        # the keys panel lists the navigation keys (hidden from the footer)
        from tests.reliability.test_tui_faults import screen_text

        await wait_for(pilot, lambda: "Next pane" in screen_text(app)[0])
        text = screen_text(app)[0]
        assert "Previous branch" in text and "Transcript" in text
        await pilot.press("escape")
        await wait_for(pilot, lambda: not app.screen.query("HelpPanel"))
        assert app.screen is chat
        # the same with the prompt focused (esc there also stops a running turn)
        chat.prompt.focus()
        found = await search(pilot, app, "keys", "API keys")
        app.screen.query_one(OptionList).highlighted = found.index("Keys")
        await pilot.press("enter")
        await wait_for(pilot, lambda: bool(app.screen.query("HelpPanel")))
        assert chat.prompt.has_focus
        await pilot.press("escape")
        await wait_for(pilot, lambda: not app.screen.query("HelpPanel"))


async def test_picked_theme_is_saved_and_survives_a_restart(fake_server: FakeServer) -> None:
    path = paths.config_file()
    save_config(make_config(fake_server, {"single": PRESETS["single"]}), path)

    def start() -> MMChatApp:
        store = Store.open(paths.db_file())
        return make_app(config_path=path, store=store, registry=discover([]), onboarding=False)

    app = start()
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for(pilot, lambda: app.config is not None and app.chat_screen is not None)
        assert app.theme != "mmchat-light"
        await search(pilot, app, "theme", "Theme")
        await pilot.press("enter")
        await wait_for(pilot, lambda: "mmchat-light" in hits(app))
        await pilot.press(*"mmchat-light")
        await wait_for(pilot, lambda: hits(app)[:1] == ["mmchat-light"])
        await pilot.press("enter")
        await wait_for(pilot, lambda: app.theme == "mmchat-light")
    saved = tomllib.loads(path.read_text("utf-8"))
    assert saved["ui"]["theme"] == "mmchat-light"
    assert saved["presets"]["single"]["strategy"] == "single"  # the rest is kept

    again = start()
    async with again.run_test(size=(120, 40)) as pilot:
        await wait_for(pilot, lambda: again.config is not None)
        await pilot.pause()
        assert again.theme == "mmchat-light"


async def test_unwritable_config_keeps_the_theme_for_the_session(
    fake_server: FakeServer,
) -> None:
    from mmchat.config import LoadedConfig
    from mmchat.tui.themes import choose_theme

    app = build_app(fake_server)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for(pilot, lambda: app.config is not None and app.chat_screen is not None)
        blocker = paths.ensure_dir(paths.config_dir()) / "not-a-folder"
        blocker.write_text("")
        assert app.config is not None
        # the config's folder cannot be made: a file is in its place
        app.loaded = LoadedConfig(blocker / "config.toml", app.config, False)
        choose_theme(app, "mmchat-light")
        await pilot.pause()
        assert app.theme == "mmchat-light"
        notes = [n.message for n in app._notifications]
        assert any("used until mmchat quits" in n for n in notes), notes
        assert blocker.read_text() == ""
