"""Ollama's native /api/chat: NDJSON, one JSON object a line, ``done`` on the last."""

from __future__ import annotations

import contextlib
import time
from collections.abc import AsyncIterator, Sequence
from typing import Any

import httpx

from mmchat.api import Message, Usage
from mmchat.attachments.wire import base64_of, images_of, model_text
from mmchat.config_schema import OllamaProviderConfig
from mmchat.providers.base import (
    ChatRequest,
    DonePart,
    ErrorKind,
    ProviderError,
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
from mmchat.providers.openai import prompt_estimate

_TIMING_KEYS = ("total_duration", "load_duration", "prompt_eval_duration", "eval_duration")


async def ndjson_lines(response: httpx.Response) -> AsyncIterator[str]:
    """The body's lines, split on ``\n`` only.

    ``Response.aiter_lines`` splits like ``str.splitlines`` (also on U+0085, U+2028,
    form feed...), which Ollama leaves unescaped inside JSON strings: a model writing
    one of those characters would break its line in two.
    """
    pending: list[str] = []
    async for text in response.aiter_text():
        *complete, rest = text.split("\n")
        for piece in complete:
            pending.append(piece)
            yield "".join(pending)
            pending = []
        if rest:
            pending.append(rest)
    if pending:
        yield "".join(pending)


def ollama_message(message: Message) -> dict[str, Any]:
    """A message of /api/chat: text files in ``content``, images as a list of base64
    strings in ``images`` (no data-URL prefix, no media type: Ollama reads it)."""
    item: dict[str, Any] = {"role": message.role, "content": model_text(message)}
    images = images_of(message)
    if images:
        item["images"] = [base64_of(image) for image in images]
    return item


class OllamaProvider(HttpProvider[OllamaProviderConfig]):
    kind = "ollama"

    def build_body(self, request: ChatRequest) -> dict[str, Any]:
        messages: list[dict[str, Any]] = []
        if request.system:
            messages.append({"role": "system", "content": request.system})
        messages.extend(ollama_message(m) for m in request.messages)
        options: dict[str, Any] = {}
        if request.temperature is not None:
            options["temperature"] = request.temperature
        if request.max_tokens is not None:
            options["num_predict"] = request.max_tokens
        if request.top_p is not None:
            options["top_p"] = request.top_p
        if request.stop:
            options["stop"] = list(request.stop)
        body: dict[str, Any] = {"model": request.model, "messages": messages, "stream": True}
        if options:
            body["options"] = options
        if request.choices:
            body["format"] = choice_schema(request.choices)
        if request.top_logprobs:  # Ollama 0.12.11 and newer; older servers ignore it
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
        final: dict[str, Any] | None = None
        logprobs: list[TokenLogprob] = []
        try:
            async with open_stream(
                self._client,
                f"{self.base_url}/api/chat",
                body=self.build_body(request),
                headers=self._headers(),
                timeouts=self._timeout,
                ctx=ctx,
                state=state,
            ) as response:
                lines = ndjson_lines(response)
                async for line in lines:
                    if not line.strip():
                        continue
                    obj = loads_or_fail(line, ctx)
                    if not isinstance(obj, dict):
                        raise ctx.fail(ErrorKind.BAD_RESPONSE, "unexpected line in stream")
                    if "error" in obj:
                        raise error_from_payload(obj, ctx)
                    message = obj.get("message") or {}
                    if not isinstance(message, dict):
                        raise ctx.fail(ErrorKind.BAD_RESPONSE, "unexpected line in stream")
                    thought = message.get("thinking")
                    if isinstance(thought, str) and thought:
                        state.started = True
                        ttft = ttft if ttft is not None else time.perf_counter() - start
                        yield ReasoningPart(thought)
                    content = message.get("content")
                    if isinstance(content, str) and content:
                        state.started = True
                        ttft = ttft if ttft is not None else time.perf_counter() - start
                        text.append(content)
                        yield TextPart(content)
                    if request.top_logprobs:
                        logprobs += token_logprobs(obj.get("logprobs"))
                    if obj.get("done"):
                        final = obj
                        await drain(lines)
                        break
                if final is None:
                    kind = ErrorKind.STREAM_INTERRUPTED if state.started else ErrorKind.CONNECTION
                    raise ctx.fail(kind, f"stream from {self.base_url} ended before the answer did")
        except ProviderError as err:
            if err.kind is ErrorKind.NOT_FOUND and err.message.startswith("model"):
                # Ollama's own fix is to pull the model.
                raise ctx.fail(
                    ErrorKind.NOT_FOUND,
                    f"model '{request.model}' not found (404): run `ollama pull {request.model}`"
                    " or `mmchat models`",
                    status=err.status,
                ) from err
            raise
        usage: Usage | None = None
        if "prompt_eval_count" in final or "eval_count" in final:
            with contextlib.suppress(TypeError, ValueError):  # nonsense counts: estimate
                usage = Usage(
                    int(final.get("prompt_eval_count") or 0), int(final.get("eval_count") or 0)
                )
        if usage is None:  # estimated only when the server gave no counts
            usage = Usage(prompt_estimate(request), estimate_tokens("".join(text)), estimated=True)
        timings: dict[str, Any] = {k: final[k] for k in _TIMING_KEYS if k in final}
        if final.get("eval_count") and final.get("eval_duration"):
            with contextlib.suppress(TypeError, ValueError, ZeroDivisionError):
                timings["predicted_per_second"] = final["eval_count"] / (
                    final["eval_duration"] / 1e9
                )
        yield DonePart(
            usage=usage,
            finish_reason=str(final.get("done_reason") or "stop"),
            ttft=ttft,
            duration=time.perf_counter() - start,
            timings=timings or None,
            logprobs=tuple(logprobs),
        )

    async def embed(self, model: str, texts: Sequence[str]) -> list[list[float]]:
        """``POST {base}/api/embed`` with every text at once."""
        ctx = self._ctx(model)
        payload = await post_json(
            self._client,
            f"{self.base_url}/api/embed",
            body={"model": model, "input": list(texts)},
            headers=self._headers(),
            timeouts=self._timeout,
            ctx=ctx,
        )
        embeddings = payload.get("embeddings") if isinstance(payload, dict) else None
        return vectors_or_fail(embeddings, len(texts), ctx)

    async def list_models(self) -> list[str]:
        ctx = self._ctx(None)
        payload = await get_json(
            self._client,
            f"{self.base_url}/api/tags",
            headers=self._headers(),
            timeouts=self._timeout,
            ctx=ctx,
        )
        models = payload.get("models") if isinstance(payload, dict) else None
        if not isinstance(models, list):
            raise ctx.fail(ErrorKind.BAD_RESPONSE, "model list without 'models'")
        return [
            str(m.get("name") or m.get("model"))
            for m in models
            if isinstance(m, dict) and (m.get("name") or m.get("model"))
        ]
