"""Provider kinds: each wire protocol is declared once, as a :class:`ProviderKind`.

A kind names its config model (a pydantic class with ``kind: Literal[NAME]``), a
factory given as a ``"module:attr"`` import path (so httpx and the protocol code load
only when a provider of that kind is first used), a one-line summary, the environment
variable its key is read from by default and the modules worth importing ahead of the
first request. Config validation (the discriminated union and its errors), the
settings form, the generated reference, the client factory and the key look-up all
read the one list this module keeps.

The declaration types live in ``mmchat/provider_declaration.py`` (re-exported here);
the built-in kinds are declared in ``mmchat/builtin_kinds.py``; packages add kinds
through the ``mmchat.providers`` entry-point group (``name = "pkg.module:KIND"``,
where ``KIND`` is a ProviderKind). Entry points are read once, on first use (the first
config validation). A kind that fails to load, or is not a valid declaration, is
recorded with its error, like a broken strategy plugin: the others keep working and a
config that names it is told why it is unavailable.

Importing this module costs only pydantic, which the config already needs.
"""

from __future__ import annotations

import re
import threading
import typing
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Annotated, Any

from pydantic import Field, GetCoreSchemaHandler
from pydantic_core import CoreSchema

from mmchat.provider_declaration import (
    HttpProviderConfig,
    ProviderConfigBase,
    ProviderFactory,
    ProviderKind,
)

__all__ = [
    "GROUP",
    "HttpProviderConfig",
    "KeySource",
    "KindFailure",
    "KindRegistry",
    "ProviderConfigBase",
    "ProviderFactory",
    "ProviderKind",
    "by_kind",
    "get",
    "key_source",
    "kinds",
    "names",
    "prefetch_modules",
    "registry",
    "reload",
]

GROUP = "mmchat.providers"
_KIND_NAME = re.compile(r"^[a-z][a-z0-9_\-]{0,31}$")
_FACTORY = re.compile(r"^[A-Za-z_][\w.]*:[A-Za-z_]\w*$")


@dataclass(frozen=True, slots=True)
class KindFailure:
    """A third-party kind that could not be used, and why (one line)."""

    name: str
    origin: str
    error: str


@dataclass(slots=True)
class KindRegistry:
    kinds: dict[str, ProviderKind] = field(default_factory=dict)
    origins: dict[str, str] = field(default_factory=dict)
    failures: list[KindFailure] = field(default_factory=list)

    def add(self, kind: ProviderKind, origin: str) -> None:
        problem = _problem(kind)
        if problem is None and kind.name in self.kinds:
            problem = f"name already used by {self.origins[kind.name]}; this one ignored"
        if problem is not None:
            self.failures.append(KindFailure(str(kind.name), origin, problem))
            return
        self.kinds[kind.name] = kind
        self.origins[kind.name] = origin

    def failure(self, name: str) -> KindFailure | None:
        return next((f for f in self.failures if f.name == name), None)


def _problem(kind: ProviderKind) -> str | None:
    """Why ``kind`` is not a usable declaration (None: it is)."""
    if not isinstance(kind.name, str) or not _KIND_NAME.match(kind.name):
        return f"invalid kind name {kind.name!r}: use lower-case letters, digits, _ and -"
    config = kind.config
    if not (isinstance(config, type) and issubclass(config, ProviderConfigBase)):
        return "config is not a subclass of mmchat.provider_kinds.ProviderConfigBase"
    info = config.model_fields.get("kind")
    tags = typing.get_args(info.annotation) if info is not None else ()
    if (
        info is None
        or typing.get_origin(info.annotation) is not typing.Literal
        or tags != (kind.name,)
    ):
        return f'config must declare `kind: Literal["{kind.name}"]`'
    if not config.__pydantic_complete__:
        try:
            config.model_rebuild()
        except Exception as exc:  # an unresolvable annotation in a third-party model
            return f"config model is incomplete: {exc}".splitlines()[0]
    if not isinstance(kind.factory, str) or not _FACTORY.match(kind.factory):
        return f"factory must be 'module:attr', not {kind.factory!r}"
    return None


