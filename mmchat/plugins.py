"""Strategy discovery: entry points plus a user plugins directory.

Every plugin loads on its own. A plugin that fails to import, or is not a Strategy,
is recorded with its error (``mmchat plugins`` lists it) and everything else works.
"""

from __future__ import annotations

import importlib.util
import inspect
import sys
import traceback
from dataclasses import dataclass, field
from importlib.metadata import entry_points
from pathlib import Path

from mmchat.api import Strategy

GROUP = "mmchat.strategies"


@dataclass(frozen=True, slots=True)
class PluginFailure:
    name: str
    origin: str
    error: str


@dataclass(slots=True)
class Registry:
    strategies: dict[str, type[Strategy]] = field(default_factory=dict)
    origins: dict[str, str] = field(default_factory=dict)
    failures: list[PluginFailure] = field(default_factory=list)

    def get(self, name: str) -> type[Strategy] | None:
        return self.strategies.get(name)

    def names(self) -> list[str]:
        return sorted(self.strategies)

    def add(self, cls: type[Strategy], origin: str) -> None:
        name = getattr(cls, "name", "")
        if not isinstance(name, str) or not name:
            self.failures.append(PluginFailure(cls.__name__, origin, "strategy has no `name`"))
            return
        if name in self.strategies:
            self.failures.append(
                PluginFailure(
                    name, origin, f"name already used by {self.origins[name]}; this one ignored"
                )
            )
            return
        self.strategies[name] = cls
        self.origins[name] = origin


def _short_error(exc: BaseException) -> str:
    """The exception and the innermost frame of the plugin's own code."""
    frames = [
        f for f in traceback.extract_tb(exc.__traceback__) if not f.filename.startswith("<frozen")
    ]
    where = f" ({Path(frames[-1].filename).name}:{frames[-1].lineno})" if frames else ""
    return f"{type(exc).__name__}: {exc}{where}"


def _load_entry_points(registry: Registry) -> None:
    for ep in entry_points(group=GROUP):
        origin = f"entry point {ep.value}"
        try:
            obj = ep.load()
        except Exception as exc:  # a broken plugin must not stop the others
            registry.failures.append(PluginFailure(ep.name, origin, _short_error(exc)))
            continue
        if not (inspect.isclass(obj) and issubclass(obj, Strategy)):
            registry.failures.append(
                PluginFailure(ep.name, origin, "entry point is not a Strategy subclass")
            )
            continue
        registry.add(obj, origin)


def _load_file(path: Path, registry: Registry) -> None:
    module_name = f"mmchat_user_plugin_{path.stem}"
    origin = str(path)
    try:
        spec = importlib.util.spec_from_file_location(module_name, path)
        if spec is None or spec.loader is None:
            raise ImportError("cannot create a module spec")
        module = importlib.util.module_from_spec(spec)
        sys.modules[module_name] = module
        spec.loader.exec_module(module)
    except Exception as exc:
        sys.modules.pop(module_name, None)
        registry.failures.append(PluginFailure(path.stem, origin, _short_error(exc)))
        return
    found = [
        obj
        for obj in vars(module).values()
        if inspect.isclass(obj)
        and issubclass(obj, Strategy)
        and obj.__module__ == module_name
        and not inspect.isabstract(obj)
    ]
    if not found:
        registry.failures.append(PluginFailure(path.stem, origin, "defines no Strategy subclass"))
    for cls in found:
        registry.add(cls, origin)


def plugin_dirs(plugins_dir: str | None) -> list[Path]:
    """Where user strategy plugins live: the config dir's plugins/ and ``plugins_dir``."""
    from mmchat import paths

    dirs = [paths.user_plugins_dir()]
    if plugins_dir:
        dirs.append(Path(plugins_dir).expanduser())
    return dirs


def discover(user_dirs: list[Path] | None = None) -> Registry:
    registry = Registry()
    _load_entry_points(registry)
    for directory in user_dirs or []:
        if directory.is_dir():
            for path in sorted(directory.glob("*.py")):
                if path.name.startswith("_"):
                    continue
                if not path.is_file():  # a FIFO would block the import forever
                    failure = PluginFailure(path.stem, str(path), "not a regular file")
                    registry.failures.append(failure)
                    continue
                _load_file(path, registry)
    return registry
