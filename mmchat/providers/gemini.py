"""Google's Gemini API, spoken natively (``kind = "gemini"``).

Wire details, checked against Google's API reference (ai.google.dev/api), the
google-genai Python SDK (googleapis/python-genai: ``_api_client.py``, ``errors.py``)
and bug reports of public clients that met them:

* ``POST {base}/models/{model}:streamGenerateContent?alt=sse``, the key in the
  ``x-goog-api-key`` header (never ``?key=``: URLs end up in logs);
* the request: ``contents`` with roles ``user`` / ``model`` (consecutive turns of one
  role are merged, as for Anthropic), ``systemInstruction``, ``generationConfig``
  (temperature, maxOutputTokens, topP, stopSequences; thinkingConfig.includeThoughts,
  which models without thinking reject with a 400, so it is opt-in);
* the reply: SSE ``data:`` events framed with CRLF (httpx-sse splits CRLF, LF and CR as
  the spec says), each a whole GenerateContentResponse; no end marker: the chunk with
  ``candidates[0].finishReason`` is the last. ``content.parts[].text`` is the answer,
  parts with ``"thought": true`` are thought summaries. ``usageMetadata`` repeats in
  every chunk, the last one counts; thoughtsTokenCount is billed as output;
* a blocked prompt has no candidates, only ``promptFeedback.blockReason``;
* errors: ``{"error": {"code", "message", "status", "details"}}`` (pretty-printed). A
  wrong key is a 400 INVALID_ARGUMENT whose ErrorInfo reason is API_KEY_INVALID; a 429
  RESOURCE_EXHAUSTED has no Retry-After header but a RetryInfo detail (``"retryDelay":
  "7s"``, fractions allowed) and QuotaFailure violations, whose quotaId says PerDay
  for a daily quota (a retry cannot help); an overloaded model is 503 UNAVAILABLE. An
  error may also arrive as an event of a 200 stream;
* ``GET {base}/models?pageSize=&pageToken=`` lists ``models/NAME`` entries with their
  supportedGenerationMethods; ``nextPageToken`` until the last page (Google leaves out
  empty fields, so an empty page is ``{}``).

Not handled: a raw JSON error (no ``data:``) in the middle of an SSE body, which the
SDK tolerates; that stream ends without a finishReason and is reported as cut off.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import AsyncIterator, Mapping, Sequence
from typing import Any
from urllib.parse import quote

from httpx_sse import EventSource

from mmchat.api import Message, Usage
from mmchat.attachments.wire import base64_of, images_of, model_text
from mmchat.builtin_kinds import GeminiProviderConfig
from mmchat.providers.base import (
    ChatRequest,
    DonePart,
    ErrorKind,
    ProviderError,
    ReasoningPart,
    StreamPart,
    TextPart,
    estimate_tokens,
)
from mmchat.providers.endpoint import HttpProvider
from mmchat.providers.http import (
    ErrorContext,
    StreamState,
    drain,
    error_from_response,
    error_from_status,
    get_json,
    loads_or_fail,
    open_stream,
    parse_retry_after,
)
from mmchat.providers.network import ProxyRoute
from mmchat.providers.openai import prompt_estimate

# Gemini's finish reasons in the vocabulary the other kinds use (OpenAI's); the
# rest are passed on in lower case ("language", "malformed_function_call"...).
_FINISH = {"STOP": "stop", "MAX_TOKENS": "length"}
_FILTERED = frozenset(
    {"SAFETY", "RECITATION", "BLOCKLIST", "PROHIBITED_CONTENT", "SPII", "IMAGE_SAFETY"}
)
_DURATION = re.compile(r"^\s*(\d+(?:\.\d*)?)s\s*$")
_BAD_KEY_REASONS = frozenset({"API_KEY_INVALID", "API_KEY_EXPIRED"})


def parts_of(message: Message) -> list[dict[str, Any]]:
    """A message's ``parts``: its text (text files as fenced blocks), then each image
    as an ``inline_data`` part (base64 data and its mime_type)."""
    parts: list[dict[str, Any]] = [{"text": model_text(message)}]
    parts += [
        {"inline_data": {"mime_type": image.media_type, "data": base64_of(image)}}
        for image in images_of(message)
    ]
    return parts


def contents_of(messages: Sequence[Message]) -> tuple[list[dict[str, Any]], list[str]]:
    """Gemini ``contents`` (user/model, same-role turns merged) and the system texts."""
    contents: list[dict[str, Any]] = []
    system: list[str] = []
    for m in messages:
        if m.role == "system":
            system.append(m.content)
            continue
        role = "model" if m.role == "assistant" else "user"
        parts = parts_of(m)
        if contents and contents[-1]["role"] == role:
            last = contents[-1]["parts"]
            if "text" in last[-1]:  # text after text: one part, as before images existed
                last[-1] = {"text": last[-1]["text"] + "\n\n" + parts[0]["text"]}
                parts = parts[1:]
            last.extend(parts)
        else:
            contents.append({"role": role, "parts": parts})
    return contents, system


def model_path(model: str) -> str:
    """``gemini-2.5-flash`` -> ``models/gemini-2.5-flash`` (tuned models keep theirs)."""
    path = model if model.startswith(("models/", "tunedModels/")) else f"models/{model}"
    return quote(path, safe="/-_.~")


def _duration(value: Any) -> float | None:
    """A protobuf Duration as JSON (``"7s"``, ``"45.8379s"``) in seconds."""
    match = _DURATION.match(value) if isinstance(value, str) else None
    return float(match.group(1)) if match else None


def _error_object(payload: Any) -> dict[str, Any] | None:
    """The ``error`` object of Google's error shape (also inside a one-item array)."""
    if isinstance(payload, list) and payload:
        payload = payload[0]
    err = payload.get("error") if isinstance(payload, dict) else None
    return err if isinstance(err, dict) else None


