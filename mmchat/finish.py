"""Why an answer ended, in the words a user reads.

Providers pass a finish reason on in their protocol's own words unless they map it:
OpenAI, llama.cpp and Ollama (``done_reason``) say ``length``, Anthropic says
``max_tokens``, and Gemini's ``MAX_TOKENS`` is mapped to ``length`` by its provider.
This one place knows them all, so every view marks an answer the token cap cut short.
"""

from __future__ import annotations

TOKEN_LIMIT_REASONS = frozenset({"length", "max_tokens"})
TOKEN_LIMIT_MARK = "stopped: token limit"


def hit_token_limit(finish_reason: str | None) -> bool:
    """True when the model stopped because it reached ``max_tokens``, not by choice."""
    return finish_reason in TOKEN_LIMIT_REASONS
