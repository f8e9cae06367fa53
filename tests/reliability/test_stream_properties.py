"""Property tests of the stream parsers and the plan parser (hypothesis).

The providers read real ``httpx.Response`` objects whose body is an async byte stream
we control (``httpx.MockTransport``), so bytes go through httpx's decoding, httpx-sse
(OpenAI, Anthropic, Gemini) or ``aiter_lines`` (Ollama), and the provider's own parsing:

* a valid stream, split into chunks at arbitrary byte offsets (inside multi-byte
  characters, inside ``\\r\\n``), with arbitrary text (any Unicode, JSON written with
  or without ``ensure_ascii``, as Go and C++ servers do), yields exactly the text that
  was sent, then one DonePart;
* the same stream cut at any byte: either the whole text and a DonePart, or a
  ProviderError — and the text yielded before it is a prefix of what was sent;
* arbitrary bytes: the only exception that may come out is ProviderError.

The plan parser (``parse_plan``) and the other lenient parsers of the strategies take
arbitrary text and never raise; a plan is always a non-empty list of well-formed steps.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mmchat.api import Message
from mmchat.builtin_kinds import GeminiProviderConfig
from mmchat.config_schema import (
    AnthropicProviderConfig,
    OllamaProviderConfig,
    OpenAIProviderConfig,
)
from mmchat.providers import make_provider
from mmchat.providers.base import ChatRequest, DonePart, ProviderError, TextPart

SETTINGS = settings(
    max_examples=120,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
KINDS = ("openai", "anthropic", "ollama", "gemini")
CONTENT_TYPES = {
    "openai": "text/event-stream; charset=utf-8",
    "anthropic": "text/event-stream; charset=utf-8",
    "ollama": "application/x-ndjson",
    "gemini": "text/event-stream",
}


# ------------------------------------------------------------------ wire builders


def _json(obj: Any, ascii_only: bool) -> str:
    return json.dumps(obj, ensure_ascii=ascii_only, separators=(",", ":"))


def build_stream(kind: str, pieces: list[str], ascii_only: bool, eol: str, comments: bool) -> bytes:
    """A complete, valid streamed answer of ``pieces`` in ``kind``'s wire format."""
    out: list[str] = []
    if kind == "openai":
        for piece in pieces:
            chunk = {"choices": [{"index": 0, "delta": {"content": piece}, "finish_reason": None}]}
            if comments:
                out.append(f": keep-alive{eol}{eol}")
            out.append(f"data: {_json(chunk, ascii_only)}{eol}{eol}")
        done = {"choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]}
        out.append(f"data: {_json(done, ascii_only)}{eol}{eol}data: [DONE]{eol}{eol}")
    elif kind == "anthropic":

        def event(name: str, obj: dict[str, Any]) -> str:
            return f"event: {name}{eol}data: {_json(obj, ascii_only)}{eol}{eol}"

        out.append(
            event(
                "message_start",
                {"type": "message_start", "message": {"usage": {"input_tokens": 3}}},
            )
        )
        for piece in pieces:
            if comments:
                out.append(event("ping", {"type": "ping"}))
            delta = {"type": "text_delta", "text": piece}
            out.append(
                event("content_block_delta", {"type": "content_block_delta", "delta": delta})
            )
        out.append(
            event(
                "message_delta",
                {
                    "type": "message_delta",
                    "delta": {"stop_reason": "end_turn"},
                    "usage": {"output_tokens": len(pieces)},
                },
            )
        )
        out.append(event("message_stop", {"type": "message_stop"}))
    elif kind == "gemini":

        def candidate(parts: list[dict[str, Any]], **extra: Any) -> str:
            chunk = {"candidates": [{"content": {"parts": parts, "role": "model"}, **extra}]}
            return f"data: {_json(chunk, ascii_only)}{eol}{eol}"

        for piece in pieces:
            if comments:
                out.append(f": keep-alive{eol}{eol}")
            out.append(candidate([{"text": piece}]))
        out.append(candidate([{"text": ""}], finishReason="STOP"))
    else:
        for piece in pieces:
            line = {"model": "m", "message": {"role": "assistant", "content": piece}, "done": False}
            out.append(_json(line, ascii_only) + "\n")
            if comments:
                out.append("\n")  # blank lines between objects are tolerated
        out.append(_json({"model": "m", "done": True, "done_reason": "stop"}, ascii_only) + "\n")
    return "".join(out).encode("utf-8")


def split_at(data: bytes, cuts: list[int]) -> list[bytes]:
    points = sorted({c % (len(data) + 1) for c in cuts})
    chunks, last = [], 0
    for point in [*points, len(data)]:
        if point > last:
            chunks.append(data[last:point])
            last = point
    return chunks


# ------------------------------------------------------------------ running a provider


class Body(httpx.AsyncByteStream):
    def __init__(self, chunks: list[bytes]) -> None:
        self.chunks = chunks

    async def __aiter__(self) -> AsyncIterator[bytes]:
        for chunk in self.chunks:
            yield chunk


@pytest.fixture(scope="module")
def loop() -> Iterator[asyncio.AbstractEventLoop]:
    loop = asyncio.new_event_loop()
    yield loop
    loop.close()


def provider_config(kind: str) -> Any:
    if kind == "openai":
        return OpenAIProviderConfig(kind="openai", base_url="http://test.invalid/v1")
    if kind == "anthropic":
        return AnthropicProviderConfig(kind="anthropic", base_url="http://test.invalid/v1")
    if kind == "gemini":
        return GeminiProviderConfig(kind="gemini", base_url="http://test.invalid/v1beta")
    return OllamaProviderConfig(kind="ollama", base_url="http://test.invalid")


def consume(
    loop: asyncio.AbstractEventLoop, kind: str, chunks: list[bytes], content_type: str | None = None
) -> tuple[str, int, ProviderError | None]:
    """(text yielded, DoneParts yielded, the ProviderError it ended with)."""

    async def handler(request: httpx.Request) -> httpx.Response:
        headers = {"content-type": content_type or CONTENT_TYPES[kind]}
        return httpx.Response(200, headers=headers, stream=Body(chunks))

    async def run() -> tuple[str, int, ProviderError | None]:
        text: list[str] = []
        dones = 0
        async with httpx.AsyncClient(transport=httpx.MockTransport(handler)) as client:
            provider = make_provider("p", provider_config(kind), client, None)
            request = ChatRequest(model="m", messages=[Message("user", "hi")])
            try:
                async for part in provider.stream(request):
                    if isinstance(part, TextPart):
                        text.append(part.text)
                    elif isinstance(part, DonePart):
                        dones += 1
            except ProviderError as err:
                return "".join(text), dones, err
        return "".join(text), dones, None

    return loop.run_until_complete(asyncio.wait_for(run(), 10))


# Text as models produce it, and text that attacks the framing: line breaks of every
# kind (NEL, U+2028, form feed...), "data:" and "[DONE]" inside the text, JSON syntax.
nasty = st.sampled_from(
    ["\n", "\r", "\r\n", "\x85", "\u2028", "\u2029", "\x0b", "\x0c", "\x1c", "\x1e",
     "data: ", "[DONE]", "event: error", '{"error": 1}', "\\", '"', "é", "😀", "\x00"]
)  # fmt: skip
pieces_st = st.lists(st.one_of(st.text(max_size=12), nasty), min_size=0, max_size=12)
cuts_st = st.lists(st.integers(min_value=0, max_value=100_000), max_size=20)


@SETTINGS
@given(
    kind=st.sampled_from(KINDS),
    pieces=pieces_st,
    ascii_only=st.booleans(),
    eol=st.sampled_from(["\n", "\r\n", "\r"]),
    comments=st.booleans(),
    cuts=cuts_st,
)
def test_valid_stream_any_split_keeps_all_text(
    loop: asyncio.AbstractEventLoop,
    kind: str,
    pieces: list[str],
    ascii_only: bool,
    eol: str,
    comments: bool,
    cuts: list[int],
) -> None:
    data = build_stream(kind, pieces, ascii_only, eol, comments)
    text, dones, error = consume(loop, kind, split_at(data, cuts))
    assert error is None, (error, data[:300])
    assert text == "".join(pieces)
    assert dones == 1


@SETTINGS
@given(
    kind=st.sampled_from(KINDS),
    pieces=pieces_st,
    ascii_only=st.booleans(),
    cut_at=st.integers(min_value=0, max_value=100_000),
    cuts=cuts_st,
)
def test_cut_stream_keeps_a_prefix_or_says_so(
    loop: asyncio.AbstractEventLoop,
    kind: str,
    pieces: list[str],
    ascii_only: bool,
    cut_at: int,
    cuts: list[int],
) -> None:
    data = build_stream(kind, pieces, ascii_only, "\n", False)
    data = data[: cut_at % (len(data) + 1)]
    text, dones, error = consume(loop, kind, split_at(data, cuts))
    full = "".join(pieces)
    assert full.startswith(text), (text, full)
    if error is None:
        assert dones == 1 and text == full
    else:
        assert dones == 0 and str(error)


@SETTINGS
@given(
    kind=st.sampled_from(KINDS),
    body=st.binary(max_size=400),
    cuts=cuts_st,
    content_type=st.sampled_from([None, "text/event-stream", "application/json", "text/html"]),
)
def test_arbitrary_bytes_only_raise_provider_error(
    loop: asyncio.AbstractEventLoop,
    kind: str,
    body: bytes,
    cuts: list[int],
    content_type: str | None,
) -> None:
    # Anything else escaping here (KeyError, AttributeError, TypeError...) fails.
    consume(loop, kind, split_at(body, cuts), content_type)


KEYS = st.sampled_from(
    ["choices", "delta", "content", "type", "text", "message", "done", "error", "usage",
     "index", "finish_reason", "stop_reason", "input_tokens", "output_tokens", "thinking",
     "prompt_tokens", "eval_count", "eval_duration", "done_reason", "reasoning_content",
     "candidates", "parts", "finishReason", "usageMetadata", "candidatesTokenCount",
     "promptFeedback", "blockReason", "thought", "details", "code", "status"]
)  # fmt: skip
EVENT_TYPES = st.sampled_from(
    ["content_block_delta", "message_start", "message_delta", "message_stop", "text_delta",
     "thinking_delta", "error", "ping"]
)  # fmt: skip
json_shapes = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=6) | EVENT_TYPES,
    lambda children: st.lists(children, max_size=3) | st.dictionaries(KEYS, children, max_size=4),
    max_leaves=16,
)


