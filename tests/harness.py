"""Build an Engine against the fake server and run turns, for strategy tests and benches.

Model aliases map to scripted model ids on one OpenAI-style fake provider ("fake"):
alias ``a`` → model id ``model-a`` and so on, so a test scripts ``model-a`` and names
``a`` in its preset. Retries are off so that a scripted 500 fails the lane at once.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mmchat.api import Decision, Event, LaneClosed, LaneOpened, PlanNode, TextDelta, TurnFinished
from mmchat.config_schema import Config
from mmchat.engine import Engine, TurnOutcome, TurnRequest
from mmchat.plugins import discover

if TYPE_CHECKING:
    from tests.fakeserver.server import FakeServer

DEFAULT_ALIASES = ("a", "b", "c", "d", "e", "f", "g", "h", "judge", "big")


def model_id(alias: str) -> str:
    """The fake server's model id behind an alias."""
    return f"model-{alias}"


def make_config(
    server: FakeServer,
    presets: dict[str, dict[str, Any]],
    *,
    aliases: Iterable[str] = DEFAULT_ALIASES,
    models: dict[str, dict[str, Any]] | None = None,
) -> Config:
    data: dict[str, Any] = {
        "providers": {"fake": {"kind": "openai", "base_url": server.url + "/v1", "max_retries": 0}},
        "models": {alias: {"provider": "fake", "model": model_id(alias)} for alias in aliases},
        "presets": presets,
        "defaults": {"preset": next(iter(presets))},
    }
    data["models"].update(models or {})
    return Config.model_validate(data)


def make_engine(
    server: FakeServer,
    presets: dict[str, dict[str, Any]],
    *,
    store_path: Path | None = None,
    **config_kwargs: Any,
) -> Engine:
    """An Engine with the real plugin registry; a Store when ``store_path`` is given."""
    store = None
    if store_path is not None:
        from mmchat.history.store import Store  # optional: the store may be absent in a checkout

        store = Store.open(store_path)
    return Engine(make_config(server, presets, **config_kwargs), discover([]), store=store)


async def run(
    engine: Engine, preset: str, prompt: str = "hi", **request: Any
) -> tuple[TurnOutcome, list[Event]]:
    events: list[Event] = []
    turn = TurnRequest(prompt=prompt, preset=preset, **request)
    outcome = await engine.run_turn(turn, events.append)
    return outcome, events


async def run_and_cancel(
    engine: Engine,
    preset: str,
    prompt: str = "hi",
    *,
    when: Callable[[list[Event]], bool] | None = None,
    within: float = 5.0,
) -> list[Event]:
    """Start a turn, cancel its task once ``when(events)`` holds (default: first text)."""
    events: list[Event] = []
    task = asyncio.create_task(
        engine.run_turn(TurnRequest(prompt=prompt, preset=preset), events.append)
    )
    ready = when or (lambda evs: any(isinstance(e, TextDelta) for e in evs))
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within
    while not ready(events):
        if loop.time() > deadline or task.done():
            break
        await asyncio.sleep(0.005)
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task
    return events


# ------------------------------------------------------------------ event helpers


@dataclass
class Lane:
    lane: str
    model: str
    role: str
    label: str
    parent: str | None
    closed: LaneClosed | None


def lanes(events: list[Event]) -> list[Lane]:
    """Every lane with its closing event, in opening order."""
    closed = {e.lane: e for e in events if isinstance(e, LaneClosed)}
    return [
        Lane(e.lane, e.model, e.role, e.label, e.parent, closed.get(e.lane))
        for e in events
        if isinstance(e, LaneOpened)
    ]


def decisions(events: list[Event], kind: str) -> list[Decision]:
    return [e for e in events if isinstance(e, Decision) and e.kind == kind]


def plan_nodes(events: list[Event]) -> dict[str, PlanNode]:
    """The latest state of each plan node."""
    latest: dict[str, PlanNode] = {}
    for e in events:
        if isinstance(e, PlanNode):
            latest[e.node] = e
    return latest


def finished(events: list[Event]) -> TurnFinished:
    done = [e for e in events if isinstance(e, TurnFinished)]
    assert done, "the turn never finished"
    return done[-1]


def user_text(body: dict[str, Any]) -> str:
    """The last user message of a request body (for script_fn routing)."""
    for message in reversed(body.get("messages") or []):
        if message.get("role") == "user":
            content = message.get("content")
            return content if isinstance(content, str) else str(content)
    return ""


def assert_cancelled(events: list[Event]) -> None:
    """Every lane closed; those still streaming closed "cancelled" with partial text."""
    seen = lanes(events)
    assert seen, "no lane opened"
    assert all(lane.closed is not None for lane in seen), "a lane was never closed"
    cancelled = [lane.closed for lane in seen if lane.closed and lane.closed.status == "cancelled"]
    assert cancelled, "no lane was cancelled"
    assert any(c.text for c in cancelled), "cancelled lanes kept no partial text"
    assert finished(events).status == "cancelled"


def text_from(model: str, count: int = 1) -> Callable[[list[Event]], bool]:
    """A run_and_cancel trigger: ``count`` text deltas arrived from a lane of ``model``."""

    def ready(events: list[Event]) -> bool:
        ids = {e.lane for e in events if isinstance(e, LaneOpened) and e.model == model}
        return sum(isinstance(e, TextDelta) and e.lane in ids for e in events) >= count

    return ready
