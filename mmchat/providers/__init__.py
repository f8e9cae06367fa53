"""Provider kinds behind one factory.

Kinds are imported lazily so that importing ``mmchat.providers`` costs nothing beyond
httpx; ``local`` (which loads llama.cpp) is only imported when a local model is used.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import httpx

    from mmchat.config_schema import (
        AnthropicProviderConfig,
        LocalProviderConfig,
        OllamaProviderConfig,
        OpenAIProviderConfig,
    )
    from mmchat.providers.base import Provider

    AnyProviderConfig = (
        OpenAIProviderConfig | AnthropicProviderConfig | OllamaProviderConfig | LocalProviderConfig
    )

__all__ = ["make_provider"]


def make_provider(
    name: str, cfg: AnyProviderConfig, client: httpx.AsyncClient, key: str | None
) -> Provider:
    """The Provider for config section ``[providers.NAME]`` (dispatch on ``cfg.kind``).

    ``key`` is the resolved secret (keyring/env), or None for servers without auth.
    """
    if cfg.kind == "openai":
        from mmchat.providers.openai import OpenAIProvider

        return OpenAIProvider(name, cfg, client, key)
    if cfg.kind == "anthropic":
        from mmchat.providers.anthropic import AnthropicProvider

        return AnthropicProvider(name, cfg, client, key)
    if cfg.kind == "ollama":
        from mmchat.providers.ollama import OllamaProvider

        return OllamaProvider(name, cfg, client, key)
    if cfg.kind == "local":
        local = importlib.import_module("mmchat.providers.local")
        provider: Provider = local.make_local_provider(name, cfg, client)
        return provider
    raise ValueError(f"provider {name!r}: unknown kind {getattr(cfg, 'kind', None)!r}")
