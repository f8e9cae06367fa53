"""The provider kinds mmchat ships: each one's config model and its declaration.

A kind is its config table (a pydantic model whose ``kind`` is a Literal) plus one
:class:`~mmchat.provider_declaration.ProviderKind`; the protocol code lives in
``mmchat/providers/<kind>.py`` and is imported only when a provider of that kind is
first used. A third-party kind looks exactly like one block below, registered through
the ``mmchat.providers`` entry-point group instead of this list.
"""

from __future__ import annotations

from typing import Literal

from pydantic import AnyHttpUrl, Field, PositiveFloat, PositiveInt

from mmchat.config_types import HeaderValue
from mmchat.provider_declaration import HttpProviderConfig, ProviderConfigBase, ProviderKind

__all__ = [
    "BUILTIN",
    "AnthropicProviderConfig",
    "GeminiProviderConfig",
    "LocalProviderConfig",
    "OllamaProviderConfig",
    "OpenAIProviderConfig",
]


class OpenAIProviderConfig(HttpProviderConfig):
    kind: Literal["openai"]
    stream_usage: bool = Field(
        default=True,
        description="Send stream_options.include_usage (turn off for servers that reject it)",
    )


OPENAI = ProviderKind(
    name="openai",
    config=OpenAIProviderConfig,
    factory="mmchat.providers.openai:OpenAIProvider",
    summary="Any OpenAI-compatible server: OpenAI, OpenRouter, Groq, Together, Mistral, "
    "DeepSeek, vLLM, LM Studio, llama.cpp, Ollama's /v1.",
)


class AnthropicProviderConfig(HttpProviderConfig):
    kind: Literal["anthropic"]
    base_url: AnyHttpUrl = Field(
        default=AnyHttpUrl("https://api.anthropic.com/v1"), description="Root URL of the API"
    )
    version: HeaderValue = Field(default="2023-06-01", description="anthropic-version header")


ANTHROPIC = ProviderKind(
    name="anthropic",
    config=AnthropicProviderConfig,
    factory="mmchat.providers.anthropic:AnthropicProvider",
    summary="Anthropic Messages API.",
    key_env="ANTHROPIC_API_KEY",
)


class OllamaProviderConfig(HttpProviderConfig):
    kind: Literal["ollama"]
    base_url: AnyHttpUrl = Field(
        default=AnyHttpUrl("http://localhost:11434"), description="Root URL of the Ollama server"
    )


OLLAMA = ProviderKind(
    name="ollama",
    config=OllamaProviderConfig,
    factory="mmchat.providers.ollama:OllamaProvider",
    summary="Ollama's native /api/chat.",
)


class LocalProviderConfig(ProviderConfigBase):
    kind: Literal["local"]
    path: str = Field(
        default="",
        description="Path to a GGUF file; empty means the embedded SmolLM2-135M-Instruct",
    )
    n_ctx: PositiveInt = Field(default=8192, description="Context size in tokens")
    threads: PositiveInt | None = Field(
        default=None,
        description="CPU threads (unset: all cores but one, so the app itself stays smooth)",
    )
    parallel: PositiveInt = Field(default=4, description="Requests served at once")
    read_timeout: PositiveFloat = Field(default=300.0, description="Longest silence, seconds")


LOCAL = ProviderKind(
    name="local",
    config=LocalProviderConfig,
    factory="mmchat.providers.local:make_local_provider",
    summary="A GGUF file run in-process by llama.cpp (xllamacpp).",
    # The local module may load llama.cpp; its server speaks OpenAI's protocol.
    prefetch=("mmchat.providers.openai",),
)


class GeminiProviderConfig(HttpProviderConfig):
    kind: Literal["gemini"]
    base_url: AnyHttpUrl = Field(
        default=AnyHttpUrl("https://generativelanguage.googleapis.com/v1beta"),
        description="Root URL of the Gemini API",
    )
    include_thoughts: bool = Field(
        default=False,
        description="Ask thinking models for their thought summaries, shown as thinking "
        "(models without thinking reject it)",
    )


GEMINI = ProviderKind(
    name="gemini",
    config=GeminiProviderConfig,
    factory="mmchat.providers.gemini:GeminiProvider",
    summary="Google's Gemini API, natively: thought summaries, safety stops and the "
    "server's retry delay.",
    key_env="GEMINI_API_KEY",
)

BUILTIN: tuple[ProviderKind, ...] = (OPENAI, ANTHROPIC, OLLAMA, LOCAL, GEMINI)
