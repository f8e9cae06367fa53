"""Gemini's native streaming API over real loopback sockets against the fake server.

The fake (tests/fakeserver/gemini.py) copies Google's wire format: CRLF-framed SSE
without an end marker, thought parts, usageMetadata, pretty-printed error bodies with
Google's messages and details (API_KEY_INVALID, RetryInfo, QuotaFailure), errors inside
a 200 stream and the paginated model list.
"""

from __future__ import annotations

import httpx
import pytest

from mmchat.api import Message
from mmchat.config_schema import Config
from mmchat.engine import Engine
from mmchat.plugins import discover
from mmchat.providers import make_provider
from mmchat.providers.base import ChatRequest, ErrorKind, ProviderError, RetryPart
from mmchat.providers.retry import RetryPolicy, stream_with_retries
from tests.fakeserver import FakeServer, Reply
from tests.fakeserver.clients import collect, done_of, gemini_cfg, reasoning_of, req, text_of

KEY = "AIzaSyFAKE-gemini-0123456789abcdefghij"


def provider(server: FakeServer, client: httpx.AsyncClient, key: str | None = KEY, **kw: object):
    return make_provider("gemini", gemini_cfg(server, **kw), client, key)


async def test_streams_text_and_sends_the_gemini_body(fake_server, http_client):
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
        max_tokens=64,
        top_p=0.9,
        stop=["END"],
    )
    parts, err = await collect(provider(fake_server, http_client).stream(request))
    assert err is None and text_of(parts) == "Hello world"
    done = done_of(parts)
    assert done.finish_reason == "stop"
    assert (done.usage.prompt_tokens, done.usage.completion_tokens) == (9, 3)
    assert not done.usage.estimated
    rec = fake_server.last
    assert rec.path == "/v1beta/models/test-model:streamGenerateContent"
    assert rec.query == {"alt": "sse"}
    assert rec.json == {
        "contents": [
            {"role": "user", "parts": [{"text": "one\n\ntwo"}]},
            {"role": "model", "parts": [{"text": "ok"}]},
            {"role": "user", "parts": [{"text": "three"}]},
        ],
        "systemInstruction": {"parts": [{"text": "be brief\n\nextra rules"}]},
        "generationConfig": {
            "temperature": 0.5,
            "maxOutputTokens": 64,
            "topP": 0.9,
            "stopSequences": ["END"],
        },
    }
    assert rec.headers["x-goog-api-key"] == KEY
    assert "authorization" not in rec.headers and KEY not in rec.raw_target


async def test_a_models_prefix_and_extra_generation_config_are_kept(fake_server, http_client):
    request = req(
        model="models/test-model",
        temperature=0.2,
        extra={"generationConfig": {"topK": 5}, "safetySettings": [{"category": "X"}]},
    )
    _, err = await collect(provider(fake_server, http_client).stream(request))
    assert err is None
    rec = fake_server.last
    assert rec.path == "/v1beta/models/test-model:streamGenerateContent"
    assert rec.json["generationConfig"] == {"temperature": 0.2, "topK": 5}
    assert rec.json["safetySettings"] == [{"category": "X"}]


async def test_thought_parts_are_reasoning_and_billed_as_output(fake_server, http_client):
    fake_server.script("test-model", Reply(text="42", reasoning="six times seven", prompt_tokens=5))
    p = provider(fake_server, http_client, include_thoughts=True)
    parts, err = await collect(p.stream(req()))
    assert err is None
    assert reasoning_of(parts) == "six times seven"
    assert text_of(parts) == "42"
    usage = done_of(parts).usage
    assert (usage.prompt_tokens, usage.completion_tokens) == (5, 1 + 4)  # answer + thoughts
    assert fake_server.last.json["generationConfig"] == {
        "thinkingConfig": {"includeThoughts": True}
    }


async def test_no_generation_config_unless_asked(fake_server, http_client):
    _, err = await collect(provider(fake_server, http_client).stream(req()))
    assert err is None and "generationConfig" not in fake_server.last.json


async def test_missing_usage_is_estimated(fake_server, http_client):
    fake_server.script("test-model", Reply(text="abcdefgh", usage="none"))
    parts, _ = await collect(provider(fake_server, http_client).stream(req()))
    usage = done_of(parts).usage
    assert usage.estimated and usage.completion_tokens == 2


@pytest.mark.parametrize(
    ("finish", "expected"),
    [("length", "length"), ("RECITATION", "content_filter"), ("LANGUAGE", "language")],
)
async def test_finish_reasons(fake_server, http_client, finish, expected):
    fake_server.script("test-model", Reply(text="trunc", finish_reason=finish))
    parts, err = await collect(provider(fake_server, http_client).stream(req()))
    assert err is None and text_of(parts) == "trunc"
    assert done_of(parts).finish_reason == expected


