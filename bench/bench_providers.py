"""mmchat's provider layer vs a bare httpx client on the same loopback stream.

For each protocol the fake server streams the same scripted answer (2,000 content
chunks) and we measure, in the client's thread only:

- time to first token (request start -> first text chunk in hand),
- total time (request start -> stream fully consumed),
- CPU time of the client (time.thread_time).

The server runs in its own process (``python -m tests.fakeserver``) so that it does
not compete with the client for the GIL and skew the timings.

Two scenarios: unthrottled (the CPU-bound worst case) and paced at 1,000 chunks/s
(still far faster than a real model). The bare client is a plain ``httpx.AsyncClient``
doing the minimum needed to get the text the way the providers parse it: httpx-sse's
``EventSource`` plus ``json.loads`` of each event for the SSE protocols (OpenAI,
Anthropic), ``aiter_lines`` plus ``json.loads`` for Ollama's NDJSON. Targets, on the
median over rounds of mmchat's run against the bare run just before it: <= 1 ms added
to the first token; total <= 1.10x bare unthrottled, <= 1.01x paced. "tail" is the
time from the server's last byte to the stream's end in the client (what the read
pacing adds, whatever the server's own speed), and each scenario says how long the
server took to send its streams to each client. On this 2-core machine the co-located
server itself sends 1-3 % slower to mmchat's batching client (measured 2026-12-04; a
raw socket client pausing the same way does not slow it, so most likely the batches'
CPU bursts delay the server's 1 ms timers); a remote server would not be.

Run: .venv/bin/python bench/bench_providers.py
"""

from __future__ import annotations

import asyncio
import json
import statistics
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
from httpx_sse import EventSource

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from mmchat.api import Message  # noqa: E402
from mmchat.config_schema import (  # noqa: E402
    AnthropicProviderConfig,
    OllamaProviderConfig,
    OpenAIProviderConfig,
)
from mmchat.providers import make_provider  # noqa: E402
from mmchat.providers.base import ChatRequest, TextPart  # noqa: E402
from mmchat.providers.http import make_client  # noqa: E402


@dataclass(frozen=True)
class Scenario:
    title: str
    model: str
    chunks: int
    rounds: int
    max_ratio: float  # target: mmchat's total / bare total (medians)
    tokens_per_second: float | None = None

    def reply(self) -> str:
        fields: dict[str, Any] = {"text": "abcd" * self.chunks, "chunk_chars": 4}
        if self.tokens_per_second:
            fields["tokens_per_second"] = self.tokens_per_second
        return json.dumps(fields)


SCENARIOS = [
    # CPU-bound worst case: the server sends as fast as loopback allows.
    Scenario("unthrottled", "bench", chunks=2000, rounds=15, max_ratio=1.10),
    # Still far faster than any real model, but paced like a real stream.
    Scenario(
        "paced at 1,000 chunks/s",
        "paced",
        chunks=500,
        rounds=7,
        max_ratio=1.01,
        tokens_per_second=1000,
    ),
]

Result = tuple[float, float, float, int, float]  # ttft, total, cpu, chars, end (monotonic)
MAX_ADDED_TTFT_MS = 1.0


@dataclass(frozen=True)
class Server:
    url: str
    proc: subprocess.Popen[str]

    def timings(self) -> list[tuple[float, float]]:
        """(first byte read, last byte written) of each response since the last call,
        as the server timed them (``time.monotonic()``: one clock for both processes)."""
        assert self.proc.stdin is not None and self.proc.stdout is not None
        self.proc.stdin.write("timings\n")
        self.proc.stdin.flush()
        return [(float(row[1]), float(row[2])) for row in json.loads(self.proc.stdout.readline())]

    @property
    def openai_url(self) -> str:
        return f"{self.url}/v1"

    anthropic_url = openai_url

    @property
    def ollama_url(self) -> str:
        return self.url


def request_body(proto: str, model: str) -> dict[str, Any]:
    messages = [{"role": "user", "content": "go"}]
    if proto == "openai":
        return {
            "model": model,
            "messages": messages,
            "stream": True,
            "stream_options": {"include_usage": True},
        }
    if proto == "anthropic":
        return {"model": model, "messages": messages, "max_tokens": 4096, "stream": True}
    return {"model": model, "messages": messages, "stream": True}


def extract(proto: str, data: str) -> str:
    """The bare client's whole parser: the text of one NDJSON line or SSE event's data."""
    if proto == "ollama":
        return str(json.loads(data).get("message", {}).get("content") or "")
    if data == "[DONE]":
        return ""
    obj = json.loads(data)
    if proto == "openai":
        choices = obj.get("choices") or [{}]
        return str((choices[0].get("delta") or {}).get("content") or "")
    delta = obj.get("delta") or {}
    return str(delta.get("text") or "") if delta.get("type") == "text_delta" else ""


async def lines_or_events(proto: str, resp: httpx.Response) -> AsyncIterator[str]:
    if proto == "ollama":
        async for line in resp.aiter_lines():
            if line:
                yield line
    else:
        async for event in EventSource(resp).aiter_sse():
            yield event.data


async def bare(client: httpx.AsyncClient, server: Server, proto: str, model: str) -> Result:
    url = {
        "openai": f"{server.openai_url}/chat/completions",
        "anthropic": f"{server.anthropic_url}/messages",
        "ollama": f"{server.ollama_url}/api/chat",
    }[proto]
    headers = {"anthropic-version": "2023-06-01"} if proto == "anthropic" else {}
    cpu0, t0 = time.thread_time(), time.perf_counter()
    ttft = None
    chars = 0
    async with client.stream("POST", url, json=request_body(proto, model), headers=headers) as resp:
        async for data in lines_or_events(proto, resp):
            text = extract(proto, data)
            if text:
                if ttft is None:
                    ttft = time.perf_counter() - t0
                chars += len(text)
    end = time.perf_counter()
    return ttft or 0.0, end - t0, time.thread_time() - cpu0, chars, time.monotonic()


