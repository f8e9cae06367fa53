"""Ollama native /api/chat NDJSON over real loopback sockets against the fake server."""

from __future__ import annotations

import httpx
import pytest

from mmchat.providers import make_provider
from mmchat.providers.base import ErrorKind
from tests.fakeserver import FakeServer, Reply
from tests.fakeserver.clients import collect, done_of, ollama_cfg, reasoning_of, req, text_of


def provider(server: FakeServer, client: httpx.AsyncClient, **kw: object):
    return make_provider("ollama", ollama_cfg(server, **kw), client, None)


async def test_streams_text_and_sends_options(fake_server, http_client):
    fake_server.script("llama3", Reply(text="Hello world", prompt_tokens=5))
    request = req(
        "hi", model="llama3", system="sys", temperature=0.1, max_tokens=64, top_p=0.5, stop=["x"]
    )
    parts, err = await collect(provider(fake_server, http_client).stream(request))
    assert err is None and text_of(parts) == "Hello world"
    done = done_of(parts)
    assert done.finish_reason == "stop"
    assert (done.usage.prompt_tokens, done.usage.completion_tokens) == (5, 3)
    assert done.timings and done.timings["predicted_per_second"] == pytest.approx(3.0)
    rec = fake_server.last
    assert rec.path == "/api/chat"
    assert rec.json == {
        "model": "llama3",
        "messages": [{"role": "system", "content": "sys"}, {"role": "user", "content": "hi"}],
        "stream": True,
        "options": {"temperature": 0.1, "num_predict": 64, "top_p": 0.5, "stop": ["x"]},
    }
    assert "authorization" not in rec.headers


async def test_thinking_is_kept_apart(fake_server, http_client):
    fake_server.script("test-model", Reply(text="yes", reasoning="pondering"))
    parts, _ = await collect(provider(fake_server, http_client).stream(req()))
    assert reasoning_of(parts) == "pondering" and text_of(parts) == "yes"


async def test_missing_counts_are_estimated_and_done_reason_kept(fake_server, http_client):
    fake_server.script("test-model", Reply(text="abcd", usage="none", finish_reason="length"))
    parts, _ = await collect(provider(fake_server, http_client).stream(req()))
    done = done_of(parts)
    assert done.usage.estimated and done.finish_reason == "length"


async def test_error_line_mid_stream(fake_server, http_client):
    fake_server.script(
        "test-model", Reply(text="Hello world", error_after=2, error_message="out of memory")
    )
    parts, err = await collect(provider(fake_server, http_client).stream(req()))
    assert text_of(parts) == "Hello wo"
    assert err is not None and "out of memory" in str(err)


async def test_unknown_model_suggests_pull(fake_server, http_client):
    fake_server.script("nope", Reply(status=404))
    _, err = await collect(provider(fake_server, http_client).stream(req(model="nope")))
    assert err is not None and err.kind is ErrorKind.NOT_FOUND
    assert "`ollama pull nope`" in str(err)


async def test_cut_and_malformed(fake_server, http_client):
    fake_server.script(
        "test-model", Reply(text="Hello world", cut_after=1), Reply(malformed_after=1)
    )
    parts, err = await collect(provider(fake_server, http_client).stream(req()))
    assert text_of(parts) == "Hell" and err is not None
    assert err.kind is ErrorKind.STREAM_INTERRUPTED
    _, err = await collect(provider(fake_server, http_client).stream(req()))
    assert err is not None and err.kind is ErrorKind.BAD_RESPONSE


async def test_read_timeout(fake_server, http_client):
    fake_server.script("test-model", Reply(hang=True))
    _, err = await collect(provider(fake_server, http_client, read_timeout=0.2).stream(req()))
    assert err is not None and err.kind is ErrorKind.TIMEOUT


async def test_list_models_from_tags(fake_server, http_client):
    fake_server.models = ["llama3:latest", "qwen2:0.5b"]
    assert await provider(fake_server, http_client).list_models() == [
        "llama3:latest",
        "qwen2:0.5b",
    ]
    assert fake_server.last.path == "/api/tags"


async def test_a_choice_is_a_format_schema_with_logprobs(fake_server, http_client):
    import dataclasses

    fake_server.script(
        "llama3", Reply(chunks=['{"choice": "', "math", '"}'],
                        logprobs=[(0.0, {}), (-0.2, {"code": -1.8}), (0.0, {})])
    )  # fmt: skip
    request = dataclasses.replace(req("2+2?", model="llama3"), choices=("code", "math"),
                                  top_logprobs=3)  # fmt: skip
    parts, err = await collect(provider(fake_server, http_client).stream(request))
    assert err is None and text_of(parts) == '{"choice": "math"}'
    body = fake_server.last.json
    assert body["format"]["properties"]["choice"]["enum"] == ["code", "math"]
    assert body["logprobs"] is True and body["top_logprobs"] == 3
    math_token = done_of(parts).logprobs[1]
    assert math_token.token == "math" and math_token.logprob == -0.2
    assert ("code", -1.8) in math_token.top
