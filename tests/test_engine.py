"""The engine over real sockets: durability, cancellation, limits, budgets, failures."""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path
from typing import Any

import pytest

from mmchat.api import (
    Answer,
    Context,
    Event,
    LaneClosed,
    Note,
    StrategyOptions,
    TextDelta,
    TurnFinished,
    option,
    preset_option,
)
from mmchat.api import Strategy as StrategyBase
from mmchat.config_schema import Config
from mmchat.engine import Engine, TurnRequest
from mmchat.history.store import Store
from mmchat.plugins import discover
from mmchat.providers.base import estimate_tokens
from tests.fakeserver import Reply
from tests.fakeserver.server import FakeServer


def make_config(server: FakeServer, **extra: Any) -> Config:
    data: dict[str, Any] = {
        "providers": {"fake": {"kind": "openai", "base_url": server.openai_url}},
        "models": {
            "a": {"provider": "fake", "model": "model-a"},
            "b": {"provider": "fake", "model": "model-b"},
            "priced": {
                "provider": "fake",
                "model": "model-p",
                "price_in": 1000.0,
                "price_out": 1000.0,
                "max_tokens": 10,
            },
        },
        "presets": {
            "single": {"strategy": "single", "options": {"model": "a"}},
        },
        "defaults": {"preset": "single"},
    }
    for key, value in extra.items():
        data.setdefault(key, {}).update(value)
    return Config.model_validate(data)


class Boom(StrategyBase):
    name = "boom"

    async def run(self, ctx: Context, options: Any) -> Answer:
        await ctx.ask("a")
        raise ZeroDivisionError("plugin bug")


class NestOptions(StrategyOptions):
    inner: str = preset_option("single", "preset to run as a step")
    times: int = option(1, "how many")


class Nest(StrategyBase):
    name = "nest"
    Options = NestOptions

    async def run(self, ctx: Context, options: NestOptions) -> Answer:
        return await ctx.run_preset(options.inner)


class Detached(StrategyBase):
    """Starts a lane in a task it never awaits: the engine must still stop it."""

    name = "detached"

    async def run(self, ctx: Context, options: Any) -> Answer:
        asyncio.get_running_loop().create_task(ctx.ask("b", role="answer"))
        result = await ctx.ask("a", role="answer")
        return Answer(result.text)


def make_engine(server: FakeServer, store: Store | None = None, **extra: Any) -> Engine:
    registry = discover([])
    for cls in (Boom, Nest, Detached):
        registry.add(cls, "test")
    return Engine(make_config(server, **extra), registry, store=store)


async def run(engine: Engine, preset: str, prompt: str = "hi") -> tuple[Any, list[Event]]:
    events: list[Event] = []
    outcome = await engine.run_turn(TurnRequest(prompt=prompt, preset=preset), events.append)
    return outcome, events


async def test_single_turn_streams_accounts_and_persists(
    fake_server: FakeServer, tmp_path: Path
) -> None:
    fake_server.script("model-a", Reply(text="Paris is the capital.", prompt_tokens=7))
    store = Store.open(tmp_path / "h.sqlite3")
    engine = make_engine(fake_server, store)
    outcome, events = await run(engine, "single", "Capital of France?")
    await engine.aclose()
    assert outcome.status == "complete"
    assert outcome.text == "Paris is the capital."
    assert "".join(e.text for e in events if isinstance(e, TextDelta)) == outcome.text
    assert outcome.usage.prompt_tokens == 7 and not outcome.usage.estimated
    assert outcome.cost is None  # no price configured: unknown, never 0
    assert all(e.turn == outcome.turn_id for e in events)
    path = store.conversation_path(outcome.conversation_id)
    assert [(m.role, m.text) for m in path] == [
        ("user", "Capital of France?"),
        ("assistant", "Paris is the capital."),
    ]
    assert path[1].status == "complete"


async def test_user_message_is_durable_before_the_request(
    fake_server: FakeServer, tmp_path: Path
) -> None:
    db = tmp_path / "h.sqlite3"
    store = Store.open(db)
    seen_at_request: list[list[str]] = []

    def reply(body: dict[str, Any]) -> Reply:
        # Read the database from another connection at the moment the request arrives.
        with sqlite3.connect(db) as other:
            seen_at_request.append([r[0] for r in other.execute("SELECT text FROM messages")])
        return Reply(text="ok")

    fake_server.script_fn("model-a", reply)
    engine = make_engine(fake_server, store)
    await run(engine, "single", "remember me")
    await engine.aclose()
    assert "remember me" in seen_at_request[0]


