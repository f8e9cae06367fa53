"""OpenAI-compatible streaming over real loopback sockets against the fake server."""

from __future__ import annotations

import asyncio

import httpx
import pytest

from mmchat.providers import make_provider
from mmchat.providers.base import ErrorKind, TextPart
from mmchat.providers.openai import OpenAIProvider
from tests.fakeserver import FakeServer, Reply
from tests.fakeserver.clients import (
    collect,
    done_of,
    openai_cfg,
    reasoning_of,
    req,
    text_of,
)

KEY = "sk-test-0123456789abcdef"


def provider(server: FakeServer, client: httpx.AsyncClient, key: str | None = KEY, **kw: object):
    return make_provider("openai", openai_cfg(server, **kw), client, key)


async def test_streams_text_and_sends_openai_body(fake_server, http_client):
    fake_server.script("test-model", Reply(text="Hello world", chunk_chars=3))
    p = provider(fake_server, http_client)
    request = req(
        "hi there",
        system="be brief",
        temperature=0.3,
        max_tokens=50,
        top_p=0.9,
        stop=["END"],
        extra={"seed": 7},
    )
    parts, err = await collect(p.stream(request))
    assert err is None
    assert [p.text for p in parts if isinstance(p, TextPart)] == ["Hel", "lo ", "wor", "ld"]
    done = done_of(parts)
    assert done.finish_reason == "stop"
    assert done.usage.completion_tokens == 4 and not done.usage.estimated
    assert done.ttft is not None and 0 <= done.ttft <= done.duration
    rec = fake_server.last
    assert rec.path == "/v1/chat/completions"
    assert rec.json == {
        "model": "test-model",
        "messages": [
            {"role": "system", "content": "be brief"},
            {"role": "user", "content": "hi there"},
        ],
        "stream": True,
        "stream_options": {"include_usage": True},
        "temperature": 0.3,
        "max_tokens": 50,
        "top_p": 0.9,
        "stop": ["END"],
        "seed": 7,
    }
    assert rec.headers["authorization"] == f"Bearer {KEY}"


async def test_default_reply_echoes_last_user_message(fake_server, http_client):
    parts, err = await collect(provider(fake_server, http_client).stream(req("ping")))
    assert err is None and text_of(parts) == "echo: ping"


async def test_no_key_means_no_authorization_header(fake_server, http_client):
    _, err = await collect(provider(fake_server, http_client, key=None).stream(req()))
    assert err is None
    assert "authorization" not in fake_server.last.headers


@pytest.mark.parametrize(
    ("usage", "estimated"), [("last", False), ("early", False), ("none", True)]
)
async def test_usage_variants(fake_server, http_client, usage, estimated):
    fake_server.script(
        "test-model", Reply(text="abcdefgh", usage=usage, prompt_tokens=11, completion_tokens=2)
    )
    parts, err = await collect(provider(fake_server, http_client).stream(req()))
    assert err is None and text_of(parts) == "abcdefgh"
    u = done_of(parts).usage
    assert u.estimated is estimated
    if not estimated:
        assert (u.prompt_tokens, u.completion_tokens) == (11, 2)
    else:
        assert u.completion_tokens == 2 and u.prompt_tokens >= 1  # 8 chars / 4


async def test_stream_usage_off_sends_no_stream_options(fake_server, http_client):
    p = provider(fake_server, http_client, stream_usage=False)
    parts, err = await collect(p.stream(req()))
    assert err is None
    assert "stream_options" not in fake_server.last.json
    assert done_of(parts).usage.estimated  # the server sent no usage chunk


@pytest.mark.parametrize("field", ["reasoning_content", "reasoning"])
async def test_reasoning_is_kept_apart(fake_server, http_client, field):
    fake_server.script(
        "test-model", Reply(text="42", reasoning="let me think", reasoning_field=field)
    )
    parts, err = await collect(provider(fake_server, http_client).stream(req()))
    assert err is None
    assert reasoning_of(parts) == "let me think"
    assert text_of(parts) == "42"


@pytest.mark.parametrize("role_content", [None, ""])
async def test_keepalive_comments_and_data_without_space(fake_server, http_client, role_content):
    fake_server.script(
        "test-model",
        Reply(text="Hello world", keepalive=True, no_space=True, role_content=role_content),
    )
    parts, err = await collect(provider(fake_server, http_client).stream(req()))
    assert err is None and text_of(parts) == "Hello world"


