"""Build the headless pieces (config, plugins, store, engine) the same way for CLI and TUI."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from mmchat import paths
from mmchat.config import LoadedConfig, load_config
from mmchat.config_schema import Config
from mmchat.engine import Engine
from mmchat.history.store import Store
from mmchat.plugins import Registry, discover


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


def plugin_dirs(config: Config | None) -> list[Path]:
    """Where user strategy plugins live: the config dir's plugins/ and `plugins_dir`."""
    dirs = [paths.user_plugins_dir()]
    if config is not None and config.plugins_dir:
        dirs.append(Path(config.plugins_dir).expanduser())
    return dirs


def open_session(
    *, config_path: Path | None = None, save: bool = True, loaded: LoadedConfig | None = None
) -> Session:
    """Load config (raises ConfigError), discover plugins, open the store, build the engine."""
    loaded = loaded or load_config(config_path)
    registry = discover(plugin_dirs(loaded.config))
    store = Store.open(paths.db_file()) if save else None
    engine = Engine(loaded.config, registry, store=store)
    return Session(loaded, registry, engine, store)
