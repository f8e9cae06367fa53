"""A loopback HTTP/1.1 server speaking OpenAI, Anthropic, Ollama and Gemini streaming.

It runs in a background thread with its own asyncio loop, so it serves in-process
async tests and subprocesses (``mmchat ask`` pointed at ``server.url``) alike. Bytes
are written by hand (chunked transfer-encoding for streams, Content-Length for JSON)
so that framing, cuts and timing are exactly what a test scripts.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import re
import ssl
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from tests.fakeserver import gemini, images
from tests.fakeserver.gemini import Gemini
from tests.fakeserver.protocols import Anthropic, Ollama, OpenAI, Protocol, last_user
from tests.fakeserver.reply import Reply

ReplyFn = Callable[[dict[str, Any]], "Reply | str"]
EmbedFn = Callable[[str], list[float]]
EMBED_DIMENSIONS = 64


def bag_of_words(text: str) -> list[float]:
    """A deterministic stand-in embedding: each word adds 1 to a hashed dimension."""
    import zlib

    vector = [0.0] * EMBED_DIMENSIONS
    for word in text.lower().split():
        vector[zlib.crc32(word.strip(".,!?").encode()) % EMBED_DIMENSIONS] += 1.0
    return vector


# Gemini names the model in the path: /v1beta/models/NAME:streamGenerateContent
_GEMINI_CALL = re.compile(
    r"^.*/(?:models|tunedModels)/(?P<model>[^/:]+):"
    r"(?P<method>streamGenerateContent|generateContent)$"
)


_REASONS = {
    200: "OK",
    400: "Bad Request",
    401: "Unauthorized",
    402: "Payment Required",
    403: "Forbidden",
    404: "Not Found",
    408: "Request Timeout",
    409: "Conflict",
    413: "Payload Too Large",
    422: "Unprocessable Entity",
    429: "Too Many Requests",
    500: "Internal Server Error",
    502: "Bad Gateway",
    503: "Service Unavailable",
    504: "Gateway Timeout",
    529: "Overloaded",
}


@dataclass
class RequestRecord:
    """One request as the server saw it."""

    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]  # lower-case names
    raw_target: str  # the request-target as sent (path + query)
    body: bytes = b""
    json: Any = None
    protocol: str = ""
    path_model: str | None = None  # Gemini: the model named in the path
    completed: bool = False  # the whole response was written
    disconnected: bool = False  # the client went away before the response ended
    connection: int = 0  # which TCP connection carried it (to check reuse)
    started_at: float = field(default_factory=time.monotonic)
    finished_at: float | None = None  # time.monotonic() when the response ended

    def mark_completed(self) -> None:
        self.completed = True
        self.finished_at = time.monotonic()

    @property
    def model(self) -> str | None:
        if self.path_model is not None:
            return self.path_model
        return self.json.get("model") if isinstance(self.json, dict) else None


class _Gone(Exception):
    """The client closed the connection."""


class FakeServer:
    def __init__(self, host: str = "127.0.0.1", tls: ssl.SSLContext | None = None) -> None:
        self.host = host  # another loopback address (127.0.0.2) is one mmchat may proxy
        self._tls = tls  # a server-side context: https:// (tests of trust and CONNECT)
        self._lock = threading.Lock()
        self._scripts: dict[str, deque[Reply]] = {}
        self._fns: dict[str, ReplyFn] = {}
        self._embedders: dict[str, EmbedFn] = {}
        self.requests: list[RequestRecord] = []
        self.models: list[str] = ["test-model", "other-model"]
        self.require_key: str | None = None
        self.page_limit = 1000  # most models per Anthropic /v1/models page
        self.models_error: Reply | None = None  # answer GET /models with this error
        self.port = 0
        self._loop: asyncio.AbstractEventLoop | None = None
        self._server: asyncio.Server | None = None
        self._thread: threading.Thread | None = None
        self._conn_tasks: set[asyncio.Task[None]] = set()
        self._connections = 0

    # ------------------------------------------------------------ lifecycle

    @property
    def url(self) -> str:
        return f"{'https' if self._tls else 'http'}://{self.host}:{self.port}"

    @property
    def openai_url(self) -> str:
        return f"{self.url}/v1"

    anthropic_url = openai_url

    @property
    def gemini_url(self) -> str:
        return f"{self.url}/{gemini.API_VERSION}"

    @property
    def ollama_url(self) -> str:
        return self.url

    def start(self) -> FakeServer:
        ready = threading.Event()

        def run() -> None:
            loop = asyncio.new_event_loop()
            self._loop = loop
            self._server = loop.run_until_complete(
                asyncio.start_server(self._handle, self.host, 0, ssl=self._tls)
            )
            self.port = self._server.sockets[0].getsockname()[1]
            ready.set()
            loop.run_forever()
            loop.close()

        self._thread = threading.Thread(target=run, name="fakeserver", daemon=True)
        self._thread.start()
        ready.wait(10)
        return self

    def stop(self) -> None:
        loop = self._loop
        if loop is None:
            return

        async def shutdown() -> None:
            if self._server is not None:
                self._server.close()
            for task in list(self._conn_tasks):
                task.cancel()
            await asyncio.gather(*self._conn_tasks, return_exceptions=True)
            loop.stop()

        asyncio.run_coroutine_threadsafe(shutdown(), loop)
        if self._thread is not None:
            self._thread.join(10)
        self._loop = None

    def __enter__(self) -> FakeServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # ------------------------------------------------------------ scripting

    def script(self, model: str, *replies: Reply | str) -> None:
        """Answer requests for ``model`` with these replies in order; the last repeats."""
        items = [r if isinstance(r, Reply) else Reply(text=r) for r in replies]
        with self._lock:
            self._scripts[model] = deque(items)
            self._fns.pop(model, None)

    def script_fn(self, model: str, fn: ReplyFn) -> None:
        """Answer requests for ``model`` with ``fn(request_json)`` (a Reply or a str)."""
        with self._lock:
            self._fns[model] = fn
            self._scripts.pop(model, None)

    def embed_fn(self, model: str, fn: EmbedFn | None = None) -> None:
        """Serve embeddings for ``model`` (OpenAI /v1/embeddings, Ollama /api/embed):
        ``fn(text)`` gives a text's vector; default: a bag of its words (texts that share
        words are close). Other models get the protocol's 404."""
        with self._lock:
            self._embedders[model] = fn or bag_of_words

    def reset(self) -> None:
        with self._lock:
            self._scripts.clear()
            self._fns.clear()
            self._embedders.clear()
            self.requests.clear()
        self.models = ["test-model", "other-model"]
        self.require_key = None
        self.page_limit = 1000
        self.models_error = None

    def requests_to(self, path_suffix: str) -> list[RequestRecord]:
        with self._lock:
            return [r for r in self.requests if r.path.endswith(path_suffix)]

    @property
    def last(self) -> RequestRecord:
        with self._lock:
            return self.requests[-1]

    async def wait_until(self, predicate: Callable[[], bool], within: float = 5.0) -> bool:
        """Poll ``predicate`` from an async test without blocking its loop."""
        deadline = time.monotonic() + within
        while time.monotonic() < deadline:
            if predicate():
                return True
            await asyncio.sleep(0.01)
        return predicate()

    def _reply_for(self, body: dict[str, Any]) -> Reply:
        model = str(body.get("model", ""))
        with self._lock:
            fn = self._fns.get(model)
            queue = self._scripts.get(model)
            if fn is None and queue:
                reply = queue.popleft() if len(queue) > 1 else queue[0]
            else:
                reply = None
        if fn is not None:
            got = fn(body)
            return got if isinstance(got, Reply) else Reply(text=got)
        return reply or Reply(text=f"echo: {last_user(body)}{images.described(body)}")

    # ------------------------------------------------------------ HTTP

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._conn_tasks.add(task)  # type: ignore[arg-type]
        self._connections += 1
        connection = self._connections
        try:
            while True:
                record = await self._read_request(reader)
                if record is None:
                    break
                record.connection = connection
                with self._lock:
                    self.requests.append(record)
                keep = await self._respond(record, reader, writer)
                if not keep:
                    break
        except (_Gone, ConnectionError, asyncio.IncompleteReadError):
            pass
        except asyncio.CancelledError:
            pass
        finally:
            self._conn_tasks.discard(task)  # type: ignore[arg-type]
            with contextlib.suppress(Exception):
                writer.close()

    async def _read_request(self, reader: asyncio.StreamReader) -> RequestRecord | None:
        try:
            head = await reader.readuntil(b"\r\n\r\n")
        except (asyncio.IncompleteReadError, ConnectionError):
            return None
        lines = head.decode("latin-1").split("\r\n")
        method, target, _ = lines[0].split(" ", 2)
        headers: dict[str, str] = {}
        for line in lines[1:]:
            if line:
                name, _, value = line.partition(":")
                headers[name.strip().lower()] = value.strip()
        body = b""
        if "content-length" in headers:
            body = await reader.readexactly(int(headers["content-length"]))
        elif headers.get("transfer-encoding", "").lower() == "chunked":
            while True:
                size = int((await reader.readuntil(b"\r\n")).split(b";")[0], 16)
                data = await reader.readexactly(size + 2)
                if size == 0:
                    break
                body += data[:-2]
        parts = urlsplit(target)
        try:
            parsed = json.loads(body) if body else None
        except ValueError:
            parsed = None
        return RequestRecord(
            method=method,
            path=parts.path,
            query=dict(parse_qsl(parts.query)),
            headers=headers,
            raw_target=target,
            body=body,
            json=parsed,
        )

    async def _embeddings(
        self, rec: RequestRecord, writer: asyncio.StreamWriter, keep: bool, *, ollama: bool
    ) -> None:
        """OpenAI's and Ollama's embeddings endpoints, byte-shaped like theirs."""
        rec.protocol = "ollama" if ollama else "openai"
        body = rec.json if isinstance(rec.json, dict) else {}
        model = str(body.get("model", ""))
        raw = body.get("input")
        texts = [raw] if isinstance(raw, str) else raw if isinstance(raw, list) else None
        with self._lock:
            fn = self._embedders.get(model)
        if fn is None or texts is None:
            if ollama:
                error: dict[str, Any] = {
                    "error": f'model "{model}" not found, try pulling it first'
                }
            else:
                error = OpenAI(Reply(), body).error_body(404, None)
            await self._send_json(writer, rec, 404 if fn is None else 400, error, {}, keep)
            return
        vectors = [fn(str(text)) for text in texts]
        tokens = sum(len(str(text).split()) for text in texts)
        if ollama:
            payload: dict[str, Any] = {
                "model": model,
                "embeddings": vectors,
                "total_duration": 1_000_000,
                "load_duration": 100_000,
                "prompt_eval_count": tokens,
            }
        else:
            payload = {
                "object": "list",
                "data": [
                    {"object": "embedding", "index": i, "embedding": v}
                    for i, v in enumerate(vectors)
                ],
                "model": model,
                "usage": {"prompt_tokens": tokens, "total_tokens": tokens},
            }
        await self._send_json(writer, rec, 200, payload, {}, keep)

    async def _respond(
        self, rec: RequestRecord, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> bool:
        keep = rec.headers.get("connection", "").lower() != "close"
        path, method = rec.path, rec.method
        anthropic_style = "anthropic-version" in rec.headers or "x-api-key" in rec.headers
        proto: type[Protocol] | None = None
        gemini_call = _GEMINI_CALL.match(path) if method == "POST" else None
        if gemini_call is not None:
            proto = Gemini
            rec.path_model = gemini_call.group("model")
        elif method == "GET" and path.endswith(f"/{gemini.API_VERSION}/models"):
            rec.protocol = "gemini"
            g = Gemini(Reply(), {})
            if not self._authorized(rec, "gemini"):
                status, err = g.auth_error(self._presented_key(rec))
                await self._send_json(writer, rec, status, err, {}, keep, g.error_indent)
                return keep
            page = gemini.model_list(self._all_models(), rec.query, self.page_limit)
            await self._send_json(writer, rec, 200, page, {}, keep)
            return keep
        elif method == "POST" and path.endswith("/chat/completions"):
            proto = OpenAI
        elif method == "POST" and path.endswith("/messages"):
            proto = Anthropic
        elif method == "POST" and path == "/api/chat":
            proto = Ollama
        elif method == "POST" and (path.endswith("/embeddings") or path == "/api/embed"):
            await self._embeddings(rec, writer, keep, ollama=path == "/api/embed")
            return keep
        elif method == "GET" and path.endswith("/models"):
            rec.protocol = "anthropic" if anthropic_style else "openai"
            if not self._authorized(rec, rec.protocol):
                body = (Anthropic if anthropic_style else OpenAI)(Reply(), {}).error_body(
                    401, self._presented_key(rec)
                )
                await self._send_json(writer, rec, 401, body, {}, keep)
                return keep
            if self.models_error is not None:
                failing = self.models_error
                proto_cls = Anthropic if anthropic_style else OpenAI
                body = proto_cls(failing, {}).error_body(failing.status, self._presented_key(rec))
                await self._send_json(writer, rec, failing.status, body, {}, keep)
                return keep
            await self._send_json(
                writer, rec, 200, self._model_list(rec, anthropic_style), {}, keep
            )
            return keep
        elif method == "GET" and path == "/api/tags":
            rec.protocol = "ollama"
            await self._send_json(writer, rec, 200, self._tags(), {}, keep)
            return keep
        if proto is None:
            await self._send_raw(writer, rec, 404, b"404 page not found", "text/plain", {}, keep)
            return keep
        body = rec.json if isinstance(rec.json, dict) else {}
        if rec.path_model is not None:
            body = {**body, "model": rec.path_model}
        rec.protocol = proto.name
        reply = self._reply_for(body)
        refused = images.problem(proto.name, body)
        if refused is not None:  # as the real API does: 400 before anything else
            etype = "invalid_request_error" if proto.name in ("openai", "anthropic") else None
            reply = Reply(status=400, error_type=etype, error_message=refused)
        p = proto(reply, body)
        if not self._authorized(rec, proto.name):
            status, err = p.auth_error(self._presented_key(rec))
            await self._send_json(writer, rec, status, err, {}, keep, p.error_indent)
            return keep
        if reply.hang:
            await self._wait_gone(reader, rec)
            return False
        extra = dict(reply.headers)
        if reply.retry_after is not None and not p.retry_in_body:
            extra["retry-after"] = str(reply.retry_after)
        if reply.status != 200:
            err = p.error_body(reply.status, self._presented_key(rec))
            await self._send_json(writer, rec, reply.status, err, extra, keep, p.error_indent)
            return keep
        if gemini_call is not None:
            if gemini_call.group("method") == "streamGenerateContent":
                return await self._stream(p, rec, reader, writer, extra, keep)
            await self._send_json(writer, rec, 200, p.whole(), extra, keep)
            return keep
        if body.get("stream") is False or (proto is Ollama and body.get("stream") is False):
            await self._send_json(writer, rec, 200, p.whole(), extra, keep)
            return keep
        if proto is Ollama or body.get("stream"):
            return await self._stream(p, rec, reader, writer, extra, keep)
        await self._send_json(writer, rec, 200, p.whole(), extra, keep)
        return keep

    # ------------------------------------------------------------ pieces

    def _presented_key(self, rec: RequestRecord) -> str | None:
        if "x-api-key" in rec.headers:
            return rec.headers["x-api-key"]
        if "x-goog-api-key" in rec.headers:
            return rec.headers["x-goog-api-key"]
        if "key" in rec.query:  # Gemini also takes ?key= (mmchat never sends it)
            return rec.query["key"]
        auth = rec.headers.get("authorization", "")
        return auth[7:] if auth.lower().startswith("bearer ") else None

    def _authorized(self, rec: RequestRecord, protocol: str) -> bool:
        if self.require_key is None:
            return True
        return self._presented_key(rec) == self.require_key

    def _all_models(self) -> list[str]:
        with self._lock:
            scripted = [m for m in [*self._scripts, *self._fns] if m not in self.models]
        return [*self.models, *scripted]

    def _model_list(self, rec: RequestRecord, anthropic_style: bool) -> dict[str, Any]:
        ids = self._all_models()
        if not anthropic_style:
            return {
                "object": "list",
                "data": [
                    {"id": m, "object": "model", "created": 1700000000, "owned_by": "fake"}
                    for m in ids
                ],
            }
        limit = min(int(rec.query.get("limit", "20")), self.page_limit)
        start = 0
        if "after_id" in rec.query and rec.query["after_id"] in ids:
            start = ids.index(rec.query["after_id"]) + 1
        page = ids[start : start + limit]
        return {
            "data": [
                {"type": "model", "id": m, "display_name": m, "created_at": "2025-01-01T00:00:00Z"}
                for m in page
            ],
            "has_more": start + limit < len(ids),
            "first_id": page[0] if page else None,
            "last_id": page[-1] if page else None,
        }

    def _tags(self) -> dict[str, Any]:
        return {
            "models": [
                {
                    "name": m,
                    "model": m,
                    "modified_at": "2025-01-01T00:00:00Z",
                    "size": 1000,
                    "digest": "0" * 64,
                    "details": {
                        "format": "gguf",
                        "family": "llama",
                        "parameter_size": "1B",
                        "quantization_level": "Q4_0",
                    },
                }
                for m in self._all_models()
            ]
        }

    @staticmethod
    def _status_line(status: int) -> bytes:
        return f"HTTP/1.1 {status} {_REASONS.get(status, 'Error')}\r\n".encode()

    async def _send_raw(
        self,
        writer: asyncio.StreamWriter,
        rec: RequestRecord,
        status: int,
        payload: bytes,
        content_type: str,
        extra: dict[str, str],
        keep: bool,
    ) -> None:
        headers = {
            "content-type": content_type,
            "content-length": str(len(payload)),
            "x-request-id": "req_fake01",
            **extra,
        }
        if not keep:
            headers["connection"] = "close"
        head = (
            self._status_line(status)
            + "".join(f"{k}: {v}\r\n" for k, v in headers.items()).encode()
        )
        writer.write(head + b"\r\n" + payload)
        await writer.drain()
        rec.mark_completed()

    async def _send_json(
        self,
        writer: asyncio.StreamWriter,
        rec: RequestRecord,
        status: int,
        obj: Any,
        extra: dict[str, str],
        keep: bool,
        indent: int | None = None,
    ) -> None:
        payload = json.dumps(obj, indent=indent).encode()
        ctype = "application/json" + ("; charset=UTF-8" if indent else "")
        await self._send_raw(writer, rec, status, payload, ctype, extra, keep)

    async def _wait_gone(self, reader: asyncio.StreamReader, rec: RequestRecord) -> None:
        while await reader.read(65536):
            pass
        rec.disconnected = True

    async def _stream(
        self,
        p: Protocol,
        rec: RequestRecord,
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
        extra: dict[str, str],
        keep: bool,
    ) -> bool:
        reply = p.reply
        ctype = p.content_type + ("; charset=utf-8" if p.content_type.startswith("text/") else "")
        headers = {
            "content-type": ctype,
            "transfer-encoding": "chunked",
            "cache-control": "no-cache",
            "x-request-id": "req_fake01",
            **extra,
        }
        head = (
            self._status_line(200) + "".join(f"{k}: {v}\r\n" for k, v in headers.items()).encode()
        )
        # Watch the socket: EOF while we stream means the client cancelled.
        watch = asyncio.ensure_future(reader.read(1))

        async def send(data: bytes) -> None:
            if watch.done() or writer.is_closing():
                raise _Gone
            writer.write(b"%x\r\n%s\r\n" % (len(data), data))
            await writer.drain()

        async def pause(seconds: float) -> None:
            if seconds > 0:
                await asyncio.wait({watch}, timeout=seconds)
            if watch.done():
                raise _Gone

        try:
            writer.write(head + b"\r\n")
            for frame in p.head():
                await send(frame)
            keepalive = p.keepalive_frame()
            for i, frame in enumerate(p.content()):
                if reply.cut_after == i:
                    return await self._cut(writer, rec, watch)
                if reply.error_after == i:
                    await send(p.error_frame())
                    return await self._end(writer, rec, watch, keep)
                if reply.malformed_after == i:
                    await send(p.malformed_frame())
                    return await self._end(writer, rec, watch, keep)
                if reply.truncate_after == i:
                    return await self._end(writer, rec, watch, keep)
                await pause(reply.first_delay if i == 0 else reply.gap())
                if keepalive:
                    await send(keepalive)
                await send(frame)
            n = p.n_chunks
            if reply.cut_after is not None and reply.cut_after >= n:
                return await self._cut(writer, rec, watch)
            if reply.error_after is not None and reply.error_after >= n:
                await send(p.error_frame())
                return await self._end(writer, rec, watch, keep)
            if reply.truncate_after is not None and reply.truncate_after >= n:
                return await self._end(writer, rec, watch, keep)
            for frame in p.tail():
                await send(frame)
            return await self._end(writer, rec, watch, keep)
        except (_Gone, ConnectionError):
            rec.disconnected = True
            watch.cancel()
            return False

    async def _end(
        self,
        writer: asyncio.StreamWriter,
        rec: RequestRecord,
        watch: asyncio.Future[bytes],
        keep: bool,
    ) -> bool:
        if watch.done():
            rec.disconnected = True
            return False
        writer.write(b"0\r\n\r\n")
        await writer.drain()
        watch.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await watch
        rec.mark_completed()
        return keep

    async def _cut(
        self, writer: asyncio.StreamWriter, rec: RequestRecord, watch: asyncio.Future[bytes]
    ) -> bool:
        # A graceful FIN mid-body: the client sees an incomplete chunked message.
        await writer.drain()
        watch.cancel()
        writer.close()
        return False
