"""Tokens/s of the local model as mmchat sees it vs. what llama.cpp reports.

Starts the embedded SmolLM2 GGUF (or --gguf) through the ``local`` provider, streams
a few answers of --tokens tokens (``ignore_eos`` so every run is full length) and
compares, per run:

* mmchat: completion tokens (from the usage block) / time from first to last token,
  measured on the client side, after SSE parsing and the provider's stream parts;
* server: llama.cpp's own ``timings.predicted_per_second`` (tokens / generation time,
  the same first-to-last-token span measured inside the server).

Target: mmchat ≥ 0.95 × server. Also prints server start-up and first-token times.

    .venv/bin/python bench/bench_local.py --runs 3 --tokens 128 --threads 2
    .venv/bin/python bench/bench_local.py --concurrent 4   # aggregate over 4 streams
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from mmchat.api import Message
from mmchat.config_schema import LocalProviderConfig
from mmchat.providers.base import ChatRequest, DonePart, TextPart
from mmchat.providers.http import make_client
from mmchat.providers.local import (
    LocalProvider,
    local_log_path,
    make_local_provider,
    shutdown_local_servers,
)

PROMPT = "Write a long story about a dragon who learns to bake bread."


@dataclass
class Run:
    tokens: int
    ttft: float
    client_span: float  # first token -> last token, seconds
    client_tps: float
    server_tps: float
    server_ms: float
    wall: float


async def one_stream(provider: LocalProvider, tokens: int, seed: int) -> Run:
    request = ChatRequest(
        model="local",
        messages=[Message("user", PROMPT)],
        max_tokens=tokens,
        temperature=0.8,
        extra={"ignore_eos": True, "seed": seed},
    )
    start = time.perf_counter()
    first = last = None
    done: DonePart | None = None
    async for part in provider.stream(request):
        now = time.perf_counter()
        if isinstance(part, TextPart):
            first = first if first is not None else now
            last = now
        elif isinstance(part, DonePart):
            done = part
    assert done is not None and first is not None and last is not None
    timings = done.timings or {}
    n = done.usage.completion_tokens
    span = max(last - first, 1e-9)
    return Run(
        tokens=n,
        ttft=first - start,
        client_span=span,
        # Same formula as llama.cpp (n tokens over the first→last-token span).
        client_tps=n / span,
        server_tps=float(timings.get("predicted_per_second") or 0.0),
        server_ms=float(timings.get("predicted_ms") or 0.0),
        wall=time.perf_counter() - start,
    )


async def main(args: argparse.Namespace) -> int:
    cfg = LocalProviderConfig(
        kind="local",
        path=args.gguf,
        threads=args.threads,
        parallel=max(args.parallel, args.concurrent),
        n_ctx=args.n_ctx,
    )
    async with make_client() as client:
        provider = make_local_provider("local", cfg, client)
        t0 = time.perf_counter()
        await provider.list_models()  # starts the server
        started = time.perf_counter() - t0
        server = provider.server
        assert server is not None
        print(f"server: {server.key.path.name} at {server.base_url}")
        print(
            f"start: {server.start_seconds:.2f}s load (first call {started:.2f}s), "
            f"threads={args.threads} parallel={cfg.parallel} n_ctx={args.n_ctx}"
        )
        warm = await one_stream(provider, 8, 0)  # warm-up (not counted)
        print(f"warm-up first token: {warm.ttft * 1000:.0f} ms")
        print()
        print(
            f"{'run':>3} {'tokens':>6} {'ttft ms':>8} {'mmchat t/s':>11} "
            f"{'server t/s':>11} {'ratio':>6}"
        )
        runs: list[Run] = []
        for i in range(args.runs):
            if args.concurrent > 1:
                t = time.perf_counter()
                batch = await asyncio.gather(
                    *(
                        one_stream(provider, args.tokens, 100 * i + j)
                        for j in range(args.concurrent)
                    )
                )
                wall = time.perf_counter() - t
                total = sum(r.tokens for r in batch)
                agg_client = sum(r.client_tps for r in batch)
                agg_server = sum(r.server_tps for r in batch)
                print(
                    f"{i + 1:>3} {total:>6} {statistics.mean(r.ttft for r in batch) * 1000:>8.0f} "
                    f"{agg_client:>11.1f} {agg_server:>11.1f} {agg_client / agg_server:>6.3f}"
                    f"   ({args.concurrent} streams, {total / wall:.1f} t/s wall)"
                )
                runs.extend(batch)
                continue
            r = await one_stream(provider, args.tokens, i + 1)
            runs.append(r)
            ratio = r.client_tps / r.server_tps if r.server_tps else float("nan")
            print(
                f"{i + 1:>3} {r.tokens:>6} {r.ttft * 1000:>8.0f} {r.client_tps:>11.1f} "
                f"{r.server_tps:>11.1f} {ratio:>6.3f}"
            )
        client_tps = statistics.median(r.client_tps for r in runs)
        server_tps = statistics.median(r.server_tps for r in runs)
        ratio = client_tps / server_tps if server_tps else float("nan")
        print()
        print(
            f"median: mmchat {client_tps:.1f} t/s, server {server_tps:.1f} t/s, "
            f"ratio {ratio:.3f} (target ≥ 0.95) → {'OK' if ratio >= 0.95 else 'BELOW TARGET'}"
        )
        print(f"median first token: {statistics.median(r.ttft for r in runs) * 1000:.0f} ms")
        print(f"requests re-sent after a dropped keep-alive connection: {provider.reconnects}")
    shutdown_local_servers()
    return 0 if ratio >= 0.95 else 1


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--gguf", default="", help="GGUF path (default: embedded SmolLM2)")
    p.add_argument("--runs", type=int, default=3)
    p.add_argument("--tokens", type=int, default=128)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--parallel", type=int, default=4)
    p.add_argument("--concurrent", type=int, default=1, help="streams at once per run")
    p.add_argument("--n-ctx", type=int, default=8192)
    p.add_argument(
        "--keep-logs", action="store_true", help="log to the real data dir, not a temp dir"
    )
    return p.parse_args(argv)


if __name__ == "__main__":
    arguments = parse_args()
    if not arguments.keep_logs:
        import os

        os.environ.setdefault("MMCHAT_DATA_DIR", tempfile.mkdtemp(prefix="mmchat-bench-"))
    print(f"llama.cpp log: {local_log_path()}")
    sys.exit(asyncio.run(main(arguments)))
