"""Strategy orchestration overhead and savings, over the loopback fake server.

- fanout: 8 lanes, each scripted at a different pace. Concurrency means the turn's
  wall time should be the slowest lane's time, not the sum (target <= 1.05x slowest).
- planner: 4 independent steps of equal length. They run at once, so the steps phase
  should take about one step.
- consensus: 3 fast models agree, 2 slow ones are still writing long answers. Early
  stop cancels the slow lanes; we compare completion tokens with waiting for all.

The fake server runs in-process in its own thread (tests.fakeserver.FakeServer).
Run: .venv/bin/python bench/bench_strategies.py
"""

from __future__ import annotations

import asyncio
import json
import statistics
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from mmchat.api import Event, LaneClosed, LaneOpened, TurnFinished  # noqa: E402
from tests.fakeserver import FakeServer, Reply  # noqa: E402
from tests.harness import make_engine, run, user_text  # noqa: E402

REPEATS = 5


def closed_lanes(events: list[Event]) -> dict[str, LaneClosed]:
    return {e.lane: e for e in events if isinstance(e, LaneClosed)}


def roles(events: list[Event]) -> dict[str, str]:
    return {e.lane: e.role for e in events if isinstance(e, LaneOpened)}


async def bench_fanout(server: FakeServer) -> None:
    aliases = list("abcdefgh")
    for i, alias in enumerate(aliases):  # 40 chunks at 5..19 ms: 0.2 s .. 0.76 s per lane
        server.script(
            f"model-{alias}", Reply(text="tok " * 40, chunk_chars=4, delay=0.005 + 0.002 * i)
        )
    engine = make_engine(server, {"fan": {"strategy": "fanout", "options": {"models": aliases}}})
    await run(engine, "fan")  # warm up connections
    ratios, walls, slowest, sums = [], [], [], []
    for _ in range(REPEATS):
        started = time.perf_counter()
        outcome, events = await run(engine, "fan")
        wall = time.perf_counter() - started
        durations = [c.duration for c in closed_lanes(events).values()]
        assert outcome.status == "complete" and len(durations) == 8
        walls.append(wall)
        slowest.append(max(durations))
        sums.append(sum(durations))
        ratios.append(wall / max(durations))
    await engine.aclose()
    print("fanout, 8 lanes at different paces")
    print(f"  turn wall time     {statistics.median(walls) * 1000:7.1f} ms (median of {REPEATS})")
    print(f"  slowest lane       {statistics.median(slowest) * 1000:7.1f} ms")
    print(f"  sum of lanes       {statistics.median(sums) * 1000:7.1f} ms (one after another)")
    print(
        f"  wall / slowest     {statistics.median(ratios):7.3f}x  (target <= 1.05x; "
        f"worst {max(ratios):.3f}x)"
    )


async def bench_planner(server: FakeServer) -> None:
    plan = [
        {
            "id": f"s{i}",
            "title": f"part {i}",
            "type": "general",
            "prompt": f"do part {i}",
            "depends_on": [],
        }
        for i in range(1, 5)
    ]

    def planner(body: dict[str, Any]) -> str:
        return json.dumps(plan) if "JSON array" in user_text(body) else "combined answer"

    server.script_fn("model-big", planner)
    server.script("model-a", Reply(text="step " * 40, chunk_chars=5, delay=0.01))  # ~0.4 s each
    preset = {"strategy": "planner", "options": {"planner": "big", "executors": {"default": "a"}}}
    engine = make_engine(server, {"plan": preset})
    await run(engine, "plan")
    phases, steps, walls = [], [], []
    for _ in range(REPEATS):
        started = time.perf_counter()
        outcome, events = await run(engine, "plan")
        walls.append(time.perf_counter() - started)
        role_of = roles(events)
        opened = [e.at for e in events if isinstance(e, LaneOpened) and e.role == "step"]
        closed = [e for e in events if isinstance(e, LaneClosed) and role_of[e.lane] == "step"]
        assert outcome.status == "complete" and len(closed) == 4
        phases.append(max(e.at for e in closed) - min(opened))
        steps.append(statistics.mean(e.duration for e in closed))
    await engine.aclose()
    print("planner, 4 independent steps")
    print(f"  one step           {statistics.median(steps) * 1000:7.1f} ms")
    print(
        f"  steps phase        {statistics.median(phases) * 1000:7.1f} ms "
        f"({statistics.median(phases) / statistics.median(steps):.2f}x one step; sequential ≈ 4x)"
    )
    print(
        f"  whole turn         {statistics.median(walls) * 1000:7.1f} ms (plan + steps + synthesis)"
    )


async def bench_consensus(server: FakeServer) -> None:
    for alias in "abc":  # 9 chunks at 30 ms: done after ~0.27 s
        server.script(f"model-{alias}", Reply(text="The answer is 42.", chunk_chars=2, delay=0.03))
    for alias in "de":  # long, slow answers: 300 chunks of 4 characters (≈ 300 tokens)
        server.script(f"model-{alias}", Reply(text="hmm " * 300, chunk_chars=4, delay=0.004))
    server.script("model-big", "42")
    base = {"models": list("abcde"), "threshold": 0.6, "escalate_to": "big"}
    presets = {
        "early": {"strategy": "consensus", "options": base},
        "wait": {"strategy": "consensus", "options": {**base, "early_stop": False}},
    }
    engine = make_engine(server, presets)
    await run(engine, "wait")
    figures: dict[str, tuple[int, float]] = {}
    for name in ("wait", "early"):
        tokens, walls = [], []
        for _ in range(REPEATS):
            started = time.perf_counter()
            outcome, events = await run(engine, name)
            walls.append(time.perf_counter() - started)
            finished = [e for e in events if isinstance(e, TurnFinished)][-1]
            assert outcome.status == "complete" and outcome.text == "The answer is 42."
            tokens.append(finished.usage.completion_tokens)
        figures[name] = (int(statistics.median(tokens)), statistics.median(walls))
    await engine.aclose()
    (wait_tokens, wait_wall), (early_tokens, early_wall) = figures["wait"], figures["early"]
    print("consensus, 5 models: 3 agree fast, 2 still writing long answers")
    print(f"  wait for all       {wait_tokens:5d} completion tokens, {wait_wall * 1000:7.1f} ms")
    print(f"  early stop         {early_tokens:5d} completion tokens, {early_wall * 1000:7.1f} ms")
    print(
        f"  saved              {wait_tokens - early_tokens:5d} tokens "
        f"({1 - early_tokens / wait_tokens:.0%}), {1 - early_wall / wait_wall:.0%} of the wall time"
    )


async def main() -> None:
    with FakeServer() as server:
        await bench_fanout(server)
        server.reset()
        await bench_planner(server)
        server.reset()
        await bench_consensus(server)


if __name__ == "__main__":
    asyncio.run(main())
