"""The Textual app: wiring only (config, store, registry, engine, screens, themes).

:func:`make_app` is the one way to build the app, shared by the CLI (:func:`run`) and
the tests. Paths come from :mod:`mmchat.paths`, so MMCHAT_CONFIG_DIR / MMCHAT_DATA_DIR
keep tests away from the user's files. Start-up problems (a broken config, an
unusable database) become a readable error screen, never a traceback.
"""

from __future__ import annotations

import contextlib
import gc
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from textual.binding import Binding, BindingType

from mmchat.tui.commands import MMChatCommands
from mmchat.tui.early_config import EarlyConfig
from mmchat.tui.host import ChatHost
from mmchat.tui.inert import InertControls
from mmchat.tui.runtime import Runtime, markdown_mode

_INERT = InertControls()

if TYPE_CHECKING:
    from collections.abc import Sequence

    from textual.filter import LineFilter

    from mmchat.config import LoadedConfig
    from mmchat.config_schema import Config
    from mmchat.engine import Engine
    from mmchat.history.store import Store
    from mmchat.plugins import Registry
    from mmchat.tui.screens.chat import ChatScreen

__all__ = ["MMChatApp", "make_app", "run"]


class MMChatApp(ChatHost):
    TITLE = "mmchat"
    # The one provider: mmchat's commands first, then Textual's, no duplicates.
    COMMANDS = {MMChatCommands}  # noqa: RUF012 (declared so upstream)
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+q", "quit", "Quit", id="quit", priority=True),
    ]

    def __init__(
        self,
        *,
        config_path: Path | None = None,
        loaded: LoadedConfig | None = None,
        store: Store | None = None,
        registry: Registry | None = None,
        engine: Engine | None = None,
        use_store: bool = True,
        transcript_batch: int = 12,
        onboarding: bool = True,
    ) -> None:
        super().__init__()
        self.config_path = config_path
        self.loaded = loaded
        self.store = store
        self.registry = registry
        self.engine = engine
        self.use_store = use_store
        self.transcript_batch = transcript_batch
        self.onboarding = onboarding
        self.startup_error: tuple[str, str] | None = None
        self._owns_store = store is None
        self._owns_engine = engine is None
        self.chat_screen: ChatScreen | None = None
        self._starting = False
        self._themes_registered = False
        self.early_config = EarlyConfig(config_path)
        self.runtime = self._make_runtime()
        self._early_theme()

    def _make_runtime(self) -> Runtime:
        """The app's speed machinery (see :mod:`mmchat.tui.runtime`), in the Markdown
        mode MMCHAT_MARKDOWN or the config asks for (the raw TOML before it is
        validated: a change in the settings applies at the next start)."""
        config = self.config
        configured = config.ui.markdown if config is not None else self.early_config.markdown
        mode, problem = markdown_mode(configured)
        return Runtime(
            self,
            markdown=mode,
            busy=lambda: self.chat_screen is not None and self.chat_screen.streaming,
            provider_kinds=self._provider_kinds,
            problems=[problem] if problem else [],
        )

    def _provider_kinds(self) -> set[str]:
        config = self.config
        return {p.kind for p in config.providers.values()} if config is not None else set()

    def get_line_filters(self) -> Sequence[LineFilter]:
        # Model output is untrusted: none of its control characters reach the terminal.
        return [*super().get_line_filters(), _INERT]

    @property
    def config(self) -> Config | None:
        if self.engine is not None:
            return self.engine.config
        return self.loaded.config if self.loaded is not None else None

    # -- start-up ----------------------------------------------------------------------
    def prepare(self) -> None:
        """Load config, store, plugins and engine; failures become ``startup_error``."""
        self._load_config_and_store()
        if self.startup_error is None:
            self._load_plugins_and_engine()

    def _load_config_and_store(self) -> None:
        from mmchat.config import ConfigError, load_config

        self.startup_error = None
        if self.engine is None:
            try:
                if self.loaded is None:
                    self.loaded = load_config(self.config_path)
            except ConfigError as exc:
                self.startup_error = ("mmchat cannot start: the config file has problems", str(exc))
                return
        if self.store is None and self.use_store:
            from mmchat.history.store import StoreError
            from mmchat.wiring import open_store

            try:
                self.store = open_store()
            except (StoreError, OSError) as exc:
                self.startup_error = ("mmchat cannot open its history", str(exc))

    def _load_plugins_and_engine(self) -> None:
        from mmchat.wiring import build_engine, discover_strategies

        if self.registry is None:
            self.registry = (
                self.engine.registry
                if self.engine is not None
                else discover_strategies(self.config)
            )
        if self.engine is None:
            assert self.loaded is not None
            self.engine = build_engine(self.loaded.config, self.registry, self.store)

    @property
    def starting(self) -> bool:
        """True between the first paint and the end of the deferred loading."""
        return self._starting

    async def on_mount(self) -> None:
        """Paint first, load after. The chat screen comes up with a "starting…" status
        and only what the raw TOML says (theme, sidebar, preset name: see
        :mod:`mmchat.tui.early_config`);
        right after that first frame the config is validated, the store opened, plugins
        discovered and the engine built (see :meth:`first_frame_drawn`). None of that,
        nor pydantic, is imported before the first frame. A broken config or store then
        replaces the chat screen by the error screen.

        Deferred loading runs on the event loop (not in a thread): keys typed meanwhile
        wait in the queue, so Enter is only handled once the engine exists. When the
        caller passed a registry or an engine, nothing slow is left: all is done here.
        """
        self._apply_ui_settings()
        if self.registry is not None or self.engine is not None:
            self.prepare()
            await self._show_first_screen()
            self.resume_gc()  # nothing deferred: nothing to wait for
            return
        self._starting = True
        self.pause_gc()
        # Not awaited here: Textual runs the app's Mount inside batch_update(), which
        # draws nothing until it returns; the chat screen would be laid out and rendered
        # once for nothing, then again (~40-80 ms before the first frame in tmux).
        self.call_later(self._show_first_screen)

    def first_frame_drawn(self) -> None:
        """Called by the chat screen after its first refresh: load what was deferred.
        On the app's queue: it may replace the chat screen by the error screen, which
        the chat screen's own queue cannot wait for."""
        if self._starting:
            self.call_next(self._finish_startup)

    async def _finish_startup(self) -> None:
        try:
            await self._load_deferred()
        finally:
            self.resume_gc()

    async def _load_deferred(self) -> None:
        try:
            self.prepare()
        finally:
            self._starting = False
        chat = self.chat_screen
        if chat is None:  # pragma: no cover - set whenever _starting is
            return
        if self.startup_error is not None:
            from mmchat.tui.screens.error import StartupErrorScreen

            self.chat_screen = None
            await self.switch_screen(StartupErrorScreen(*self.startup_error))
            return
        self._apply_config_ui()
        await chat.loaded()
        self._after_first_screen()

    def pause_gc(self, *, freeze: bool = False) -> None:
        """Pause the garbage collector until the deferred loading is done; ``freeze``
        (the ``mmchat`` command) also hands full collections to the app, which runs
        them between turns. See :mod:`mmchat.tui.runtime.gc_policy`."""
        self.runtime.collector.pause(freeze=freeze)

    def resume_gc(self) -> None:
        self.runtime.collector.resume()

    def turn_ended(self) -> None:
        self.runtime.collector.after_turn()

    @property
    def early_sidebar(self) -> bool:
        """Before the config is validated: does the raw TOML ask for the sidebar?"""
        return self.use_store and self.early_config.sidebar

    @property
    def early_preset(self) -> str:
        """Before the config is validated: the default preset the raw TOML names."""
        return self.early_config.preset

    def _apply_ui_settings(self) -> None:
        if self._themes_registered:
            return
        with contextlib.suppress(Exception):
            from mmchat.tui.themes import register_themes

            register_themes(self)
            self._themes_registered = True

    def _early_theme(self) -> None:
        """Pick the configured theme before Textual first parses its CSS: setting it in
        ``on_mount`` re-parses the stylesheet and re-styles every widget (tens of ms
        before the first frame). The name is peeked from the TOML (no validation);
        ``_show_first_screen`` still applies the validated one."""
        self._apply_ui_settings()
        with contextlib.suppress(Exception):
            name = self._configured_theme()
            if name in self.available_themes and name != self.theme:
                self.theme = name

    def _configured_theme(self) -> str:
        return self.config.ui.theme if self.config is not None else self.early_config.theme

    def _apply_config_ui(self) -> None:
        """The validated config's theme and keymap."""
        config = self.config
        if config is not None:
            if config.ui.theme in self.available_themes:
                self.theme = config.ui.theme
            if config.ui.keymap:
                from mmchat.tui.keymap import apply_keymap

                apply_keymap(self, config.ui.keymap)

    async def _show_first_screen(self) -> None:
        if self.startup_error is not None:
            from mmchat.tui.screens.error import StartupErrorScreen

            await self.push_screen(StartupErrorScreen(*self.startup_error))
            return
        from mmchat.tui.screens.chat import ChatScreen

        self._apply_config_ui()  # after that import: the keymap knows the chat's bindings

        self.chat_screen = ChatScreen()
        await self.push_screen(self.chat_screen)
        if not self._starting:
            self._after_first_screen()

    def _after_first_screen(self) -> None:
        from mmchat.tui.first_notices import maybe_onboard, report_problems

        report_problems(self)
        config = self.config
        if self.onboarding and config is not None and self.loaded is not None:
            maybe_onboard(self, config)

    def retry_startup(self) -> None:
        """From the error screen: load everything again."""
        self.loaded = None if self._owns_engine else self.loaded
        self.run_worker(self._retry(), exit_on_error=False)

    async def _retry(self) -> None:
        self.prepare()
        if self.startup_error is None:
            self.pop_screen()
            await self._show_first_screen()
        else:
            self.notify(self.startup_error[1], title="Still broken", severity="error")

    # -- hooks for the settings / keys / onboarding screens ----------------------------
    def apply_config(self, config: Config) -> None:
        """Use a new (already saved) config from the next turn on."""
        from mmchat.config import LoadedConfig
        from mmchat.wiring import build_engine

        old = self.engine
        path = self.loaded.path if self.loaded is not None else (self.config_path or Path())
        self.loaded = LoadedConfig(path, config, False)
        assert self.registry is not None
        self.engine = build_engine(config, self.registry, self.store)
        self._owns_engine = True
        if old is not None:
            self.run_worker(old.aclose(), exit_on_error=False)
        if config.ui.theme in self.available_themes:
            self.theme = config.ui.theme
        if self.chat_screen is not None:
            controller = self.chat_screen.controller
            if controller.adhoc is None and controller.preset not in config.presets:
                controller.use_preset(config.defaults.preset)
            self.chat_screen.refresh_bar()

    def action_open_settings(self) -> None:
        if self.loaded is None or self.registry is None:
            self.notify("No config loaded.", severity="warning")
            return
        try:
            from mmchat.tui.screens.settings import SettingsScreen
        except Exception as exc:
            self.notify(f"settings unavailable: {exc}", severity="error")
            return
        self.push_screen(SettingsScreen(self.loaded, self.registry, self.apply_config))

    def action_open_keys(self) -> None:
        if self.config is None:
            return
        try:
            from mmchat.tui.screens.keys import KeysScreen
        except Exception as exc:
            self.notify(f"keys screen unavailable: {exc}", severity="error")
            return
        self.push_screen(KeysScreen(self.config))

    async def on_unmount(self) -> None:
        self.resume_gc()
        if self.engine is not None and self._owns_engine:
            with contextlib.suppress(Exception):
                await self.engine.aclose()
        if self.store is not None and self._owns_store:
            with contextlib.suppress(Exception):
                self.store.close()


