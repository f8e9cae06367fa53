"""Where each model's price comes from, and what a call cost.

In order: the price you typed (``price_in`` / ``price_out`` in ``[models.X]``: "your
price"); a model run on this machine (the ``local`` kind, Ollama on loopback: "local",
$0); the genai-prices table for a known provider and model ("genai-prices 0.2.3");
otherwise the cost stays unknown (None, never 0).

genai-prices (by Pydantic; a maintained table of LLM API prices with the matching of
model ids, dated price changes and tiered prices it takes to use one) was chosen over a
table of our own, which would go stale. Its provider is found from the provider's
base URL (the table's own URL patterns: api.openai.com, openrouter.ai, googleapis.com
…) or named with ``price_as``, for a proxy or gateway whose URL says nothing. It is
imported on first use only (≈ 0.2 s): the engine starts that import in a thread when a
turn first needs it, so neither start-up nor the event loop pays for it.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from mmchat.debug_log import log
from mmchat.netconfig import is_loopback

if TYPE_CHECKING:
    from mmchat.api import Usage
    from mmchat.config_schema import Config, ModelConfig

__all__ = [
    "LOCAL",
    "TABLE",
    "YOUR_PRICE",
    "PriceBook",
    "Pricing",
    "combine_sources",
    "table_version",
]

YOUR_PRICE = "your price"
LOCAL = "local"
TABLE = "genai-prices"
# Rates for estimates (budgets) are read from the table for a call of this size: a
# tiered price (Gemini's above 200k tokens) applies the rate of an ordinary call.
_RATE_SAMPLE = 1000


@dataclass(frozen=True, slots=True)
class Pricing:
    """How one model alias is priced. ``source`` is "" when the price is unknown."""

    source: str = ""
    price_in: float | None = None  # USD per million tokens
    price_out: float | None = None
    table_ref: tuple[str, str] | None = None  # (provider id, model id) in genai-prices

    @property
    def known(self) -> bool:
        return bool(self.source)

    def cost(self, usage: Usage) -> float | None:
        """The cost of one call with ``usage``; None when the price is unknown."""
        if self.table_ref is not None:
            return _table_cost(self.table_ref, usage.prompt_tokens, usage.completion_tokens)
        if self.price_in is None or self.price_out is None:
            return None
        return (
            usage.prompt_tokens * self.price_in + usage.completion_tokens * self.price_out
        ) / 1e6

    def estimate(self, prompt_tokens: int, completion_tokens: int) -> float:
        """A worst-case figure for budgets (0 when unknown: nothing to count)."""
        return (
            prompt_tokens * (self.price_in or 0.0) + completion_tokens * (self.price_out or 0.0)
        ) / 1e6


class PriceBook:
    """Pricing of every alias of a config, resolved once per alias (cheap to build)."""

    def __init__(self, config: Config) -> None:
        self._config = config
        self._cache: dict[str, Pricing] = {}
        self._lock = threading.Lock()

    def pricing(self, alias: str) -> Pricing:
        found = self._cache.get(alias)
        if found is None:
            spec = self._config.models.get(alias)
            found = Pricing() if spec is None else self._resolve(spec)
            with self._lock:
                self._cache[alias] = found
        return found

    def cost(self, alias: str, usage: Usage) -> tuple[float | None, str]:
        """(cost, source) of one call of ``alias``; (None, "") when unknown."""
        pricing = self.pricing(alias)
        cost = pricing.cost(usage)
        return cost, pricing.source if cost is not None else ""

    def needs_table(self, aliases: list[str]) -> bool:
        """Would pricing any of ``aliases`` read the genai-prices table?"""
        return any(
            alias not in self._cache and self._table_query(spec) is not None
            for alias in aliases
            if (spec := self._config.models.get(alias)) is not None and not _typed(spec)
        )

    def warm(self, aliases: list[str]) -> None:
        """Load the table in a thread when ``aliases`` need it (the import takes
        ≈ 0.2 s; a lane closing meanwhile waits on Python's import lock, not longer)."""
        if self.needs_table(aliases) and not _table_loaded():
            threading.Thread(target=_load_table, name="mmchat-prices", daemon=True).start()

    # -- resolution ---------------------------------------------------------------
    def _resolve(self, spec: ModelConfig) -> Pricing:
        if _typed(spec):
            return Pricing(YOUR_PRICE, spec.price_in, spec.price_out)
        provider = self._config.providers.get(spec.provider)
        kind = getattr(provider, "kind", "")
        url = str(getattr(provider, "base_url", "") or "")
        if spec.price_as is None and (kind == "local" or (kind == "ollama" and is_loopback(url))):
            return Pricing(LOCAL, 0.0, 0.0)
        query = self._table_query(spec)
        if query is None:
            return Pricing()
        return _from_table(*query)

    def _table_query(self, spec: ModelConfig) -> tuple[str | None, str | None, str] | None:
        """(provider id, provider URL, model id) to look up in the table, or None."""
        if spec.price_as:
            provider_id, _, model = spec.price_as.partition(":")
            return provider_id, None, model or spec.model
        provider = self._config.providers.get(spec.provider)
        kind = getattr(provider, "kind", "")
        url = str(getattr(provider, "base_url", "") or "")
        if kind in ("local", "ollama") or not url.startswith("https://"):
            return None  # your own machine or server: the table cannot know its price
        return None, url, spec.model


def _typed(spec: ModelConfig) -> bool:
    return spec.price_in is not None and spec.price_out is not None


def combine_sources(sources: list[str]) -> str:
    """One label for a turn's lanes: "your price", "genai-prices 0.2.3 + local" …"""
    return " + ".join(dict.fromkeys(s for s in sources if s))


# ------------------------------------------------------------------ the table


def _load_table() -> Any:
    """The genai-prices data snapshot (imports the package and its data)."""
    from genai_prices import data_snapshot

    return data_snapshot.get_snapshot()


def _table_loaded() -> bool:
    import sys

    return "genai_prices.data" in sys.modules


def table_version() -> str:
    from genai_prices import __version__

    return str(__version__)


def _from_table(provider_id: str | None, url: str | None, model: str) -> Pricing:
    try:
        snapshot = _load_table()
        provider, info = snapshot.find_provider_model(model, None, provider_id, url)
        ref = (str(provider.id), str(info.id))
        rate_in = _table_cost(ref, _RATE_SAMPLE, 0)
        rate_out = _table_cost(ref, 0, _RATE_SAMPLE)
    except LookupError:
        return Pricing()  # a provider or model the table does not know
    except Exception as exc:  # the table must never break a turn
        log.warning("genai-prices could not price %s (%s): %r", model, provider_id or url, exc)
        return Pricing()
    if rate_in is None or rate_out is None:
        return Pricing()
    scale = 1e6 / _RATE_SAMPLE
    return Pricing(f"{TABLE} {table_version()}", rate_in * scale, rate_out * scale, ref)


def _table_cost(ref: tuple[str, str], prompt_tokens: int, completion_tokens: int) -> float | None:
    from genai_prices import Usage as TableUsage
    from genai_prices import calc_price

    try:
        price = calc_price(
            TableUsage(input_tokens=prompt_tokens, output_tokens=completion_tokens),
            ref[1],
            provider_id=ref[0],
        )
    except Exception as exc:
        log.warning("genai-prices could not price %s/%s: %r", *ref, exc)
        return None
    return float(price.total_price)
