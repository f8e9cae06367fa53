"""Where a cost's price comes from: your price, local, the genai-prices table, unknown.

The arithmetic is checked against the table's own published numbers, read from the
installed genai-prices at test time (not typed in here), with token counts scripted on
the fake server's wire.
"""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from mmchat.api import LaneClosed, Usage
from mmchat.config_schema import Config
from mmchat.history.store import Store
from mmchat.prices import LOCAL, YOUR_PRICE, PriceBook, combine_sources, table_version
from tests.fakeserver import Reply
from tests.fakeserver.server import FakeServer
from tests.harness import make_engine, run

TABLE = f"genai-prices {table_version()}"


def published(provider: str, model: str) -> tuple[Decimal, Decimal]:
    """The table's (input, output) USD per million tokens for ``model`` today."""
    from genai_prices import data_snapshot

    _, info = data_snapshot.get_snapshot().find_provider_model(model, None, provider, None)
    prices = info.get_prices(datetime.now(UTC))
    assert isinstance(prices.input_mtok, Decimal) and isinstance(prices.output_mtok, Decimal)
    return prices.input_mtok, prices.output_mtok


def book(providers: dict[str, Any], models: dict[str, Any]) -> PriceBook:
    return PriceBook(Config.model_validate({"providers": providers, "models": models}))


OPENAI = {"kind": "openai", "base_url": "https://api.openai.com/v1"}


def test_each_source_in_order() -> None:
    prices = book(
        {
            "openai": OPENAI,
            "here": {"kind": "local"},
            "ollama": {"kind": "ollama"},  # default: http://localhost:11434
            "far-ollama": {"kind": "ollama", "base_url": "http://gpu-box:11434"},
            "vllm": {"kind": "openai", "base_url": "http://127.0.0.1:8000/v1"},
            "gemini": {"kind": "gemini"},
        },
        {
            "mini": {"provider": "openai", "model": "gpt-4o-mini"},
            "mine": {"provider": "openai", "model": "gpt-4o-mini", "price_in": 9, "price_out": 9},
            "nosuch": {"provider": "openai", "model": "no-such-model-xyz"},
            "small": {"provider": "here", "model": "smollm2"},
            "llama": {"provider": "ollama", "model": "llama3"},
            "far": {"provider": "far-ollama", "model": "llama3"},
            "selfhosted": {"provider": "vllm", "model": "gpt-4o-mini"},
            "proxied": {"provider": "vllm", "model": "my-mini", "price_as": "openai:gpt-4o-mini"},
            "flash": {"provider": "gemini", "model": "gemini-2.5-flash"},
            "bad-as": {"provider": "vllm", "model": "m", "price_as": "no-such-provider"},
        },
    )
    source = {alias: prices.pricing(alias).source for alias in prices._config.models}
    assert source == {
        "mini": TABLE,  # the provider's URL says OpenAI
        "mine": YOUR_PRICE,  # typed prices win over the table
        "nosuch": "",  # a model the table does not know: unknown, not 0
        "small": LOCAL,
        "llama": LOCAL,  # Ollama on this machine
        "far": "",  # someone's server: unknown
        "selfhosted": "",  # a loopback OpenAI-style server may be a paid proxy
        "proxied": TABLE,  # ... unless price_as says whose prices it passes on
        "flash": TABLE,  # Gemini's default URL
        "bad-as": "",
    }
    mini_in, mini_out = published("openai", "gpt-4o-mini")
    assert prices.pricing("mini").price_in == pytest.approx(float(mini_in))
    assert prices.pricing("mini").price_out == pytest.approx(float(mini_out))
    assert prices.pricing("small").cost(Usage(1000, 1000)) == 0.0
    assert prices.pricing("nosuch").cost(Usage(1000, 1000)) is None
    assert prices.pricing("mine").cost(Usage(1_000_000, 0)) == 9.0


def test_cost_arithmetic_matches_the_published_table() -> None:
    prices = book({"openai": OPENAI}, {"mini": {"provider": "openai", "model": "gpt-4o-mini"}})
    price_in, price_out = published("openai", "gpt-4o-mini")
    cost, source = prices.cost("mini", Usage(12_345, 6_789))
    expected = (12_345 * price_in + 6_789 * price_out) / 1_000_000
    assert cost == pytest.approx(float(expected), rel=1e-9) and source == TABLE


def test_turn_sources_are_combined_in_order_without_repeats() -> None:
    assert combine_sources([TABLE, "", LOCAL, TABLE]) == f"{TABLE} + {LOCAL}"
    assert combine_sources([]) == ""


