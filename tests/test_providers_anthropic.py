"""Anthropic Messages streaming over real loopback sockets against the fake server."""

from __future__ import annotations

import httpx
import pytest

from mmchat.api import Message
from mmchat.providers import make_provider
from mmchat.providers.base import ChatRequest, ErrorKind
from tests.fakeserver import FakeServer, Reply
from tests.fakeserver.clients import anthropic_cfg, collect, done_of, reasoning_of, req, text_of

KEY = "sk-ant-test-0123456789abcdef"


def provider(server: FakeServer, client: httpx.AsyncClient, key: str | None = KEY, **kw: object):
    return make_provider("claude", anthropic_cfg(server, **kw), client, key)


async def test_streams_text_and_sends_anthropic_body(fake_server, http_client):
    fake_server.script("test-model", Reply(text="Hello world", prompt_tokens=9))
    request = ChatRequest(
        model="test-model",
        messages=[
            Message("system", "extra rules"),
            Message("user", "one"),
            Message("user", "two"),
            Message("assistant", "ok"),
            Message("user", "three"),
        ],
        system="be brief",
        temperature=0.5,
        stop=["END"],
    )
    parts, err = await collect(provider(fake_server, http_client).stream(request))
    assert err is None and text_of(parts) == "Hello world"
    done = done_of(parts)
    assert done.finish_reason == "end_turn"
    assert (done.usage.prompt_tokens, done.usage.completion_tokens) == (9, 3)
    assert not done.usage.estimated
    rec = fake_server.last
    assert rec.path == "/v1/messages"
    assert rec.json == {
        "model": "test-model",
        "messages": [
            {"role": "user", "content": "one\n\ntwo"},
            {"role": "assistant", "content": "ok"},
            {"role": "user", "content": "three"},
        ],
        "max_tokens": 4096,
        "stream": True,
        "system": "be brief\n\nextra rules",
        "temperature": 0.5,
        "stop_sequences": ["END"],
    }
    assert rec.headers["x-api-key"] == KEY
    assert rec.headers["anthropic-version"] == "2023-06-01"
    assert "authorization" not in rec.headers


async def test_max_tokens_from_request_and_custom_version(fake_server, http_client):
    p = provider(fake_server, http_client, version="2099-01-01")
    _, err = await collect(p.stream(req(max_tokens=12)))
    assert err is None
    assert fake_server.last.json["max_tokens"] == 12
    assert fake_server.last.headers["anthropic-version"] == "2099-01-01"


async def test_thinking_is_kept_apart_and_ping_ignored(fake_server, http_client):
    fake_server.script("test-model", Reply(text="42", reasoning="hmm, six times seven"))
    parts, err = await collect(provider(fake_server, http_client).stream(req()))
    assert err is None
    assert reasoning_of(parts) == "hmm, six times seven"
    assert text_of(parts) == "42"


async def test_keepalive_pings_and_no_space(fake_server, http_client):
    fake_server.script("test-model", Reply(text="Hello world", keepalive=True, no_space=True))
    parts, err = await collect(provider(fake_server, http_client).stream(req()))
    assert err is None and text_of(parts) == "Hello world"


async def test_missing_usage_is_estimated(fake_server, http_client):
    fake_server.script("test-model", Reply(text="abcdefgh", usage="none"))
    parts, _ = await collect(provider(fake_server, http_client).stream(req()))
    usage = done_of(parts).usage
    assert usage.estimated and usage.completion_tokens == 2


async def test_max_tokens_stop_reason(fake_server, http_client):
    fake_server.script("test-model", Reply(text="trunc", finish_reason="length"))
    parts, _ = await collect(provider(fake_server, http_client).stream(req()))
    assert done_of(parts).finish_reason == "max_tokens"


