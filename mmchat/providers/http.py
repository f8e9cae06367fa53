"""The shared httpx client and the mapping of HTTP failures to ProviderError.

Every HTTP provider kind funnels its requests through :func:`open_stream` /
:func:`get_json`, so a 429 or a refused connection reads the same whatever the wire
protocol. Messages are one line a user can act on and never carry a key: server text
is scrubbed of the key (some servers echo part of it back) before it is shown, and
URLs (base URLs, proxies) lose any ``user:password@`` part. A failure on the way
through a proxy names the proxy (mmchat.providers.network marks the request), and an
untrusted certificate says which setting adds a CA.
"""

from __future__ import annotations

import asyncio
import json
import re
import ssl
import time
from collections.abc import AsyncIterator, Callable, Mapping
from contextlib import asynccontextmanager, suppress
from dataclasses import dataclass, field
from email.utils import parsedate_to_datetime
from typing import Any, Protocol

import httpx

from mmchat.netconfig import scrub_url
from mmchat.providers.base import ErrorKind, ProviderError
from mmchat.providers.network import DEFAULT_CONNECT_TIMEOUT as DEFAULT_CONNECT_TIMEOUT
from mmchat.providers.network import DEFAULT_READ_TIMEOUT as DEFAULT_READ_TIMEOUT
from mmchat.providers.network import USER_AGENT as USER_AGENT
from mmchat.providers.network import ProxyRoute, build_client, request_of, route_of

# A server may ask for any wait; we keep the number sane. The retry policy applies
# its own (smaller) cap to how long it actually sleeps.
RETRY_AFTER_MAX = 24 * 3600.0
_MAX_DETAIL = 160


def make_client() -> httpx.AsyncClient:
    """The AsyncClient the providers without their own proxy / CA set-up share.

    Proxies from the environment, the OS trust store (mmchat.providers.network).
    Timeouts are set per request from each provider's config (:func:`timeout_for`);
    the client default only guards requests that forget to pass one.
    """
    return build_client()


class _TimeoutConfig(Protocol):
    @property
    def read_timeout(self) -> float: ...


def timeout_for(cfg: _TimeoutConfig) -> httpx.Timeout:
    """Per-request timeouts: ``read`` is the longest gap between chunks, not a total."""
    connect = float(getattr(cfg, "connect_timeout", DEFAULT_CONNECT_TIMEOUT))
    read = float(cfg.read_timeout)
    return httpx.Timeout(connect=connect, read=read, write=30.0, pool=read)


def base_url_of(url: object) -> str:
    """``cfg.base_url`` as a string without a trailing slash."""
    return str(url).rstrip("/")


def display_url(url: str) -> str:
    """A URL fit for messages: any ``user:password@`` part removed."""
    return scrub_url(url)


@dataclass(frozen=True, slots=True)
class ErrorContext:
    """What error messages may mention about one request (never the key itself)."""

    provider: str
    base_url: str
    model: str | None = None
    key_name: str | None = None  # name for `mmchat keys set NAME`
    read_timeout: float | None = None
    secrets: tuple[str, ...] = field(default=(), repr=False)  # scrubbed from server text

    def fail(self, kind: ErrorKind, message: str, **kw: Any) -> ProviderError:
        return ProviderError(kind, message, provider=self.provider, **kw)


# ---------------------------------------------------------------- server text

_KEYLIKE = re.compile(r"\b(sk|key|pk|rk)-[A-Za-z0-9_\-*.]{6,}")


def clean_text(text: str, secrets: tuple[str, ...] = ()) -> str:
    """One short line of server text, with keys (and key-like tokens) removed."""
    for secret in secrets:
        if secret:
            text = text.replace(secret, "***")
    text = _KEYLIKE.sub(r"\1-***", text)
    text = " ".join(text.split())
    return text if len(text) <= _MAX_DETAIL else text[: _MAX_DETAIL - 1] + "…"