def gemini_error(
    status: int | None,
    err: dict[str, Any],
    ctx: ErrorContext,
    headers: Mapping[str, str] | None = None,
) -> ProviderError:
    """Google's ``{"error": {code, message, status, details}}`` as a ProviderError."""
    details = err.get("details")
    if not isinstance(details, list):
        details = []
    by_type = {
        str(d.get("@type", "")).rsplit(".", 1)[-1]: d for d in details if isinstance(d, dict)
    }
    reason = str(by_type.get("ErrorInfo", {}).get("reason") or "")
    code = str(err.get("status") or "")
    message = str(err.get("message") or "")
    if status is None and isinstance(err.get("code"), int):
        status = err["code"]
    retry_after = _duration(by_type.get("RetryInfo", {}).get("retryDelay"))
    if retry_after is None and headers is not None:
        retry_after = parse_retry_after(headers)
    violations = by_type.get("QuotaFailure", {}).get("violations")
    daily = isinstance(violations, list) and any(
        "PerDay" in str(v.get("quotaId", "")) for v in violations if isinstance(v, dict)
    )
    # The words error_from_status branches on, from Google's status and reason.
    if reason in _BAD_KEY_REASONS or code == "UNAUTHENTICATED":
        etype = "authentication"
    elif code == "RESOURCE_EXHAUSTED":
        etype = "insufficient_quota" if daily else "rate_limit"
    elif code == "UNAVAILABLE" and "overloaded" in message.lower():
        etype = "overloaded"
    elif code == "PERMISSION_DENIED":
        etype = "permission"
    elif code == "NOT_FOUND":
        etype = "not_found"
    elif code == "DEADLINE_EXCEEDED":
        etype = "timeout"
    else:
        etype = code.lower()
    return error_from_status(status, etype, reason, message, ctx, retry_after=retry_after)


def error_from_gemini_response(
    status: int,
    body: bytes,
    headers: Mapping[str, str],
    ctx: ErrorContext,
    proxy: ProxyRoute | None = None,
) -> ProviderError:
    """A non-2xx reply: Google's error shape, else whatever a proxy sent."""
    try:
        err = _error_object(json.loads(body))
    except ValueError:
        err = None
    if err is None:
        return error_from_response(status, body, headers, ctx, proxy)
    return gemini_error(status, err, ctx, headers)