async def test_cancel_keeps_partial_text_everywhere(
    fake_server: FakeServer, tmp_path: Path
) -> None:
    fake_server.script("model-a", Reply(text="word " * 200, chunk_chars=5, delay=0.02))
    store = Store.open(tmp_path / "h.sqlite3")
    engine = make_engine(fake_server, store)
    events: list[Event] = []
    task = asyncio.create_task(
        engine.run_turn(TurnRequest(prompt="go", preset="single"), events.append)
    )
    assert await fake_server.wait_until(lambda: sum(isinstance(e, TextDelta) for e in events) >= 3)
    assert engine.cancel()
    outcome = await task
    await engine.aclose()
    assert outcome.status == "cancelled"
    assert outcome.text.startswith("word word word")
    closed = [e for e in events if isinstance(e, LaneClosed)]
    assert closed[0].status == "cancelled" and closed[0].text == outcome.text
    assert closed[0].usage.estimated
    finished = [e for e in events if isinstance(e, TurnFinished)]
    assert finished[-1].status == "cancelled"
    row = store.get_message(outcome.message_id)
    assert row is not None and row.status == "cancelled" and row.text == outcome.text
    assert store.lanes(outcome.message_id)[0].status == "cancelled"


async def test_cancelling_the_caller_task_also_finalises(
    fake_server: FakeServer, tmp_path: Path
) -> None:
    fake_server.script("model-a", Reply(text="x" * 400, chunk_chars=2, delay=0.02))
    store = Store.open(tmp_path / "h.sqlite3")
    engine = make_engine(fake_server, store)
    events: list[Event] = []
    task = asyncio.create_task(
        engine.run_turn(TurnRequest(prompt="go", preset="single"), events.append)
    )
    assert await fake_server.wait_until(lambda: any(isinstance(e, TextDelta) for e in events))
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    await engine.aclose()
    assert isinstance(events[-1], TurnFinished) and events[-1].status == "cancelled"
    assistant = store.conversation_path(1)[-1]
    assert assistant.status == "cancelled" and assistant.text.startswith("xx")


async def test_time_limit_stops_the_turn_and_keeps_text(fake_server: FakeServer) -> None:
    fake_server.script("model-a", Reply(text="slow " * 100, chunk_chars=5, delay=0.05))
    engine = make_engine(
        fake_server,
        presets={"quick": {"strategy": "single", "options": {"model": "a"}, "time_limit": 0.4}},
    )
    outcome, _ = await run(engine, "quick")
    await engine.aclose()
    assert outcome.status == "failed"
    assert "time_limit" in (outcome.error or "")
    assert outcome.text.startswith("slow")


async def test_plugin_that_raises_fails_the_turn_not_the_engine(fake_server: FakeServer) -> None:
    engine = make_engine(fake_server, presets={"boom": {"strategy": "boom"}})
    outcome, events = await run(engine, "boom")
    assert outcome.status == "failed"
    assert "ZeroDivisionError: plugin bug" in (outcome.error or "")
    assert any(isinstance(e, Note) and e.level == "error" for e in events)
    again, _ = await run(engine, "single")  # the engine still works
    await engine.aclose()
    assert again.status == "complete"


async def test_budget_refuses_before_sending(fake_server: FakeServer) -> None:
    engine = make_engine(
        fake_server,
        presets={"cheap": {"strategy": "single", "options": {"model": "priced"}, "budget": 0.001}},
    )
    outcome, _ = await run(engine, "cheap")
    await engine.aclose()
    assert outcome.status == "failed"
    assert (outcome.error or "").startswith("refused")
    assert fake_server.requests_to("/chat/completions") == []


# Each call of these models costs at most $0.01 (10 tokens out at $1000 per million;
# prompts are free, so the estimate is a count of calls).
PER_CALL = {
    alias: {"provider": "fake", "model": "model-p", "price_in": 0.0, "price_out": 1000.0,
            "max_tokens": 10}
    for alias in ("p1", "p2", "p3")
}  # fmt: skip


