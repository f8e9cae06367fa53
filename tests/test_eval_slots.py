"""Provider slots: a local server's `parallel`, what a preset needs, first come first served."""

from __future__ import annotations

import asyncio

import pytest

from mmchat.config_schema import Config
from mmchat.engine import Engine
from mmchat.eval.slots import SlotPool, preset_needs, provider_limits
from mmchat.plugins import discover


def test_limits_come_from_the_local_servers_parallel_setting() -> None:
    config = Config.model_validate(
        {
            "providers": {
                "local": {"kind": "local", "parallel": 4},
                "small": {"kind": "local", "parallel": 1},
                "cloud": {"kind": "openai", "base_url": "https://api.example.com/v1"},
            },
            "models": {
                "l1": {"provider": "local", "model": "m"},
                "l2": {"provider": "local", "model": "m", "temperature": 1.0},
                "s": {"provider": "small", "model": "m"},
                "c": {"provider": "cloud", "model": "gpt"},
            },
        }
    )
    limits = provider_limits(config)
    assert limits == {"local": 4, "small": 1}  # cloud: bounded by --concurrency alone
    engine = Engine(config, discover([]))
    assert preset_needs(engine, ["l1", "l2", "c"], limits) == {"local": 2}
    assert preset_needs(engine, ["l1", "s", "c"], limits) == {"local": 1, "small": 1}


async def test_slots_are_taken_all_at_once_and_in_order() -> None:
    pool = SlotPool({"local": 4})
    order: list[str] = []

    async def job(name: str, needs: int, hold: asyncio.Event) -> None:
        async with pool.hold({"local": needs}):
            order.append(name)
            await hold.wait()

    first, vote, single = asyncio.Event(), asyncio.Event(), asyncio.Event()
    tasks = [asyncio.create_task(job("first", 2, first))]
    await asyncio.sleep(0)
    tasks.append(asyncio.create_task(job("vote", 3, vote)))  # waits: only 2 free
    await asyncio.sleep(0)
    tasks.append(asyncio.create_task(job("single", 1, single)))  # fits, but waits its turn
    await asyncio.sleep(0.01)
    assert order == ["first"] and pool.free("local") == 2
    first.set()
    await asyncio.sleep(0.01)
    assert order == ["first", "vote", "single"] and pool.free("local") == 0
    vote.set()
    single.set()
    await asyncio.gather(*tasks)
    assert pool.free("local") == 4


async def test_a_cancelled_waiter_gives_its_place_up() -> None:
    pool = SlotPool({"local": 2})
    await pool.acquire({"local": 2})
    waiting = asyncio.create_task(pool.acquire({"local": 2}))
    behind = asyncio.create_task(pool.acquire({"local": 1, "cloud": 5}))  # cloud: no limit
    await asyncio.sleep(0.01)
    waiting.cancel()
    with pytest.raises(asyncio.CancelledError):
        await waiting
    pool.release({"local": 1})
    assert await asyncio.wait_for(behind, 1) == {"local": 1}
    assert pool.free("local") == 0
