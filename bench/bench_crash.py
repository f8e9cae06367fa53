"""Crash safety at scale: SIGKILL the app ≥ 100 times while answers stream.

The same harness as ``tests/reliability/test_crash.py`` (see
``tests/reliability/crash.py`` for what is checked after every kill), with a larger
count: a zygote process forks one child per run, the child runs turns (Engine + Store,
history in one shared SQLite file) against the fake server streaming slowly, and the
child is SIGKILLed after a random delay. Prints how the kills landed and the totals.

    .venv/bin/python bench/bench_crash.py            # 100 runs
    .venv/bin/python bench/bench_crash.py --runs 300 --seed 7
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.fakeserver.server import FakeServer
from tests.reliability.crash import CrashCheckFailed, run_kills


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=100)
    parser.add_argument("--seed", type=int, default=None)
    args = parser.parse_args()
    seed = args.seed if args.seed is not None else int.from_bytes(os.urandom(4), "big")
    print(f"seed {seed}, {args.runs} runs", flush=True)
    with tempfile.TemporaryDirectory(prefix="mmchat-crash-") as tmp, FakeServer() as server:
        try:
            report = run_kills(server, Path(tmp), args.runs, seed=seed)
        except CrashCheckFailed as exc:
            print(f"FAILED (seed {seed}): {exc}", file=sys.stderr)
            return 1
    print(report.summary())
    for outcome, count in sorted(report.outcomes.items(), key=lambda kv: -kv[1]):
        print(f"  {count:4d}  {outcome}")
    print(f"  integrity_check ok after {report.runs}/{report.runs} kills; 0 user messages lost")
    return 0


if __name__ == "__main__":
    sys.exit(main())
