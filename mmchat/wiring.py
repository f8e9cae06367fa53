"""The composition root: the one place that builds mmchat's parts and joins them.

Config, the strategy registry, the history store and the engine are built here for
the CLI (``mmchat ask``, ``config validate``), the TUI (at start-up and when settings
change) and ``eval`` alike, so they cannot be wired differently. Each step is its own
function because the TUI needs them apart (it paints before it loads, and shows a
broken config or store on an error screen); :func:`open_session` does them all.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from mmchat import paths

if TYPE_CHECKING:
    from mmchat.config import LoadedConfig
    from mmchat.config_schema import Config
    from mmchat.engine import Engine
    from mmchat.history.protocol import HistoryStore
    from mmchat.history.store import Store
    from mmchat.plugins import Registry

__all__ = [
    "Session",
    "build_engine",
    "discover_strategies",
    "open_session",
    "open_store",
]


@dataclass(slots=True)
class Session:
    loaded: LoadedConfig
    registry: Registry
    engine: Engine
    store: Store | None

    async def aclose(self) -> None:
        await self.engine.aclose()
        if self.store is not None:
            self.store.close()


def discover_strategies(config: Config | None) -> Registry:
    """Built-in and installed strategies, and the user's plugin files."""
    from mmchat.plugins import discover, plugin_dirs

    return discover(plugin_dirs(config.plugins_dir if config is not None else None))


def open_store() -> Store:
    """The history database (raises StoreError with a message for the user)."""
    from mmchat.history.store import Store

    return Store.open(paths.db_file())


def build_engine(config: Config, registry: Registry, store: HistoryStore | None) -> Engine:
    from mmchat.engine import Engine

    return Engine(config, registry, store=store)


def open_session(
    *, config_path: Path | None = None, save: bool = True, loaded: LoadedConfig | None = None
) -> Session:
    """Load config (raises ConfigError), discover plugins, open the store, build the engine."""
    from mmchat.config import load_config

    loaded = loaded or load_config(config_path)
    registry = discover_strategies(loaded.config)
    store = open_store() if save else None
    return Session(loaded, registry, build_engine(loaded.config, registry, store), store)
