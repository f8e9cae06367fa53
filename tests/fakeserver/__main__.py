"""Run the fake server in its own process: ``python -m tests.fakeserver``.

Prints ``http://127.0.0.1:PORT`` on the first stdout line, then serves until stdin
closes (or the process is killed). ``--model M --reply JSON`` scripts a Reply for M,
e.g. ``--reply '{"text": "hi", "chunk_chars": 1}'``.
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
        sys.stdin.read()  # serve until our parent closes the pipe


if __name__ == "__main__":
    main()