@pytest.mark.parametrize(
    ("options", "strategy", "calls"),
    [
        # 2 proposers, a layer of the same 2 reading them, the aggregator: 5 calls
        ({"proposers": ["p1", "p2"], "layers": 1, "aggregator": "p3"}, "moa", 5),
        # 3 answers, 3 rankings, the chair: 7 calls
        ({"models": ["p1", "p2", "p3"], "chair": "p3"}, "council", 7),
        # draft, then refine going back to draft twice more: 2 + 2 × 2 calls
        ({"stages": [{"name": "draft", "model": "p1"},
                     {"model": "p2", "repeat_from": "draft", "max_repeats": 2}]},
         "pipeline", 6),
        # 2 debaters × 3 rounds plus the arbiter each round: 9 calls
        ({"models": ["p1", "p2"], "arbiter": "p3", "max_rounds": 3}, "debate", 9),
        # assign; 2 workers and a review in each of 2 rounds; the answer: 1 + 2 × 3 + 1
        ({"supervisor": "p3", "workers": ["p1", "p2"], "max_rounds": 1}, "supervisor", 8),
        # the plan, 3 steps, a replan with 3 more, the synthesis: 1 + 3 + 1 + 3 + 1
        ({"planner": "p3", "executors": {"default": "p1"}, "max_steps": 3}, "planner", 9),
        ({"planner": "p3", "executors": {"code": "p2"}, "max_steps": 3, "replan": False},
         "planner", 5),
        # 2 members, a judge comparing them, the escalation
        ({"models": ["p1", "p2"], "compare": "judge", "compare_with": "p3",
          "escalate_to": "p3"}, "consensus", 4),
        # 3 voters and the embeddings of their answers
        ({"models": ["p1", "p2", "p3"], "compare": "embedding", "compare_with": "p1"},
         "voting", 4),
        # 2 members, 1 judge reading both
        ({"models": {"p1": 1.0, "p2": 1.0}, "judges": ["p3"]}, "ensemble", 3),
        # the members judge each other: 2 answers, 2 judgings
        ({"models": {"p1": 1.0, "p2": 1.0}}, "ensemble", 4),
        # a preset run as a step is estimated as that preset
        ({"inner": "moa5"}, "nest", 5),
    ],
)  # fmt: skip
async def test_the_budget_estimate_counts_every_call_a_strategy_plans(
    fake_server: FakeServer, options: dict[str, Any], strategy: str, calls: int
) -> None:
    """Strategies that call a model several times are refused by their whole plan, not
    by one call per model named (which let a council through at 3 of its 7 calls)."""
    moa5 = {"strategy": "moa", "options": {"proposers": ["p1", "p2"], "aggregator": "p3"}}
    preset = {"strategy": strategy, "options": options, "budget": calls * 0.01 - 0.001}
    engine = make_engine(fake_server, models=PER_CALL, presets={"plan": preset, "moa5": moa5})
    outcome, _ = await run(engine, "plan")
    await engine.aclose()
    assert outcome.status == "failed"
    assert (outcome.error or "").startswith(
        f"refused: this turn could cost up to ${calls / 100:.4f}"
    )
    assert fake_server.requests_to("/chat/completions") == []


async def test_an_answer_read_by_a_later_call_counts_as_its_prompt(fake_server: FakeServer) -> None:
    # The aggregator's prompt holds both proposals (10 tokens each at most): with input
    # at $1000 per million, 20 tokens more than the proposers' prompts.
    priced_in = {a: {**m, "price_in": 1000.0} for a, m in PER_CALL.items()}
    plain = {"strategy": "moa", "options": {"proposers": ["p1", "p2"], "layers": 0,
                                            "aggregator": "p3"}, "budget": 1e-9}  # fmt: skip
    engine = make_engine(fake_server, models=priced_in, presets={"plan": plain})
    outcome, _ = await run(engine, "plan", "hi")
    await engine.aclose()
    prompt = estimate_tokens("hi")
    expected = (3 * prompt + 20 + 3 * 10) * 1000.0 / 1e6
    assert (outcome.error or "").startswith(f"refused: this turn could cost up to ${expected:.4f}")


