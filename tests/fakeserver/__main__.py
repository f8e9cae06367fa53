"""Run the fake server in its own process: ``python -m tests.fakeserver``.

Prints ``http://127.0.0.1:PORT`` on the first stdout line, then serves until stdin
closes (or the process is killed). ``--model M --reply JSON`` scripts a Reply for M,
e.g. ``--reply '{"text": "hi", "chunk_chars": 1}'``. A ``timings`` line on stdin gets
one JSON line back: ``[model, started_at, finished_at]`` (``time.monotonic()``, the
same clock in every process) for each request since the last ``timings`` line; the
benchmarks use it to tell the server's own pace from the app's.
"""

from __future__ import annotations

import argparse
import json
import sys

from tests.fakeserver.reply import Reply
from tests.fakeserver.server import FakeServer


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m tests.fakeserver")
    parser.add_argument("--model", action="append", default=[])
    parser.add_argument("--reply", action="append", default=[])
    args = parser.parse_args()
    with FakeServer() as server:
        for model, reply in zip(args.model, args.reply, strict=True):
            server.script(model, Reply(**json.loads(reply)))
        print(server.url, flush=True)
        reported = 0
        for line in sys.stdin:  # serve until our parent closes the pipe
            if line.strip() == "timings":
                new = server.requests_to("")[reported:]  # every request, under the lock
                reported += len(new)
                rows = [[r.model, r.started_at, r.finished_at] for r in new]
                print(json.dumps(rows), flush=True)


if __name__ == "__main__":
    main()
