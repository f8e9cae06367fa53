"""Google's Gemini API as the fake server speaks it: frames, errors, the model list.

Only ``alt=sse`` streaming is spoken (mmchat always asks for it). What is copied from
the real service: ``data: <GenerateContentResponse>`` events framed with CRLF and no
end marker (the chunk with ``finishReason`` is the last); ``usageMetadata`` in every
chunk, ``candidatesTokenCount`` only in the last; thought parts flagged ``"thought":
true``; a blocked prompt as a lone ``promptFeedback`` chunk; errors as pretty-printed
``{"error": {code, message, status, details}}`` with Google's own messages, a bad key
as 400 INVALID_ARGUMENT + ErrorInfo API_KEY_INVALID, a missing key as 403, a 429 whose
wait is a RetryInfo detail (never a Retry-After header); errors inside a 200 stream as
a ``data:`` event; the model list paginated by pageSize/pageToken with an embedding
model that cannot chat.
"""

from __future__ import annotations

import base64
import json
from typing import Any

from tests.fakeserver.protocols import Protocol, content_text
from tests.fakeserver.reply import Reply

API_VERSION = "v1beta"

# status -> (Google status, message) as the real API words them
ERRORS: dict[int, tuple[str, str]] = {
    400: ("INVALID_ARGUMENT", "Request contains an invalid argument."),
    401: (
        "UNAUTHENTICATED",
        "Request had invalid authentication credentials. Expected OAuth 2 access token, "
        "login cookie or other valid authentication credential. See "
        "https://developers.google.com/identity/sign-in/web/devconsole-project.",
    ),
    403: ("PERMISSION_DENIED", "The caller does not have permission"),
    404: (
        "NOT_FOUND",
        "models/{model} is not found for API version v1beta, or is not supported for "
        "generateContent. Call ListModels to see the list of available models and their "
        "supported methods.",
    ),
    429: (
        "RESOURCE_EXHAUSTED",
        "You exceeded your current quota, please check your plan and billing details. For "
        "more information on this error, head to: "
        "https://ai.google.dev/gemini-api/docs/rate-limits.\n* Quota exceeded for metric: "
        "generativelanguage.googleapis.com/generate_content_free_tier_requests, limit: 15, "
        "model: {model}\nPlease retry in {delay}.",
    ),
    500: (
        "INTERNAL",
        "An internal error has occurred. Please retry or report in "
        "https://developers.generativeai.google/guide/troubleshooting",
    ),
    503: ("UNAVAILABLE", "The model is overloaded. Please try again later."),
    504: ("DEADLINE_EXCEEDED", "Deadline expired before operation could complete."),
}
CODES = {status: code for code, (status, _) in ERRORS.items()}
NO_KEY = (
    "Method doesn't allow unregistered callers (callers without established identity). "
    "Please use API Key or other form of API consumer identity to call this API."
)
BAD_KEY = "API key not valid. Please pass a valid API key."
_FINISH = {"stop": "STOP", "length": "MAX_TOKENS"}


def error(code: int, status: str, message: str, details: list[Any] | None = None) -> Any:
    body: dict[str, Any] = {"code": code, "message": message, "status": status}
    if details:
        body["details"] = details
    return {"error": body}


def bad_key() -> Any:
    return error(
        400,
        "INVALID_ARGUMENT",
        BAD_KEY,
        [
            {
                "@type": "type.googleapis.com/google.rpc.ErrorInfo",
                "reason": "API_KEY_INVALID",
                "domain": "googleapis.com",
                "metadata": {"service": "generativelanguage.googleapis.com"},
            },
            {
                "@type": "type.googleapis.com/google.rpc.LocalizedMessage",
                "locale": "en-US",
                "message": BAD_KEY,
            },
        ],
    )


def quota_details(model: str, delay: str, window: str) -> list[Any]:
    quota_id = f"GenerateRequests{window}PerProjectPerModel-FreeTier"
    return [
        {
            "@type": "type.googleapis.com/google.rpc.Help",
            "links": [
                {
                    "description": "Learn more about Gemini API quotas",
                    "url": "https://ai.google.dev/gemini-api/docs/rate-limits",
                }
            ],
        },
        {
            "@type": "type.googleapis.com/google.rpc.QuotaFailure",
            "violations": [
                {
                    "quotaMetric": "generativelanguage.googleapis.com/"
                    "generate_content_free_tier_requests",
                    "quotaId": quota_id,
                    "quotaDimensions": {"location": "global", "model": model},
                    "quotaValue": "15",
                }
            ],
        },
        {"@type": "type.googleapis.com/google.rpc.RetryInfo", "retryDelay": delay},
    ]


