"""Anthropic Messages API streaming.

Differences from OpenAI that matter here: ``max_tokens`` is required, the system
prompt is a top-level field, roles must alternate, and the stream is typed events
(``event: NAME`` + JSON) whose ``error`` event is branched on ``error.type``.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Sequence
from typing import Any

from httpx_sse import EventSource

from mmchat.api import Message, Usage
from mmchat.attachments.wire import base64_of, images_of, model_text
from mmchat.config_schema import AnthropicProviderConfig
from mmchat.providers.base import (
    ChatRequest,
    DonePart,
    ErrorKind,
    ReasoningPart,
    StreamPart,
    TextPart,
    choice_schema,
    estimate_tokens,
)
from mmchat.providers.endpoint import HttpProvider
from mmchat.providers.http import (
    StreamState,
    drain,
    error_from_payload,
    get_json,
    loads_or_fail,
    open_stream,
)
from mmchat.providers.openai import prompt_estimate

DEFAULT_MAX_TOKENS = 4096

CHOICE_TOOL = "choose"


Content = str | list[dict[str, Any]]


def anthropic_content(message: Message) -> Content:
    """A message's content: a string, or (with images) ``image`` blocks with base64
    sources and then the text block, as Anthropic advises (images before the words)."""
    text = model_text(message)
    images = images_of(message)
    if not images:
        return text
    blocks: list[dict[str, Any]] = [
        {
            "type": "image",
            "source": {"type": "base64", "media_type": image.media_type, "data": base64_of(image)},
        }
        for image in images
    ]
    if text:  # the API refuses an empty text block
        blocks.append({"type": "text", "text": text})
    return blocks


def _joined(first: Content, second: Content) -> Content:
    if isinstance(first, str) and isinstance(second, str):
        return first + "\n\n" + second

    def blocks(content: Content) -> list[dict[str, Any]]:
        if isinstance(content, str):
            return [{"type": "text", "text": content}] if content else []
        return content

    return blocks(first) + blocks(second)


def alternate(messages: Sequence[Message]) -> tuple[list[dict[str, Any]], list[str]]:
    """Messages with consecutive same-role turns merged; system texts pulled out."""
    merged: list[dict[str, Any]] = []
    system: list[str] = []
    for m in messages:
        if m.role == "system":
            system.append(m.content)
        elif merged and merged[-1]["role"] == m.role:
            merged[-1]["content"] = _joined(merged[-1]["content"], anthropic_content(m))
        else:
            merged.append({"role": m.role, "content": anthropic_content(m)})
    return merged, system


class AnthropicProvider(HttpProvider[AnthropicProviderConfig]):
    kind = "anthropic"

    def _auth_headers(self) -> dict[str, str]:
        headers = {"anthropic-version": self.cfg.version}
        if self._key:
            headers["x-api-key"] = self._key
        return headers

    def build_body(self, request: ChatRequest) -> dict[str, Any]:
        messages, system = alternate(request.messages)
        if request.system:
            system.insert(0, request.system)
        body: dict[str, Any] = {
            "model": request.model,
            "messages": messages,
            "max_tokens": request.max_tokens or DEFAULT_MAX_TOKENS,
            "stream": True,
        }
        if system:
            body["system"] = "\n\n".join(system)
        if request.temperature is not None:
            body["temperature"] = request.temperature
        if request.top_p is not None:
            body["top_p"] = request.top_p
        if request.stop:
            body["stop_sequences"] = list(request.stop)
        if request.choices:
            # No schema-constrained text here: a forced tool call whose input schema is
            # the choice; its JSON arrives as input_json_delta (no log-probabilities).
            body["tools"] = [
                {
                    "name": CHOICE_TOOL,
                    "description": "Give your answer as one of the allowed choices.",
                    "input_schema": choice_schema(request.choices),
                }
            ]
            body["tool_choice"] = {"type": "tool", "name": CHOICE_TOOL}
        body.update(request.extra)
        return body

    async def stream(self, request: ChatRequest) -> AsyncIterator[StreamPart]:
        start = time.perf_counter()
        ctx = self._ctx(request.model)
        state = StreamState()
        ttft: float | None = None
        text: list[str] = []
        prompt_tokens: int | None = None
        output_tokens: int | None = None
        stop_reason: str | None = None
        stopped = False
        headers = self._headers()
        headers["Accept"] = "text/event-stream"
        async with open_stream(
            self._client,
            f"{self.base_url}/messages",
            body=self.build_body(request),
            headers=headers,
            timeouts=self._timeout,
            ctx=ctx,
            state=state,
        ) as response:
            if "text/event-stream" not in response.headers.get("content-type", ""):
                raise ctx.fail(ErrorKind.BAD_RESPONSE, "server did not stream")
            events = EventSource(response).aiter_sse()
            async for event in events:
                if not event.data or event.data.isspace():
                    continue
                data = loads_or_fail(event.data, ctx)
                if not isinstance(data, dict):
                    raise ctx.fail(ErrorKind.BAD_RESPONSE, "unexpected event in stream")
                etype = data.get("type") or event.event
                if etype == "content_block_delta":
                    delta = data.get("delta") or {}
                    dtype = delta.get("type")
                    if dtype == "text_delta" and delta.get("text"):
                        state.started = True
                        ttft = ttft if ttft is not None else time.perf_counter() - start
                        text.append(delta["text"])
                        yield TextPart(delta["text"])
                    elif dtype == "input_json_delta" and delta.get("partial_json"):
                        state.started = True  # the forced tool's input: the choice
                        ttft = ttft if ttft is not None else time.perf_counter() - start
                        text.append(delta["partial_json"])
                        yield TextPart(delta["partial_json"])
                    elif dtype == "thinking_delta" and delta.get("thinking"):
                        state.started = True
                        ttft = ttft if ttft is not None else time.perf_counter() - start
                        yield ReasoningPart(delta["thinking"])
                elif etype == "message_start":
                    usage = (data.get("message") or {}).get("usage") or {}
                    prompt_tokens = _input_tokens(usage, prompt_tokens)
                    output_tokens = usage.get("output_tokens", output_tokens)
                elif etype == "message_delta":
                    reason = (data.get("delta") or {}).get("stop_reason")
                    stop_reason = str(reason) if reason else stop_reason
                    usage = data.get("usage") or {}
                    prompt_tokens = _input_tokens(usage, prompt_tokens)
                    output_tokens = usage.get("output_tokens", output_tokens)  # cumulative
                elif etype == "message_stop":
                    stopped = True
                    await drain(events)
                    break
                elif etype == "error" or event.event == "error":
                    raise error_from_payload(data, ctx)
                # ping, content_block_start/stop, signature_delta...: nothing to show
            if not stopped and stop_reason is None:
                kind = ErrorKind.STREAM_INTERRUPTED if state.started else ErrorKind.CONNECTION
                raise ctx.fail(kind, f"stream from {self.base_url} ended before the answer did")
        answer = "".join(text)
        if prompt_tokens is None and output_tokens is None:
            usage_obj = Usage(prompt_estimate(request), estimate_tokens(answer), estimated=True)
        else:
            try:
                usage_obj = Usage(int(prompt_tokens or 0), int(output_tokens or 0))
            except (TypeError, ValueError):  # a server's nonsense counts: estimate instead
                usage_obj = Usage(prompt_estimate(request), estimate_tokens(answer), True)
        yield DonePart(
            usage=usage_obj,
            finish_reason=stop_reason,
            ttft=ttft,
            duration=time.perf_counter() - start,
        )

    async def list_models(self) -> list[str]:
        ids: list[str] = []
        params: dict[str, str] = {"limit": "1000"}
        ctx = self._ctx(None)
        for _ in range(100):  # pages; a guard against a server that always has_more
            page = await get_json(
                self._client,
                f"{self.base_url}/models",
                headers=self._headers(),
                timeouts=self._timeout,
                ctx=ctx,
                params=params,
            )
            data = page.get("data") if isinstance(page, dict) else None
            if not isinstance(data, list):
                raise ctx.fail(ErrorKind.BAD_RESPONSE, "model list without 'data'")
            ids.extend(str(m["id"]) for m in data if isinstance(m, dict) and "id" in m)
            last = page.get("last_id")
            if not page.get("has_more") or not last:
                break
            params = {"limit": "1000", "after_id": str(last)}
        return ids


def _input_tokens(usage: dict[str, Any], current: int | None) -> int | None:
    """Prompt tokens including cached ones (the API counts those apart)."""
    if "input_tokens" not in usage:
        return current
    return sum(
        int(usage.get(k) or 0)
        for k in ("input_tokens", "cache_creation_input_tokens", "cache_read_input_tokens")
    )