def mmchat_runner(
    client: httpx.AsyncClient, server: Server, proto: str, model: str
) -> Callable[[], Awaitable[Result]]:
    cfg: Any = {
        "openai": OpenAIProviderConfig(kind="openai", base_url=server.openai_url),
        "anthropic": AnthropicProviderConfig(kind="anthropic", base_url=server.anthropic_url),
        "ollama": OllamaProviderConfig(kind="ollama", base_url=server.ollama_url),
    }[proto]
    provider = make_provider(proto, cfg, client, None)
    request = ChatRequest(model=model, messages=[Message("user", "go")])

    async def run() -> Result:
        cpu0, t0 = time.thread_time(), time.perf_counter()
        ttft = None
        chars = 0
        async for part in provider.stream(request):
            if isinstance(part, TextPart):
                if ttft is None:
                    ttft = time.perf_counter() - t0
                chars += len(part.text)
        end = time.perf_counter()
        return ttft or 0.0, end - t0, time.thread_time() - cpu0, chars, time.monotonic()

    return run


async def bench(server: Server, sc: Scenario) -> bool:
    ok = True
    print(
        f"\n{sc.title}: {sc.chunks} chunks per stream, {sc.rounds} alternating rounds per"
        " client, loopback; median (best) per figure; tail: from the server's last byte"
        " to the stream's end in the client\n"
    )
    print(
        f"{'protocol':<10} {'client':<7} {'ttft ms':>14} {'total ms':>15} {'cpu ms':>15}"
        f" {'tail ms':>13}   {'Δttft ms':>13} {'total ×':>13} {'cpu ×':>6}"
    )
    print(f"{'':<84}(paired median, best vs best)")
    for proto in ("openai", "anthropic", "ollama"):
        async with httpx.AsyncClient(timeout=30, trust_env=False) as plain, make_client() as ours:
            run_ours = mmchat_runner(ours, server, proto, sc.model)
            await bare(plain, server, proto, sc.model)  # warm up both connection pools
            await run_ours()
            server.timings()  # forget the warm-up
            results: dict[str, list[Result]] = {"bare": [], "mmchat": []}
            for _ in range(sc.rounds):
                results["bare"].append(await bare(plain, server, proto, sc.model))
                results["mmchat"].append(await run_ours())
        assert {r[3] for r in results["bare"] + results["mmchat"]} == {sc.chunks * 4}
        served = server.timings()  # in request order: bare, mmchat, bare, mmchat...
        tails = {
            name: [r[4] - served[2 * i + k][1] for i, r in enumerate(results[name])]
            for k, name in enumerate(("bare", "mmchat"))
        }
        spans = {
            name: statistics.median(end - start for start, end in served[k::2])
            for k, name in enumerate(("bare", "mmchat"))
        }
        med = {
            n: [statistics.median(r[i] for r in rs) for i in range(3)] for n, rs in results.items()
        }
        best = {n: [min(r[i] for r in rs) for i in range(3)] for n, rs in results.items()}
        for name in ("bare", "mmchat"):
            cells = "".join(
                f" {med[name][i] * 1000:>7.1f} ({best[name][i] * 1000:>5.1f})" for i in range(3)
            )
            tail = tails[name]
            cells += f" {statistics.median(tail) * 1000:>5.1f} ({min(tail) * 1000:>5.1f})"
            extra = ""
            if name == "mmchat":
                # paired: each round's mmchat run against the bare run just before it,
                # so that a slow spell of the shared machine hits both sides
                pairs = list(zip(results["bare"], results["mmchat"], strict=True))
                d_med = statistics.median(m[0] - b[0] for b, m in pairs) * 1000
                d_best = (best["mmchat"][0] - best["bare"][0]) * 1000
                r_med = statistics.median(m[1] / b[1] for b, m in pairs)
                r_best = best["mmchat"][1] / best["bare"][1]
                cpu = med["mmchat"][2] / med["bare"][2]
                extra = (
                    f"   {d_med:>5.2f} ({d_best:>5.2f}) {r_med:>5.3f} ({r_best:>5.3f}) {cpu:>6.2f}"
                )
                verdict = d_med <= MAX_ADDED_TTFT_MS and r_med <= sc.max_ratio
                ok = ok and verdict
            print(f"{proto:<10} {name:<7}{cells}{extra}")
        print(
            f"{'':<18}target (medians) Δttft <= {MAX_ADDED_TTFT_MS:g} ms, total <= "
            f"{sc.max_ratio:.2f}x: {'OK' if verdict else 'MISSED'}; the server sent its"
            f" streams in {spans['bare'] * 1000:.1f} (bare) / {spans['mmchat'] * 1000:.1f}"
            " ms (mmchat)"
        )
    return ok


def main() -> int:
    script = [a for sc in SCENARIOS for a in ("--model", sc.model, "--reply", sc.reply())]
    proc = subprocess.Popen(
        [sys.executable, "-m", "tests.fakeserver", *script],
        cwd=ROOT,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        server = Server(proc.stdout.readline().strip(), proc)
        ok = all([asyncio.run(bench(server, sc)) for sc in SCENARIOS])
    finally:
        assert proc.stdin is not None
        proc.stdin.close()  # the server exits when its stdin closes
        proc.wait(10)
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
