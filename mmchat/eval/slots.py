"""How many requests an eval may have open on each provider at once.

A local llama.cpp server serves ``parallel`` requests at a time and queues the rest;
a queued request would count its wait as the strategy's latency. So each preset
*needs* slots on the providers of the models it names (a vote over three local
models needs three) and an item starts only once all of them are free. Providers
without a declared limit (cloud APIs) are bounded by ``--concurrency`` alone.

The estimate is the number of distinct models a preset names, nested presets
included: strategies that ask the same model several times at once (a planner's
steps) can exceed it, and then the server queues the extra requests.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections import Counter, deque
from collections.abc import AsyncIterator, Mapping
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from mmchat.config_schema import Config
    from mmchat.engine import Engine

__all__ = ["SlotPool", "preset_needs", "provider_limits"]


def provider_limits(config: Config) -> dict[str, int]:
    """Requests each provider serves at once, where its config says (``parallel``)."""
    limits: dict[str, int] = {}
    for name, cfg in config.providers.items():
        parallel = getattr(cfg, "parallel", None)
        if isinstance(parallel, int) and parallel > 0:
            limits[name] = parallel
    return limits


def preset_needs(engine: Engine, aliases: list[str], limits: Mapping[str, int]) -> dict[str, int]:
    """Slots per limited provider for requests to ``aliases`` (at most each limit)."""
    per_provider = Counter(engine.config.models[alias].provider for alias in aliases)
    return {p: min(n, limits[p]) for p, n in per_provider.items() if p in limits}


class SlotPool:
    """Slots per provider, taken all at once and handed out first come, first served
    (a vote waiting for three slots is not overtaken for ever by single answers)."""

    def __init__(self, limits: Mapping[str, int]) -> None:
        self.limits = dict(limits)
        self._free = dict(limits)
        self._waiting: deque[tuple[dict[str, int], asyncio.Future[None]]] = deque()

    def free(self, provider: str) -> int | None:
        return self._free.get(provider)

    def _fits(self, needs: Mapping[str, int]) -> bool:
        return all(self._free[p] >= n for p, n in needs.items())

    def _take(self, needs: Mapping[str, int]) -> None:
        for provider, count in needs.items():
            self._free[provider] -= count

    def release(self, needs: Mapping[str, int]) -> None:
        for provider, count in needs.items():
            self._free[provider] += count
        self._wake()

    def _wake(self) -> None:
        while self._waiting and self._fits(self._waiting[0][0]):
            needs, future = self._waiting.popleft()
            self._take(needs)
            future.set_result(None)

    async def acquire(self, needs: Mapping[str, int]) -> dict[str, int]:
        wanted = {p: min(n, self.limits[p]) for p, n in needs.items() if p in self.limits and n}
        if not self._waiting and self._fits(wanted):
            self._take(wanted)
            return wanted
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        entry = (wanted, future)
        self._waiting.append(entry)
        try:
            await future
        except asyncio.CancelledError:
            if future.done() and not future.cancelled():
                self.release(wanted)  # granted just as it was cancelled: give it back
            else:
                self._waiting.remove(entry)
                self._wake()  # the next in line may fit now
            raise
        return wanted

    @contextlib.asynccontextmanager
    async def hold(self, needs: Mapping[str, int]) -> AsyncIterator[None]:
        taken = await self.acquire(needs)
        try:
            yield
        finally:
            self.release(taken)