def error_fields(payload: Any) -> tuple[str, str, str]:
    """(type, code, message) from any of the error shapes the protocols use.

    OpenAI ``{"error": {type, code, message}}``, Anthropic ``{"type": "error",
    "error": {type, message}}``, Ollama ``{"error": "..."}``.
    """
    if not isinstance(payload, dict):
        return "", "", ""
    err = payload.get("error", payload)
    if isinstance(err, str):
        return "", "", err
    if isinstance(err, dict):
        return (
            str(err.get("type") or ""),
            str(err.get("code") or ""),
            str(err.get("message") or err.get("detail") or ""),
        )
    return "", "", ""


def parse_retry_after(headers: Mapping[str, str], now: float | None = None) -> float | None:
    """Seconds to wait from ``retry-after-ms``, else ``retry-after`` (seconds or date)."""
    value: float | None = None
    ms = headers.get("retry-after-ms")
    if ms:
        try:
            value = float(ms) / 1000.0
        except ValueError:
            value = None
    raw = headers.get("retry-after")
    if value is None and raw:
        try:
            value = float(raw)
        except ValueError:
            try:
                when = parsedate_to_datetime(raw).timestamp()
            except (TypeError, ValueError, IndexError):
                return None
            value = when - (time.time() if now is None else now)
    if value is None or value != value:  # NaN
        return None
    return min(max(value, 0.0), RETRY_AFTER_MAX)


def _fmt_seconds(seconds: float) -> str:
    return f"{seconds:.0f}s" if seconds >= 1 or seconds == 0 else f"{seconds:.1f}s"


def error_from_status(
    status: int | None,
    etype: str,
    code: str,
    detail: str,
    ctx: ErrorContext,
    *,
    retry_after: float | None = None,
    body_is_json: bool = True,
    proxy: ProxyRoute | None = None,
) -> ProviderError:
    """Map a status and/or an error type to the right ErrorKind and one-line message.

    Branches on the error *type* first (Anthropic's overloaded_error may come as 429,
    OpenAI's insufficient_quota is a 429 that must not be retried), then on status.
    ``proxy`` is the proxy the request went through: a 407 is its answer, and a
    gateway error (502-504) may be.
    """
    t = f"{etype} {code}".lower()
    detail = clean_text(detail, ctx.secrets)
    tail = f": {detail}" if detail else ""
    where = f" ({status})" if status else ""
    kw: dict[str, Any] = {"status": status, "retry_after": retry_after}
    if status == 407:
        return _proxy_auth_required(ctx, proxy, status=407, retry_after=retry_after)
    if proxy is not None and status in (502, 503, 504):
        tail = f"{tail} (through the proxy {proxy.shown})"
    if "insufficient_quota" in t or "billing" in t or status == 402:
        return ctx.fail(
            ErrorKind.QUOTA, f"out of credits or quota{where}: check your plan and billing", **kw
        )
    if "overloaded" in t or status == 529:
        return ctx.fail(ErrorKind.OVERLOADED, f"server overloaded{where}, try again shortly", **kw)
    if "rate_limit" in t or status == 429:
        wait = f", retry after {_fmt_seconds(retry_after)}" if retry_after is not None else ""
        return ctx.fail(ErrorKind.RATE_LIMITED, f"rate limited{where}{wait}", **kw)
    if status == 401 or "authentication" in t or "invalid_api_key" in t:
        hint = (
            f"check the key with `mmchat keys set {ctx.key_name}`"
            if ctx.key_name
            else "check the API key"
        )
        return ctx.fail(ErrorKind.AUTH, f"authentication failed{where}: {hint}", **kw)
    if status == 403 or "permission" in t:
        return ctx.fail(ErrorKind.AUTH, f"permission denied{where}{tail}", **kw)
    if status == 404 or "not_found" in t:
        if ctx.model and (body_is_json or not detail):
            return ctx.fail(
                ErrorKind.NOT_FOUND,
                f"model '{ctx.model}' not found{where}: check the model id or run `mmchat models`",
                **kw,
            )
        return ctx.fail(
            ErrorKind.NOT_FOUND,
            f"endpoint not found{where} at {display_url(ctx.base_url)}: check base_url",
            **kw,
        )
    if status == 408 or "timeout" in t:
        return ctx.fail(ErrorKind.TIMEOUT, f"server timed out{where}{tail}", **kw)
    if status in (400, 413, 422) or "invalid_request" in t:
        return ctx.fail(ErrorKind.BAD_REQUEST, f"bad request{where}{tail}", **kw)
    if status == 409 or (status is not None and status >= 500) or status is None:
        what = "server error" if status is not None else "error from server"
        return ctx.fail(ErrorKind.SERVER, f"{what}{where}{tail}", **kw)
    if 300 <= status < 400:
        return ctx.fail(
            ErrorKind.BAD_RESPONSE,
            f"unexpected redirect{where} from {display_url(ctx.base_url)}: check base_url "
            "(http vs https, path)",
            **kw,
        )
    return ctx.fail(ErrorKind.BAD_RESPONSE, f"unexpected status{where}{tail}", **kw)


