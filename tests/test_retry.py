"""The shared retry policy, against real streams from the fake server."""

from __future__ import annotations

import asyncio

import httpx
import pytest

from mmchat.providers import make_provider
from mmchat.providers.base import ErrorKind, ProviderError, RetryPart, TextPart
from mmchat.providers.retry import RetryPolicy, stream_with_retries
from tests.fakeserver import FakeServer, Reply
from tests.fakeserver.clients import collect, done_of, openai_cfg, req, text_of


class Sleeps:
    """An injected sleep that records delays instead of waiting."""

    def __init__(self) -> None:
        self.delays: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.delays.append(seconds)


def policy(sleeps: Sleeps, **kw: object) -> RetryPolicy:
    return RetryPolicy(sleep=sleeps, jitter=lambda: 1.0, **kw)  # type: ignore[arg-type]


def provider(server: FakeServer, client: httpx.AsyncClient):
    return make_provider("openai", openai_cfg(server), client, "sk-test-key-000000")


async def test_429_retry_after_is_honoured_then_succeeds(fake_server, http_client):
    fake_server.script("test-model", Reply(status=429, retry_after=2), Reply(text="ok now"))
    sleeps = Sleeps()
    parts, err = await collect(
        stream_with_retries(provider(fake_server, http_client), req(), policy(sleeps))
    )
    assert err is None and text_of(parts) == "ok now"
    retries = [p for p in parts if isinstance(p, RetryPart)]
    assert [(r.attempt, r.delay) for r in retries] == [(1, 2.0)]
    assert retries[0].error.kind is ErrorKind.RATE_LIMITED
    assert isinstance(parts[0], RetryPart)  # announced before the wait
    assert sleeps.delays == [2.0]
    assert len(fake_server.requests) == 2
    done_of(parts)


async def test_retry_after_is_capped(fake_server, http_client):
    fake_server.script("test-model", Reply(status=429, retry_after=3600), Reply(text="ok"))
    sleeps = Sleeps()
    await collect(stream_with_retries(provider(fake_server, http_client), req(), policy(sleeps)))
    assert sleeps.delays == [60.0]


async def test_backoff_without_retry_after_then_gives_up(fake_server, http_client):
    fake_server.script("test-model", Reply(status=503))
    sleeps = Sleeps()
    parts, err = await collect(
        stream_with_retries(provider(fake_server, http_client), req(), policy(sleeps))
    )
    assert err is not None and err.kind is ErrorKind.SERVER
    assert sleeps.delays == [0.5, 1.0]  # 0.5 * 2**n with jitter fixed at its maximum
    assert len(fake_server.requests) == 3
    assert [p.attempt for p in parts if isinstance(p, RetryPart)] == [1, 2]


@pytest.mark.parametrize("status", [400, 401, 403, 404, 402])
async def test_client_errors_are_not_retried(fake_server, http_client, status):
    fake_server.script("test-model", Reply(status=status))
    sleeps = Sleeps()
    parts, err = await collect(
        stream_with_retries(provider(fake_server, http_client), req(), policy(sleeps))
    )
    assert err is not None and not err.retryable
    assert parts == [] and sleeps.delays == []
    assert len(fake_server.requests) == 1


async def test_insufficient_quota_429_is_not_retried(fake_server, http_client):
    fake_server.script("test-model", Reply(status=429, error_type="insufficient_quota"))
    sleeps = Sleeps()
    _, err = await collect(
        stream_with_retries(provider(fake_server, http_client), req(), policy(sleeps))
    )
    assert err is not None and err.kind is ErrorKind.QUOTA
    assert len(fake_server.requests) == 1


@pytest.mark.parametrize(
    "reply",
    [
        Reply(text="Hello world", cut_after=2),
        Reply(text="Hello world", error_after=2, error_type="server_error"),
    ],
)
async def test_no_retry_after_text_reached_the_caller(fake_server, http_client, reply):
    fake_server.script("test-model", reply, Reply(text="second try"))
    sleeps = Sleeps()
    parts, err = await collect(
        stream_with_retries(provider(fake_server, http_client), req(), policy(sleeps))
    )
    assert text_of(parts) == "Hello wo"  # the partial text stays
    assert err is not None
    assert sleeps.delays == [] and len(fake_server.requests) == 1


async def test_cut_before_any_text_is_retried(fake_server, http_client):
    fake_server.script("test-model", Reply(text="Hello", cut_after=0), Reply(text="again"))
    sleeps = Sleeps()
    parts, err = await collect(
        stream_with_retries(provider(fake_server, http_client), req(), policy(sleeps))
    )
    assert err is None and text_of(parts) == "again"
    assert len(sleeps.delays) == 1


async def test_timeout_is_retried(fake_server, http_client):
    fake_server.script("test-model", Reply(hang=True), Reply(text="awake"))
    p = make_provider("openai", openai_cfg(fake_server, read_timeout=0.2), http_client, None)
    parts, err = await collect(stream_with_retries(p, req(), policy(Sleeps())))
    assert err is None and text_of(parts) == "awake"


async def test_max_retries_zero(fake_server, http_client):
    fake_server.script("test-model", Reply(status=500))
    sleeps = Sleeps()
    _, err = await collect(
        stream_with_retries(
            provider(fake_server, http_client), req(), policy(sleeps, max_retries=0)
        )
    )
    assert err is not None and sleeps.delays == [] and len(fake_server.requests) == 1


async def test_cancel_during_backoff_just_stops(fake_server, http_client):
    fake_server.script("test-model", Reply(status=429, retry_after=30), Reply(text="never"))
    announced = asyncio.Event()

    async def consume() -> None:
        async for part in stream_with_retries(provider(fake_server, http_client), req()):
            if isinstance(part, RetryPart):
                announced.set()

    task = asyncio.create_task(consume())
    await asyncio.wait_for(announced.wait(), 5)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await asyncio.wait_for(task, 2)
    assert len(fake_server.requests) == 1


async def test_cancel_while_streaming_closes_the_connection(fake_server, http_client):
    fake_server.script("test-model", Reply(text="y" * 100, chunk_chars=1, delay=0.05))
    first = asyncio.Event()

    async def consume() -> None:
        async for part in stream_with_retries(provider(fake_server, http_client), req()):
            if isinstance(part, TextPart):
                first.set()

    task = asyncio.create_task(consume())
    await asyncio.wait_for(first.wait(), 5)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    rec = fake_server.last
    assert await fake_server.wait_until(lambda: rec.disconnected, 3)


def test_delay_backoff_is_capped_and_jittered():
    err = ProviderError(ErrorKind.SERVER, "boom")
    top = RetryPolicy(jitter=lambda: 1.0)
    assert [top.delay(n, err) for n in range(1, 7)] == [0.5, 1.0, 2.0, 4.0, 8.0, 8.0]
    assert RetryPolicy(jitter=lambda: 0.25).delay(3, err) == 0.5
    assert 0 <= RetryPolicy().delay(2, err) <= 1.0
    waited = ProviderError(ErrorKind.RATE_LIMITED, "slow down", retry_after=-5)
    assert top.delay(1, waited) == 0.0
