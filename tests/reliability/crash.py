"""SIGKILL the app while answers stream, then check what survived (test + bench).

:func:`run_kills` starts the zygote of ``crash_driver.py``, and N times: forks a child
that runs turns against the fake server (slow streaming), SIGKILLs it after a random
delay, and checks the one history database all runs share:

* ``PRAGMA integrity_check`` is ``ok`` (read raw, before the app's recovery runs);
* every prompt the server received is a user message in the database (the engine
  commits it before the request goes out);
* after ``Store.open`` (the app's recovery) nothing is left ``streaming``; the answer
  that was streaming is ``interrupted`` (message and lane) and its lane text is a
  prefix of the scripted text, at least what had arrived by the last flush the child
  completed and at most what had arrived at the kill (flushes happen every
  ``PERSIST_EVERY`` seconds, on a chunk boundary);
* earlier answers of the run are ``complete`` with the whole scripted text.
"""

from __future__ import annotations

import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from mmchat.history.recorder import PERSIST_EVERY
from mmchat.history.store import Store
from tests.fakeserver import Reply
from tests.fakeserver.server import FakeServer
from tests.harness import user_text
from tests.reliability.crash_driver import MODEL_ID, scripted_text

ROOT = Path(__file__).resolve().parents[2]
CHUNK = 5
GAP = 0.015  # seconds between chunks: one answer streams for ~0.6 s
KILL_WINDOW = (0.0, 1.3)  # seconds after the child is up
# Slack between the child's clock reading in the sink and the engine's own reading.
CLOCK_SLACK = 0.1


class CrashCheckFailed(AssertionError):
    pass


@dataclass
class Delta:
    t: float
    chars: int


@dataclass
class TurnLog:
    prompt: str
    deltas: list[Delta] = field(default_factory=list)
    finished: str | None = None


def parse_log(path: Path) -> list[TurnLog]:
    turns: list[TurnLog] = []
    for line in path.read_text().splitlines():
        parts = line.split()
        if not parts:
            continue
        if parts[0] == "crash":
            raise CrashCheckFailed(f"the driver crashed on its own: {line}")
        if parts[0] == "send":
            turns.append(TurnLog(parts[1]))
        elif parts[0] == "d" and turns:
            turns[-1].deltas.append(Delta(float(parts[1]), int(parts[2])))
        elif parts[0] == "fin" and turns:
            turns[-1].finished = parts[1]
    return turns


class Zygote:
    def __init__(self) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "tests.reliability.crash_driver"],
            cwd=ROOT,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            bufsize=1,
        )
        assert self._read() == "zygote ready"

    def _read(self) -> str:
        assert self.proc.stdout is not None
        line = self.proc.stdout.readline()
        if not line:
            raise CrashCheckFailed("the crash driver exited")
        return line.strip()

    def start(self, db: Path, url: str, log: Path, run_id: str) -> int:
        assert self.proc.stdin is not None
        self.proc.stdin.write(f"run {db} {url} {log} {run_id}\n")
        self.proc.stdin.flush()
        kind, pid = self._read().split()
        assert kind == "pid"
        return int(pid)

    def wait_exit(self, pid: int) -> int:
        kind, got, status = self._read().split()
        assert kind == "exit" and int(got) == pid
        return int(status)

    def close(self) -> None:
        if self.proc.poll() is None:
            assert self.proc.stdin is not None
            self.proc.stdin.write("quit\n")
            self.proc.stdin.flush()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


@dataclass
class KillReport:
    runs: int = 0
    outcomes: Counter[str] = field(default_factory=Counter)
    user_messages: int = 0
    completed_answers: int = 0
    interrupted_chars: int = 0
    seconds: float = 0.0

    def summary(self) -> str:
        parts = ", ".join(f"{k}={v}" for k, v in sorted(self.outcomes.items()))
        return (
            f"{self.runs} SIGKILL runs: {parts}; {self.user_messages} user messages, "
            f"{self.completed_answers} complete answers, all intact; "
            f"{self.interrupted_chars} chars of interrupted answers kept; "
            f"{self.seconds:.1f} s"
        )


def wait_ready(log: Path, within: float = 10.0) -> None:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        if log.exists() and log.read_bytes().startswith(b"ready"):
            return
        time.sleep(0.002)
    raise CrashCheckFailed("the child never came up")


