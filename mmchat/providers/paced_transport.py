# ruff: noqa: ASYNC109  (httpcore's stream interface takes timeouts as arguments)
"""An httpx transport whose sockets are read in batches while a body trickles in.

A streamed answer arrives as one small SSE event per token. Read as it lands, every
token costs a full trip through the event loop, anyio, httpcore and h11 (most of the
CPU of reading a stream), and eight fan-out lanes at 500 tokens/s make 4,000 such
reads a second in the process that also draws the screen. After a small read from the
socket this transport waits ``PACE_SECONDS`` before the next one, so that read takes
every event that arrived meanwhile. Text reaches the screen at most that much later,
under one frame of the flush clock; large reads (data already waiting) are not delayed.

The pause sits in the network stream (httpcore's public backend API) because above
httpcore a body is already cut into one piece per chunk of the chunked encoding, so
there is no telling a buffered event from a fresh read.
"""

from __future__ import annotations

import asyncio
import ssl
from collections.abc import Iterable
from typing import Any

import httpcore
import httpx

PACE_SECONDS = 0.02
# A read this small means the body is trickling in (one or a few SSE events); a larger
# read means data is waiting, so read on at once.
SMALL_READ = 4096


class PacedStream(httpcore.AsyncNetworkStream):
    """A network stream that pauses before reading again after a small read."""

    def __init__(self, inner: httpcore.AsyncNetworkStream, backend: PacedBackend) -> None:
        self._inner = inner
        self._backend = backend
        self._trickling = False

    async def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        if self._trickling:
            await asyncio.sleep(self._backend.pace)
        data = await self._inner.read(max_bytes, timeout)
        self._backend.reads += 1
        self._trickling = 0 < len(data) < SMALL_READ
        return data

    async def write(self, buffer: bytes, timeout: float | None = None) -> None:
        self._trickling = False  # a new request: its reply should not wait
        await self._inner.write(buffer, timeout)

    async def aclose(self) -> None:
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
    """httpcore's default asyncio backend, with every stream wrapped in PacedStream."""

    def __init__(self, pace: float = PACE_SECONDS) -> None:
        self._inner = httpcore.AnyIOBackend()
        self.pace = pace
        self.reads = 0  # socket reads by all its streams: the figure pacing cuts

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
    limits: httpx.Limits, backend: PacedBackend | None = None
) -> httpx.AsyncHTTPTransport:
    """httpx's own transport (TLS verification, pooling, error mapping) over PacedBackend.

    httpx 0.28 has no public way to pass a network backend (encode/httpx#3749 adds
    one), so the transport's connection pool is replaced by one built with httpcore's
    public constructor and the same settings httpx would use.
    """
    # One TLS context for both: building one loads the CA bundle (~30 ms).
    ssl_context = httpx.create_ssl_context()
    transport = httpx.AsyncHTTPTransport(verify=ssl_context, limits=limits)
    transport._pool = httpcore.AsyncConnectionPool(
        ssl_context=ssl_context,
        max_connections=limits.max_connections,
        max_keepalive_connections=limits.max_keepalive_connections,
        keepalive_expiry=limits.keepalive_expiry,
        network_backend=backend or PacedBackend(),
    )
    return transport
