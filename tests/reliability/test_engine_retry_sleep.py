"""Regression: Engine(retry_sleep=...) must reach the retry policy.

Before the fix, Engine.stream passed ``sleep=`` to ``stream_with_retries`` (which takes
no such argument), so every lane of an engine built with an injected sleep failed with
``internal error: TypeError(...)`` before sending a request.
"""

from __future__ import annotations

from mmchat.engine import Engine
from mmchat.plugins import discover
from tests.fakeserver import Reply
from tests.fakeserver.server import FakeServer
from tests.harness import lanes, make_config, run


async def test_injected_retry_sleep_is_used(fake_server: FakeServer) -> None:
    fake_server.script("model-a", Reply(status=503), Reply(text="fine"))
    config = make_config(fake_server, {"p": {"strategy": "single", "options": {"model": "a"}}})
    config.providers["fake"].max_retries = 2  # type: ignore[union-attr]
    delays: list[float] = []

    async def sleep(seconds: float) -> None:
        delays.append(seconds)

    engine = Engine(config, discover([]), retry_sleep=sleep)
    try:
        outcome, events = await run(engine, "p")
    finally:
        await engine.aclose()
    assert outcome.status == "complete", outcome.error
    assert outcome.text == "fine"
    assert len(delays) == 1
    (lane,) = lanes(events)
    assert lane.closed is not None and lane.closed.status == "done"
