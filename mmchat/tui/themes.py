"""Colour themes from TOML files: the built-ins plus the user's themes directory.

A theme file maps onto :class:`textual.theme.Theme`::

    name = "my-theme"          # optional, defaults to the file name
    dark = true
    primary = "#4FB3BF"        # required; the other colours are optional
    background = "#161A21"
    [variables]                # optional Textual CSS variables
    "footer-key-foreground" = "#4FB3BF"

A file that cannot be read or is not a valid theme is skipped and reported; loading
themes never raises. User themes override built-ins of the same name.

A theme picked in the palette (:func:`pick_theme`) is saved as ``[ui] theme`` in the
config file, through the same validated, atomic writer as the settings screen.
"""

from __future__ import annotations

import tomllib
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

from textual.app import App
from textual.color import Color, ColorParseError
from textual.theme import Theme, ThemeProvider

import mmchat
from mmchat import paths

if TYPE_CHECKING:
    from mmchat.tui.host import ChatHost

__all__ = [
    "builtin_themes_dir",
    "load_theme_file",
    "load_themes",
    "pick_theme",
    "register_themes",
    "save_theme",
]

COLOR_FIELDS = (
    "primary",
    "secondary",
    "accent",
    "foreground",
    "background",
    "surface",
    "panel",
    "boost",
    "warning",
    "error",
    "success",
)
_OTHER_FIELDS = frozenset({"name", "dark", "variables", "luminosity_spread", "text_alpha"})


def builtin_themes_dir() -> Path | None:
    """``themes/`` at the repository root, or ``mmchat/_themes`` in an installed wheel."""
    package = Path(mmchat.__file__).resolve().parent
    for candidate in (package.parent / "themes", package / "_themes"):
        if candidate.is_dir():
            return candidate
    return None


def load_theme_file(path: Path) -> Theme:
    """Parse one theme file; raises ValueError with a readable message."""
    from mmchat.config_error import ConfigError
    from mmchat.config_file import read_config_text

    try:
        # As the config is read: a FIFO, a device or a huge file is refused, not waited on.
        text = read_config_text(path)
    except ConfigError as exc:
        raise ValueError(str(exc)) from None
    if text is None:
        raise ValueError("it is gone")
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ValueError(f"invalid TOML: {exc}") from None
    unknown = sorted(set(data) - set(COLOR_FIELDS) - _OTHER_FIELDS)
    if unknown:
        raise ValueError(f"unknown keys: {', '.join(unknown)}")
    name = data.get("name", path.stem)
    if not isinstance(name, str) or not name.strip():
        raise ValueError("`name` must be a non-empty string")
    if "primary" not in data:
        raise ValueError("`primary` colour is required")
    colors: dict[str, Any] = {}
    for key in COLOR_FIELDS:
        if key in data:
            value = data[key]
            if not isinstance(value, str):
                raise ValueError(f'`{key}` must be a colour string like "#336699"')
            try:
                Color.parse(value)
            except ColorParseError:
                raise ValueError(f"`{key}`: not a colour: {value!r}") from None
            colors[key] = value
    dark = data.get("dark", True)
    if not isinstance(dark, bool):
        raise ValueError("`dark` must be true or false")
    variables = data.get("variables", {})
    if not isinstance(variables, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in variables.items()
    ):
        raise ValueError("[variables] must map names to strings")
    extra: dict[str, Any] = {}
    for key in ("luminosity_spread", "text_alpha"):
        if key in data:
            if not isinstance(data[key], (int, float)) or isinstance(data[key], bool):
                raise ValueError(f"`{key}` must be a number")
            extra[key] = float(data[key])
    theme = Theme(name=name.strip(), dark=dark, variables=dict(variables), **colors, **extra)
    try:
        theme.to_color_system()
    except Exception as exc:  # whatever Textual objects to, as a message
        raise ValueError(f"not a usable theme: {exc}") from None
    return theme


def _load_dir(directory: Path, themes: dict[str, Theme], errors: list[str]) -> None:
    try:
        files = sorted(directory.glob("*.toml"))
    except OSError as exc:
        errors.append(f"{directory}: cannot list themes: {exc}")
        return
    for path in files:
        try:
            theme = load_theme_file(path)
        except ValueError as exc:
            errors.append(f"theme {path}: {exc}")
            continue
        themes[theme.name] = theme


def load_themes(
    builtin_dir: Path | None = None, user_dir: Path | None = None
) -> tuple[list[Theme], list[str]]:
    """Built-in then user themes (by name, users win) and one message per bad file."""
    themes: dict[str, Theme] = {}
    errors: list[str] = []
    builtin = builtin_dir or builtin_themes_dir()
    if builtin is not None:
        _load_dir(builtin, themes, errors)
    user = user_dir or paths.user_themes_dir()
    if user.is_dir():
        _load_dir(user, themes, errors)
    return list(themes.values()), errors


def register_themes(app: App[Any], *, notify: bool = True) -> list[str]:
    """Register every loadable theme with ``app``; errors are notified and returned."""
    themes, errors = load_themes()
    for theme in themes:
        try:
            app.register_theme(theme)
        except Exception as exc:  # never let one theme stop the app
            errors.append(f"theme {theme.name}: {exc}")
    if notify and errors:
        app.notify("\n".join(errors), title="Some themes were skipped", severity="warning")
    return errors


class SavingThemeProvider(ThemeProvider):
    """Textual's theme list, where choosing a theme also saves it in the config."""

    @property
    def commands(self) -> list[tuple[str, Callable[[], None]]]:
        app: ChatHost = self.app  # type: ignore[assignment]
        return [(name, partial(choose_theme, app, name)) for name, _ in super().commands]


def pick_theme(app: ChatHost) -> None:
    """The theme palette (as Textual's "Theme" command shows it), saving the choice."""
    from textual.command import CommandPalette

    app.push_screen(
        CommandPalette(providers=[SavingThemeProvider], placeholder="Search for themes…")
    )


def choose_theme(app: ChatHost, name: str) -> None:
    app.theme = name
    problem = save_theme(app, name)
    if problem:
        app.notify(f"Theme {name} is used until mmchat quits: {problem}", severity="warning")


def save_theme(app: ChatHost, name: str) -> str | None:
    """Write ``[ui] theme = name`` to the app's config file; None, or why it could not."""
    loaded = app.loaded
    if loaded is None:
        return "no config is loaded"
    config = loaded.config
    if config.ui.theme == name:
        return None
    from mmchat.config import save_config

    changed = config.model_copy(update={"ui": config.ui.model_copy(update={"theme": name})})
    try:
        save_config(changed, loaded.path)
    except OSError as exc:
        return f"the config file cannot be written ({exc})"
    # The app's config (the engine shares it) says what the file now says.
    config.ui.theme = name
    return None