async def test_scripted_usage_is_priced_by_the_table_and_stored_with_its_source(
    fake_server: FakeServer, tmp_path: Path
) -> None:
    fake_server.script(
        "gpt-4o-mini", Reply(text="hello", prompt_tokens=1200, completion_tokens=345)
    )
    fake_server.script("model-b", Reply(text="hi", prompt_tokens=10, completion_tokens=5))
    models = {
        "a": {"provider": "fake", "model": "gpt-4o-mini", "price_as": "openai"},
        "b": {"provider": "fake", "model": "model-b", "price_in": 1.0, "price_out": 2.0},
    }
    presets = {"both": {"strategy": "fanout", "options": {"models": ["a", "b"]}}}
    engine = make_engine(fake_server, presets, store_path=tmp_path / "h.db", models=models)
    outcome, events = await run(engine, "both")
    await engine.aclose()
    price_in, price_out = published("openai", "gpt-4o-mini")
    table_cost = float((1200 * price_in + 345 * price_out) / 1_000_000)
    closed = {e.lane: e for e in events if isinstance(e, LaneClosed)}
    by_cost_source = sorted((c.cost_source, c.cost) for c in closed.values())
    assert by_cost_source == [
        (TABLE, pytest.approx(table_cost, rel=1e-9)),
        (YOUR_PRICE, pytest.approx((10 * 1.0 + 5 * 2.0) / 1e6)),
    ]
    assert outcome.cost == pytest.approx(table_cost + 20 / 1e6)
    assert outcome.cost_source == f"{TABLE} + {YOUR_PRICE}"
    # history knows the source, of the message and of each lane
    store = Store.open(tmp_path / "h.db")
    assert outcome.message_id is not None
    message = store.get_message(outcome.message_id)
    assert message is not None and message.cost_source == outcome.cost_source
    assert {lane.cost_source for lane in store.lanes(outcome.message_id)} == {TABLE, YOUR_PRICE}
    store.close()


async def test_unknown_price_stays_unknown_for_the_whole_turn(fake_server: FakeServer) -> None:
    fake_server.script("model-a", "x")
    engine = make_engine(fake_server, {"one": {"strategy": "single", "options": {"model": "a"}}})
    outcome, _ = await run(engine, "one")
    await engine.aclose()
    assert outcome.cost is None and outcome.cost_source == ""


async def test_a_budget_counts_table_prices(fake_server: FakeServer) -> None:
    models = {
        "a": {"provider": "fake", "model": "gpt-4o", "price_as": "openai", "max_tokens": 4000}
    }
    presets = {"tight": {"strategy": "single", "options": {"model": "a"}, "budget": 0.000001}}
    engine = make_engine(fake_server, presets, models=models)
    outcome, _ = await run(engine, "tight")
    await engine.aclose()
    assert outcome.status == "failed" and "over the preset's budget" in (outcome.error or "")
    assert not fake_server.requests  # refused before anything was sent


def test_start_up_does_not_import_the_table() -> None:
    code = (
        "import sys, mmchat.engine, mmchat.tui.app, mmchat.cli.ask;"
        "print('genai_prices' in sys.modules)"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=dict(os.environ)
    )
    assert done.stdout.strip() == "False", done.stderr


ASK_CONFIG = """
[providers.fake]
kind = "openai"
base_url = "{url}/v1"

[models.mini]
provider = "fake"
model = "gpt-4o-mini"
price_as = "openai"

[presets.single]
strategy = "single"
options = {{ model = "mini" }}
"""


def test_ask_json_says_where_the_cost_came_from(
    fake_server: FakeServer, isolated_dirs: Path
) -> None:
    import json

    fake_server.script(
        "gpt-4o-mini", Reply(text="Paris.", prompt_tokens=1000, completion_tokens=10)
    )
    config_dir = Path(os.environ["MMCHAT_CONFIG_DIR"])
    config_dir.mkdir(parents=True, exist_ok=True)
    (config_dir / "config.toml").write_text(ASK_CONFIG.format(url=fake_server.url))
    done = subprocess.run(
        [sys.executable, "-m", "mmchat", "ask", "--json", "Capital of France?"],
        capture_output=True, text=True, env=dict(os.environ), timeout=60,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    data = json.loads(done.stdout)
    price_in, price_out = published("openai", "gpt-4o-mini")
    assert data["cost"] == pytest.approx(float((1000 * price_in + 10 * price_out) / 1_000_000))
    assert data["cost_source"] == TABLE and data["lanes"][0]["cost_source"] == TABLE