class Gemini(Protocol):
    """``reply.error_type``: a 400's ErrorInfo reason (API_KEY_INVALID), a 429's quota
    window (``PerDay``; default PerMinute) or an in-stream error's status (UNAVAILABLE).
    ``reply.retry_after`` is the 429's RetryInfo delay in seconds."""

    name = "gemini"
    retry_in_body = True
    error_indent = 2  # Google pretty-prints error bodies

    def __init__(self, reply: Reply, body: dict[str, Any]) -> None:
        super().__init__(reply, body)
        self.response_id = "fAkEgEmInIrEsPoNsE01"

    # -- usage ------------------------------------------------------------------

    def prompt_tokens(self) -> int:
        if self.reply.prompt_tokens is not None:
            return self.reply.prompt_tokens
        parts = [content_text(_texts(self.body.get("systemInstruction")))]
        parts += [content_text(_texts(c)) for c in self.body.get("contents") or []]
        return max(1, len("".join(parts)) // 4)

    def usage(self, final: bool) -> dict[str, int]:
        prompt = self.prompt_tokens()
        thoughts = len(self.reply.reasoning_chunks())
        answer = self.reply.completion_tokens
        if answer is None:
            answer = len(self.reply.text_chunks())
        used: dict[str, Any] = {"promptTokenCount": prompt}
        if final:
            used["candidatesTokenCount"] = answer
        used["totalTokenCount"] = prompt + thoughts + (answer if final else 0)
        used["promptTokensDetails"] = [{"modality": "TEXT", "tokenCount": prompt}]
        if thoughts:
            used["thoughtsTokenCount"] = thoughts
        return used

    # -- frames -----------------------------------------------------------------

    def event(self, obj: Any) -> bytes:
        return f"data: {json.dumps(obj, separators=(',', ':'))}\r\n\r\n".encode()

    def chunk(self, part: dict[str, Any] | None, finish: str | None = None) -> dict[str, Any]:
        candidate: dict[str, Any] = {
            "content": {"parts": [part] if part is not None else [{"text": ""}], "role": "model"}
        }
        if finish is not None:
            candidate["finishReason"] = finish
        candidate["index"] = 0
        obj: dict[str, Any] = {"candidates": [candidate]}
        if self.reply.usage != "none":
            obj["usageMetadata"] = self.usage(final=finish is not None)
        obj["modelVersion"] = self.model
        obj["responseId"] = self.response_id
        return obj

    def reasoning_frame(self, i: int, text: str) -> bytes:
        return self.event(self.chunk({"text": text, "thought": True}))

    def text_frame(self, i: int, text: str) -> bytes:
        return self.event(self.chunk({"text": text}))

    def head(self) -> list[bytes]:
        if not self.reply.blocked:
            return []
        # A blocked prompt: one chunk without candidates, then the body ends.
        feedback = {
            "blockReason": self.reply.blocked,
            "safetyRatings": [
                {"category": "HARM_CATEGORY_DANGEROUS_CONTENT", "probability": "HIGH"}
            ],
        }
        obj: dict[str, Any] = {"promptFeedback": feedback}
        if self.reply.usage != "none":
            obj["usageMetadata"] = {"promptTokenCount": self.prompt_tokens()}
        obj["modelVersion"] = self.model
        return [self.event(obj)]

    def content(self) -> Any:
        return iter(()) if self.reply.blocked else super().content()

    def tail(self) -> list[bytes]:
        if self.reply.blocked:
            return []
        finish = self.reply.finish_reason
        return [self.event(self.chunk(None, _FINISH.get(finish, finish.upper())))]

    def error_frame(self) -> bytes:
        status = self.reply.error_type or "UNAVAILABLE"
        code = CODES.get(status, 500)
        message = self.reply.error_message or ERRORS.get(code, ("", "Internal error."))[1]
        return self.event(error(code, status, message.format(model=self.model, delay="7s")))

    def malformed_frame(self) -> bytes:
        return b'data: {"candidates":[{"content":{"parts":[{"text":"oo\r\n\r\n'

    # -- whole replies ----------------------------------------------------------

    def auth_error(self, presented_key: str | None) -> tuple[int, Any]:
        if not presented_key:
            return 403, error(403, "PERMISSION_DENIED", NO_KEY)
        return 400, bad_key()

    def error_body(self, status: int, presented_key: str | None) -> dict[str, Any]:
        reason = self.reply.error_type or ""
        if status == 400 and reason == "API_KEY_INVALID":
            body: dict[str, Any] = bad_key()
            return body
        google, message = ERRORS.get(status, ("UNKNOWN", f"Error {status}."))
        delay = f"{self.reply.retry_after}s" if self.reply.retry_after is not None else None
        message = self.reply.error_message or message.format(
            model=self.model, delay=delay or "a moment"
        )
        details = None
        if status == 429:
            window = reason or "PerMinute"
            details = quota_details(self.model, delay or "0s", window)
            if delay is None:
                details = details[:2]
        body = error(status, google, message, details)
        return body

    def whole(self) -> dict[str, Any]:
        obj = self.chunk({"text": "".join(self.reply.text_chunks())}, "STOP")
        return obj


def _texts(content: Any) -> list[dict[str, Any]]:
    parts = content.get("parts") if isinstance(content, dict) else None
    return [p for p in parts or [] if isinstance(p, dict)]


def model_list(names: list[str], query: dict[str, str], limit: int) -> dict[str, Any]:
    """One page of ``GET /v1beta/models`` (names without ``models/``)."""
    entries = [
        _model(name, ["generateContent", "countTokens", "createCachedContent"]) for name in names
    ]
    entries.append(_model("text-embedding-004", ["embedContent"]))  # cannot chat
    size = min(int(query.get("pageSize", "50")), limit, 1000)
    start = 0
    if "pageToken" in query:
        start = int(base64.urlsafe_b64decode(query["pageToken"].encode()).decode())
    page: dict[str, Any] = {}
    if entries[start : start + size]:  # Google leaves empty fields out
        page["models"] = entries[start : start + size]
    if start + size < len(entries):
        page["nextPageToken"] = base64.urlsafe_b64encode(str(start + size).encode()).decode()
    return page


def _model(name: str, methods: list[str]) -> dict[str, Any]:
    return {
        "name": f"models/{name}",
        "version": "001",
        "displayName": name,
        "description": f"The fake {name}.",
        "inputTokenLimit": 1048576,
        "outputTokenLimit": 65536,
        "supportedGenerationMethods": methods,
        "temperature": 1,
        "topP": 0.95,
        "topK": 64,
        "maxTemperature": 2,
    }
