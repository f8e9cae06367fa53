"""A minimal host app for the settings-area screens (independent of the main app)."""

from __future__ import annotations

from typing import Any

import pytest
from textual.app import App
from textual.screen import Screen

from mmchat.config import LoadedConfig, load_config
from mmchat.config_schema import Config
from mmchat.tui.themes import register_themes


class Host(App[None]):
    """Pushes one screen; collects configs handed to the on_saved callback."""

    def __init__(self, make_screen: Any = None) -> None:
        super().__init__()
        self.make_screen = make_screen
        self.saved: list[Config] = []

    def on_mount(self) -> None:
        register_themes(self)
        self.theme = "mmchat-dark"
        if self.make_screen is not None:
            screen: Screen[Any] = self.make_screen(self)
            self.push_screen(screen)


@pytest.fixture
def loaded() -> LoadedConfig:
    """The default config, written into the test's MMCHAT_CONFIG_DIR."""
    return load_config()
