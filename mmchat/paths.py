"""Where mmchat keeps its files.

platformdirs gives the per-OS locations; the MMCHAT_* environment variables override
them so tests (and users with unusual set-ups) never touch the real directories.
Nothing here creates directories except :func:`ensure_dir`; importing is cheap.
"""

from __future__ import annotations

import os
from pathlib import Path

import platformdirs

APP_NAME = "mmchat"

CONFIG_DIR_ENV = "MMCHAT_CONFIG_DIR"
DATA_DIR_ENV = "MMCHAT_DATA_DIR"
CACHE_DIR_ENV = "MMCHAT_CACHE_DIR"


def _override(env_var: str) -> Path | None:
    value = os.environ.get(env_var, "").strip()
    return Path(value).expanduser() if value else None


def config_dir() -> Path:
    """The directory holding config.toml, user plugins and themes."""
    return _override(CONFIG_DIR_ENV) or Path(platformdirs.user_config_dir(APP_NAME))


def data_dir() -> Path:
    """The directory holding the history database and logs."""
    return _override(DATA_DIR_ENV) or Path(platformdirs.user_data_dir(APP_NAME))


def cache_dir() -> Path:
    """Disposable files (downloaded models, etc.)."""
    return _override(CACHE_DIR_ENV) or Path(platformdirs.user_cache_dir(APP_NAME))


def log_dir() -> Path:
    # Under the data dir so MMCHAT_DATA_DIR moves logs too (one override for tests).
    return data_dir() / "logs"


def config_file() -> Path:
    return config_dir() / "config.toml"


def db_file() -> Path:
    return data_dir() / "history.sqlite3"


def user_plugins_dir() -> Path:
    return config_dir() / "plugins"


def user_themes_dir() -> Path:
    return config_dir() / "themes"


def ensure_dir(path: Path, mode: int = 0o700) -> Path:
    """Create ``path`` (and parents) if missing; private by default."""
    path.mkdir(parents=True, exist_ok=True, mode=mode)
    return path
