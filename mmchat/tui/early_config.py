"""The config file read as plain TOML, before it is validated.

The first frame is painted before pydantic and the config schema are imported (see
``MMChatApp.on_mount``). What it needs from the config (theme, sidebar, the default
preset's name, the Markdown mode) is read here, without validation; anything odd falls
back to the defaults, and the validated config is applied right after that frame.
"""

from __future__ import annotations

import contextlib
import tomllib
from pathlib import Path
from typing import Any

__all__ = ["EarlyConfig"]

DEFAULT_FILE = Path(__file__).parent.parent / "default_config.toml"


class EarlyConfig:
    def __init__(self, path: Path | None) -> None:
        self._path = path
        self._raw: dict[str, Any] | None = None

    @property
    def raw(self) -> dict[str, Any]:
        """The TOML as read ({} if absent or unreadable), read once."""
        if self._raw is None:
            self._raw = {}
            with contextlib.suppress(Exception):
                from mmchat import paths
                from mmchat.config_file import check_text, read_config_text

                path = self._path or paths.config_file()
                # Never blocks on a FIFO; refuses huge or deeply nested files, like load_config.
                text = read_config_text(path)
                if text is None:  # the default config is written on the first run
                    text = DEFAULT_FILE.read_text("utf-8")
                check_text(text, path)
                self._raw = tomllib.loads(text)
        return self._raw

    def _section(self, name: str) -> dict[str, Any]:
        section = self.raw.get(name)
        return section if isinstance(section, dict) else {}

    @property
    def sidebar(self) -> bool:
        return self._section("ui").get("sidebar", True) is not False

    @property
    def preset(self) -> str:
        preset = self._section("defaults").get("preset", "")
        return preset if isinstance(preset, str) else ""

    @property
    def theme(self) -> str:
        theme = self._section("ui").get("theme", "mmchat-dark")
        return theme if isinstance(theme, str) else ""

    @property
    def markdown(self) -> str:
        """The Markdown mode (``lean`` | ``stock``; anything else: lean)."""
        mode = self._section("ui").get("markdown", "lean")
        return mode if mode in ("lean", "stock") else "lean"
