from __future__ import annotations

import stat
import tomllib
from pathlib import Path

from textual.widgets import Input, Select, Static

from mmchat.config import LoadedConfig
from mmchat.plugins import discover
from mmchat.tui.forms import ModelForm
from mmchat.tui.screens.settings import SettingsScreen
from mmchat.tui.screens.settings_entry import EntryEditor
from tests.tui_settings.conftest import Host


def _host(loaded: LoadedConfig) -> Host:
    return Host(lambda app: SettingsScreen(loaded, discover(), app.saved.append))


async def test_edit_model_temperature_and_save(loaded: LoadedConfig) -> None:
    app = _host(loaded)
    async with app.run_test(size=(140, 50)) as pilot:
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, SettingsScreen)
        editor = screen.query_one("#models-editor", EntryEditor)
        assert editor.entry_name() == "local"
        temp = editor.query_one("#field-temperature", Input)
        assert temp.value == "0.1"  # the shipped default (mmchat/default_config.toml)
        temp.value = "0.25"
        await pilot.press("ctrl+s")
        await pilot.pause()
    data = tomllib.loads(loaded.path.read_text())
    assert data["models"]["local"]["temperature"] == 0.25
    assert stat.S_IMODE(loaded.path.stat().st_mode) == 0o600
    assert app.saved and app.saved[-1].models["local"].temperature == 0.25


async def test_invalid_value_shows_inline_error_and_does_not_save(loaded: LoadedConfig) -> None:
    before = loaded.path.read_text()
    app = _host(loaded)
    async with app.run_test(size=(140, 50)) as pilot:
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, SettingsScreen)
        editor = screen.query_one("#models-editor", EntryEditor)
        editor.query_one("#field-temperature", Input).value = "5"
        await pilot.press("ctrl+s")
        await pilot.pause()
        form = editor.query_one("#models-form", ModelForm)
        assert "less than or equal to 2" in form.error_text()
        assert "not applied" in str(screen.query_one("#settings-status").render())
        # Escape once only warns: unsaved input is never dropped silently.
        await pilot.press("escape")
        await pilot.pause()
        assert app.screen is screen
    assert loaded.path.read_text() == before
    assert app.saved == []


async def test_preset_form_generated_from_strategy_options(loaded: LoadedConfig) -> None:
    app = _host(loaded)
    async with app.run_test(size=(140, 50)) as pilot:
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, SettingsScreen)
        editor = screen.query_one("#presets-editor", EntryEditor)
        assert editor.entry_name() == "single"
        options = editor.query_one("#presets-options", ModelForm)
        registry = discover()
        single = registry.get("single")
        assert single is not None and options.model_cls is single.Options
        model = options.query_one("#field-model", Select)
        # A model_ref option offers the configured aliases.
        offered = [str(value) for _, value in model._options if value is not Select.NULL]
        assert {"local", "precise", "creative", "terse"} <= set(offered)
        model.value = "creative"
        await pilot.pause()
        await screen.action_save()
        await pilot.pause()
    data = tomllib.loads(loaded.path.read_text())
    assert data["presets"]["single"]["options"] == {"model": "creative"}


async def test_add_provider_and_model_then_save(loaded: LoadedConfig) -> None:
    app = _host(loaded)
    async with app.run_test(size=(140, 50)) as pilot:
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, SettingsScreen)
        await pilot.click("#providers-add")
        await pilot.pause()
        editor = screen.query_one("#providers-editor", EntryEditor)
        editor.query_one("#providers-name", Input).value = "openai"
        editor.query_one("#providers-kind", Select).value = "openai"
        await pilot.pause()
        editor.query_one("#field-base_url", Input).value = "https://api.openai.com/v1"
        editor.query_one("#field-key", Input).value = "openai"
        await screen.action_save()
        await pilot.pause()
    data = tomllib.loads(loaded.path.read_text())
    assert data["providers"]["openai"] == {
        "kind": "openai",
        "base_url": "https://api.openai.com/v1",
        "key": "openai",
    }


async def test_third_party_kind_is_offered_with_its_own_form(
    third_party_kinds: Path, loaded: LoadedConfig
) -> None:
    app = _host(loaded)
    async with app.run_test(size=(140, 50)) as pilot:
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, SettingsScreen)
        await pilot.click("#providers-add")
        await pilot.pause()
        editor = screen.query_one("#providers-editor", EntryEditor)
        kind = editor.query_one("#providers-kind", Select)
        offered = [str(value) for _, value in kind._options if value is not Select.NULL]
        assert offered[:4] == ["openai", "anthropic", "ollama", "local"]
        assert "acme" in offered and "broken" not in offered
        editor.query_one("#providers-name", Input).value = "acme"
        kind.value = "acme"
        await pilot.pause()
        summary = str(editor.query_one("#providers-kind-summary", Static).render())
        assert summary == "Acme's chat API: OpenAI's protocol plus a flavour header."
        editor.query_one("#field-base_url", Input).value = "https://api.acme.test/v1"
        editor.query_one("#field-flavour", Input).value = "spicy"
        await screen.action_save()
        await pilot.pause()
    data = tomllib.loads(loaded.path.read_text())
    assert data["providers"]["acme"] == {
        "kind": "acme",
        "base_url": "https://api.acme.test/v1",
        "flavour": "spicy",
    }