def _proxy_auth_required(
    ctx: ErrorContext, proxy: ProxyRoute | None, *, status: int, **kw: Any
) -> ProviderError:
    shown = f" {proxy.shown}" if proxy else ""
    return ctx.fail(
        ErrorKind.AUTH,
        f"the proxy{shown} asks for a user and password ({status}): give them in the "
        "proxy URL in the environment (http://USER:PASSWORD@HOST:PORT), or check them",
        status=status,
        **kw,
    )


def error_from_response(
    status: int,
    body: bytes,
    headers: Mapping[str, str],
    ctx: ErrorContext,
    proxy: ProxyRoute | None = None,
) -> ProviderError:
    """A non-2xx HTTP response (status, body, headers) as a ProviderError."""
    text = body.decode("utf-8", "replace")
    try:
        payload = json.loads(text)
        is_json = True
    except ValueError:
        payload, is_json = None, False
    etype, code, detail = error_fields(payload)
    if not is_json:
        # HTML error pages from proxies say nothing useful; plain text might.
        detail = "" if text.lstrip().startswith("<") else text
    return error_from_status(
        status,
        etype,
        code,
        detail,
        ctx,
        retry_after=parse_retry_after(headers),
        body_is_json=is_json,
        proxy=proxy,
    )


# How a protocol reads a non-2xx response: (status, body, headers, ctx, the proxy it
# went through) -> the error.
ErrorMapper = Callable[
    [int, bytes, Mapping[str, str], ErrorContext, "ProxyRoute | None"], ProviderError
]


def error_from_payload(payload: Any, ctx: ErrorContext) -> ProviderError:
    """An error that arrived inside a 200 stream (an ``error`` event or key)."""
    etype, code, detail = error_fields(payload)
    status = int(code) if code.isdigit() else None  # OpenRouter puts the status in code
    err = error_from_status(status, etype, code, detail, ctx)
    if err.kind is ErrorKind.SERVER and detail and status is None:
        return ctx.fail(ErrorKind.SERVER, f"error in stream: {clean_text(detail, ctx.secrets)}")
    return err


