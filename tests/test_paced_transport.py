"""The shared client reads a trickling body in batches (mmchat.providers.paced_transport):
far fewer socket reads, the same text, over real loopback sockets."""

from __future__ import annotations

import httpx

from mmchat.providers import make_provider
from mmchat.providers.base import TextPart
from mmchat.providers.paced_transport import PACE_SECONDS, PacedBackend, paced_transport
from tests.fakeserver import FakeServer, Reply
from tests.fakeserver.clients import collect, openai_cfg, req

TEXT = "".join(f"word{n} " for n in range(150))  # 150 SSE events, one every 2 ms


async def _stream_with(server: FakeServer, pace: float) -> tuple[str, int]:
    backend = PacedBackend(pace)
    transport = paced_transport(httpx.Limits(), backend)
    async with httpx.AsyncClient(transport=transport) as client:
        provider = make_provider("openai", openai_cfg(server), client, "sk-test-key")
        parts, err = await collect(provider.stream(req("hi")))
    assert err is None
    return "".join(p.text for p in parts if isinstance(p, TextPart)), backend.reads


async def test_a_trickling_stream_is_read_in_batches_and_arrives_whole(
    fake_server: FakeServer,
) -> None:
    fake_server.script("test-model", Reply(text=TEXT, chunk_chars=7, delay=0.002))
    unpaced_text, unpaced_reads = await _stream_with(fake_server, pace=0.0)
    fake_server.script("test-model", Reply(text=TEXT, chunk_chars=7, delay=0.002))
    paced_text, paced_reads = await _stream_with(fake_server, pace=PACE_SECONDS)
    assert paced_text == unpaced_text == TEXT
    # ~150 reads as events land; with a 20 ms pause after a small read, ~10 at a time
    assert unpaced_reads > 100
    assert paced_reads * 3 < unpaced_reads, (paced_reads, unpaced_reads)


async def test_the_app_client_is_paced(fake_server: FakeServer) -> None:
    """make_client (the client every provider shares) goes through the paced backend."""
    from mmchat.providers.http import make_client

    fake_server.script("test-model", Reply(text=TEXT, chunk_chars=7, delay=0.002))
    async with make_client() as client:
        transport = client._transport
        assert isinstance(transport, httpx.AsyncHTTPTransport)
        backend = transport._pool._network_backend
        assert isinstance(backend, PacedBackend) and backend.pace == PACE_SECONDS
        provider = make_provider("openai", openai_cfg(fake_server), client, "sk-test-key")
        parts, err = await collect(provider.stream(req("hi")))
    assert err is None and "".join(p.text for p in parts if isinstance(p, TextPart)) == TEXT
    assert 0 < backend.reads < 50
