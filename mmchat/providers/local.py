"""The ``local`` provider: a GGUF file served by llama.cpp (xllamacpp) on loopback.

There is no second streaming code path: llama.cpp's own HTTP server runs on a random
loopback port (see ``local_servers.py`` for its lifecycle), and :class:`LocalProvider`
talks to it with the very same :class:`~mmchat.providers.openai.OpenAIProvider` every
OpenAI-compatible server gets (usage, ``finish_reason`` and llama.cpp's ``timings``
arrive in the usual DonePart).
"""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator, Sequence
from typing import Any

import httpx

from mmchat.config_schema import LocalProviderConfig, OpenAIProviderConfig
from mmchat.providers.base import ChatRequest, ErrorKind, Provider, ProviderError, StreamPart
from mmchat.providers.local_servers import (
    DEFAULT_GGUF_NAME,
    INSTALL_HINT,
    LocalServer,
    LocalStatus,
    ServerKey,
    add_status_listener,
    default_gguf_path,
    ensure_server,
    local_log_path,
    local_status,
    remove_status_listener,
    resolve_gguf,
    running_servers,
    shutdown_local_servers,
    start_server_sync,
    stop_server,
)

__all__ = [
    "DEFAULT_GGUF_NAME",
    "INSTALL_HINT",
    "LocalProvider",
    "LocalServer",
    "LocalStatus",
    "ServerKey",
    "add_status_listener",
    "default_gguf_path",
    "ensure_server",
    "local_log_path",
    "local_status",
    "make_local_provider",
    "remove_status_listener",
    "resolve_gguf",
    "running_servers",
    "shutdown_local_servers",
    "start_server_sync",
    "stop_server",
]

_RECONNECTS = 2  # re-sends of a request the server dropped before replying


class LocalProvider(Provider):
    """A GGUF file behind llama.cpp's server, spoken to as an OpenAI-compatible API."""

    kind = "local"

    def __init__(self, name: str, cfg: LocalProviderConfig, client: httpx.AsyncClient) -> None:
        self.name = name
        self.cfg = cfg
        self._client = client
        self._inner: Any = None  # OpenAIProvider, bound to the running server
        self._server: LocalServer | None = None
        self._key: ServerKey | None = None
        self.reconnects = 0  # requests re-sent after a dropped keep-alive connection
        self._embedder: tuple[LocalServer, Any] | None = None

    def __repr__(self) -> str:
        return f"LocalProvider({self.name!r}, {self.cfg.path or '<embedded>'!r})"

    @property
    def server(self) -> LocalServer | None:
        return self._server

    async def _ensure(self) -> Any:
        if self._key is None:
            self._key = ServerKey.from_config(self.cfg, provider=self.name)
        server = await ensure_server(self._key, provider=self.name)
        if self._inner is None or self._server is not server:
            from mmchat.providers.openai import OpenAIProvider

            inner_cfg = OpenAIProviderConfig.model_validate(
                {
                    "kind": "openai",
                    "base_url": server.openai_base_url,
                    "read_timeout": self.cfg.read_timeout,
                    "connect_timeout": 10.0,
                    "max_retries": 0,
                }
            )
            self._inner = OpenAIProvider(self.name, inner_cfg, self._client, None)
            self._server = server
        return self._inner

    async def stream(self, request: ChatRequest) -> AsyncIterator[StreamPart]:
        inner = await self._ensure()
        for attempt in range(_RECONNECTS + 1):
            shown = False
            try:
                async for part in inner.stream(request):
                    shown = True
                    yield part
                return
            except ProviderError as exc:
                # llama.cpp's HTTP server now and then drops a pooled keep-alive
                # connection just as a request goes out ("closed the connection before
                # replying"). Nothing was shown and the server never saw the request,
                # so sending it again on a fresh connection is safe.
                if shown or exc.kind is not ErrorKind.CONNECTION or attempt == _RECONNECTS:
                    raise
                self.reconnects += 1

    async def embed(self, model: str, texts: Sequence[str]) -> list[list[float]]:
        """Embeddings from a second llama.cpp server over the same GGUF with its
        embeddings endpoint on (started on first use; the chat server is untouched)."""
        if self._key is None:
            self._key = ServerKey.from_config(self.cfg, provider=self.name)
        key = dataclasses.replace(self._key, embeddings=True, parallel=1, threads=1)
        server = await ensure_server(key, provider=self.name)
        if self._embedder is None or self._embedder[0] is not server:
            from mmchat.providers.openai import OpenAIProvider

            cfg = OpenAIProviderConfig.model_validate(
                {"kind": "openai", "base_url": server.openai_base_url, "max_retries": 0}
            )
            self._embedder = (server, OpenAIProvider(self.name, cfg, self._client, None))
        vectors: list[list[float]] = await self._embedder[1].embed(server.model_id, texts)
        return vectors

    async def list_models(self) -> list[str]:
        inner = await self._ensure()
        models: list[str] = await inner.list_models()
        return models


def make_local_provider(
    name: str, cfg: LocalProviderConfig, client: httpx.AsyncClient, key: str | None = None
) -> LocalProvider:
    """The provider for a ``kind = "local"`` config section (nothing starts until used).

    ``key`` is part of every kind's factory signature; a local server needs none.
    """
    return LocalProvider(name, cfg, client)
