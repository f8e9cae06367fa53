"""Which theme names exist, without importing Textual (config validation is headless).

A name is known when it is one of Textual's built-in themes (listed here; Textual is
pinned to 8.2.x and ``tests/test_config_safety.py`` checks the list against
``textual.theme.BUILTIN_THEMES``), or a theme file in mmchat's ``themes/`` or the
user's themes directory (``mmchat.tui.themes`` loads them; a file's ``name`` key, or
else its file name, is the theme's name). A built-in name costs one ``stat``; only
other names read the theme files (about 0.6 ms for four).
"""

from __future__ import annotations

import contextlib
import tomllib
from pathlib import Path

from mmchat import paths
from mmchat.config_error import ConfigError
from mmchat.config_file import check_text, read_config_text

__all__ = [
    "TEXTUAL_THEMES",
    "builtin_themes_dir",
    "is_known_theme",
    "theme_names",
    "user_themes_dir",
]

TEXTUAL_THEMES = frozenset(
    {
        "ansi-dark",
        "ansi-light",
        "atom-one-dark",
        "atom-one-light",
        "catppuccin-frappe",
        "catppuccin-latte",
        "catppuccin-macchiato",
        "catppuccin-mocha",
        "dracula",
        "flexoki",
        "gruvbox",
        "monokai",
        "nord",
        "rose-pine",
        "rose-pine-dawn",
        "rose-pine-moon",
        "solarized-dark",
        "solarized-light",
        "textual-dark",
        "textual-light",
        "tokyo-night",
    }
)


def builtin_themes_dir() -> Path | None:
    """``themes/`` at the repository root, or ``mmchat/_themes`` in an installed wheel
    (the same search as ``mmchat.tui.themes.builtin_themes_dir``)."""
    package = Path(__file__).resolve().parent
    for candidate in (package.parent / "themes", package / "_themes"):
        if candidate.is_dir():
            return candidate
    return None


def user_themes_dir() -> Path:
    return paths.user_themes_dir()


def _theme_dirs() -> list[Path]:
    builtin = builtin_themes_dir()
    return [d for d in (builtin, user_themes_dir()) if d is not None]


def _file_names(directory: Path) -> dict[str, str]:
    """Theme name -> file stem for every theme file in ``directory``."""
    found: dict[str, str] = {}
    with contextlib.suppress(OSError):
        for path in sorted(directory.glob("*.toml")):
            name = path.stem
            # read_config_text: a FIFO or a huge file named *.toml must not hang or stall.
            with contextlib.suppress(ConfigError, tomllib.TOMLDecodeError):
                text = read_config_text(path) or ""
                check_text(text, path)  # nesting tomllib would recurse on
                declared = tomllib.loads(text).get("name")
                if isinstance(declared, str) and declared.strip():
                    name = declared.strip()
            found[name] = path.stem
    return found


def is_known_theme(name: str) -> bool:
    if name in TEXTUAL_THEMES:
        return True
    builtin = builtin_themes_dir()
    if builtin is not None and "/" not in name and (builtin / f"{name}.toml").is_file():
        return True  # mmchat's own files are named after their themes (a test checks)
    return any(name in _file_names(d) for d in _theme_dirs())


def theme_names() -> list[str]:
    """Every theme name the app can show, sorted."""
    names = set(TEXTUAL_THEMES)
    for directory in _theme_dirs():
        names.update(_file_names(directory))
    return sorted(names)
