"""One retry policy for every provider kind.

A call is retried only while nothing has reached the user: once a TextPart or
ReasoningPart was yielded, a failure is re-raised (a silent re-send would duplicate or
contradict visible text). Each wait is announced with a RetryPart so the UI can show
"retrying in 2s".
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field

from mmchat.providers.base import (
    ChatRequest,
    Provider,
    ProviderError,
    ReasoningPart,
    RetryPart,
    StreamPart,
    TextPart,
)


async def _sleep(seconds: float) -> None:
    await asyncio.sleep(seconds)


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    max_retries: int = 2
    base_delay: float = 0.5  # backoff ~ base * 2**n, full jitter
    max_delay: float = 8.0
    max_retry_after: float = 60.0  # longest server-requested wait we honour
    sleep: Callable[[float], Awaitable[None]] = field(default=_sleep, compare=False)
    jitter: Callable[[], float] = field(default=random.random, compare=False)  # in [0, 1)

    def delay(self, retry: int, error: ProviderError) -> float:
        """Seconds to wait before retry number ``retry`` (1-based)."""
        if error.retry_after is not None:
            return min(max(error.retry_after, 0.0), self.max_retry_after)
        ceiling = min(self.max_delay, self.base_delay * 2.0 ** (retry - 1))
        return self.jitter() * ceiling


async def stream_with_retries(
    provider: Provider, request: ChatRequest, policy: RetryPolicy | None = None
) -> AsyncIterator[StreamPart]:
    """``provider.stream(request)`` with retries of RETRYABLE failures before any text.

    Cancellation-safe: cancelling the consumer during a backoff sleep just stops, and
    the attempt's stream is always closed (which closes its HTTP response).
    """
    policy = policy or RetryPolicy()
    retry = 0
    while True:
        shown = False
        failure: ProviderError | None = None
        parts = provider.stream(request)
        try:
            async for part in parts:
                if isinstance(part, (TextPart, ReasoningPart)):
                    shown = True
                yield part
            return
        except ProviderError as err:
            if shown or not err.retryable or retry >= policy.max_retries:
                raise
            failure = err
        finally:
            aclose = getattr(parts, "aclose", None)
            if aclose is not None:
                await aclose()
        retry += 1
        wait = policy.delay(retry, failure)
        yield RetryPart(attempt=retry, delay=wait, error=failure)
        await policy.sleep(wait)