async def test_llama_cpp_timings_reach_done_part(fake_server, http_client):
    timings = {"predicted_per_second": 70.5, "prompt_ms": 12.0}
    fake_server.script("test-model", Reply(text="hi", timings=timings))
    parts, _ = await collect(provider(fake_server, http_client).stream(req()))
    assert done_of(parts).timings == timings


async def test_finish_reason_without_done_marker_is_fine(fake_server, http_client):
    fake_server.script(
        "test-model", Reply(text="cut short", finish_reason="length", send_done=False)
    )
    parts, err = await collect(provider(fake_server, http_client).stream(req()))
    assert err is None and done_of(parts).finish_reason == "length"


@pytest.mark.parametrize(
    ("reply", "kind", "needle"),
    [
        (Reply(status=401), ErrorKind.AUTH, "authentication failed (401): check the key with "
         "`mmchat keys set openai`"),
        (Reply(status=403), ErrorKind.AUTH, "permission denied (403)"),
        (Reply(status=404), ErrorKind.NOT_FOUND, "model 'test-model' not found (404): check the "
         "model id or run `mmchat models`"),
        (Reply(status=429, retry_after=2), ErrorKind.RATE_LIMITED, "rate limited (429), retry "
         "after 2s"),
        (Reply(status=429, error_type="insufficient_quota"), ErrorKind.QUOTA, "quota"),
        (Reply(status=402), ErrorKind.QUOTA, "(402)"),
        (Reply(status=400, error_message="bad 'messages'"), ErrorKind.BAD_REQUEST,
         "bad request (400): bad 'messages'"),
        (Reply(status=500), ErrorKind.SERVER, "server error (500)"),
        (Reply(status=503), ErrorKind.SERVER, "server error (503)"),
    ],
)  # fmt: skip
async def test_http_errors_before_stream(fake_server, http_client, reply, kind, needle):
    fake_server.script("test-model", reply)
    parts, err = await collect(provider(fake_server, http_client).stream(req()))
    assert parts == []
    assert err is not None and err.kind is kind
    assert needle in str(err)
    assert err.status == reply.status
    assert "\n" not in str(err)


async def test_retry_after_is_parsed(fake_server, http_client):
    fake_server.script("test-model", Reply(status=429, headers={"retry-after-ms": "1500"}))
    _, err = await collect(provider(fake_server, http_client).stream(req()))
    assert err is not None and err.retry_after == 1.5


@pytest.mark.parametrize("error_event", [False, True])
async def test_error_inside_200_stream(fake_server, http_client, error_event):
    fake_server.script(
        "test-model",
        Reply(text="Hello world", error_after=2, error_event=error_event, error_message="upstream"),
    )
    parts, err = await collect(provider(fake_server, http_client).stream(req()))
    assert text_of(parts) == "Hello wo"
    assert err is not None and err.kind is ErrorKind.SERVER
    assert "upstream" in str(err)


async def test_malformed_json_is_bad_response(fake_server, http_client):
    fake_server.script("test-model", Reply(text="Hello world", malformed_after=1))
    parts, err = await collect(provider(fake_server, http_client).stream(req()))
    assert text_of(parts) == "Hell"
    assert err is not None and err.kind is ErrorKind.BAD_RESPONSE


async def test_cut_mid_answer_keeps_text_then_interrupted(fake_server, http_client):
    fake_server.script("test-model", Reply(text="Hello world", cut_after=2))
    parts, err = await collect(provider(fake_server, http_client).stream(req()))
    assert text_of(parts) == "Hello wo"
    assert err is not None and err.kind is ErrorKind.STREAM_INTERRUPTED
    assert not any(p.__class__.__name__ == "DonePart" for p in parts)


async def test_cut_before_any_text_is_retryable_connection_error(fake_server, http_client):
    fake_server.script("test-model", Reply(text="Hello world", cut_after=0))
    parts, err = await collect(provider(fake_server, http_client).stream(req()))
    assert parts == []
    assert err is not None and err.kind is ErrorKind.CONNECTION and err.retryable