def error_from_exception(
    exc: httpx.HTTPError, ctx: ErrorContext, *, in_stream: bool
) -> ProviderError:
    """A transport failure (no usable response) as a ProviderError."""
    base = display_url(ctx.base_url)
    proxy = route_of(request_of(exc))
    via = f" through the proxy {proxy.shown}" if proxy else ""
    untrusted = _certificate_error(exc)
    if untrusted is not None:
        return ctx.fail(
            ErrorKind.AUTH,
            f"the TLS certificate of {base} is not trusted{via} ({untrusted}): if a proxy "
            "inspects TLS, set the provider's ca_bundle (or SSL_CERT_FILE) to its root CA",
        )
    if isinstance(exc, httpx.ProxyError):  # the proxy answered CONNECT with an error
        status, _, reason = str(exc).partition(" ")
        if status in ("401", "407"):  # tinyproxy answers 401 to a wrong password
            return _proxy_auth_required(ctx, proxy, status=int(status))
        what = f"{status} {reason}".strip() or type(exc).__name__
        kind = ErrorKind.AUTH if status in ("401", "403") else ErrorKind.CONNECTION
        shown = proxy.shown if proxy else "the proxy"
        return ctx.fail(kind, f"the proxy {shown} would not connect to {base}: {what}")
    if isinstance(exc, httpx.ConnectTimeout):
        return ctx.fail(ErrorKind.TIMEOUT, f"timed out connecting to {base}{via}")
    if isinstance(exc, httpx.ReadTimeout):
        secs = f" within {ctx.read_timeout:g}s" if ctx.read_timeout else ""
        return ctx.fail(
            ErrorKind.TIMEOUT,
            f"no data from {base}{secs}: the model may be slow (raise read_timeout)",
        )
    if isinstance(exc, httpx.TimeoutException):
        return ctx.fail(ErrorKind.TIMEOUT, f"timed out talking to {base}{via}")
    if isinstance(exc, httpx.ConnectError):
        if proxy is not None:
            return ctx.fail(
                ErrorKind.CONNECTION,
                f"cannot reach the proxy {proxy.shown} — is it running? (on the way to {base})",
            )
        return ctx.fail(ErrorKind.CONNECTION, f"cannot reach {base} — is the server running?")
    if in_stream and isinstance(exc, (httpx.RemoteProtocolError, httpx.ReadError)):
        return ctx.fail(ErrorKind.STREAM_INTERRUPTED, f"connection to {base} closed mid-answer")
    if isinstance(exc, (httpx.RemoteProtocolError, httpx.ReadError, httpx.WriteError)):
        if proxy is not None:
            return ctx.fail(
                ErrorKind.CONNECTION,
                f"the proxy {proxy.shown} closed the connection before {base} replied",
            )
        return ctx.fail(ErrorKind.CONNECTION, f"{base} closed the connection before replying")
    return ctx.fail(ErrorKind.CONNECTION, f"request to {base} failed{via} ({type(exc).__name__})")


def _certificate_error(exc: BaseException) -> str | None:
    """OpenSSL's reason if a certificate check failed somewhere under ``exc``."""
    seen: BaseException | None = exc
    for _ in range(8):  # causes are short chains; never loop on a cycle
        if seen is None:
            return None
        if isinstance(seen, ssl.SSLCertVerificationError):
            return str(seen.verify_message or seen.reason or "verification failed")
        seen = seen.__cause__ or seen.__context__
    return None


# ---------------------------------------------------------------- requests


class StreamState:
    """Whether a streamed body has started; decides CONNECTION vs STREAM_INTERRUPTED."""

    __slots__ = ("started",)

    def __init__(self) -> None:
        self.started = False


@asynccontextmanager
async def open_stream(
    client: httpx.AsyncClient,
    url: str,
    *,
    body: dict[str, Any],
    headers: Mapping[str, str],
    timeouts: httpx.Timeout,
    ctx: ErrorContext,
    state: StreamState | None = None,
    error_mapper: ErrorMapper = error_from_response,
) -> AsyncIterator[httpx.Response]:
    """POST ``body`` and yield the 2xx streaming response; all failures as ProviderError.

    httpx errors raised while the caller reads the body inside the ``async with`` are
    mapped too. ``state.started`` may be set by the caller once content has arrived,
    so that a cut before any content stays a retryable CONNECTION error. A non-2xx
    response goes to ``error_mapper`` (a protocol with its own error shape passes one).
    """
    state = state or StreamState()
    try:
        async with client.stream(
            "POST", url, json=body, headers=dict(headers), timeout=timeouts
        ) as response:
            if not 200 <= response.status_code < 300:
                raw = await response.aread()
                raise error_mapper(
                    response.status_code, raw, response.headers, ctx, route_of(response.request)
                )
            yield response
    except httpx.HTTPError as exc:
        raise error_from_exception(exc, ctx, in_stream=state.started) from exc
    except (AttributeError, IndexError, KeyError, TypeError, ValueError) as exc:
        # Valid JSON of the wrong shape from a broken server or gateway ("choices": 3,
        # "delta": []...) while the caller parsed the body: a bad response, not a crash.
        raise ctx.fail(
            ErrorKind.BAD_RESPONSE,
            f"unexpected data in the stream from {display_url(ctx.base_url)}",
        ) from exc