async def test_an_answer_withheld_before_any_text_is_an_error(fake_server, http_client):
    fake_server.script("test-model", Reply(text="", finish_reason="SAFETY"))
    parts, err = await collect(provider(fake_server, http_client).stream(req()))
    assert parts == []
    assert err is not None and err.kind is ErrorKind.BAD_REQUEST
    assert str(err) == "gemini: Gemini withheld the answer (SAFETY): rephrase the prompt"


async def test_a_blocked_prompt_says_why(fake_server, http_client):
    fake_server.script("test-model", Reply(blocked="PROHIBITED_CONTENT"))
    parts, err = await collect(provider(fake_server, http_client).stream(req()))
    assert parts == []
    assert err is not None and err.kind is ErrorKind.BAD_REQUEST and not err.retryable
    assert "Gemini blocked the prompt (PROHIBITED_CONTENT)" in str(err)


@pytest.mark.parametrize(
    ("reply", "kind", "message"),
    [
        (
            Reply(status=400),
            ErrorKind.BAD_REQUEST,
            "bad request (400): Request contains an invalid argument.",
        ),
        (
            Reply(status=400, error_type="API_KEY_INVALID"),
            ErrorKind.AUTH,
            "authentication failed (400): check the key with `mmchat keys set gemini`",
        ),
        (
            Reply(status=401),
            ErrorKind.AUTH,
            "authentication failed (401): check the key with `mmchat keys set gemini`",
        ),
        (
            Reply(status=403),
            ErrorKind.AUTH,
            "permission denied (403): The caller does not have permission",
        ),
        (
            Reply(status=404),
            ErrorKind.NOT_FOUND,
            "model 'test-model' not found (404): check the model id or run `mmchat models`",
        ),
        (
            Reply(status=429, retry_after=7),
            ErrorKind.RATE_LIMITED,
            "rate limited (429), retry after 7s",
        ),
        (Reply(status=429), ErrorKind.RATE_LIMITED, "rate limited (429)"),
        (
            Reply(status=429, retry_after=30000, error_type="PerDay"),
            ErrorKind.QUOTA,
            "out of credits or quota (429): check your plan and billing",
        ),
        (
            Reply(status=500),
            ErrorKind.SERVER,
            "server error (500): An internal error has occurred. Please retry or report in "
            "https://developers.generativeai.google/guide/troubleshooting",
        ),
        (Reply(status=503), ErrorKind.OVERLOADED, "server overloaded (503), try again shortly"),
        (
            Reply(status=504),
            ErrorKind.TIMEOUT,
            "server timed out (504): Deadline expired before operation could complete.",
        ),
    ],
)
async def test_http_errors_read_googles_error_shape(fake_server, http_client, reply, kind, message):
    fake_server.script("test-model", reply)
    parts, err = await collect(provider(fake_server, http_client).stream(req()))
    assert parts == []
    assert err is not None and err.kind is kind, err
    assert str(err) == f"gemini: {message}"  # one line, the whole of it


@pytest.mark.parametrize(("delay", "seconds"), [(7, 7.0), (45.837906927, 45.837906927), (0, 0.0)])
async def test_retry_info_is_the_retry_after(fake_server, http_client, delay, seconds):
    fake_server.script("test-model", Reply(status=429, retry_after=delay))
    _, err = await collect(provider(fake_server, http_client).stream(req()))
    # Google sends no Retry-After header (nor does the fake): the wait is in the body.
    assert err is not None and err.retry_after == seconds and err.retryable


async def test_a_rate_limit_is_retried_after_the_delay_google_asks_for(fake_server, http_client):
    fake_server.script("test-model", Reply(status=429, retry_after=7), Reply(text="late hello"))
    slept: list[float] = []

    async def sleep(seconds: float) -> None:
        slept.append(seconds)

    policy = RetryPolicy(max_retries=2, sleep=sleep)
    parts, err = await collect(
        stream_with_retries(provider(fake_server, http_client), req(), policy)
    )
    assert err is None and text_of(parts) == "late hello"
    assert [p.delay for p in parts if isinstance(p, RetryPart)] == [7.0] and slept == [7.0]


async def test_a_daily_quota_is_not_retried(fake_server, http_client):
    fake_server.script("test-model", Reply(status=429, retry_after=3600, error_type="PerDay"))
    policy = RetryPolicy(max_retries=2, sleep=_no_sleep)
    _, err = await collect(stream_with_retries(provider(fake_server, http_client), req(), policy))
    assert err is not None and err.kind is ErrorKind.QUOTA
    assert len(fake_server.requests) == 1