@SETTINGS
@given(
    kind=st.sampled_from(KINDS),
    events=st.lists(st.dictionaries(KEYS, json_shapes, min_size=1, max_size=5), max_size=5),
    end=st.booleans(),
)
def test_well_formed_json_of_the_wrong_shape_only_raises_provider_error(
    loop: asyncio.AbstractEventLoop, kind: str, events: list[dict[str, Any]], end: bool
) -> None:
    """Valid framing, valid JSON, nonsense structure (``"choices": 3``, ``"delta": []``)."""
    if kind == "ollama":
        data = "".join(json.dumps(e) + "\n" for e in events)
    else:
        data = "".join(f"data: {json.dumps(e)}\n\n" for e in events)
        if end:
            data += {
                "openai": "data: [DONE]\n\n",
                "anthropic": 'data: {"type":"message_stop"}\n\n',
                "gemini": 'data: {"candidates":[{"finishReason":"STOP"}]}\n\n',
            }[kind]
    _text, dones, error = consume(loop, kind, [data.encode()])
    assert error is not None or dones == 1


# ------------------------------------------------------------------ lenient parsers


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=10),
    lambda children: (
        st.lists(children, max_size=4)
        | st.dictionaries(
            st.sampled_from(["id", "title", "type", "prompt", "depends_on", "steps", "plan", "x"]),
            children,
            max_size=5,
        )
    ),
    max_leaves=20,
)
replies = st.one_of(
    st.text(max_size=300),
    json_values.map(json.dumps),
    json_values.map(lambda v: f"Here is the plan:\n```json\n{json.dumps(v)},\n```\nDone."),
    st.lists(st.text(max_size=30), max_size=6).map(
        lambda items: "\n".join(f"{i}. {t}" for i, t in enumerate(items, 1))
    ),
)


