# ruff: noqa: ASYNC109  (httpcore's stream interface takes timeouts as arguments)
"""An httpx transport whose sockets are read in batches while a body trickles in.

A streamed answer arrives as one small SSE event per token. Read as it lands, every
token costs a full trip through the event loop, anyio, httpcore and h11 (most of the
CPU of reading a stream), and eight fan-out lanes at 500 tokens/s make 4,000 such
reads a second in the process that also draws the screen. After a small read from the
socket this transport pauses before the next one, so that read takes every event that
arrived meanwhile; large reads (data already waiting) are not delayed.

Only streams that share the process with another busy stream are paced: one stream
alone (a single answer, even at 1,000 events/s) costs little to read event by event,
and pausing it would only add to its end; several at once (a fan-out, a vote) are what
make the reads add up. The pause grows with the response: it is ``PACE_SHARE`` (0.5 %)
of the time since the response began, at most ``PACE_MAX``, and none below
``PACE_MIN``. So the first token is never held back (no pause in a response's first
200 ms), a short or fast stream is read as plain httpx reads it, and the last event
waits at most 0.5 % of the stream's time. A long stream read alongside others is read
every 20 ms from its 4th second on: a fan-out lane of 2,000 tokens at 500/s makes ~600
reads instead of ~2,000.

The pause sits in the network stream (httpcore's public backend API) because above
httpcore a body is already cut into one piece per chunk of the chunked encoding, so
there is no telling a buffered event from a fresh read. Handing the backend to httpx
takes one private attribute: see httpx_seam. Connections through a proxy use httpx's
own proxy transport and are not paced (mmchat.providers.network).
"""

from __future__ import annotations

import asyncio
import ssl
import time
from collections.abc import Iterable
from typing import Any

import httpcore
import httpx

from mmchat.providers.httpx_seam import with_connection_pool

PACE_SHARE = 0.005  # the pause: this share of the time since the response began...
PACE_MAX = 0.02  # ...at most this (the flush clock's frame is 30 ms or more)...
PACE_MIN = 0.001  # ...and none when it would be shorter than this
# A read this small means the body is trickling in (one or a few SSE events); a larger
# read means data is waiting, so read on at once.
SMALL_READ = 4096
# Another stream that read this recently counts as busy alongside (the longest pause is
# 20 ms, so a paced neighbour reads at least every ~20 ms plus its events' handling).
BUSY_WINDOW = 0.1


class PacedStream(httpcore.AsyncNetworkStream):
    """A network stream that pauses before reading again after a small read."""

    def __init__(self, inner: httpcore.AsyncNetworkStream, backend: PacedBackend) -> None:
        self._inner = inner
        self._backend = backend
        self._began: float | None = None  # first read of the current response
        self._pause = 0.0  # before the next read

    async def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        backend = self._backend
        if self._pause:
            backend.slept += self._pause
            await asyncio.sleep(self._pause)
        data = await self._inner.read(max_bytes, timeout)
        backend.reads += 1
        now = time.monotonic()
        if self._began is None:
            self._began = now
        pause = 0.0
        busy = backend.busy_alongside(self, now)
        if 0 < len(data) < SMALL_READ and busy:
            pause = min(backend.pace_max, (now - self._began) * backend.share)
        self._pause = pause if pause >= PACE_MIN else 0.0
        return data

    async def write(self, buffer: bytes, timeout: float | None = None) -> None:
        self._began, self._pause = None, 0.0  # a new request: its reply starts afresh
        await self._inner.write(buffer, timeout)

    async def aclose(self) -> None:
        self._backend.last_reads.pop(id(self), None)
        await self._inner.aclose()

    async def start_tls(
        self,
        ssl_context: ssl.SSLContext,
        server_hostname: str | None = None,
        timeout: float | None = None,
    ) -> httpcore.AsyncNetworkStream:
        tls = await self._inner.start_tls(ssl_context, server_hostname, timeout)
        return PacedStream(tls, self._backend)

    def get_extra_info(self, info: str) -> Any:
        return self._inner.get_extra_info(info)


class PacedBackend(httpcore.AsyncNetworkBackend):
    """httpcore's default asyncio backend, with every stream wrapped in PacedStream.

    ``share=0`` turns the pacing off (the streams still count their reads).
    """

    def __init__(self, share: float = PACE_SHARE, pace_max: float = PACE_MAX) -> None:
        self._inner = httpcore.AnyIOBackend()
        self.share = share
        self.pace_max = pace_max
        self.reads = 0  # socket reads by all its streams: the figure pacing cuts
        self.slept = 0.0  # seconds of pauses they took, all together
        self.last_reads: dict[int, float] = {}  # id(stream) -> its latest read

    def busy_alongside(self, stream: PacedStream, now: float) -> bool:
        """Record ``stream``'s read; is another stream reading at the same time?"""
        reads = self.last_reads
        reads[id(stream)] = now
        since = now - BUSY_WINDOW
        if len(reads) > 32:  # streams that ended without aclose (e.g. replaced by TLS)
            self.last_reads = reads = {k: t for k, t in reads.items() if t >= since}
        return any(t >= since for key, t in reads.items() if key != id(stream))

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        stream = await self._inner.connect_tcp(host, port, timeout, local_address, socket_options)
        return PacedStream(stream, self)

    async def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        stream = await self._inner.connect_unix_socket(path, timeout, socket_options)
        return PacedStream(stream, self)

    async def sleep(self, seconds: float) -> None:
        await self._inner.sleep(seconds)


def paced_transport(
    limits: httpx.Limits, ssl_context: ssl.SSLContext, backend: PacedBackend | None = None
) -> httpx.AsyncHTTPTransport:
    """httpx's own transport (TLS verification, pooling, error mapping) over PacedBackend."""
    transport = httpx.AsyncHTTPTransport(verify=ssl_context, limits=limits)
    pool = httpcore.AsyncConnectionPool(
        ssl_context=ssl_context,
        max_connections=limits.max_connections,
        max_keepalive_connections=limits.max_keepalive_connections,
        keepalive_expiry=limits.keepalive_expiry,
        network_backend=backend or PacedBackend(),
    )
    return with_connection_pool(transport, pool)