@pytest.mark.parametrize(
    ("status", "kind"),
    [
        ("UNAVAILABLE", ErrorKind.OVERLOADED),
        ("RESOURCE_EXHAUSTED", ErrorKind.RATE_LIMITED),
        ("INTERNAL", ErrorKind.SERVER),
        ("INVALID_ARGUMENT", ErrorKind.BAD_REQUEST),
    ],
)
async def test_error_event_inside_a_200_stream(fake_server, http_client, status, kind):
    fake_server.script("test-model", Reply(text="Hello world", error_after=1, error_type=status))
    parts, err = await collect(provider(fake_server, http_client).stream(req()))
    assert text_of(parts) == "Hell"
    assert err is not None and err.kind is kind, err
    assert "\n" not in str(err)


async def test_cut_mid_answer(fake_server, http_client):
    fake_server.script("test-model", Reply(text="Hello world", cut_after=2))
    parts, err = await collect(provider(fake_server, http_client).stream(req()))
    assert text_of(parts) == "Hello wo"
    assert err is not None and err.kind is ErrorKind.STREAM_INTERRUPTED
    assert "closed mid-answer" in str(err)


async def test_cut_before_any_text_may_be_retried(fake_server, http_client):
    fake_server.script("test-model", Reply(text="Hello world", cut_after=0))
    parts, err = await collect(provider(fake_server, http_client).stream(req()))
    assert parts == []
    assert err is not None and err.kind is ErrorKind.CONNECTION and err.retryable


async def test_clean_end_without_a_finish_reason(fake_server, http_client):
    fake_server.script("test-model", Reply(text="Hello world", truncate_after=1))
    parts, err = await collect(provider(fake_server, http_client).stream(req()))
    assert text_of(parts) == "Hell"
    assert err is not None and err.kind is ErrorKind.STREAM_INTERRUPTED
    assert "ended before the answer did" in str(err)


async def test_malformed_event(fake_server, http_client):
    fake_server.script("test-model", Reply(text="Hello world", malformed_after=1))
    _, err = await collect(provider(fake_server, http_client).stream(req()))
    assert err is not None and err.kind is ErrorKind.BAD_RESPONSE


async def test_list_models_follows_pages_and_leaves_out_models_that_cannot_chat(
    fake_server, http_client
):
    fake_server.models = [f"gemini-{i}" for i in range(5)]
    fake_server.page_limit = 2
    ids = await provider(fake_server, http_client).list_models()
    assert ids == [f"gemini-{i}" for i in range(5)]  # not text-embedding-004
    pages = fake_server.requests_to("/v1beta/models")
    assert len(pages) == 3  # 5 chat models + 1 embedding model, 2 a page
    assert "pageToken" not in pages[0].query
    assert pages[1].query["pageToken"] and pages[2].query["pageToken"]
    assert all(r.headers["x-goog-api-key"] == KEY for r in pages)
    assert all(KEY not in r.raw_target for r in pages)


async def test_list_models_with_a_bad_key(fake_server, http_client):
    fake_server.require_key = "AIzaSy-the-right-one"
    with pytest.raises(ProviderError) as caught:
        await provider(fake_server, http_client).list_models()
    assert "authentication failed (400)" in str(caught.value)


async def test_key_never_leaks(fake_server, http_client):
    fake_server.require_key = "AIzaSy-the-right-one"
    p = provider(fake_server, http_client)
    _, err = await collect(p.stream(req()))
    assert err is not None and err.kind is ErrorKind.AUTH
    for text in (str(err), repr(err), repr(p)):
        assert KEY not in text
    assert all(KEY not in r.raw_target and "key" not in r.query for r in fake_server.requests)


async def test_no_key_at_all_is_googles_403(fake_server, http_client):
    fake_server.require_key = "AIzaSy-the-right-one"
    _, err = await collect(provider(fake_server, http_client, key=None).stream(req()))
    assert err is not None and err.kind is ErrorKind.AUTH
    assert "permission denied (403): Method doesn't allow unregistered callers" in str(err)


async def test_the_key_defaults_to_gemini_api_key(fake_server, monkeypatch):
    monkeypatch.setenv("GEMINI_API_KEY", KEY)
    config = Config.model_validate(
        {"providers": {"g": {"kind": "gemini", "base_url": fake_server.gemini_url}}}
    )
    engine = Engine(config, discover([]))
    try:
        models = await (await engine.provider("g")).list_models()
    finally:
        await engine.aclose()
    assert models == ["test-model", "other-model"]
    assert fake_server.last.headers["x-goog-api-key"] == KEY


async def test_without_a_key_nothing_is_sent_to_google(fake_server):
    config = Config.model_validate({"providers": {"g": {"kind": "gemini"}}})
    engine = Engine(config, discover([]))
    try:
        with pytest.raises(ProviderError) as caught:
            await engine.provider("g")
    finally:
        await engine.aclose()
    assert str(caught.value) == "g: no API key: run `mmchat keys set g` or set GEMINI_API_KEY"


async def _no_sleep(seconds: float) -> None:
    return None
