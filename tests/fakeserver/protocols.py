"""Byte-exact event framing of the wire protocols the fake server speaks (Gemini's is in
gemini.py).

Each protocol turns a Reply into frames: ``head`` (before content), one frame per
content chunk, ``tail`` (finish, usage, end marker), plus error/malformed/keep-alive
frames. The server decides when and how (delays, cuts) the frames are written.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from typing import Any

from tests.fakeserver.reply import Reply


def dumps(obj: Any) -> str:
    return json.dumps(obj, separators=(",", ":"))


def prompt_text(body: dict[str, Any]) -> str:
    parts: list[str] = []
    system = body.get("system")
    if isinstance(system, str):
        parts.append(system)
    for m in body.get("messages") or []:
        parts.append(content_text(m.get("content")))
    return "".join(parts)


def content_text(content: Any) -> str:
    if isinstance(content, str):
        return content
    if isinstance(content, list):  # Anthropic/OpenAI content blocks
        return "".join(b.get("text", "") for b in content if isinstance(b, dict))
    return ""


def last_user(body: dict[str, Any]) -> str:
    for m in reversed(body.get("messages") or []):
        if m.get("role") == "user":
            return content_text(m.get("content"))
    for c in reversed(body.get("contents") or []):  # Gemini
        if isinstance(c, dict) and c.get("role") == "user":
            return "".join(p.get("text", "") for p in c.get("parts") or [] if isinstance(p, dict))
    return ""


def counts(reply: Reply, body: dict[str, Any], n_chunks: int) -> tuple[int, int]:
    prompt = reply.prompt_tokens
    if prompt is None:
        prompt = max(1, len(prompt_text(body)) // 4)
    completion = reply.completion_tokens if reply.completion_tokens is not None else n_chunks
    return prompt, completion


class Protocol:
    name = ""
    content_type = "text/event-stream"
    retry_in_body = False  # the wait a 429 asks for is in the body, not in Retry-After
    error_indent: int | None = None  # pretty-printed error bodies (Google's)

    def __init__(self, reply: Reply, body: dict[str, Any]) -> None:
        self.reply = reply
        self.body = body
        self.model = str(body.get("model", ""))
        self.n_chunks = len(reply.reasoning_chunks()) + len(reply.text_chunks())

    def content(self) -> Iterator[bytes]:
        # Lazily, so that a long answer's first chunk goes out without waiting.
        for i, c in enumerate(self.reply.reasoning_chunks()):
            yield self.reasoning_frame(i, c)
        for i, c in enumerate(self.reply.text_chunks()):
            yield self.text_frame(i, c)

    # subclasses
    def head(self) -> list[bytes]:
        return []

    def reasoning_frame(self, i: int, text: str) -> bytes:
        raise NotImplementedError

    def text_frame(self, i: int, text: str) -> bytes:
        raise NotImplementedError

    def tail(self) -> list[bytes]:
        return []

    def error_frame(self) -> bytes:
        raise NotImplementedError

    def malformed_frame(self) -> bytes:
        raise NotImplementedError

    def keepalive_frame(self) -> bytes | None:
        return None

    def error_body(self, status: int, presented_key: str | None) -> dict[str, Any]:
        raise NotImplementedError

    def auth_error(self, presented_key: str | None) -> tuple[int, Any]:
        """(status, body) for a request without the right key."""
        return 401, self.error_body(401, presented_key)

    def whole(self) -> dict[str, Any]:
        """The non-streaming answer (stream: false)."""
        raise NotImplementedError


# ---------------------------------------------------------------- OpenAI


_OPENAI_ERRORS: dict[int, tuple[str, str | None, str]] = {
    400: ("invalid_request_error", None, "Invalid request."),
    401: ("invalid_request_error", "invalid_api_key", "Incorrect API key provided: {key}."),
    402: ("insufficient_credits", "402", "Insufficient credits."),
    403: ("permission_denied", None, "You are not allowed to sample from this model."),
    404: (
        "invalid_request_error",
        "model_not_found",
        "The model `{model}` does not exist or you do not have access to it.",
    ),
    429: ("requests", "rate_limit_exceeded", "Rate limit reached for {model}."),
    500: ("server_error", None, "The server had an error while processing your request."),
    502: ("server_error", None, "Bad gateway."),
    503: ("server_error", None, "The engine is currently overloaded, please try again later."),
}


def masked(key: str | None) -> str:
    """How OpenAI echoes a wrong key back: a prefix and suffix of it."""
    if not key:
        return "none"
    return f"{key[:5]}***{key[-4:]}" if len(key) > 10 else "***"


class OpenAI(Protocol):
    name = "openai"

    def __init__(self, reply: Reply, body: dict[str, Any]) -> None:
        super().__init__(reply, body)
        self.id = f"chatcmpl-{int(time.time() * 1000)}"
        self.created = int(time.time())
        opts = body.get("stream_options") or {}
        self.include_usage = bool(opts.get("include_usage"))
        self.top_logprobs = int(body.get("top_logprobs") or 0) if body.get("logprobs") else -1

    def event(self, obj: Any, event: str | None = None) -> bytes:
        sep = "data:" if self.reply.no_space else "data: "
        data = obj if isinstance(obj, str) else dumps(obj)
        prefix = f"event: {event}\n" if event else ""
        return f"{prefix}{sep}{data}\n\n".encode()

    def chunk(
        self, delta: dict[str, Any], finish: str | None = None, usage: Any = None
    ) -> dict[str, Any]:
        obj: dict[str, Any] = {
            "id": self.id,
            "object": "chat.completion.chunk",
            "created": self.created,
            "model": self.model,
            "system_fingerprint": "fp_fake",
            "choices": [{"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish}],
        }
        if self.include_usage:
            obj["usage"] = usage  # null on every chunk but the usage one, like OpenAI
        elif usage is not None:
            obj["usage"] = usage
        return obj

    def usage_obj(self) -> dict[str, int]:
        p, c = counts(self.reply, self.body, self.n_chunks)
        return {"prompt_tokens": p, "completion_tokens": c, "total_tokens": p + c}

    def head(self) -> list[bytes]:
        delta = {"role": "assistant", "content": self.reply.role_content, "refusal": None}
        return [self.event(self.chunk(delta))]

    def reasoning_frame(self, i: int, text: str) -> bytes:
        return self.event(self.chunk({self.reply.reasoning_field: text}))

    def text_frame(self, i: int, text: str) -> bytes:
        chunk = self.chunk({"content": text})
        if self.top_logprobs >= 0:  # OpenAI's shape: one entry per token, with its rivals
            logprob, rivals = self.reply.token_logprob(i)
            top = [{"token": text, "logprob": logprob, "bytes": list(text.encode())}]
            top += [
                {"token": t, "logprob": lp, "bytes": list(t.encode())} for t, lp in rivals.items()
            ]
            top.sort(key=lambda entry: -float(entry["logprob"]))
            chunk["choices"][0]["logprobs"] = {
                "content": [
                    {"token": text, "logprob": logprob, "bytes": list(text.encode()),
                     "top_logprobs": top[: self.top_logprobs]}
                ],
                "refusal": None,
            }  # fmt: skip
        return self.event(chunk)

    def tail(self) -> list[bytes]:
        r = self.reply
        early = self.usage_obj() if r.usage == "early" else None
        finish = self.chunk({}, r.finish_reason, early)
        if r.timings and r.usage == "early":
            finish["timings"] = r.timings
        frames = [self.event(finish)]
        if r.usage == "last" and self.include_usage:
            last: dict[str, Any] = {
                "id": self.id,
                "object": "chat.completion.chunk",
                "created": self.created,
                "model": self.model,
                "system_fingerprint": "fp_fake",
                "choices": [],
                "usage": self.usage_obj(),
            }
            if r.timings:
                last["timings"] = r.timings
            frames.append(self.event(last))
        if r.send_done:
            frames.append(self.event("[DONE]"))
        return frames

    def error_frame(self) -> bytes:
        err = {
            "error": {
                "message": self.reply.error_message or "Internal server error",
                "type": self.reply.error_type or "server_error",
                "code": 502 if self.reply.error_type is None else self.reply.error_type,
            }
        }
        return self.event(err, "error" if self.reply.error_event else None)

    def malformed_frame(self) -> bytes:
        return self.event('{"id":"chatcmpl-x","choices":[{"delta":{"content":"oops"')

    def keepalive_frame(self) -> bytes | None:
        return b": OPENROUTER PROCESSING\n\n" if self.reply.keepalive else None

    def error_body(self, status: int, presented_key: str | None) -> dict[str, Any]:
        etype, code, message = _OPENAI_ERRORS.get(
            status, ("server_error", None, f"Error {status}.")
        )
        if self.reply.error_type:
            etype, code = self.reply.error_type, self.reply.error_type
        message = self.reply.error_message or message.format(
            key=masked(presented_key), model=self.model
        )
        return {"error": {"message": message, "type": etype, "param": None, "code": code}}

    def whole(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "object": "chat.completion",
            "created": self.created,
            "model": self.model,
            "choices": [
                {
                    "index": 0,
                    "message": {"role": "assistant", "content": "".join(self.reply.text_chunks())},
                    "finish_reason": self.reply.finish_reason,
                }
            ],
            "usage": self.usage_obj(),
        }


# ---------------------------------------------------------------- Anthropic

_ANTHROPIC_ERRORS: dict[int, tuple[str, str]] = {
    400: ("invalid_request_error", "Invalid request."),
    401: ("authentication_error", "invalid x-api-key"),
    403: ("permission_error", "Your API key does not have permission to use this resource."),
    404: ("not_found_error", "model: {model}"),
    413: ("request_too_large", "Request exceeds the maximum allowed number of bytes."),
    429: ("rate_limit_error", "Number of requests has exceeded your rate limit."),
    500: ("api_error", "Internal server error"),
    529: ("overloaded_error", "Overloaded"),
}
_STOP = {"stop": "end_turn", "length": "max_tokens"}


class Anthropic(Protocol):
    name = "anthropic"

    def __init__(self, reply: Reply, body: dict[str, Any]) -> None:
        super().__init__(reply, body)
        choice = body.get("tool_choice") or {}
        self.tool = str(choice.get("name") or "") if choice.get("type") == "tool" else ""

    def event(self, name: str, obj: dict[str, Any]) -> bytes:
        sep = "data:" if self.reply.no_space else "data: "
        return f"event: {name}\n{sep}{dumps(obj)}\n\n".encode()

    def head(self) -> list[bytes]:
        p, _ = counts(self.reply, self.body, self.n_chunks)
        usage = {"input_tokens": p, "output_tokens": 1} if self.reply.usage != "none" else {}
        message = {
            "id": "msg_fake01",
            "type": "message",
            "role": "assistant",
            "content": [],
            "model": self.model,
            "stop_reason": None,
            "stop_sequence": None,
            "usage": usage,
        }
        frames = [self.event("message_start", {"type": "message_start", "message": message})]
        if self.reply.reasoning:
            block = {"type": "thinking", "thinking": ""}
        elif self.tool:
            block = {"type": "tool_use", "id": "toolu_fake01", "name": self.tool, "input": {}}
        else:
            block = {"type": "text", "text": ""}
        frames.append(
            self.event(
                "content_block_start",
                {"type": "content_block_start", "index": 0, "content_block": block},
            )
        )
        frames.append(self.event("ping", {"type": "ping"}))
        return frames

    def reasoning_frame(self, i: int, text: str) -> bytes:
        delta = {"type": "thinking_delta", "thinking": text}
        return self.event(
            "content_block_delta", {"type": "content_block_delta", "index": 0, "delta": delta}
        )

    def text_frame(self, i: int, text: str) -> bytes:
        index = 1 if self.reply.reasoning else 0
        frame = b""
        if i == 0 and self.reply.reasoning:
            # close the thinking block (with its signature) and open the text block
            sig = {"type": "signature_delta", "signature": "EqQBCgIYAhIM"}
            frame += self.event(
                "content_block_delta", {"type": "content_block_delta", "index": 0, "delta": sig}
            )
            frame += self.event("content_block_stop", {"type": "content_block_stop", "index": 0})
            frame += self.event(
                "content_block_start",
                {
                    "type": "content_block_start",
                    "index": 1,
                    "content_block": {"type": "text", "text": ""},
                },
            )
        delta = {"type": "text_delta", "text": text}
        if self.tool:  # tool_choice forced a tool: its JSON input arrives in pieces
            delta = {"type": "input_json_delta", "partial_json": text}
        return frame + self.event(
            "content_block_delta", {"type": "content_block_delta", "index": index, "delta": delta}
        )

    def tail(self) -> list[bytes]:
        index = 1 if self.reply.reasoning and self.reply.text_chunks() else 0
        _, c = counts(self.reply, self.body, self.n_chunks)
        delta: dict[str, Any] = {
            "type": "message_delta",
            "delta": {
                "stop_reason": _STOP.get(self.reply.finish_reason, self.reply.finish_reason),
                "stop_sequence": None,
            },
        }
        if self.reply.usage != "none":
            delta["usage"] = {"output_tokens": c}
        return [
            self.event("content_block_stop", {"type": "content_block_stop", "index": index}),
            self.event("message_delta", delta),
            self.event("message_stop", {"type": "message_stop"}),
        ]

    def error_frame(self) -> bytes:
        return self.event(
            "error",
            {
                "type": "error",
                "error": {
                    "type": self.reply.error_type or "overloaded_error",
                    "message": self.reply.error_message or "Overloaded",
                },
            },
        )

    def malformed_frame(self) -> bytes:
        return b'event: content_block_delta\ndata: {"type":"content_block_delta","ind\n\n'

    def keepalive_frame(self) -> bytes | None:
        return self.event("ping", {"type": "ping"}) if self.reply.keepalive else None

    def error_body(self, status: int, presented_key: str | None) -> dict[str, Any]:
        etype, message = _ANTHROPIC_ERRORS.get(status, ("api_error", f"Error {status}"))
        return {
            "type": "error",
            "error": {
                "type": self.reply.error_type or etype,
                "message": self.reply.error_message or message.format(model=self.model),
            },
            "request_id": "req_fake01",
        }

    def whole(self) -> dict[str, Any]:
        p, c = counts(self.reply, self.body, self.n_chunks)
        return {
            "id": "msg_fake01",
            "type": "message",
            "role": "assistant",
            "model": self.model,
            "content": [{"type": "text", "text": "".join(self.reply.text_chunks())}],
            "stop_reason": _STOP.get(self.reply.finish_reason, self.reply.finish_reason),
            "stop_sequence": None,
            "usage": {"input_tokens": p, "output_tokens": c},
        }


# ---------------------------------------------------------------- Ollama


class Ollama(Protocol):
    name = "ollama"
    content_type = "application/x-ndjson"

    def line(self, obj: dict[str, Any]) -> bytes:
        return (dumps(obj) + "\n").encode()

    def base(self) -> dict[str, Any]:
        return {"model": self.model, "created_at": "2025-01-01T00:00:00.000000Z"}

    def reasoning_frame(self, i: int, text: str) -> bytes:
        msg = {"role": "assistant", "content": "", "thinking": text}
        return self.line({**self.base(), "message": msg, "done": False})

    def text_frame(self, i: int, text: str) -> bytes:
        msg = {"role": "assistant", "content": text}
        line: dict[str, Any] = {**self.base(), "message": msg, "done": False}
        if self.body.get("logprobs"):
            logprob, rivals = self.reply.token_logprob(i)
            top = sorted([(text, logprob), *rivals.items()], key=lambda tl: -tl[1])
            n = int(self.body.get("top_logprobs") or 0)
            line["logprobs"] = [
                {"token": text, "logprob": logprob,
                 "top_logprobs": [{"token": t, "logprob": lp} for t, lp in top[:n]]}
            ]  # fmt: skip
        return self.line(line)

    def final(self) -> dict[str, Any]:
        p, c = counts(self.reply, self.body, self.n_chunks)
        obj: dict[str, Any] = {
            **self.base(),
            "message": {"role": "assistant", "content": ""},
            "done": True,
            "done_reason": self.reply.finish_reason,
            "total_duration": 1_500_000_000,
            "load_duration": 10_000_000,
        }
        if self.reply.usage != "none":
            obj.update(
                prompt_eval_count=p,
                prompt_eval_duration=100_000_000,
                eval_count=c,
                eval_duration=1_000_000_000,
            )
        return obj

    def tail(self) -> list[bytes]:
        return [self.line(self.final())]

    def error_frame(self) -> bytes:
        return self.line({"error": self.reply.error_message or "an error was encountered"})

    def malformed_frame(self) -> bytes:
        return b'{"model":"x","message":{"role":"assist\n'

    def error_body(self, status: int, presented_key: str | None) -> dict[str, Any]:
        default = {
            404: f'model "{self.model}" not found, try pulling it first',
            400: "invalid request",
            401: "unauthorized",
            429: "too many requests",
        }.get(status, "internal server error")
        return {"error": self.reply.error_message or default}

    def whole(self) -> dict[str, Any]:
        obj = self.final()
        obj["message"] = {"role": "assistant", "content": "".join(self.reply.text_chunks())}
        return obj
