from __future__ import annotations

import socket
import tomllib

import keyring
import pytest
from keyring.backends import fail
from textual.widgets import Button, DataTable, Input

from mmchat import secrets
from mmchat.config import LoadedConfig, load_config, save_config
from mmchat.config_schema import Config
from mmchat.tui.screens.keys import KeysScreen
from mmchat.tui.screens.onboarding import (
    OnboardingScreen,
    add_detected,
    detect_local_servers,
    needs_onboarding,
)
from tests.fakeserver.server import FakeServer
from tests.memory_keyring import MemoryKeyring
from tests.tui_settings.conftest import Host

SECRET = "sk-test-0123456789abcdefSECRET"


def _config(base_url: str = "https://api.example.invalid/v1") -> Config:
    return Config.model_validate(
        {
            "providers": {
                "openai": {"kind": "openai", "base_url": base_url, "key": "openai"},
                "local": {"kind": "local"},
            },
            "models": {"gpt": {"provider": "openai", "model": "test-model"}},
        }
    )


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def test_keys_screen_stores_key_masked(memory_keyring: MemoryKeyring) -> None:
    app = Host(lambda _: KeysScreen(_config()))
    async with app.run_test(size=(140, 40)) as pilot:
        await pilot.pause()
        await app.workers.wait_for_complete()
        screen = app.screen
        table = screen.query_one(DataTable)
        assert table.get_cell("local", "status") == "not needed (local)"
        assert table.get_cell("openai", "status") == "missing"
        field = screen.query_one("#key-input", Input)
        assert field.password
        field.value = SECRET
        assert SECRET not in app.export_screenshot()
        await pilot.click("#key-set")
        await pilot.pause()
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert field.value == ""
        assert memory_keyring.entries[(secrets.SERVICE, "openai")] == SECRET
        status = str(table.get_cell("openai", "status"))
        assert status.startswith("in keyring") and SECRET not in status
        assert SECRET not in app.export_screenshot()
        await pilot.click("#key-delete")
        await pilot.pause()
        await app.workers.wait_for_complete()
        assert (secrets.SERVICE, "openai") not in memory_keyring.entries


async def test_keys_screen_without_keyring_says_so_and_stores_nothing() -> None:
    keyring.set_keyring(fail.Keyring())  # type: ignore[no-untyped-call]  # fixture restores
    app = Host(lambda _: KeysScreen(_config()))
    async with app.run_test(size=(140, 40)) as pilot:
        await pilot.pause()
        await app.workers.wait_for_complete()
        await pilot.pause()
        screen = app.screen
        status = str(screen.query_one("#keyring-status").render())
        assert "No usable OS keyring" in status and "environment variable" in status
        assert screen.query_one("#key-set", Button).disabled
        screen.query_one("#key-input", Input).value = SECRET
        await screen.query_one("#key-input", Input).action_submit()
        await pilot.pause()
        assert screen.query_one("#key-input", Input).value == ""
        assert "OPENAI_API_KEY" in str(screen.query_one("#key-message").render())


async def test_keys_screen_test_button_lists_models(fake_server: FakeServer) -> None:
    app = Host(lambda _: KeysScreen(_config(fake_server.openai_url)))
    async with app.run_test(size=(140, 40)) as pilot:
        await pilot.pause()
        await pilot.click("#key-test")
        await pilot.pause()
        await app.workers.wait_for_complete()
        await pilot.pause()
        cell = str(app.screen.query_one(DataTable).get_cell("openai", "reach"))
        assert cell.startswith("✓ 2 models"), cell


async def test_detect_local_servers(fake_server: FakeServer) -> None:
    closed = _free_port()
    found = await detect_local_servers([fake_server.port, closed])
    by_port = {d.port: d for d in found}
    present = by_port[fake_server.port]
    assert present.found and present.models == ("test-model", "other-model")
    assert present.base_url == fake_server.url
    assert not by_port[closed].found


async def test_detect_known_ports_report_absent() -> None:
    found = await detect_local_servers([_free_port(), _free_port()], timeout_s=0.3)
    assert len(found) == 2 and not any(d.found for d in found)


async def test_add_detected_and_onboarding_screen(fake_server: FakeServer) -> None:
    loaded = load_config()
    assert needs_onboarding(loaded.config) in (True, False)  # depends on the local runtime
    [detected] = await detect_local_servers([fake_server.port])
    config = add_detected(loaded.config, detected)
    assert config.models["test-model"].provider == detected.provider
    assert config.defaults.model == "test-model"

    app = Host(lambda a: OnboardingScreen(loaded, a.saved.append, ports=[fake_server.port]))
    async with app.run_test(size=(140, 40)) as pilot:
        await pilot.pause()
        await app.workers.wait_for_complete()
        await pilot.pause()
        await pilot.click("#add-0")
        await pilot.pause()
    data = tomllib.loads(loaded.path.read_text())
    assert data["providers"][detected.provider]["base_url"].startswith(fake_server.url)
    assert "other-model" in data["models"]
    assert app.saved and not needs_onboarding(app.saved[-1])


def test_needs_onboarding_only_local_without_runtime(monkeypatch: pytest.MonkeyPatch) -> None:
    import mmchat.tui.screens.onboarding as onboarding

    monkeypatch.setattr(onboarding, "embedded_model_available", lambda: False)
    loaded = load_config()
    assert onboarding.needs_onboarding(loaded.config)
    assert not onboarding.needs_onboarding(_config())
    save_config(_config())
    assert isinstance(load_config(), LoadedConfig)