@pytest.mark.parametrize(
    ("reply", "kind", "needle"),
    [
        (Reply(status=400), ErrorKind.BAD_REQUEST, "bad request (400)"),
        (Reply(status=401), ErrorKind.AUTH, "`mmchat keys set claude`"),
        (Reply(status=403), ErrorKind.AUTH, "permission denied (403)"),
        (Reply(status=404), ErrorKind.NOT_FOUND, "model 'test-model' not found (404)"),
        (Reply(status=429, retry_after=3), ErrorKind.RATE_LIMITED, "retry after 3s"),
        (Reply(status=429, error_type="overloaded_error"), ErrorKind.OVERLOADED, "overloaded"),
        (Reply(status=500), ErrorKind.SERVER, "server error (500): Internal server error"),
        (Reply(status=529), ErrorKind.OVERLOADED, "server overloaded (529)"),
    ],
)
async def test_http_errors_branch_on_error_type(fake_server, http_client, reply, kind, needle):
    fake_server.script("test-model", reply)
    parts, err = await collect(provider(fake_server, http_client).stream(req()))
    assert parts == []
    assert err is not None and err.kind is kind, err
    assert needle in str(err)


@pytest.mark.parametrize(
    ("error_type", "kind"),
    [
        ("overloaded_error", ErrorKind.OVERLOADED),
        ("rate_limit_error", ErrorKind.RATE_LIMITED),
        ("api_error", ErrorKind.SERVER),
        ("invalid_request_error", ErrorKind.BAD_REQUEST),
    ],
)
async def test_error_event_inside_stream(fake_server, http_client, error_type, kind):
    fake_server.script(
        "test-model", Reply(text="Hello world", error_after=1, error_type=error_type)
    )
    parts, err = await collect(provider(fake_server, http_client).stream(req()))
    assert text_of(parts) == "Hell"
    assert err is not None and err.kind is kind


async def test_cut_mid_answer(fake_server, http_client):
    fake_server.script("test-model", Reply(text="Hello world", cut_after=2))
    parts, err = await collect(provider(fake_server, http_client).stream(req()))
    assert text_of(parts) == "Hello wo"
    assert err is not None and err.kind is ErrorKind.STREAM_INTERRUPTED


async def test_clean_end_without_message_stop(fake_server, http_client):
    fake_server.script("test-model", Reply(text="Hello world", truncate_after=1))
    parts, err = await collect(provider(fake_server, http_client).stream(req()))
    assert text_of(parts) == "Hell"
    assert err is not None and err.kind is ErrorKind.STREAM_INTERRUPTED


async def test_malformed_event(fake_server, http_client):
    fake_server.script("test-model", Reply(text="Hello world", malformed_after=1))
    _, err = await collect(provider(fake_server, http_client).stream(req()))
    assert err is not None and err.kind is ErrorKind.BAD_RESPONSE


async def test_list_models_follows_pagination(fake_server, http_client):
    fake_server.models = [f"claude-{i}" for i in range(5)]
    fake_server.page_limit = 2
    ids = await provider(fake_server, http_client).list_models()
    assert ids == [f"claude-{i}" for i in range(5)]
    pages = fake_server.requests_to("/models")
    assert len(pages) == 3
    assert pages[1].query["after_id"] == "claude-1"
    assert all(r.headers["x-api-key"] == KEY for r in pages)


async def test_key_never_leaks(fake_server, http_client):
    fake_server.require_key = "sk-ant-other"
    p = provider(fake_server, http_client)
    _, err = await collect(p.stream(req()))
    assert err is not None and err.kind is ErrorKind.AUTH
    for text in (str(err), repr(err), repr(p)):
        assert KEY not in text
    assert all(KEY not in r.raw_target for r in fake_server.requests)


async def test_a_choice_is_a_forced_tool_whose_input_streams_as_json(fake_server, http_client):
    """Anthropic has no log-probabilities and no schema for text: a forced tool call
    with the choice as its input schema holds the reply to the options."""
    import dataclasses

    fake_server.script("test-model", Reply(chunks=['{"choi', 'ce": "ma', 'th"}']))
    request = dataclasses.replace(req("2+2?"), choices=("code", "math"), top_logprobs=5)
    parts, err = await collect(provider(fake_server, http_client).stream(request))
    assert err is None and text_of(parts) == '{"choice": "math"}'
    body = fake_server.last.json
    assert body["tool_choice"] == {"type": "tool", "name": "choose"}
    (tool,) = body["tools"]
    assert tool["input_schema"]["properties"]["choice"]["enum"] == ["code", "math"]
    assert "logprobs" not in body and done_of(parts).logprobs == ()
