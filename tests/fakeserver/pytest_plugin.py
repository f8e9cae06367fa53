"""pytest fixtures: one fake server per session, reset before each test.

Register with ``pytest_plugins = ["tests.fakeserver.pytest_plugin"]`` in conftest.py.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import httpx
import pytest

from tests.fakeserver.server import FakeServer


@pytest.fixture(scope="session")
def fake_server_session() -> Iterator[FakeServer]:
    with FakeServer() as server:
        yield server


@pytest.fixture
def fake_server(fake_server_session: FakeServer) -> Iterator[FakeServer]:
    """The shared fake server with no scripts, an empty request log and no key check."""
    fake_server_session.reset()
    yield fake_server_session
    fake_server_session.reset()


@pytest.fixture
async def http_client() -> AsyncIterator[httpx.AsyncClient]:
    """mmchat's shared client (make_client), closed after the test."""
    from mmchat.providers.http import make_client

    async with make_client() as client:
        yield client
