"""What every provider kind shares: the request, the stream parts, the error vocabulary.

A provider turns a :class:`ChatRequest` into an async stream of :class:`StreamPart`
objects for *one attempt*. Retrying is not the provider's business: ``retry.py`` wraps
any provider with the one policy all kinds share.
"""

from __future__ import annotations

import abc
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from mmchat.api import Message, Usage


class ErrorKind(StrEnum):
    AUTH = "auth"
    NOT_FOUND = "not-found"
    RATE_LIMITED = "rate-limited"
    QUOTA = "quota"  # out of credits / insufficient_quota: never retried
    OVERLOADED = "overloaded"
    SERVER = "server"
    TIMEOUT = "timeout"
    CONNECTION = "connection"
    BAD_REQUEST = "bad-request"
    BAD_RESPONSE = "bad-response"
    STREAM_INTERRUPTED = "stream-interrupted"
    NO_KEY = "no-key"
    UNSUPPORTED = "unsupported"  # the endpoint has no such feature (e.g. embeddings)


# Kinds that the retry policy may try again (when no text has been shown yet).
RETRYABLE = frozenset(
    {
        ErrorKind.RATE_LIMITED,
        ErrorKind.OVERLOADED,
        ErrorKind.SERVER,
        ErrorKind.TIMEOUT,
        ErrorKind.CONNECTION,
    }
)


class ProviderError(Exception):
    """One failure of a model call, with a one-line message a user can act on.

    Never carries a key: messages are built from status codes and the server's
    error text, and ``__repr__`` shows only kind, provider and message.
    """

    def __init__(
        self,
        kind: ErrorKind,
        message: str,
        *,
        provider: str = "",
        status: int | None = None,
        retry_after: float | None = None,
    ) -> None:
        super().__init__(message)
        self.kind = kind
        self.message = message
        self.provider = provider
        self.status = status
        self.retry_after = retry_after

    @property
    def retryable(self) -> bool:
        return self.kind in RETRYABLE

    def __str__(self) -> str:
        where = f"{self.provider}: " if self.provider else ""
        return f"{where}{self.message}"

    def __repr__(self) -> str:
        return f"ProviderError({self.kind.value!r}, {str(self)!r})"


@dataclass(frozen=True, slots=True)
class ChatRequest:
    """One chat completion request, provider-neutral."""

    model: str  # the provider's model id
    messages: Sequence[Message]
    system: str | None = None
    temperature: float | None = None
    max_tokens: int | None = None
    top_p: float | None = None
    stop: Sequence[str] | None = None
    extra: dict[str, Any] = field(default_factory=dict)  # passed through to the body
    # Constrained output: the reply must be {"choice": one of these} (JSON schema, an
    # Ollama format, a forced Anthropic tool…, whatever the protocol offers).
    choices: tuple[str, ...] | None = None
    top_logprobs: int = 0  # > 0: ask for token log-probabilities and this many rivals


def choice_schema(choices: Sequence[str]) -> dict[str, Any]:
    """The JSON schema of a constrained choice: ``{"choice": <one of choices>}``."""
    return {
        "type": "object",
        "properties": {"choice": {"type": "string", "enum": list(choices)}},
        "required": ["choice"],
        "additionalProperties": False,
    }


@dataclass(frozen=True, slots=True)
class TokenLogprob:
    """One generated token, its log-probability and the most likely rivals."""

    token: str
    logprob: float
    top: tuple[tuple[str, float], ...] = ()


@dataclass(frozen=True, slots=True)
class TextPart:
    text: str


@dataclass(frozen=True, slots=True)
class ReasoningPart:
    text: str


@dataclass(frozen=True, slots=True)
class RetryPart:
    """The call failed before any text and will be tried again after ``delay``."""

    attempt: int
    delay: float
    error: ProviderError


@dataclass(frozen=True, slots=True)
class DonePart:
    usage: Usage
    finish_reason: str | None
    ttft: float | None
    duration: float
    # Server-reported timings when it sends them (llama.cpp: predicted_per_second...).
    timings: dict[str, Any] | None = None
    logprobs: tuple[TokenLogprob, ...] = ()  # when the request asked for them


StreamPart = TextPart | ReasoningPart | RetryPart | DonePart


def token_logprobs(entries: Any) -> list[TokenLogprob]:
    """OpenAI's and Ollama's per-token entries (``{token, logprob, top_logprobs}``);
    malformed entries are skipped (a confidence is then just less informed)."""
    found: list[TokenLogprob] = []
    for entry in entries if isinstance(entries, list) else ():
        if not isinstance(entry, dict) or not isinstance(entry.get("logprob"), (int, float)):
            continue
        rivals = tuple(
            (str(alt.get("token", "")), float(alt["logprob"]))
            for alt in entry.get("top_logprobs") or ()
            if isinstance(alt, dict) and isinstance(alt.get("logprob"), (int, float))
        )
        found.append(TokenLogprob(str(entry.get("token", "")), float(entry["logprob"]), rivals))
    return found


class Provider(abc.ABC):
    """One configured endpoint of one wire protocol."""

    kind: str = ""

    @abc.abstractmethod
    def stream(self, request: ChatRequest) -> AsyncIterator[StreamPart]:
        """Stream one attempt. Raises ProviderError; ends with exactly one DonePart."""

    @abc.abstractmethod
    async def list_models(self) -> list[str]:
        """The model ids the endpoint offers."""

    async def embed(self, model: str, texts: Sequence[str]) -> list[list[float]]:
        """One embedding vector per text from the endpoint's embeddings API."""
        raise ProviderError(
            ErrorKind.UNSUPPORTED,
            f"{self.kind or 'this'} provider has no embeddings endpoint",
        )

    async def aclose(self) -> None:  # noqa: B027 - optional hook
        """Release resources the provider owns (the shared client is not one)."""


def estimate_tokens(text: str) -> int:
    """A rough token count (about four characters a token) when a server sends none."""
    return max(1, (len(text) + 3) // 4) if text else 0