def make_app(
    *,
    config_path: Path | None = None,
    loaded: LoadedConfig | Config | None = None,
    store: Store | None = None,
    registry: Registry | None = None,
    engine: Engine | None = None,
    use_store: bool = True,
    transcript_batch: int = 12,
    onboarding: bool = True,
    hide_timings: bool | None = None,
) -> MMChatApp:
    """Build the app. Nothing is loaded until it mounts (errors show on screen).

    ``loaded`` may be a LoadedConfig or a bare Config (tests); ``engine`` wins over
    both. ``hide_timings`` replaces live durations by a fixed mark (snapshots).
    """
    if loaded is not None:
        from mmchat.config import LoadedConfig

        if not isinstance(loaded, LoadedConfig):
            loaded = LoadedConfig(config_path or Path("config.toml"), loaded, False)
    if hide_timings is not None:
        from mmchat.tui.widgets.fmt import hide_timings as set_hidden

        set_hidden(hide_timings)
    return MMChatApp(
        config_path=config_path,
        loaded=loaded,
        store=store,
        registry=registry,
        engine=engine,
        use_store=use_store,
        transcript_batch=transcript_batch,
        onboarding=onboarding,
    )


def run(*, gc_paused: bool = False, **kwargs: Any) -> int:
    """Run the app in this terminal; returns the exit code.

    ``gc_paused``: the caller (``mmchat.cli.main``) disabled the garbage collector
    before importing Textual; the app turns it back on after start-up (see
    :meth:`MMChatApp.pause_gc`).
    """
    import os

    # pydantic scans every installed distribution for its plugins on the first model
    # (6-10 ms at start-up); the app uses none. Only this process (and its children).
    os.environ.setdefault("PYDANTIC_DISABLE_PLUGINS", "__all__")
    app = make_app(**kwargs)
    if gc_paused:
        gc.enable()  # handed over to the app, which pauses it again until loaded
    app.pause_gc(freeze=True)
    app.run()
    return app.return_code or 0