async def post_json(
    client: httpx.AsyncClient,
    url: str,
    *,
    body: dict[str, Any],
    headers: Mapping[str, str],
    timeouts: httpx.Timeout,
    ctx: ErrorContext,
) -> Any:
    """POST ``body`` and read a JSON reply (embeddings); failures as ProviderError."""
    try:
        response = await client.post(url, json=body, headers=dict(headers), timeout=timeouts)
    except httpx.HTTPError as exc:
        raise error_from_exception(exc, ctx, in_stream=False) from exc
    if not 200 <= response.status_code < 300:
        raise error_from_response(response.status_code, response.content, response.headers, ctx)
    try:
        return response.json()
    except ValueError as exc:
        raise ctx.fail(ErrorKind.BAD_RESPONSE, f"invalid JSON from {display_url(url)}") from exc


def vectors_or_fail(items: Any, count: int, ctx: ErrorContext) -> list[list[float]]:
    """``count`` embedding vectors (lists of numbers) or BAD_RESPONSE."""
    if not isinstance(items, list) or len(items) != count:
        raise ctx.fail(ErrorKind.BAD_RESPONSE, f"expected {count} embeddings in the reply")
    vectors: list[list[float]] = []
    for item in items:
        if not isinstance(item, list) or not all(isinstance(x, (int, float)) for x in item):
            raise ctx.fail(ErrorKind.BAD_RESPONSE, "an embedding that is not a list of numbers")
        vectors.append([float(x) for x in item])
    return vectors


async def get_json(
    client: httpx.AsyncClient,
    url: str,
    *,
    headers: Mapping[str, str],
    timeouts: httpx.Timeout,
    ctx: ErrorContext,
    params: Mapping[str, str] | None = None,
    error_mapper: ErrorMapper = error_from_response,
) -> Any:
    """GET a JSON document (model lists); failures as ProviderError."""
    try:
        response = await client.get(url, headers=dict(headers), timeout=timeouts, params=params)
    except httpx.HTTPError as exc:
        raise error_from_exception(exc, ctx, in_stream=False) from exc
    if not 200 <= response.status_code < 300:
        raise error_mapper(
            response.status_code,
            response.content,
            response.headers,
            ctx,
            route_of(response.request),
        )
    try:
        return response.json()
    except ValueError as exc:
        raise ctx.fail(ErrorKind.BAD_RESPONSE, f"invalid JSON from {url}") from exc


def loads_or_fail(data: str, ctx: ErrorContext) -> Any:
    """json.loads for one stream event; malformed data is BAD_RESPONSE."""
    try:
        return json.loads(data)
    except ValueError as exc:
        snippet = clean_text(data[:60], ctx.secrets)
        raise ctx.fail(ErrorKind.BAD_RESPONSE, f"malformed JSON in stream: {snippet!r}") from exc


async def drain(rest: AsyncIterator[Any], seconds: float = 1.0) -> None:
    """Read what follows the end marker so the connection goes back to the pool.

    Breaking out early would close the connection (a new TCP/TLS handshake for the
    next call). A server that keeps the body open after its end marker costs at most
    ``seconds``; errors there are ignored, the answer is already complete.
    """
    with suppress(TimeoutError, httpx.HTTPError):
        async with asyncio.timeout(seconds):
            async for _ in rest:
                pass
