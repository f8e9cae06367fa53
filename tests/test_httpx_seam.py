"""mmchat.providers.httpx_seam is the only place that touches httpx/httpcore internals.

Each private name it uses is checked here by name, so an httpx upgrade that renames
one fails this test (not a user's chat); and no other module may reach into them.
"""

from __future__ import annotations

import re
from pathlib import Path

import httpcore
import httpx
import pytest

from mmchat.providers.httpx_seam import PRIVATE_NAMES, with_connection_pool

ROOT = Path(__file__).resolve().parent.parent
SEAM = ROOT / "mmchat" / "providers" / "httpx_seam.py"
# an import from a private httpx/httpcore module, or a private attribute of their objects
# (mmchat/tui/prefetch.py names httpcore._backends.anyio as a string to import early,
# best effort: not an attribute mmchat relies on)
PRIVATE_USE = re.compile(
    r"^\s*(from|import)\s+(httpx|httpcore)\._"
    r"|\.(_pool|_transport|_mounts|_network_backend|_connections|_request|_inner_transport)\b"
)


def test_the_private_names_exist() -> None:
    """Each private name the seam uses, by name: an instance of its class has it."""
    named = {(cls.__name__, attr) for cls, attr in PRIVATE_NAMES}
    assert named == {("AsyncHTTPTransport", "_pool")}
    for cls, attr in PRIVATE_NAMES:
        assert hasattr(cls(), attr), f"{cls.__name__}.{attr} is gone: see httpx_seam"
    assert isinstance(httpx.AsyncHTTPTransport()._pool, httpcore.AsyncConnectionPool)


async def test_the_transport_sends_through_the_given_pool() -> None:
    class Counting(httpcore.AsyncConnectionPool):
        requests = 0

        async def handle_async_request(self, request: httpcore.Request) -> httpcore.Response:
            Counting.requests += 1
            return await super().handle_async_request(request)

    transport = with_connection_pool(httpx.AsyncHTTPTransport(), Counting())
    async with httpx.AsyncClient(transport=transport) as client:
        with pytest.raises(httpx.ConnectError):
            await client.get("http://127.0.0.1:9/")
    assert Counting.requests == 1


def test_no_other_module_uses_httpx_internals() -> None:
    offenders = []
    for path in [*(ROOT / "mmchat").rglob("*.py"), *(ROOT / "plugins").rglob("*.py")]:
        if path == SEAM:
            continue
        for number, line in enumerate(path.read_text().splitlines(), 1):
            if PRIVATE_USE.search(line):
                offenders.append(f"{path.relative_to(ROOT)}:{number}: {line.strip()}")
    assert offenders == []
