"""What a provider kind is made of: its config base classes and its declaration.

Apart from the registry (mmchat/provider_kinds.py) so that the built-in kinds
(mmchat/builtin_kinds.py), which the registry loads, can be declared without importing
the registry back. Third-party kinds may import these names from either module.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Annotated, Any

from pydantic import (
    AfterValidator,
    AnyHttpUrl,
    BaseModel,
    ConfigDict,
    Field,
    PositiveFloat,
)

from mmchat.config_types import EnvVarName, HeaderMap, KeyName
from mmchat.netconfig import check_ca_path, check_config_proxy

if TYPE_CHECKING:
    import httpx

    from mmchat.providers.base import Provider

__all__ = ["HttpProviderConfig", "ProviderConfigBase", "ProviderFactory", "ProviderKind"]


# ------------------------------------------------------------------ config bases


class ProviderConfigBase(BaseModel):
    """What every ``[providers.NAME]`` table is: a ``kind`` plus that kind's keys."""

    # Deferred: the bases are never validated themselves, and each kind's schema is
    # built with Config's (on the first validation), not on import.
    model_config = ConfigDict(extra="forbid", defer_build=True)
    kind: str


class HttpProviderConfig(ProviderConfigBase):
    """Keys shared by every provider spoken to over HTTP (subclass it for a new kind)."""

    base_url: AnyHttpUrl = Field(description="Root URL of the API")
    key: KeyName | None = Field(
        default=None,
        description="Name of the API key in the OS keyring (set with `mmchat keys set NAME`)",
    )
    key_env: EnvVarName | None = Field(
        default=None, description="Environment variable to read the key from when not in keyring"
    )
    headers: HeaderMap = Field(default_factory=dict, description="Extra HTTP headers")
    connect_timeout: PositiveFloat = Field(default=10.0, description="Seconds to connect")
    read_timeout: PositiveFloat = Field(
        default=180.0, description="Longest silence between streamed chunks, in seconds"
    )
    max_retries: Annotated[int, Field(ge=0, le=10)] = Field(
        default=2, description="Retries before any text arrives (429, 5xx, timeouts)"
    )
    proxy: Annotated[str, AfterValidator(check_config_proxy)] | None = Field(
        default=None,
        description="HTTP(S) proxy URL for this provider (no password: give that in "
        'HTTPS_PROXY); unset: HTTP(S)_PROXY / ALL_PROXY / NO_PROXY; "none": direct',
    )
    ca_bundle: Annotated[str, AfterValidator(check_ca_path)] | None = Field(
        default=None,
        description="PEM file (or directory) of the CAs to trust for this provider instead "
        "of the system store (a TLS-inspecting proxy's root, a self-signed server)",
    )


# ------------------------------------------------------------------ declarations

# Called as factory(provider_name, config, shared_client, key_or_None) -> Provider.
ProviderFactory = Callable[[str, Any, "httpx.AsyncClient", "str | None"], "Provider"]


@dataclass(frozen=True, slots=True)
class ProviderKind:
    """One wire protocol, declared once.

    ``factory`` is ``"module:attr"``; ``attr(name, cfg, client, key)`` returns the
    Provider. ``key_env`` is the environment variable read when a ``[providers.NAME]``
    table names neither ``key`` nor ``key_env`` (None: such a provider sends no key).
    ``prefetch`` lists the modules the first request imports (default: the factory's).
    The default ``base_url`` is the config model's field default (none: required).
    """

    name: str
    config: type[ProviderConfigBase]
    factory: str
    summary: str
    key_env: str | None = None
    prefetch: tuple[str, ...] | None = None

    @property
    def prefetch_modules(self) -> tuple[str, ...]:
        if self.prefetch is not None:
            return self.prefetch
        return (self.factory.partition(":")[0],)

    def load_factory(self) -> ProviderFactory:
        """Import the factory (raises whatever the import raises)."""
        module, _, attr = self.factory.partition(":")
        found: ProviderFactory = getattr(importlib.import_module(module), attr)
        return found