async def test_clean_end_without_done_or_finish_is_interrupted(fake_server, http_client):
    fake_server.script("test-model", Reply(text="Hello world", truncate_after=2))
    parts, err = await collect(provider(fake_server, http_client).stream(req()))
    assert text_of(parts) == "Hello wo"
    assert err is not None and err.kind is ErrorKind.STREAM_INTERRUPTED


async def test_slow_first_token_hits_read_timeout(fake_server, http_client):
    fake_server.script("test-model", Reply(text="late", first_delay=2.0))
    p = provider(fake_server, http_client, read_timeout=0.2)
    _, err = await collect(p.stream(req()))
    assert err is not None and err.kind is ErrorKind.TIMEOUT
    assert "0.2s" in str(err)


async def test_slow_first_token_within_timeout_measures_ttft(fake_server, http_client):
    fake_server.script("test-model", Reply(text="late", first_delay=0.2))
    parts, err = await collect(provider(fake_server, http_client).stream(req()))
    assert err is None
    done = done_of(parts)
    assert done.ttft is not None and 0.2 <= done.ttft <= done.duration


async def test_cancellation_closes_the_connection(fake_server, http_client):
    fake_server.script("test-model", Reply(text="x" * 200, chunk_chars=1, delay=0.05))
    got_text = asyncio.Event()

    async def consume() -> None:
        async for part in provider(fake_server, http_client).stream(req()):
            if isinstance(part, TextPart):
                got_text.set()

    task = asyncio.create_task(consume())
    await asyncio.wait_for(got_text.wait(), 5)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    rec = fake_server.last
    assert await fake_server.wait_until(lambda: rec.disconnected, 3)
    assert not rec.completed


async def test_breaking_out_of_the_loop_closes_the_connection(fake_server, http_client):
    fake_server.script("test-model", Reply(text="x" * 200, chunk_chars=1, delay=0.05))
    stream = provider(fake_server, http_client).stream(req())
    async for _ in stream:
        break
    await stream.aclose()  # type: ignore[attr-defined]
    rec = fake_server.last
    assert await fake_server.wait_until(lambda: rec.disconnected, 3)


async def test_list_models(fake_server, http_client):
    fake_server.models = ["gpt-a", "gpt-b"]
    assert await provider(fake_server, http_client).list_models() == ["gpt-a", "gpt-b"]
    assert fake_server.last.path == "/v1/models"


async def test_key_never_in_url_error_or_repr(fake_server, http_client):
    fake_server.require_key = "sk-the-right-key-000000"
    p = provider(fake_server, http_client, key=KEY)
    _, err = await collect(p.stream(req()))
    assert err is not None and err.kind is ErrorKind.AUTH
    with pytest.raises(Exception) as listed:
        await p.list_models()
    for text in (str(err), repr(err), repr(p), str(listed.value), repr(listed.value)):
        assert KEY not in text
        assert KEY[:5] + "***" not in text  # not even the server's masked echo
    for rec in fake_server.requests:
        assert KEY not in rec.raw_target
        assert KEY.encode() not in rec.body
        assert rec.headers["authorization"] == f"Bearer {KEY}"


async def test_server_echoing_the_key_is_scrubbed(fake_server, http_client):
    fake_server.script("test-model", Reply(status=400, error_message=f"bad key {KEY} given"))
    _, err = await collect(provider(fake_server, http_client).stream(req()))
    assert err is not None and KEY not in str(err) and "bad key" in str(err)


async def test_provider_class_and_repr(fake_server, http_client):
    p = provider(fake_server, http_client)
    assert isinstance(p, OpenAIProvider) and p.kind == "openai"
    assert fake_server.openai_url in repr(p)


@pytest.mark.parametrize("kind", ["openai", "anthropic", "ollama"])
async def test_connection_is_reused_after_a_complete_answer(fake_server, http_client, kind):
    from tests.fakeserver.clients import anthropic_cfg, ollama_cfg

    cfg = {"openai": openai_cfg, "anthropic": anthropic_cfg, "ollama": ollama_cfg}[kind]
    p = make_provider(kind, cfg(fake_server), http_client, None)
    for _ in range(3):
        _, err = await collect(p.stream(req()))
        assert err is None
    assert len({r.connection for r in fake_server.requests}) == 1