def check_run(db: Path, log: Path, run_id: str, server: FakeServer, report: KillReport) -> str:
    """Check the database after one kill; return how the kill landed."""
    full = scripted_text()
    # 1. The file as the crash left it (WAL included) is a sound database.
    with sqlite3.connect(db) as raw:
        result = raw.execute("PRAGMA integrity_check").fetchone()[0]
        if result != "ok":
            raise CrashCheckFailed(f"{run_id}: integrity_check says {result!r}")
    raw.close()
    turns = parse_log(log)
    sent = {
        user_text(r.json)
        for r in list(server.requests)
        if isinstance(r.json, dict) and user_text(r.json).startswith(f"{run_id}-")
    }
    # 2. The app's recovery.
    with Store.open(db) as store:
        if store.integrity_check() != "ok":
            raise CrashCheckFailed(f"{run_id}: integrity_check after recovery failed")
        conn = sqlite3.connect(db)
        try:
            users = {
                text: mid
                for mid, text in conn.execute(
                    "SELECT id, text FROM messages WHERE role='user' AND text LIKE ?",
                    (f"{run_id}-%",),
                )
            }
            streaming = (
                conn.execute("SELECT count(*) FROM messages WHERE status='streaming'").fetchone()[0]
                + conn.execute("SELECT count(*) FROM lanes WHERE status='streaming'").fetchone()[0]
            )
        finally:
            conn.close()
        if streaming:
            raise CrashCheckFailed(f"{run_id}: rows left 'streaming' after recovery")
        lost = sent - set(users)
        if lost:
            raise CrashCheckFailed(f"{run_id}: user messages sent but lost: {sorted(lost)}")
        report.user_messages += len(users)
        outcome = "killed between turns"
        for index, turn in enumerate(turns):
            last = index == len(turns) - 1
            user_id = users.get(turn.prompt)
            if user_id is None:
                if not last or turn.prompt in sent:
                    raise CrashCheckFailed(f"{run_id}: {turn.prompt} missing")
                outcome = "killed before the user message was saved"
                continue
            answers = store.children(user_id)
            if not answers:
                if not last:
                    raise CrashCheckFailed(f"{run_id}: {turn.prompt} has no answer row")
                outcome = "killed before the answer row was created"
                continue
            (answer,) = answers
            lanes = store.lanes(answer.id)
            if answer.status == "complete":
                if answer.text != full or [ln.text for ln in lanes] != [full]:
                    raise CrashCheckFailed(f"{run_id}: complete answer {answer.id} differs")
                report.completed_answers += 1
                continue
            if not last or answer.status != "interrupted":
                raise CrashCheckFailed(
                    f"{run_id}: {turn.prompt} answer is {answer.status!r} (last turn: {last})"
                )
            outcome = check_interrupted(run_id, turn, lanes, full, report)
            if lanes and answer.text != lanes[0].text:
                # The answer so far is the message's text: sent as history, exported.
                raise CrashCheckFailed(
                    f"{run_id}: interrupted message keeps {len(answer.text)} chars, "
                    f"its lane {len(lanes[0].text)}"
                )
        return outcome


def check_interrupted(
    run_id: str, turn: TurnLog, lanes: list[object], full: str, report: KillReport
) -> str:
    if not lanes:
        return "killed before the lane opened"
    (lane,) = lanes
    text: str = lane.text  # type: ignore[attr-defined]
    status: str = lane.status  # type: ignore[attr-defined]
    if status != "interrupted":
        raise CrashCheckFailed(f"{run_id}: interrupted answer's lane is {status!r}")
    if not full.startswith(text):
        raise CrashCheckFailed(f"{run_id}: kept text is not a prefix: {text!r}")
    arrived = [d.chars for d in turn.deltas]
    upper = arrived[-1] if arrived else 0
    if len(text) > upper or (text and len(text) not in arrived):
        raise CrashCheckFailed(
            f"{run_id}: kept {len(text)} chars, not a flush point of {arrived} (upper {upper})"
        )
    # Every flush before the last reported chunk completed: the first chunk always
    # flushes, then one at least every PERSIST_EVERY seconds while chunks arrive.
    lower = 0
    if len(turn.deltas) >= 2:
        ref = turn.deltas[-2].t
        lower = turn.deltas[0].chars
        for d in turn.deltas[:-1]:
            if d.t <= ref - PERSIST_EVERY - CLOCK_SLACK:
                lower = max(lower, d.chars)
    if len(text) < lower:
        raise CrashCheckFailed(
            f"{run_id}: kept {len(text)} chars but {lower} had been flushed "
            f"(arrivals {[(round(d.t - turn.deltas[0].t, 3), d.chars) for d in turn.deltas]})"
        )
    report.interrupted_chars += len(text)
    return "killed mid-stream (text kept)" if text else "killed before the first chunk"


def run_kills(
    server: FakeServer, workdir: Path, runs: int, *, seed: int | None = None
) -> KillReport:
    rng = random.Random(seed)
    reply = Reply(text=scripted_text(), chunk_chars=CHUNK, delay=GAP)
    server.script_fn(MODEL_ID, lambda body: reply)
    workdir.mkdir(parents=True, exist_ok=True)
    db = workdir / "history.sqlite3"
    report = KillReport()
    started = time.perf_counter()
    zygote = Zygote()
    try:
        for number in range(runs):
            run_id = f"r{number}"
            log = workdir / f"{run_id}.log"
            pid = zygote.start(db, server.openai_url, log, run_id)
            try:
                wait_ready(log)
                time.sleep(rng.uniform(*KILL_WINDOW))
            finally:
                os.kill(pid, signal.SIGKILL)
            status = zygote.wait_exit(pid)
            if not (os.WIFSIGNALED(status) and os.WTERMSIG(status) == signal.SIGKILL):
                raise CrashCheckFailed(f"{run_id}: the child ended on its own ({status})")
            report.outcomes[check_run(db, log, run_id, server, report)] += 1
            report.runs += 1
    finally:
        zygote.close()
    report.seconds = time.perf_counter() - started
    return report
