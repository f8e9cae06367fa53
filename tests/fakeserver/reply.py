"""What one scripted answer of the fake server looks like."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal


@dataclass
class Reply:
    """One scripted answer. Chunk counts (``cut_after`` etc.) count content chunks,
    reasoning chunks first, then text chunks."""

    text: str = "Hello world"
    chunks: list[str] | None = None  # explicit text chunks (else text split by chunk_chars)
    chunk_chars: int = 4
    delay: float = 0.0  # seconds between content chunks
    first_delay: float = 0.0  # seconds before the first content chunk (after headers)
    tokens_per_second: float | None = None  # sets delay = 1 / tps
    status: int = 200
    error_type: str | None = None  # protocol error type/code (e.g. insufficient_quota;
    # Gemini: see tests/fakeserver/gemini.py)
    error_message: str | None = None
    retry_after: float | str | None = None  # Retry-After header value
    headers: dict[str, str] = field(default_factory=dict)  # extra response headers
    cut_after: int | None = None  # close the socket after N content chunks
    error_after: int | None = None  # in-stream error after N content chunks
    error_event: bool = False  # OpenAI: send it as `event: error` (else a data line)
    malformed_after: int | None = None  # a broken JSON event after N content chunks
    truncate_after: int | None = None  # end the body cleanly after N chunks (no finish)
    usage: Literal["last", "early", "none"] = "last"
    prompt_tokens: int | None = None  # default: estimated from the request
    completion_tokens: int | None = None  # default: number of content chunks
    timings: dict[str, Any] | None = None  # llama.cpp-style timings in the usage chunk
    keepalive: bool = False  # `: OPENROUTER PROCESSING` comments between events
    no_space: bool = False  # `data:{...}` instead of `data: {...}`
    reasoning: str = ""
    reasoning_field: str = "reasoning_content"  # OpenAI: or "reasoning"
    role_content: str | None = None  # OpenAI first chunk delta.content (llama.cpp: null)
    finish_reason: str = "stop"
    send_done: bool = True  # OpenAI: the final `data: [DONE]`
    hang: bool = False  # read the request, never answer
    # Per text chunk, when the request asks for logprobs: (logprob, {alternative: logprob})
    # for that chunk's token. Unscripted chunks get logprob 0 and no alternatives.
    logprobs: list[tuple[float, dict[str, float]]] | None = None
    blocked: str | None = None  # Gemini: the prompt is blocked for this reason (SAFETY...)

    def text_chunks(self) -> list[str]:
        if self.chunks is not None:
            return list(self.chunks)
        return split(self.text, self.chunk_chars)

    def reasoning_chunks(self) -> list[str]:
        return split(self.reasoning, self.chunk_chars)

    def token_logprob(self, i: int) -> tuple[float, dict[str, float]]:
        """A real server always names rivals; unscripted ones are far less likely."""
        if self.logprobs is not None and i < len(self.logprobs):
            return self.logprobs[i]
        return 0.0, {f"<rival {n}>": -20.0 - n for n in range(1, 6)}

    def gap(self) -> float:
        return 1.0 / self.tokens_per_second if self.tokens_per_second else self.delay


def split(text: str, size: int) -> list[str]:
    size = max(1, size)
    return [text[i : i + size] for i in range(0, len(text), size)]
