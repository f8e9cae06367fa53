"""Start-up stays fast: paint first, load after; `mmchat --version` imports nothing heavy."""

from __future__ import annotations

import gc
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


# Loaded after the first frame, never before it (pydantic alone is ~100 ms).
NOT_BEFORE_FIRST_FRAME = (
    "pydantic", "httpx", "mmchat.config", "mmchat.config_schema", "mmchat.api",
    "mmchat.engine", "mmchat.history.store", "mmchat.plugins", "mmchat.tui.controller",
    "mmchat.providers",
)  # fmt: skip

FIRST_FRAME_CHILD = """
import asyncio, sys
from mmchat.tui.app import MMChatApp, make_app
early = set(sys.modules)

async def spy(self):  # the first frame is drawn; the deferred loading would start now
    chat = self.chat_screen
    print("FOCUS", chat.prompt.has_focus, chat.bar.status, flush=True)
    print("FRAME", " ".join(sys.modules), flush=True)
    self.exit()

MMChatApp._finish_startup = spy

async def main():
    app = make_app(onboarding=False)
    async with app.run_test(size=(120, 30)) as pilot:
        await pilot.pause()
        await pilot.pause()

asyncio.run(main())
print("IMPORT", " ".join(early), flush=True)
"""


def _leaks(modules: set[str]) -> list[str]:
    heavy = NOT_BEFORE_FIRST_FRAME
    return sorted(m for m in modules if any(m == h or m.startswith(f"{h}.") for h in heavy))


@pytest.mark.parametrize("config", ["default", "written"])
def test_first_frame_imports_no_config_schema_store_or_engine(config: str) -> None:
    """Importing the app and drawing the chat screen (prompt focused) needs none of the
    config validation, store, plugins or engine: they load after the first frame."""
    if config == "written":  # a config file exists (not the first run)
        path = paths.ensure_dir(paths.config_dir()) / "config.toml"
        path.write_text('[defaults]\npreset = "fan"\n[ui]\nsidebar = false\n')
    out = subprocess.run(
        [sys.executable, "-c", FIRST_FRAME_CHILD], capture_output=True, text=True, check=True
    ).stdout.splitlines()
    lines = {line.split(" ", 1)[0]: line.split(" ", 1)[1] for line in out if " " in line}
    assert lines["FOCUS"] == "True starting…"
    assert not _leaks(set(lines["IMPORT"].split()))
    assert not _leaks(set(lines["FRAME"].split()))


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
            config=self.config,
            store=self.store,
            sidebar=chat.sidebar.display,  # from the raw TOML, before validation
            focus=chat.prompt.has_focus,
            gc=gc.isenabled(),  # paused from mount to the end of the deferred loading
        )
        await finish(self)

    monkeypatch.setattr(MMChatApp, "_finish_startup", spy)
    app = make_app(onboarding=False)
    async with app.run_test(size=(120, 30)) as pilot:
        await pilot.pause()
        assert seen == {
            "screen": True, "status": "starting…", "engine": None, "registry": None,
            "config": None, "store": None, "sidebar": True, "focus": True, "gc": False,
        }  # fmt: skip
        assert gc.isenabled()
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


AFTER_START_UP_CHILD = """
import asyncio, sys
from mmchat.tui.runtime.tuning import PREFETCH_AFTER
from mmchat.tui.app import make_app

async def main():
    app = make_app(onboarding=False)
    async with app.run_test(size=(120, 30)) as pilot:
        await pilot.pause(PREFETCH_AFTER + 0.2)
        for _ in range(200):  # the imports run in a thread: give it up to 10 s
            if all(name in sys.modules for name in {needed!r}):
                break
            await asyncio.sleep(0.05)
        print("IDLE", " ".join(sys.modules), flush=True)

asyncio.run(main())
"""


def test_what_the_first_turn_needs_is_imported_once_start_up_is_over() -> None:
    """The first turn of a session waited 0.2-0.3 s for imports (httpx, its asyncio
    backend, the provider, the message views); they now load in the background.
    The default config's local model speaks OpenAI's protocol to its server."""
    needed = [
        "mmchat.tui.widgets.assistant_message",
        "mmchat.providers.http",
        "mmchat.providers.openai",
        "anyio._backends._asyncio",
    ]
    child = AFTER_START_UP_CHILD.replace("{needed!r}", repr(needed))
    out = subprocess.run(
        [sys.executable, "-c", child], capture_output=True, text=True, check=True
    ).stdout.splitlines()
    modules = set(next(line for line in out if line.startswith("IDLE ")).split()[1:])
    assert [name for name in needed if name not in modules] == []
    assert "mmchat.providers.local" not in modules  # it may load llama.cpp
