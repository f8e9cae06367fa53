"""Shared HTTP plumbing: the client, retry-after parsing, error mapping, transport errors."""

from __future__ import annotations

import socket
from email.utils import formatdate

import httpx
import pytest

from mmchat.providers import make_provider
from mmchat.providers.base import ErrorKind
from mmchat.providers.http import (
    ErrorContext,
    clean_text,
    error_from_exception,
    error_from_response,
    make_client,
    parse_retry_after,
    timeout_for,
)
from tests.fakeserver import Reply
from tests.fakeserver.clients import collect, openai_cfg, req

CTX = ErrorContext(
    provider="p",
    base_url="http://user:pw@host:1/v1",
    model="m1",
    key_name="p",
    read_timeout=5,
    secrets=("sk-secret-value-123",),
)


async def test_make_client_and_timeouts():
    async with make_client() as client:
        assert isinstance(client, httpx.AsyncClient)
        assert client.follow_redirects is False
    t = timeout_for(openai_cfg_like(connect_timeout=3, read_timeout=42))
    assert (t.connect, t.read) == (3, 42)


def openai_cfg_like(**kw: float):
    from mmchat.config_schema import OpenAIProviderConfig

    return OpenAIProviderConfig(kind="openai", base_url="http://x/v1", **kw)


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        ({"retry-after-ms": "250"}, 0.25),
        ({"retry-after-ms": "250", "retry-after": "9"}, 0.25),
        ({"retry-after": "7"}, 7.0),
        ({"retry-after": "-3"}, 0.0),
        ({"retry-after": "soon"}, None),
        ({"retry-after": "99999999"}, 24 * 3600.0),
        ({}, None),
    ],
)
def test_parse_retry_after(headers, expected):
    assert parse_retry_after(headers) == expected


def test_parse_retry_after_http_date():
    now = 1_700_000_000.0
    assert parse_retry_after({"retry-after": formatdate(now + 30, usegmt=True)}, now=now) == 30


@pytest.mark.parametrize(
    ("status", "body", "kind", "needle"),
    [
        (401, b'{"error":{"message":"bad","code":"invalid_api_key"}}', ErrorKind.AUTH,
         "`mmchat keys set p`"),
        (404, b'{"error":{"message":"no model"}}', ErrorKind.NOT_FOUND, "model 'm1' not found"),
        (404, b"404 page not found", ErrorKind.NOT_FOUND, "endpoint not found (404) at "
         "http://host:1/v1: check base_url"),
        (429, b'{"type":"error","error":{"type":"overloaded_error","message":"x"}}',
         ErrorKind.OVERLOADED, "overloaded"),
        (429, b'{"error":{"type":"insufficient_quota"}}', ErrorKind.QUOTA, "billing"),
        (408, b"", ErrorKind.TIMEOUT, "(408)"),
        (409, b"", ErrorKind.SERVER, "(409)"),
        (422, b'{"detail":"stream_options not allowed"}', ErrorKind.BAD_REQUEST,
         "stream_options not allowed"),
        (502, b"<html><body>Bad Gateway</body></html>", ErrorKind.SERVER, "server error (502)"),
        (301, b"", ErrorKind.BAD_RESPONSE, "redirect"),
        (418, b"teapot", ErrorKind.BAD_RESPONSE, "unexpected status (418): teapot"),
        (500, b'{"error":"boom"}', ErrorKind.SERVER, "server error (500): boom"),
    ],
)  # fmt: skip
def test_error_from_response(status, body, kind, needle):
    err = error_from_response(status, body, {}, CTX)
    assert err.kind is kind
    assert needle in str(err)
    assert str(err).startswith("p: ")
    assert "pw" not in str(err)


def test_html_body_is_not_shown():
    err = error_from_response(502, b"<html>" + b"x" * 500 + b"</html>", {}, CTX)
    assert str(err) == "p: server error (502)"


def test_rate_limit_message_has_the_wait():
    err = error_from_response(429, b"{}", {"retry-after": "2"}, CTX)
    assert str(err) == "p: rate limited (429), retry after 2s"
    assert err.retry_after == 2 and err.retryable


def test_server_text_is_scrubbed_and_one_line():
    body = b'{"error":{"message":"key sk-secret-value-123 and sk-proj-abcdefgh\\nline two"}}'
    err = error_from_response(400, body, {}, CTX)
    assert "sk-secret-value-123" not in str(err)
    assert "abcdefgh" not in str(err)
    assert "\n" not in str(err)
    assert len(clean_text("word " * 100)) <= 160


@pytest.mark.parametrize(
    ("exc", "in_stream", "kind", "needle"),
    [
        (httpx.ConnectTimeout("t"), False, ErrorKind.TIMEOUT, "timed out connecting"),
        (httpx.ReadTimeout("t"), True, ErrorKind.TIMEOUT, "within 5s"),
        (httpx.ConnectError("refused"), False, ErrorKind.CONNECTION, "is the server running?"),
        (httpx.RemoteProtocolError("x"), True, ErrorKind.STREAM_INTERRUPTED, "mid-answer"),
        (httpx.ReadError("x"), True, ErrorKind.STREAM_INTERRUPTED, "mid-answer"),
        (httpx.RemoteProtocolError("x"), False, ErrorKind.CONNECTION, "before replying"),
    ],
)
def test_error_from_exception(exc, in_stream, kind, needle):
    err = error_from_exception(exc, CTX, in_stream=in_stream)
    assert err.kind is kind and needle in str(err)


async def test_connection_refused_over_a_real_socket(http_client):
    with socket.socket() as s:  # find a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    from mmchat.config_schema import OpenAIProviderConfig

    cfg = OpenAIProviderConfig(kind="openai", base_url=f"http://127.0.0.1:{port}/v1")
    p = make_provider("local-ish", cfg, http_client, None)
    parts, err = await collect(p.stream(req()))
    assert parts == []
    assert err is not None and err.kind is ErrorKind.CONNECTION and err.retryable
    assert str(err) == (
        f"local-ish: cannot reach http://127.0.0.1:{port}/v1 — is the server running?"
    )
    with pytest.raises(Exception, match="cannot reach"):
        await p.list_models()


async def test_hang_after_accept_is_a_timeout(fake_server, http_client):
    fake_server.script("test-model", Reply(hang=True))
    p = make_provider("o", openai_cfg(fake_server, read_timeout=0.2), http_client, None)
    _, err = await collect(p.stream(req()))
    assert err is not None and err.kind is ErrorKind.TIMEOUT and err.retryable
    rec = fake_server.last
    assert await fake_server.wait_until(lambda: rec.disconnected, 3)


async def test_non_streaming_content_type_is_reported(fake_server, http_client):
    # A JSON reply to a streaming request (the server ignored stream: true).
    p = make_provider("o", openai_cfg(fake_server, stream_usage=False), http_client, None)
    stream = p.stream(req(extra={"stream": False}))
    _, err = await collect(stream)
    assert err is not None and err.kind is ErrorKind.BAD_RESPONSE
    assert "did not stream" in str(err)


async def test_unknown_kind_is_rejected(http_client):
    class Odd:
        kind = "carrier-pigeon"

    with pytest.raises(ValueError, match="carrier-pigeon"):
        make_provider("x", Odd(), http_client, None)  # type: ignore[arg-type]
