"""What the chat screen, its controller, the palette and the first notices use of the app.

Declared apart from :class:`~mmchat.tui.app.MMChatApp`, which imports those modules,
so that they type against this class without importing the app back: the TUI has no
import cycle (tests/test_contracts.py checks it, TYPE_CHECKING imports included).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Protocol

from textual.app import App

if TYPE_CHECKING:
    from mmchat.config import LoadedConfig
    from mmchat.config_schema import Config
    from mmchat.engine import Engine
    from mmchat.history.store import Store
    from mmchat.plugins import Registry
    from mmchat.tui.runtime import Runtime

__all__ = ["ChatHost", "Command", "PaletteSource"]

# A palette entry: (name, help, what it does).
Command = tuple[str, str, Callable[[], Any]]


class PaletteSource(Protocol):
    """A screen that adds its own entries to the command palette."""

    def palette_commands(self) -> list[Command]: ...


class ChatHost(App[int]):
    """The app as its screens see it; :class:`MMChatApp` is the one implementation."""

    loaded: LoadedConfig | None
    store: Store | None
    registry: Registry | None
    engine: Engine | None
    runtime: Runtime
    transcript_batch: int
    chat_screen: PaletteSource | None  # the ChatScreen; None before the first screen

    @property
    def config(self) -> Config | None:
        raise NotImplementedError

    @property
    def starting(self) -> bool:
        """True between the first paint and the end of the deferred loading."""
        raise NotImplementedError

    @property
    def early_sidebar(self) -> bool:
        raise NotImplementedError

    @property
    def early_preset(self) -> str:
        raise NotImplementedError

    def first_frame_drawn(self) -> None:
        raise NotImplementedError

    def turn_ended(self) -> None:
        raise NotImplementedError

    def apply_config(self, config: Config) -> None:
        raise NotImplementedError

    def action_open_settings(self) -> None:
        raise NotImplementedError

    def action_open_keys(self) -> None:
        raise NotImplementedError