async def test_budget_stops_a_turn_that_overspends(fake_server: FakeServer) -> None:
    # The estimate (10 max tokens) fits the budget, but the server ignores max_tokens.
    fake_server.script("model-p", Reply(text="token " * 300, chunk_chars=6, delay=0.005))
    engine = make_engine(
        fake_server,
        presets={"capped": {"strategy": "single", "options": {"model": "priced"}, "budget": 0.05}},
    )
    outcome, _ = await run(engine, "capped")
    await engine.aclose()
    assert outcome.status == "failed"
    assert "budget" in (outcome.error or "")
    assert 0 < len(outcome.text) < len("token " * 300)


async def test_detached_lane_tasks_are_cancelled_at_turn_end(fake_server: FakeServer) -> None:
    fake_server.script("model-a", "quick")
    fake_server.script("model-b", Reply(text="never ending " * 50, delay=0.05))
    engine = make_engine(fake_server, presets={"d": {"strategy": "detached"}})
    outcome, events = await run(engine, "d")
    await engine.aclose()
    assert outcome.status == "complete"
    statuses = {e.lane: e.status for e in events if isinstance(e, LaneClosed)}
    assert sorted(statuses.values()) == ["cancelled", "done"]


async def test_composition_runs_a_preset_as_a_step(fake_server: FakeServer) -> None:
    fake_server.script("model-a", "inner answer")
    engine = make_engine(fake_server, presets={"outer": {"strategy": "nest"}})
    outcome, _ = await run(engine, "outer")
    await engine.aclose()
    assert outcome.text == "inner answer"


async def test_composition_cycle_hits_the_depth_limit(fake_server: FakeServer) -> None:
    engine = make_engine(
        fake_server, presets={"loop": {"strategy": "nest", "options": {"inner": "loop"}}}
    )
    outcome, _ = await run(engine, "loop")
    await engine.aclose()
    assert outcome.status == "failed"
    assert "deeper than" in (outcome.error or "")


async def test_bad_preset_options_and_unknown_models_are_clear(fake_server: FakeServer) -> None:
    engine = make_engine(
        fake_server,
        presets={
            "typo": {"strategy": "single", "options": {"modle": "a"}},
            "ghost": {"strategy": "single", "options": {"model": "nope"}},
            "missing": {"strategy": "does-not-exist"},
            "dangling": {"strategy": "nest", "options": {"inner": "no-such-preset"}},
        },
    )
    problems = "\n".join(engine.validate_presets())
    assert "preset 'typo' (single) options: modle: Extra inputs are not permitted" in problems
    assert "preset 'ghost' names unknown model(s): nope" in problems
    assert "strategy 'does-not-exist', which is not available" in problems
    assert "preset 'dangling' runs unknown preset(s): no-such-preset" in problems
    outcome, _ = await run(engine, "ghost")
    await engine.aclose()
    assert outcome.status == "failed" and "nope" in (outcome.error or "")
    assert fake_server.requests == []


async def test_missing_key_for_a_remote_provider_says_what_to_do(
    fake_server: FakeServer,
) -> None:
    config = make_config(fake_server)
    remote = config.providers["fake"].model_copy(
        update={"base_url": "https://api.example.invalid/v1", "key": "examplekey"}
    )
    config.providers["fake"] = remote
    engine = Engine(config, discover([]))
    outcome, events = await run(engine, "single")
    await engine.aclose()
    assert outcome.status == "failed"
    closed = next(e for e in events if isinstance(e, LaneClosed))
    assert closed.error is not None
    assert "mmchat keys set examplekey" in closed.error and "EXAMPLEKEY_API_KEY" in closed.error


async def test_key_from_keyring_goes_only_in_the_header(
    fake_server: FakeServer, memory_keyring: Any
) -> None:
    from mmchat import secrets

    secrets.set_key("fakekey", "sk-test-SECRET-123")
    config = make_config(fake_server)
    config.providers["fake"] = config.providers["fake"].model_copy(update={"key": "fakekey"})
    engine = Engine(config, discover([]))
    outcome, _ = await run(engine, "single")
    await engine.aclose()
    assert outcome.status == "complete"
    request = fake_server.requests_to("/chat/completions")[0]
    assert request.headers.get("authorization") == "Bearer sk-test-SECRET-123"
    assert "SECRET" not in request.path