# ------------------------------------------------------------------ the registry

_lock = threading.Lock()
_registry: KindRegistry | None = None


def registry() -> KindRegistry:
    """The built-in kinds plus those of installed packages (loaded once)."""
    global _registry
    if _registry is None:
        with _lock:
            if _registry is None:
                _registry = _load()
    return _registry


def reload() -> KindRegistry:
    """Read the entry points again (for a process that installed or removed a package).

    ``mmchat.config_schema.reload_kinds`` also rebuilds ``Config``, whose provider union
    was built from the kinds known at its first validation.
    """
    global _registry
    with _lock:
        _registry = _load()
    return _registry


def _load() -> KindRegistry:
    from mmchat.builtin_kinds import BUILTIN

    found = KindRegistry()
    for kind in BUILTIN:
        found.add(kind, "built-in")
    _load_entry_points(found)
    return found


def _load_entry_points(found: KindRegistry) -> None:
    from importlib.metadata import entry_points

    for ep in entry_points(group=GROUP):
        origin = f"entry point {ep.value}"
        try:
            obj = ep.load()
        except Exception as exc:  # a broken package must not stop the others
            from mmchat.plugins import _short_error  # only then: it imports mmchat.api

            found.failures.append(KindFailure(ep.name, origin, _short_error(exc)))
            continue
        if not isinstance(obj, ProviderKind):
            found.failures.append(KindFailure(ep.name, origin, "entry point is not a ProviderKind"))
        elif obj.name != ep.name:
            found.failures.append(
                KindFailure(ep.name, origin, f"entry point names the kind {obj.name!r}")
            )
        else:
            found.add(obj, origin)


def kinds() -> list[ProviderKind]:
    """Every usable kind, built-ins first, each group in declaration order."""
    return list(registry().kinds.values())


def names() -> list[str]:
    return sorted(registry().kinds)


def get(name: str) -> ProviderKind | None:
    return registry().kinds.get(name)


def prefetch_modules(kind_names: Iterable[str]) -> list[str]:
    """Modules the first request of providers of these kinds imports, sorted, no repeats."""
    found = registry().kinds
    return sorted({m for name in kind_names if name in found for m in found[name].prefetch_modules})


# ------------------------------------------------------------------ keys


@dataclass(frozen=True, slots=True)
class KeySource:
    """Where a provider's key comes from: a keyring entry, else an environment variable."""

    name: str  # keyring entry, as in `mmchat keys set NAME`
    env: str


def key_source(provider: str, cfg: ProviderConfigBase) -> KeySource | None:
    """Where ``[providers.PROVIDER]``'s key comes from; None when it sends no key.

    ``key`` names the keyring entry (its variable defaults to ``NAME_API_KEY``),
    ``key_env`` the variable; with neither, the kind's own ``key_env`` applies (Gemini:
    GEMINI_API_KEY), and kinds without one (local servers) send no key.
    """
    key = getattr(cfg, "key", None)
    env = getattr(cfg, "key_env", None)
    if key is None and env is None:
        kind = get(cfg.kind)
        env = kind.key_env if kind is not None else None
        if env is None:
            return None
    if env is None:
        from mmchat.secrets import default_env_var

        env = default_env_var(key or provider)
    return KeySource(key or provider, env)


# ------------------------------------------------------------------ validation


class _ByKind:
    """Pydantic metadata: validate a provider table as the union of every known kind.

    The union is built when the schema is (``Config`` defers that to its first
    validation), so entry points are read only by a process that validates a config.
    """

    def __get_pydantic_core_schema__(
        self, source: Any, handler: GetCoreSchemaHandler
    ) -> CoreSchema:
        models = tuple(kind.config for kind in kinds())
        # A Union of classes known only at run time; pydantic picks by `kind`.
        union = typing.Union[models]  # type: ignore[valid-type]  # noqa: UP007
        return handler.generate_schema(Annotated[union, Field(discriminator="kind")])


by_kind = _ByKind()
