"""The process the crash test kills: Engine + Store running turns against the fake server.

``python -m tests.reliability.crash_driver`` starts a *zygote*: it imports mmchat and
the strategies once, then reads commands on stdin, one a line::

    run DB_PATH BASE_URL LOG_PATH RUN_ID

and for each forks a child that opens the history database with ``Store.open`` (the
app's own recovery included), builds an ``Engine`` and runs turns in one conversation
until it is killed. The zygote prints the child's pid, waits for it and prints
``exit PID STATUS``. Forking skips the ~0.5 s of imports per run, so the suite can
afford many kills; the process that dies is still a separate OS process holding the
SQLite connection and the HTTP stream, killed with SIGKILL, with no chance to clean up.

The child appends what it does to LOG_PATH with unbuffered ``os.write`` calls (they
reach the kernel before the next line of Python runs, so they survive SIGKILL)::

    ready T
    send PROMPT T          before run_turn: the request has not gone out yet
    d T CHARS LANE         a TextDelta arrived; CHARS is the lane's text length so far
    fin STATUS T           a TurnFinished
"""

from __future__ import annotations

import asyncio
import os
import ssl
import sys
import time
from pathlib import Path

import httpx

from mmchat.api import Event, TextDelta, TurnFinished
from mmchat.config_schema import Config
from mmchat.engine import Engine, TurnRequest
from mmchat.history.store import Store
from mmchat.plugins import discover

MODEL_ID = "model-crash"
TURNS = 50  # more than can finish before the kill


def scripted_text() -> str:
    """What the fake server streams for every turn: 40 distinct 5-char chunks."""
    return "".join(f"w{i:03d} " for i in range(40))


def config(base_url: str) -> Config:
    return Config.model_validate(
        {
            "providers": {"fake": {"kind": "openai", "base_url": base_url, "max_retries": 0}},
            "models": {"m": {"provider": "fake", "model": MODEL_ID}},
            "presets": {"one": {"strategy": "single", "options": {"model": "m"}}},
            "defaults": {"preset": "one"},
        }
    )


class Log:
    def __init__(self, path: str) -> None:
        self.fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)

    def line(self, *parts: object) -> None:
        os.write(self.fd, (" ".join(map(str, parts)) + "\n").encode())


async def child(db: str, base_url: str, log: Log, run_id: str, ctx: ssl.SSLContext) -> None:
    log.line("ready", time.perf_counter())
    store = Store.open(Path(db))
    client = httpx.AsyncClient(verify=ctx, follow_redirects=False)
    engine = Engine(config(base_url), discover([]), store=store, client=client)
    lane_chars: dict[str, int] = {}

    def sink(event: Event) -> None:
        if isinstance(event, TextDelta):
            lane_chars[event.lane] = lane_chars.get(event.lane, 0) + len(event.text)
            log.line("d", time.perf_counter(), lane_chars[event.lane], event.lane)
        elif isinstance(event, TurnFinished):
            log.line("fin", event.status, time.perf_counter())

    conversation: int | None = None
    parent: int | None = None
    for number in range(TURNS):
        prompt = f"{run_id}-q{number}"
        log.line("send", prompt, time.perf_counter())
        lane_chars.clear()
        outcome = await engine.run_turn(
            TurnRequest(prompt=prompt, conversation_id=conversation, parent_id=parent), sink
        )
        conversation, parent = outcome.conversation_id, outcome.message_id


def serve() -> None:
    ctx = ssl.create_default_context()
    discover([])  # import every strategy plugin before forking
    print("zygote ready", flush=True)
    for raw in sys.stdin:
        parts = raw.split()
        if not parts:
            continue
        if parts[0] == "quit":
            break
        _, db, base_url, log_path, run_id = parts
        pid = os.fork()
        if pid == 0:  # the child: run turns until killed
            code = 0
            try:
                asyncio.run(child(db, base_url, Log(log_path), run_id, ctx))
            except BaseException as exc:  # report; never return to the loop
                Log(log_path).line("crash", repr(exc))
                code = 1
            os._exit(code)
        print(f"pid {pid}", flush=True)
        _, status = os.waitpid(pid, 0)
        print(f"exit {pid} {status}", flush=True)


if __name__ == "__main__":
    serve()
