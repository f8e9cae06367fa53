"""Small helpers for provider tests against the fake server."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

from mmchat.api import Message
from mmchat.builtin_kinds import GeminiProviderConfig
from mmchat.config_schema import (
    AnthropicProviderConfig,
    OllamaProviderConfig,
    OpenAIProviderConfig,
)
from mmchat.providers.base import (
    ChatRequest,
    DonePart,
    ProviderError,
    ReasoningPart,
    StreamPart,
    TextPart,
)
from tests.fakeserver.server import FakeServer


def req(prompt: str = "hi", model: str = "test-model", **kw: Any) -> ChatRequest:
    return ChatRequest(model=model, messages=[Message("user", prompt)], **kw)


def openai_cfg(server: FakeServer, **kw: Any) -> OpenAIProviderConfig:
    return OpenAIProviderConfig(kind="openai", base_url=server.openai_url, **kw)


def anthropic_cfg(server: FakeServer, **kw: Any) -> AnthropicProviderConfig:
    return AnthropicProviderConfig(kind="anthropic", base_url=server.anthropic_url, **kw)


def gemini_cfg(server: FakeServer, **kw: Any) -> GeminiProviderConfig:
    return GeminiProviderConfig(kind="gemini", base_url=server.gemini_url, **kw)


def ollama_cfg(server: FakeServer, **kw: Any) -> OllamaProviderConfig:
    return OllamaProviderConfig(kind="ollama", base_url=server.ollama_url, **kw)


async def collect(
    stream: AsyncIterator[StreamPart],
) -> tuple[list[StreamPart], ProviderError | None]:
    """Every part a stream yields, and the ProviderError it ended with (if any)."""
    parts: list[StreamPart] = []
    try:
        async for part in stream:
            parts.append(part)
    except ProviderError as err:
        return parts, err
    return parts, None


def text_of(parts: list[StreamPart]) -> str:
    return "".join(p.text for p in parts if isinstance(p, TextPart))


def reasoning_of(parts: list[StreamPart]) -> str:
    return "".join(p.text for p in parts if isinstance(p, ReasoningPart))


def done_of(parts: list[StreamPart]) -> DonePart:
    dones = [p for p in parts if isinstance(p, DonePart)]
    assert len(dones) == 1 and parts[-1] is dones[0], parts
    return dones[0]