class GeminiProvider(HttpProvider[GeminiProviderConfig]):
    kind = "gemini"

    def _auth_headers(self) -> dict[str, str]:
        return {"x-goog-api-key": self._key} if self._key else {}

    def build_body(self, request: ChatRequest) -> dict[str, Any]:
        contents, system = contents_of(request.messages)
        if request.system:
            system.insert(0, request.system)
        body: dict[str, Any] = {"contents": contents}
        if system:
            body["systemInstruction"] = {"parts": [{"text": "\n\n".join(system)}]}
        config: dict[str, Any] = {}
        if request.temperature is not None:
            config["temperature"] = request.temperature
        if request.max_tokens is not None:
            config["maxOutputTokens"] = request.max_tokens
        if request.top_p is not None:
            config["topP"] = request.top_p
        if request.stop:
            config["stopSequences"] = list(request.stop)
        if self.cfg.include_thoughts:
            config["thinkingConfig"] = {"includeThoughts": True}
        extra = dict(request.extra)
        more = extra.pop("generationConfig", None)  # a model's params add to ours
        if isinstance(more, dict):
            config.update(more)
        if config:
            body["generationConfig"] = config
        body.update(extra)
        return body

    async def stream(self, request: ChatRequest) -> AsyncIterator[StreamPart]:
        start = time.perf_counter()
        ctx = self._ctx(request.model)
        state = StreamState()
        ttft: float | None = None
        text: list[str] = []
        usage: dict[str, Any] | None = None
        finish: str | None = None
        headers = self._headers()
        headers["Accept"] = "text/event-stream"
        async with open_stream(
            self._client,
            f"{self.base_url}/{model_path(request.model)}:streamGenerateContent?alt=sse",
            body=self.build_body(request),
            headers=headers,
            timeouts=self._timeout,
            ctx=ctx,
            state=state,
            error_mapper=error_from_gemini_response,
        ) as response:
            if "text/event-stream" not in response.headers.get("content-type", ""):
                raise ctx.fail(
                    ErrorKind.BAD_RESPONSE,
                    "server did not stream (content-type "
                    f"{response.headers.get('content-type', 'missing')!r})",
                )
            events = EventSource(response).aiter_sse()
            async for event in events:
                if not event.data or event.data.isspace():
                    continue
                chunk = loads_or_fail(event.data, ctx)
                if not isinstance(chunk, dict):
                    raise ctx.fail(ErrorKind.BAD_RESPONSE, "unexpected event in stream")
                err = _error_object(chunk)
                if err is not None:
                    raise gemini_error(None, err, ctx)
                if isinstance(chunk.get("usageMetadata"), dict):
                    usage = chunk["usageMetadata"]  # repeated in every chunk: keep the last
                candidates = chunk.get("candidates") or ()
                if not candidates:
                    blocked = (chunk.get("promptFeedback") or {}).get("blockReason")
                    if blocked:
                        raise ctx.fail(
                            ErrorKind.BAD_REQUEST,
                            f"Gemini blocked the prompt ({blocked}): rephrase it",
                        )
                    continue
                candidate = candidates[0]
                for part in (candidate.get("content") or {}).get("parts") or ():
                    piece = part.get("text")
                    if not isinstance(piece, str) or not piece:
                        continue
                    state.started = True
                    ttft = ttft if ttft is not None else time.perf_counter() - start
                    if part.get("thought") is True:
                        yield ReasoningPart(piece)
                    else:
                        text.append(piece)
                        yield TextPart(piece)
                if candidate.get("finishReason"):
                    finish = str(candidate["finishReason"])
                    await drain(events)
                    break
            if finish is None:
                kind = ErrorKind.STREAM_INTERRUPTED if state.started else ErrorKind.CONNECTION
                raise ctx.fail(kind, f"stream from {self.base_url} ended before the answer did")
        answer = "".join(text)
        if finish in _FILTERED and not answer:
            raise ctx.fail(
                ErrorKind.BAD_REQUEST, f"Gemini withheld the answer ({finish}): rephrase the prompt"
            )
        yield DonePart(
            usage=_usage(usage, request, answer),
            finish_reason="content_filter"
            if finish in _FILTERED
            else _FINISH.get(finish, finish.lower()),
            ttft=ttft,
            duration=time.perf_counter() - start,
        )

    async def list_models(self) -> list[str]:
        ctx = self._ctx(None)
        ids: list[str] = []
        params = {"pageSize": "1000"}
        for _ in range(100):  # pages; a guard against a server that never stops
            page = await get_json(
                self._client,
                f"{self.base_url}/models",
                headers=self._headers(),
                timeouts=self._timeout,
                ctx=ctx,
                params=params,
                error_mapper=error_from_gemini_response,
            )
            models = page.get("models", []) if isinstance(page, dict) else None
            if not isinstance(models, list):
                raise ctx.fail(ErrorKind.BAD_RESPONSE, "model list without 'models'")
            for model in models:
                if not isinstance(model, dict) or not isinstance(model.get("name"), str):
                    continue
                methods = model.get("supportedGenerationMethods")
                if isinstance(methods, list) and "generateContent" not in methods:
                    continue  # embedding and other models that cannot chat
                ids.append(model["name"].removeprefix("models/"))
            token = page.get("nextPageToken")
            if not token:
                break
            params = {"pageSize": "1000", "pageToken": str(token)}
        return ids


def _usage(raw: dict[str, Any] | None, request: ChatRequest, text: str) -> Usage:
    if isinstance(raw, dict) and "candidatesTokenCount" in raw:
        try:
            output = int(raw.get("candidatesTokenCount") or 0)
            output += int(raw.get("thoughtsTokenCount") or 0)  # billed as output
            return Usage(int(raw.get("promptTokenCount") or 0), output)
        except (TypeError, ValueError):  # a server's nonsense counts: estimate instead
            pass
    return Usage(prompt_estimate(request), estimate_tokens(text), estimated=True)
