"""The one place where mmchat uses a private part of httpx or httpcore.

httpx 0.28 has no public way to give its transport an httpcore network backend
(encode/httpx#3749 adds one), and the read pacing (paced_transport) is a network
backend. So the transport's connection pool is replaced by one built with httpcore's
public constructor, with the same settings httpx would use. Everything else mmchat does
with httpx goes through public API; ``PRIVATE_NAMES`` lists what this module touches and
tests/test_httpx_seam.py checks that each still exists (and that no other module of
mmchat reaches into httpx or httpcore), so an httpx upgrade that moves them fails there,
by name, instead of in a user's chat.
"""

from __future__ import annotations

import httpcore
import httpx

# (class, attribute): every private name used below.
PRIVATE_NAMES: tuple[tuple[type, str], ...] = ((httpx.AsyncHTTPTransport, "_pool"),)


def with_connection_pool(
    transport: httpx.AsyncHTTPTransport, pool: httpcore.AsyncConnectionPool
) -> httpx.AsyncHTTPTransport:
    """``transport`` sending its requests through ``pool`` instead of its own."""
    transport._pool = pool
    return transport
