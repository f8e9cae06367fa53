"""The shared client reads a trickling body in batches (mmchat.providers.paced_transport):
far fewer socket reads, the same text, no later first token, over real loopback sockets."""

from __future__ import annotations

import asyncio
import time

import httpx

from mmchat.providers import make_provider
from mmchat.providers.base import TextPart
from mmchat.providers.network import build_client
from mmchat.providers.paced_transport import PacedBackend
from tests.fakeserver import FakeServer, Reply
from tests.fakeserver.clients import openai_cfg, req

# 1,200 SSE events, one every ~1.2 ms (the server sleeps 1 ms between them): ~1.5 s
TEXT = "".join(f"word{n} " for n in range(1200))


async def _streams_with(
    server: FakeServer, backend: PacedBackend, lanes: int = 1
) -> list[tuple[str, float]]:
    """The texts ``lanes`` concurrent streams got through one client over ``backend``,
    each with its first token's time."""
    async with build_client(backend=backend) as client:
        provider = make_provider("openai", openai_cfg(server), client, "sk-test-key")

        async def one() -> tuple[str, float]:
            t0 = time.perf_counter()
            first: float | None = None
            text = []
            async for part in provider.stream(req("hi")):
                if isinstance(part, TextPart):
                    first = first if first is not None else time.perf_counter() - t0
                    text.append(part.text)
            assert first is not None
            return "".join(text), first

        return list(await asyncio.gather(*(one() for _ in range(lanes))))


async def _stream_with(server: FakeServer, backend: PacedBackend) -> tuple[str, float]:
    return (await _streams_with(server, backend))[0]


async def test_concurrent_trickling_streams_are_read_in_batches_and_arrive_whole(
    fake_server: FakeServer,
) -> None:
    unpaced, paced = PacedBackend(share=0), PacedBackend()
    for backend in (unpaced, paced):
        fake_server.script("test-model", Reply(text=TEXT, chunk_chars=8, delay=0.001))
        for text, _ in await _streams_with(fake_server, backend, lanes=3):
            assert text == TEXT
    # about one read per event unpaced; paced, no pause in the first 0.2 s, then 0.5 %
    # of the time so far (1 ms at 0.2 s, 7.5 ms at 1.5 s)
    assert unpaced.reads > 3 * 800
    assert paced.reads * 2 < unpaced.reads, (paced.reads, unpaced.reads)
    assert paced.slept > 0


async def test_a_stream_alone_is_not_paced(fake_server: FakeServer) -> None:
    """Pacing is for streams that share the process (a fan-out): one stream alone is
    read as it lands, so its end is never held back."""
    backend = PacedBackend()
    fake_server.script("test-model", Reply(text=TEXT, chunk_chars=8, delay=0.001))
    text, _ = await _stream_with(fake_server, backend)
    assert text == TEXT
    assert backend.slept == 0.0 and backend.reads > 800, (backend.slept, backend.reads)


async def test_the_first_token_is_not_held_back(fake_server: FakeServer) -> None:
    """A fast stream is read without a single pause, so its first token arrives as
    unpaced (it used to wait 20 ms: the pause followed the response head's read)."""
    firsts: dict[str, list[float]] = {"unpaced": [], "paced": []}
    for _ in range(3):
        paced = PacedBackend()
        for name, backend in (("unpaced", PacedBackend(share=0)), ("paced", paced)):
            fake_server.script("test-model", Reply(text=TEXT, chunk_chars=8))
            text, first = await _stream_with(fake_server, backend)
            assert text == TEXT
            firsts[name].append(first)
        assert paced.slept == 0.0 and paced.reads > 1
    # timing, with room for a busy machine: the old pacing added 20 ms every time
    assert min(firsts["paced"]) < min(firsts["unpaced"]) + 0.015, firsts


async def test_plain_httpx_errors_still_map_through_the_paced_pool() -> None:
    """The replaced pool sits under httpx's own transport: a refused connection is
    still httpx.ConnectError (what error_from_exception maps)."""
    async with build_client() as client:
        try:
            await client.get("http://127.0.0.1:9/")
        except httpx.ConnectError:
            return
    raise AssertionError("expected httpx.ConnectError")