@settings(max_examples=300, deadline=None)
@given(reply=replies, request=st.text(max_size=40))
def test_plan_parser_never_raises(reply: str, request: str) -> None:
    from mmchat_strategies.plans import STEP_TYPES, is_placeholder, parse_plan, validate

    raw, how = parse_plan(reply, request)
    assert how in ("json", "list", "fallback")
    assert raw, "a reply always reads as a step at least"
    if how == "fallback":
        assert [s.prompt for s in raw] == [request]
    if how == "list":  # no item of the list is lost
        from mmchat.api.parsing import numbered_items

        assert len(raw) == len(numbered_items(reply))
    steps, problems = validate(raw, 6)
    assert len(steps) <= 6 and all(isinstance(p, str) and p for p in problems)
    ids = [s.id for s in steps]
    assert len(set(ids)) == len(ids)
    for index, step in enumerate(steps):
        assert isinstance(step.title, str) and isinstance(step.prompt, str)
        assert step.type in STEP_TYPES and not is_placeholder(step.title)
        assert all(d in ids[:index] for d in step.depends_on)  # earlier steps only: no cycle


@settings(max_examples=300, deadline=None)
@given(reply=replies, names=st.lists(st.text(min_size=1, max_size=8), min_size=1, max_size=4))
def test_other_lenient_parsers_never_raise(reply: str, names: list[str]) -> None:
    from mmchat_strategies.ensemble import read_scores
    from mmchat_strategies.supervision import VERDICTS, parse_assignments, read_verdicts

    from mmchat.api.parsing import extract_json, numbered_items, parse_score, pick_category

    extract_json(reply)
    numbered_items(reply)
    score = parse_score(reply)
    assert score is None or 0 <= score <= 10
    pick = pick_category(reply, names)
    assert pick is None or pick.category in names
    read_scores(reply, ["A", "B", "C"])
    for assignment in parse_assignments(reply, names):
        assert 0 <= assignment.worker < len(names) and assignment.task
    verdicts = read_verdicts(reply, ["t1", "t2"])
    assert verdicts is None or {v for v, _ in verdicts.values()} <= set(VERDICTS)


def test_split_helper() -> None:
    assert split_at(b"abcdef", [2, 4, 4, 100]) == [b"ab", b"cd", b"ef"]
