"""Load: 8 concurrent lanes × 5,000 tokens while the user types; a 10,000-message history.

Scenarios (each in a fresh process, so that its peak RSS is its own):

* ``engine``: the fan-out strategy over 8 models, 5,000 tokens each (4-char chunks,
  --rate tokens/s per lane), through the Engine with a Store; a task measures
  event-loop lag every 10 ms and a "typist" task wakes every 40 ms;
* ``tui``: the same turn in the real app (Textual, headless via Pilot) while a key is
  pressed into the prompt every 40 ms: loop lag and key latency (press → handled);
* ``history``: a 10,000-message conversation written through the Store API, then
  opened (Store.open + conversation_path) and shown in the app.

The fake server runs in its own process (``python -m tests.fakeserver``).

    .venv/bin/python bench/bench_load.py                     # all three, defaults
    .venv/bin/python bench/bench_load.py --lanes 8 --tokens 5000 --rate 500
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.reliability import load  # noqa: E402


def child(args: argparse.Namespace) -> int:
    workdir = Path(args.workdir)
    for name, sub in (
        ("MMCHAT_CONFIG_DIR", "c"),
        ("MMCHAT_DATA_DIR", "d"),
        ("MMCHAT_CACHE_DIR", "x"),
    ):
        os.environ[name] = str(workdir / sub)
    if args.scenario == "engine":
        report = asyncio.run(load.engine_load(args.url, workdir, args.lanes, args.tokens))
    elif args.scenario == "tui":
        report = asyncio.run(load.tui_load(args.url, args.lanes, args.tokens))
    else:
        report = asyncio.run(load.history_load(workdir / "history.sqlite3", args.messages))
    print(json.dumps(report.as_dict()))
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lanes", type=int, default=8)
    parser.add_argument("--tokens", type=int, default=5000)
    parser.add_argument("--rate", type=float, default=500.0, help="tokens/s per lane")
    parser.add_argument("--messages", type=int, default=10_000)
    parser.add_argument("--only", choices=["engine", "tui", "history"], action="append")
    parser.add_argument("--scenario", help=argparse.SUPPRESS)
    parser.add_argument("--url", help=argparse.SUPPRESS)
    parser.add_argument("--workdir", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.scenario:
        return child(args)
    cmd = [sys.executable, "-m", "tests.fakeserver"]
    for lane in range(1, args.lanes + 1):
        reply = load.reply_json(args.tokens, lane, args.rate)
        cmd += ["--model", load.model_id(lane), "--reply", json.dumps(reply)]
    server = subprocess.Popen(
        cmd, cwd=ROOT, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    try:
        assert server.stdout is not None
        url = server.stdout.readline().strip()
        for scenario in args.only or ["engine", "tui", "history"]:
            with tempfile.TemporaryDirectory(prefix="mmchat-load-") as tmp:
                result = subprocess.run(
                    [sys.executable, __file__, "--scenario", scenario, "--url", url,
                     "--workdir", tmp, "--lanes", str(args.lanes), "--tokens",
                     str(args.tokens), "--messages", str(args.messages)],
                    capture_output=True, text=True, cwd=ROOT, timeout=1800,
                )  # fmt: skip
            if result.returncode != 0:
                print(f"{scenario}: FAILED\n{result.stderr[-3000:]}", file=sys.stderr)
                return 1
            report = load.LoadReport(**json.loads(result.stdout.strip().splitlines()[-1]))
            print(load.summary(report), flush=True)
    finally:
        if server.stdin is not None:
            server.stdin.close()
        server.wait(10)
    return 0


if __name__ == "__main__":
    sys.exit(main())
