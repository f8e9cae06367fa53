"""What every HTTP provider keeps: its config, the shared client and the key.

The key is held here and only ever leaves as an auth header; ``repr`` shows the
provider's name and URL, never the key.
"""

from __future__ import annotations

from typing import Generic, TypeVar

import httpx

from mmchat.config_schema import HttpProviderConfig
from mmchat.providers.base import Provider
from mmchat.providers.http import ErrorContext, base_url_of, timeout_for

ConfigT = TypeVar("ConfigT", bound=HttpProviderConfig)


class HttpProvider(Provider, Generic[ConfigT]):
    def __init__(self, name: str, cfg: ConfigT, client: httpx.AsyncClient, key: str | None) -> None:
        self.name = name
        self.cfg = cfg
        self.base_url = base_url_of(cfg.base_url)
        self._client = client
        self._key = key
        self._timeout = timeout_for(cfg)

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.name!r}, {self.base_url!r})"

    def _ctx(self, model: str | None) -> ErrorContext:
        return ErrorContext(
            provider=self.name,
            base_url=self.base_url,
            model=model,
            key_name=self.cfg.key or self.name,
            read_timeout=self.cfg.read_timeout,
            secrets=(self._key,) if self._key else (),
        )

    def _auth_headers(self) -> dict[str, str]:
        """Bearer auth (OpenAI-compatible servers, proxies in front of Ollama)."""
        return {"Authorization": f"Bearer {self._key}"} if self._key else {}

    def _headers(self) -> dict[str, str]:
        return {**self.cfg.headers, **self._auth_headers()}
