"""OpenAI Chat Completions streaming (and every OpenAI-compatible server).

SSE is parsed by httpx-sse rather than by hand: it follows the spec (comment lines,
optional space after ``data:``, multi-line data), which is exactly where gateways
differ from api.openai.com.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Sequence
from typing import Any

from httpx_sse import EventSource

from mmchat.api import Message, Usage
from mmchat.attachments.wire import data_url, images_of, model_text
from mmchat.config_schema import OpenAIProviderConfig
from mmchat.providers.base import (
    ChatRequest,
    DonePart,
    ErrorKind,
    ReasoningPart,
    StreamPart,
    TextPart,
    TokenLogprob,
    choice_schema,
    estimate_tokens,
    token_logprobs,
)
from mmchat.providers.endpoint import HttpProvider
from mmchat.providers.http import (
    StreamState,
    drain,
    error_from_payload,
    get_json,
    loads_or_fail,
    open_stream,
    post_json,
    vectors_or_fail,
)


def prompt_estimate(request: ChatRequest) -> int:
    """Estimated prompt tokens when the server reports none (images not counted)."""
    text = (request.system or "") + "".join(model_text(m) for m in request.messages)
    return estimate_tokens(text)


def openai_message(message: Message) -> dict[str, Any]:
    """A message in Chat Completions' shape: text files in the text, images as
    ``image_url`` content parts holding a data URL (plain string content otherwise,
    which every OpenAI-compatible server takes)."""
    text = model_text(message)
    images = images_of(message)
    if not images:
        return {"role": message.role, "content": text}
    parts: list[dict[str, Any]] = [{"type": "text", "text": text}] if text else []
    parts += [{"type": "image_url", "image_url": {"url": data_url(image)}} for image in images]
    return {"role": message.role, "content": parts}


class OpenAIProvider(HttpProvider[OpenAIProviderConfig]):
    kind = "openai"

    def build_body(self, request: ChatRequest) -> dict[str, Any]:
        messages: list[dict[str, Any]] = []
        if request.system:
            messages.append({"role": "system", "content": request.system})
        messages.extend(openai_message(m) for m in request.messages)
        body: dict[str, Any] = {"model": request.model, "messages": messages, "stream": True}
        if self.cfg.stream_usage:
            body["stream_options"] = {"include_usage": True}
        for name in ("temperature", "max_tokens", "top_p"):
            value = getattr(request, name)
            if value is not None:
                body[name] = value
        if request.stop:
            body["stop"] = list(request.stop)
        if request.choices:
            body["response_format"] = {
                "type": "json_schema",
                "json_schema": {
                    "name": "choice",
                    "strict": True,
                    "schema": choice_schema(request.choices),
                },
            }
        if request.top_logprobs:
            body["logprobs"] = True
            body["top_logprobs"] = request.top_logprobs
        body.update(request.extra)
        return body

    async def stream(self, request: ChatRequest) -> AsyncIterator[StreamPart]:
        start = time.perf_counter()
        ctx = self._ctx(request.model)
        state = StreamState()
        ttft: float | None = None
        text: list[str] = []
        usage: dict[str, Any] | None = None
        timings: dict[str, Any] | None = None
        finish: str | None = None
        logprobs: list[TokenLogprob] = []
        done = False
        headers = self._headers()
        headers["Accept"] = "text/event-stream"
        async with open_stream(
            self._client,
            f"{self.base_url}/chat/completions",
            body=self.build_body(request),
            headers=headers,
            timeouts=self._timeout,
            ctx=ctx,
            state=state,
        ) as response:
            # aiter_sse checks the content type; a JSON reply to stream:true is odd
            # enough to report rather than guess at.
            if "text/event-stream" not in response.headers.get("content-type", ""):
                raise ctx.fail(
                    ErrorKind.BAD_RESPONSE,
                    "server did not stream (content-type "
                    f"{response.headers.get('content-type', 'missing')!r})",
                )
            events = EventSource(response).aiter_sse()
            async for event in events:
                data = event.data
                if data == "[DONE]":
                    done = True
                    await drain(events)
                    break
                if not data or data.isspace():
                    continue
                chunk = loads_or_fail(data, ctx)
                if event.event == "error" or (isinstance(chunk, dict) and "error" in chunk):
                    raise error_from_payload(chunk, ctx)
                if not isinstance(chunk, dict):
                    raise ctx.fail(ErrorKind.BAD_RESPONSE, "unexpected event in stream")
                if chunk.get("usage"):
                    usage = chunk["usage"]  # keep the last non-null one
                if isinstance(chunk.get("timings"), dict):
                    timings = chunk["timings"]  # llama.cpp
                for choice in chunk.get("choices") or ():
                    if choice.get("index", 0) != 0:
                        continue
                    delta = choice.get("delta") or {}
                    thought = delta.get("reasoning_content") or delta.get("reasoning")
                    if isinstance(thought, str) and thought:
                        state.started = True
                        if ttft is None:
                            ttft = time.perf_counter() - start
                        yield ReasoningPart(thought)
                    content = delta.get("content")
                    if isinstance(content, str) and content:
                        state.started = True
                        if ttft is None:
                            ttft = time.perf_counter() - start
                        text.append(content)
                        yield TextPart(content)
                    if choice.get("finish_reason"):
                        finish = str(choice["finish_reason"])
                    if request.top_logprobs and isinstance(choice.get("logprobs"), dict):
                        logprobs += token_logprobs(choice["logprobs"].get("content"))
            if not done and finish is None:
                kind = ErrorKind.STREAM_INTERRUPTED if state.started else ErrorKind.CONNECTION
                raise ctx.fail(kind, f"stream from {self.base_url} ended before the answer did")
        yield DonePart(
            usage=self._usage(usage, request, "".join(text)),
            finish_reason=finish,
            ttft=ttft,
            duration=time.perf_counter() - start,
            timings=timings,
            logprobs=tuple(logprobs),
        )

    @staticmethod
    def _usage(raw: dict[str, Any] | None, request: ChatRequest, text: str) -> Usage:
        if isinstance(raw, dict) and raw:
            try:
                return Usage(
                    int(raw.get("prompt_tokens") or 0), int(raw.get("completion_tokens") or 0)
                )
            except (TypeError, ValueError):
                pass
        return Usage(prompt_estimate(request), estimate_tokens(text), estimated=True)

    async def embed(self, model: str, texts: Sequence[str]) -> list[list[float]]:
        """``POST {base}/embeddings`` (OpenAI; llama.cpp's server with embeddings on)."""
        ctx = self._ctx(model)
        payload = await post_json(
            self._client,
            f"{self.base_url}/embeddings",
            body={"model": model, "input": list(texts)},
            headers=self._headers(),
            timeouts=self._timeout,
            ctx=ctx,
        )
        data = payload.get("data") if isinstance(payload, dict) else None
        if not isinstance(data, list):
            raise ctx.fail(ErrorKind.BAD_RESPONSE, "embeddings reply without 'data'")
        ordered = sorted(data, key=lambda d: d.get("index", 0) if isinstance(d, dict) else 0)
        return vectors_or_fail(
            [d.get("embedding") if isinstance(d, dict) else None for d in ordered], len(texts), ctx
        )

    async def list_models(self) -> list[str]:
        payload = await get_json(
            self._client,
            f"{self.base_url}/models",
            headers=self._headers(),
            timeouts=self._timeout,
            ctx=self._ctx(None),
        )
        data = payload.get("data") if isinstance(payload, dict) else None
        if not isinstance(data, list):
            raise self._ctx(None).fail(ErrorKind.BAD_RESPONSE, "model list without 'data'")
        return [str(m["id"]) for m in data if isinstance(m, dict) and "id" in m]
