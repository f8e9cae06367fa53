"""Start-up stays fast: paint first, load after; `mmchat --version` imports nothing heavy."""

from __future__ import annotations

import subprocess
import sys
from typing import Any

import pytest

from mmchat import paths
from mmchat.cli import SUBCOMMAND_HELP, SUBCOMMANDS, build_parser
from mmchat.tui.app import MMChatApp, make_app
from mmchat.tui.screens.chat import ChatScreen
from mmchat.tui.screens.error import StartupErrorScreen

HEAVY = ("textual", "pydantic", "httpx", "mmchat.config", "mmchat.engine")


def _modules_after(code: str) -> set[str]:
    out = subprocess.run(
        [sys.executable, "-c", f"{code}\nimport sys\nprint(' '.join(sys.modules))"],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    return set(out.stdout.split())


def _heavy(modules: set[str]) -> list[str]:
    return sorted(m for m in modules if m.split(".")[0] in HEAVY or m in HEAVY)


def test_version_imports_nothing_heavy(capsys: pytest.CaptureFixture[str]) -> None:
    modules = _modules_after("from mmchat.cli import main\nmain(['--version'])")
    assert not _heavy(modules)
    assert not [m for m in modules if m.startswith("mmchat.cli.")]


def test_help_lists_every_command_without_importing_them() -> None:
    code = "from mmchat.cli import main\ntry:\n    main(['--help'])\nexcept SystemExit:\n    pass"
    modules = _modules_after(code)
    assert not _heavy(modules)
    assert not [m for m in modules if m.startswith("mmchat.cli.")]


def test_stub_help_matches_each_module() -> None:
    """The one-line helps in mmchat.cli are the ones the modules' add_parser give."""
    parser = build_parser(full=True)
    sub = next(a for a in parser._actions if a.dest == "command")
    helps = {action.dest: action.help for action in sub._choices_actions}  # type: ignore[attr-defined]
    assert helps == SUBCOMMAND_HELP
    assert set(SUBCOMMANDS) == set(SUBCOMMAND_HELP)


def test_the_named_command_gets_its_real_parser() -> None:
    args = build_parser("ask").parse_args(["ask", "-m", "x", "--json", "hello"])
    assert (args.command, args.model, args.json, args.prompt) == ("ask", "x", True, ["hello"])
    args = build_parser("config").parse_args(["config", "path"])
    assert args.config_command == "path"


def test_discovery_does_not_import_rapidfuzz() -> None:
    modules = _modules_after("from mmchat.plugins import discover\nr = discover([])\n"
                             "assert 'consensus' in r.names(), r.failures")  # fmt: skip
    assert "rapidfuzz" not in modules


async def test_chat_screen_is_up_before_plugins_store_and_engine(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    seen: dict[str, Any] = {}
    finish = MMChatApp._finish_startup

    async def spy(self: MMChatApp) -> None:
        chat = self.chat_screen
        assert chat is not None
        seen.update(
            screen=self.screen is chat,
            status=chat.bar.status,
            engine=self.engine,
            registry=self.registry,
            config=self.config is not None,
        )
        await finish(self)

    monkeypatch.setattr(MMChatApp, "_finish_startup", spy)
    app = make_app(onboarding=False)
    async with app.run_test(size=(120, 30)) as pilot:
        await pilot.pause()
        assert seen == {
            "screen": True, "status": "starting…",
            "engine": None, "registry": None, "config": True,
        }  # fmt: skip
        chat = app.chat_screen
        assert chat is not None and app.screen is chat
        assert app.engine is not None and app.registry is not None and app.store is not None
        assert chat.bar.status == ""
        assert chat.prompt.has_focus
        assert chat.controller.preset == app.config.defaults.preset  # type: ignore[union-attr]
        assert chat.sidebar.display
        _label, strategy, models = chat.controller.describe()
        assert strategy and models


async def test_store_failure_shows_error_then_retry() -> None:
    db = paths.db_file()
    db.mkdir(parents=True)  # a directory where the database should be: cannot open
    app = make_app(onboarding=False)
    async with app.run_test(size=(120, 30)) as pilot:
        await pilot.pause()
        assert isinstance(app.screen, StartupErrorScreen)
        db.rmdir()
        await pilot.press("r")
        await pilot.pause()
        await pilot.pause()
        assert isinstance(app.screen, ChatScreen)
        assert app.screen is app.chat_screen
        assert len([s for s in app.screen_stack if isinstance(s, ChatScreen)]) == 1
        assert app.engine is not None and app.store is not None
        assert app.screen.sidebar.display
