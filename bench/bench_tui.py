# ruff: noqa: ASYNC110, E501  (polling loops on purpose: the bench measures latency)
"""TUI benchmarks, headless (``App.run_test``), against a fake server in its own process.

Prints figures; it is not a pass/fail test. Sections (default: all):

- ``single``   one 2,000-token Markdown answer at 200 tokens/s and unthrottled: wall time
               from Enter to the answer fully rendered vs the wire time of the same stream
               read by a bare httpx client (target <= 1.05x).
- ``fanout``   8 fan-out panes x 2,000 tokens at 500 tokens/s each: wall vs wire (all 8
               streams read concurrently by httpx; target <= 1.10x).
- ``keys``     keystroke echo while (1) at 200 tok/s and (2) stream: a key event goes to
               the app every ~150 ms and we time until TextArea.text has the character
               (p50 / p95 / max; target <= 100 ms). Measured during the runs above.
- ``startup``  a fresh process: imports + build + run_test until the prompt has focus
               (target <= 0.6 s); checks the local model did not load.
- ``history``  open a 1,000-turn conversation (2,000 messages with Markdown answers,
               written with the Store API): time to show it, RSS (target <= 0.5 s).

Run: .venv/bin/python bench/bench_tui.py [single] [fanout] [startup] [history] [--profile]
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from importlib.metadata import version
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
PY = sys.executable
REPEATS = 3
TURN_LIMIT = 100.0  # seconds: a turn still running then is cancelled and reported
TOKENS = 2000
END_MARK = "That is the whole answer (end-mark-7351)."
FAN = [f"f{i}" for i in range(1, 9)]


# ---------------------------------------------------------------- content


def markdown_answer(tokens: int, seed: int = 0, chars_per_token: int = 4) -> str:
    """Realistic Markdown of exactly ``tokens * chars_per_token`` characters, ending with
    END_MARK: headings, paragraphs, lists, inline code, a fenced code block, a table."""
    rnd = random.Random(seed)
    words = [
        "the",
        "model",
        "streams",
        "tokens",
        "while",
        "the",
        "terminal",
        "renders",
        "markdown",
        "blocks",
        "and",
        "the",
        "user",
        "keeps",
        "typing",
        "into",
        "the",
        "prompt",
        "so",
        "latency",
        "matters",
        "more",
        "than",
        "raw",
        "throughput",
        "here",
        "consider",
        "caching",
        "parsing",
        "layout",
        "compositor",
        "widgets",
        "event",
        "loop",
        "queue",
        "batching",
    ]

    def sentence() -> str:
        n = rnd.randint(8, 18)
        text = " ".join(rnd.choice(words) for _ in range(n))
        if rnd.random() < 0.3:
            text += f" with `{rnd.choice(words)}()`"
        if rnd.random() < 0.2:
            text = text.replace(" the ", " the **important** ", 1)
        return text.capitalize() + "."

    blocks: list[str] = []
    i = 0
    while sum(len(b) + 2 for b in blocks) < tokens * chars_per_token:
        kind = i % 6
        if kind == 0:
            blocks.append(f"## Part {i // 6 + 1}")
        elif kind in (1, 4):
            blocks.append(" ".join(sentence() for _ in range(rnd.randint(2, 4))))
        elif kind == 2:
            blocks.append("\n".join(f"- {sentence()}" for _ in range(rnd.randint(3, 5))))
        elif kind == 3:
            body = "\n".join(
                f"    total += item.{rnd.choice(words)} * {rnd.randint(1, 99)}"
                for _ in range(rnd.randint(3, 6))
            )
            blocks.append(
                f"```python\ndef compute(items):\n    total = 0\n{body}\n    return total\n```"
            )
        else:
            rows = "\n".join(
                f"| {rnd.choice(words)} | {rnd.randint(1, 999)} | {rnd.choice(words)} |"
                for _ in range(3)
            )
            blocks.append(f"| name | value | note |\n|---|---|---|\n{rows}")
        i += 1
    text = "\n\n".join(blocks)
    size = tokens * chars_per_token
    tail = "\n\n" + END_MARK
    text = text[: size - len(tail)]
    text = text.rstrip() + " " * (size - len(tail) - len(text.rstrip())) + tail
    assert len(text) == size
    return text


def reply_json(text: str, tps: float | None) -> str:
    reply: dict[str, Any] = {"text": text, "chunk_chars": 4}
    if tps:
        reply["tokens_per_second"] = tps
    return json.dumps(reply)


# ---------------------------------------------------------------- the fake server process


class ServerProcess:
    """``python -m tests.fakeserver`` in its own process (its CPU is not ours)."""

    def __init__(self, replies: dict[str, str]) -> None:
        args = [PY, "-m", "tests.fakeserver"]
        for model, reply in replies.items():
            args += ["--model", model, "--reply", reply]
        self.proc = subprocess.Popen(
            args, cwd=ROOT, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
        )
        assert self.proc.stdout is not None
        self.url = self.proc.stdout.readline().strip()
        assert self.url.startswith("http://"), self.url

    def timings(self) -> list[tuple[str, float, float | None]]:
        """(model, started_at, finished_at) of each request since the last call, on
        ``time.monotonic()``'s clock (shared by every process)."""
        assert self.proc.stdin is not None and self.proc.stdout is not None
        self.proc.stdin.write("timings\n")
        self.proc.stdin.flush()
        return [tuple(row) for row in json.loads(self.proc.stdout.readline())]

    def close(self) -> None:
        if self.proc.stdin:
            self.proc.stdin.close()
        try:
            self.proc.wait(5)
        except subprocess.TimeoutExpired:
            self.proc.kill()

    def __enter__(self) -> ServerProcess:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def bench_replies() -> dict[str, str]:
    text = markdown_answer(TOKENS)
    replies = {"model-s200": reply_json(text, 200), "model-fast": reply_json(text, None)}
    replies["model-warm"] = reply_json(markdown_answer(50), None)
    for i, alias in enumerate(FAN):
        replies[f"model-{alias}"] = reply_json(markdown_answer(TOKENS, seed=i + 1), 500)
    return replies


def config_dict(url: str) -> dict[str, Any]:
    models = {
        a: {"provider": "fake", "model": f"model-{a}"} for a in ["s200", "fast", "warm", *FAN]
    }
    return {
        "defaults": {"preset": "s200", "model": "s200"},
        "ui": {"sidebar": True},
        "providers": {"fake": {"kind": "openai", "base_url": f"{url}/v1", "max_retries": 0}},
        "models": models,
        "presets": {
            "s200": {"strategy": "single", "options": {"model": "s200"}},
            "fast": {"strategy": "single", "options": {"model": "fast"}},
            "warm": {"strategy": "single", "options": {"model": "warm"}},
            "fan8": {"strategy": "fanout", "options": {"models": FAN}},
        },
    }


async def wire_time(url: str, models: list[str]) -> float:
    """Seconds for a bare httpx client to read these streams (concurrently) to the end."""
    import httpx

    async with httpx.AsyncClient(timeout=60) as client:

        async def one(model: str) -> tuple[float, int]:
            body = {"model": model, "stream": True, "messages": [{"role": "user", "content": "x"}]}
            started = time.perf_counter()
            size = 0
            async with client.stream("POST", f"{url}/v1/chat/completions", json=body) as resp:
                async for chunk in resp.aiter_raw():
                    size += len(chunk)
            return time.perf_counter() - started, size

        results = await asyncio.gather(*(one(m) for m in models))
    return max(t for t, _ in results)


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def setup_dirs() -> Path:
    home = Path(tempfile.mkdtemp(prefix="mmchat-bench-"))
    os.environ["MMCHAT_CONFIG_DIR"] = str(home / "config")
    os.environ["MMCHAT_DATA_DIR"] = str(home / "data")
    os.environ["MMCHAT_CACHE_DIR"] = str(home / "cache")
    return home


def build_app(url: str) -> Any:
    from mmchat import paths
    from mmchat.config_schema import Config
    from mmchat.history.store import Store
    from mmchat.plugins import discover
    from mmchat.tui.app import make_app

    config = Config.model_validate(config_dict(url))
    store = Store.open(paths.db_file())
    app = make_app(loaded=config, store=store, registry=discover([]), onboarding=False)
    app.pause_gc(freeze=True)  # what `mmchat` (tui.app.run) does: freeze the start-up heap
    return app


# ---------------------------------------------------------------- streaming turns


async def echo_probe(app: Any, stop: asyncio.Event, every: float = 0.15) -> list[float]:
    """Post one key event every ``every`` s (as the driver would) and time until the
    prompt's TextArea.text has the character. Returns latencies in seconds."""
    from textual import events

    prompt = app.chat_screen.prompt
    latencies: list[float] = []
    letters = "abcdefghijklmnopqrstuvwxyz"
    n = 0
    await asyncio.sleep(0.3)  # let the stream get going
    while not stop.is_set():
        char = letters[n % 26]
        n += 1
        before = len(prompt.text)
        event = events.Key(char, char)
        event.set_sender(app)
        started = time.perf_counter()
        app._driver.send_message(event)
        while len(prompt.text) == before:
            await asyncio.sleep(0.0005)
        latencies.append(time.perf_counter() - started)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), every)
    return latencies


_gc_pauses: list[tuple[float, float]] = []  # (when it ended, seconds) of full collections


def _time_full_collections() -> None:
    import gc

    started = 0.0

    def callback(phase: str, info: dict[str, int]) -> None:
        nonlocal started
        if info["generation"] != 2:
            return
        if phase == "start":
            started = time.perf_counter()
        else:
            _gc_pauses.append((time.perf_counter(), time.perf_counter() - started))

    gc.callbacks.append(callback)


def _full_gc_pauses(since: float) -> list[float]:
    return [seconds for ended, seconds in _gc_pauses if ended >= since]


async def _wait_for_gc_after_turn() -> None:
    """The app runs a full collection shortly after a turn (mmchat.tui.runtime.gc_policy):
    let it happen here, so it is reported (not counted as rendering, nor in the next turn)."""
    from mmchat.tui.runtime.tuning import AFTER_TURN

    await asyncio.sleep(AFTER_TURN + 0.3)


async def run_turn(app: Any, pilot: Any, preset: str, *, probe: bool) -> dict[str, Any]:
    """Send one prompt with ``preset``; seconds from Enter to the answer rendered."""
    from mmchat.tui.widgets.assistant_message import AssistantMessage

    chat = app.chat_screen
    chat.controller.use_preset(preset)
    await chat.controller.new_chat()
    await pilot.pause()
    chat.prompt.text = "write the long answer"
    chat.prompt.focus()
    await pilot.pause()
    stop = asyncio.Event()
    replies = len(chat.screen.query(AssistantMessage))
    started = time.perf_counter()
    started_at = time.monotonic()  # the server's clock (see ServerProcess.timings)
    await pilot.press("enter")
    probe_task = asyncio.create_task(echo_probe(app, stop)) if probe else None

    def done() -> bool:  # this turn's reply exists, has its final status, nothing runs,
        if chat.controller.running is not None:  # cheap: a DOM query walks every widget
            return False
        messages = chat.screen.query(AssistantMessage)
        if len(messages) <= replies or messages.last().status == "streaming":
            return False
        reply = messages.last()  # ... and every pane has appended all its text
        streams = [p.body for p in reply._grid.panes.values()] if reply._grid else [reply.answer]
        return not any(stream.pending or stream.appending for stream in streams)

    while not done():
        await asyncio.sleep(0.002)
        if time.perf_counter() - started > TURN_LIMIT:
            break
    finished = time.perf_counter()
    stop.set()
    latencies = await probe_task if probe_task else []
    reply = chat.screen.query(AssistantMessage).last()
    if chat.controller.running is not None:  # too slow: stop it and say how far it got
        if reply._grid is not None:
            shown = sum(len(p.body.markdown.source) for p in reply._grid.panes.values())
        else:
            shown = len(reply.answer.markdown.source)
        chat.controller.cancel()
        while chat.controller.running is not None:
            await asyncio.sleep(0.01)
        chat.prompt.clear()
        return {
            "timeout": True,
            "shown_tokens": shown / 4,
            "finished": finished - started,
            "rendered": finished - started,
            "latencies": latencies,
            "duration": None,
        }
    # The frame after the last text was appended is the one that shows it all.
    await reply.wait_for_refresh()
    rendered = time.perf_counter()
    rendered_at = time.monotonic()  # the server's clock (see ServerProcess.timings)
    # The old end point, printed for comparison: the process going idle, which also
    # counts post-turn housekeeping nobody sees (panes unmounting hidden blocks).
    await pilot.pause()
    idle = time.perf_counter()
    await _wait_for_gc_after_turn()
    assert reply.status == "complete", (reply.status, reply.error)
    if reply._grid is None:
        assert reply.answer.text.endswith(END_MARK)
        assert reply.answer.markdown.source.endswith(END_MARK)
    else:
        panes = reply._grid.panes.values()
        assert len(panes) == 8 and all(p.body.markdown.source.endswith(END_MARK) for p in panes)
    chat.prompt.clear()
    return {
        "finished": finished - started,
        "rendered": rendered - started,
        "rendered_at": rendered_at,
        "started_at": started_at,
        "idle": idle - started,
        "latencies": latencies,
        "full_gc": _full_gc_pauses(started),
        "duration": reply.duration,
        "timeout": False,
    }


def server_pace(
    timings: list[tuple[str, float, float | None]], models: list[str], run: dict[str, Any]
) -> dict[str, float]:
    """How long after Enter the server got the first request, how long it took to send
    this run's streams, and how long after its last byte the app was done (``run``'s
    ``started_at`` / ``rendered_at``, on the same clock). On 2 cores the server slows
    down when the app is busy, so "rendered / wire" mixes the two."""
    ours = [(start, end) for model, start, end in timings if model in models and end]
    if len(ours) < len(models) or "rendered_at" not in run:
        return {}
    first_request = min(start for start, _ in ours)
    last_byte = max(end for _, end in ours)
    return {
        "first_request": first_request - run["started_at"],
        "server_span": last_byte - first_request,
        "after_last_byte": run["rendered_at"] - last_byte,
    }


def print_server_pace(runs: list[dict[str, Any]], wire: float) -> None:
    paced = [r for r in runs if "server_span" in r]
    if not paced:
        return
    first = statistics.median(r["first_request"] for r in paced)
    span = statistics.median(r["server_span"] for r in paced)
    tail = statistics.median(r["after_last_byte"] for r in paced)
    print(f"  first request after    {first * 1000:8.0f} ms  (Enter to the server)")
    print(
        f"  server sent it in      {span * 1000:8.0f} ms  ({span / wire:.3f}x the wire time: "
        "the same streams, while the app ran)"
    )
    tails = ", ".join(f"{r['after_last_byte'] * 1000:.0f}" for r in paced)
    print(f"  done after last byte   {tail * 1000:8.0f} ms  (runs: {tails})")


async def bench_streams(sections: set[str], profile: bool) -> None:
    setup_dirs()
    _time_full_collections()
    with ServerProcess(bench_replies()) as server:
        cases = []
        if "single" in sections:
            cases += [("s200", "single answer, 2,000 tokens at 200 tok/s", ["model-s200"], 1.05)]
            cases += [("fast", "single answer, 2,000 tokens unthrottled", ["model-fast"], 1.05)]
        if "fanout" in sections:
            models = [f"model-{a}" for a in FAN]
            cases += [("fan8", "fan-out, 8 panes x 2,000 tokens at 500 tok/s", models, 1.10)]
        app = build_app(server.url)
        async with app.run_test(size=(160, 48)) as pilot:
            await run_turn(app, pilot, "warm", probe=False)  # warm up (imports, connection)
            for preset, title, models, target in cases:
                wires = [await wire_time(server.url, models) for _ in range(REPEATS)]
                runs = []
                for _ in range(REPEATS):
                    if profile and preset in ("fast", "fan8") and not runs:
                        from pyinstrument import Profiler

                        with Profiler(async_mode="disabled") as prof:
                            runs.append(await run_turn(app, pilot, preset, probe=False))
                        out = Path(tempfile.gettempdir()) / f"bench_tui_{preset}.txt"
                        out.write_text(prof.output_text(unicode=True, show_all=False))
                        print(f"  (profile of {preset} written to {out})")
                        continue
                    server.timings()  # (drops the requests of the runs before)
                    runs.append(await run_turn(app, pilot, preset, probe=preset != "fast"))
                    runs[-1].update(server_pace(server.timings(), models, runs[-1]))
                    if runs[-1]["rendered"] > 40:  # keep each section near 2 minutes
                        break
                wire = statistics.median(wires)
                if any(r["timeout"] for r in runs):
                    r = runs[0]
                    total = TOKENS * len(models)
                    print(title)
                    print(f"  wire time (httpx)      {wire * 1000:8.0f} ms  (median of {REPEATS})")
                    print(
                        f"  NOT FINISHED after {TURN_LIMIT:.0f} s: {r['shown_tokens']:.0f} of "
                        f"{total} tokens shown ({r['shown_tokens'] / TURN_LIMIT:.0f} tok/s "
                        f"overall vs {total / wire:.0f} tok/s on the wire); "
                        f"rendered / wire > {TURN_LIMIT / wire:.1f}x (target <= {target:.2f}x: MISSED)"
                    )
                    lat = r["latencies"]
                    if lat:
                        print(
                            f"  keystroke echo         p50 {pct(lat, 0.5) * 1000:.1f} ms, "
                            f"p95 {pct(lat, 0.95) * 1000:.1f} ms, max {max(lat) * 1000:.1f} ms "
                            f"over {len(lat)} keys (target <= 100 ms: "
                            f"{'met' if pct(lat, 0.95) <= 0.1 else 'MISSED'})"
                        )
                    sys.stdout.flush()
                    continue
                rendered = statistics.median(r["rendered"] for r in runs)
                finished = statistics.median(r["finished"] for r in runs)
                ratio = rendered / wire
                ok = "met" if ratio <= target else "MISSED"
                print(title)
                print(f"  wire time (httpx)      {wire * 1000:8.0f} ms  (median of {REPEATS})")
                print(
                    f"  app runs               {len(runs)} (fewer than {REPEATS} when one takes > 40 s)"
                )
                print(f"  turn finished          {finished * 1000:8.0f} ms")
                print(
                    f"  answer rendered        {rendered * 1000:8.0f} ms  "
                    f"(runs: {', '.join(f'{x * 1000:.0f}' for x in (r['rendered'] for r in runs))})"
                )
                print(f"  rendered / wire        {ratio:8.3f}x  (target <= {target:.2f}x: {ok})")
                idle = statistics.median(r["idle"] for r in runs)
                print(
                    f"  process idle           {idle * 1000:8.0f} ms  ({idle / wire:.3f}x; "
                    "the end point used before 2026-11-27, counts post-turn clean-up)"
                )
                print_server_pace(runs, wire)
                pauses = [x for r in runs for x in r["full_gc"]]
                print(
                    f"  full GC after the turn {max(pauses, default=0) * 1000:8.0f} ms  "
                    f"(longest; {len(pauses)} in {len(runs)} runs, not in the times above)"
                )
                lat = [x for r in runs for x in r["latencies"]]
                if lat:
                    ok = "met" if pct(lat, 0.95) <= 0.1 else "MISSED"
                    print(
                        f"  keystroke echo         p50 {pct(lat, 0.5) * 1000:.1f} ms, "
                        f"p95 {pct(lat, 0.95) * 1000:.1f} ms, max {max(lat) * 1000:.1f} ms "
                        f"over {len(lat)} keys (target <= 100 ms: {ok})"
                    )
                sys.stdout.flush()


# ---------------------------------------------------------------- start-up


STARTUP_CHILD = r"""
import sys, time, os
t0 = time.perf_counter()
sys.path.insert(0, {root!r})
import asyncio
from mmchat.tui.app import make_app
t_import = time.perf_counter()

async def main():
    app = make_app(onboarding=False)
    async with app.run_test(size=(160, 48)) as pilot:
        while app.chat_screen is None or not app.chat_screen.prompt.has_focus:
            await asyncio.sleep(0.001)
        t_ready = time.perf_counter()
        # READY first: the parent's wall clock stops there. The check below imports
        # mmchat.providers.local (config schema, pydantic), which the app only loads
        # after its first frame: it must not be counted as start-up. It runs once the
        # deferred loading (config, plugins, engine) is done.
        print("READY", t_import - t0, t_ready - t0, flush=True)
        while app.starting:
            await asyncio.sleep(0.001)
        t_loaded = time.perf_counter()
        loaded = [m for m in ("xllamacpp", "llama_cpp") if m in sys.modules]
        from mmchat.providers import local
        servers = len(local.local_status()) if hasattr(local, "local_status") else -1
        print("LOCAL", ",".join(loaded) or "-", servers, t_loaded - t0, flush=True)

asyncio.run(main())
"""


def bench_startup() -> None:
    home = setup_dirs()
    env = dict(os.environ)
    # First run writes the default config (with the embedded local model); time later runs.
    code = STARTUP_CHILD.format(root=str(ROOT))
    subprocess.run([PY, "-c", code], env=env, capture_output=True, text=True, check=True)
    print(f"start-up, headless (default config: {home / 'config' / 'config.toml'})")
    walls, imports, readies, loads = [], [], [], []
    for _ in range(5):
        started = time.perf_counter()
        proc = subprocess.Popen(
            [PY, "-c", code], env=env, stdout=subprocess.PIPE, text=True, cwd=ROOT
        )
        assert proc.stdout is not None
        line = proc.stdout.readline().split()
        walls.append(time.perf_counter() - started)
        local = proc.stdout.readline().split()
        proc.wait()
        assert line and line[0] == "READY", line
        assert local and local[0] == "LOCAL", local
        imports.append(float(line[1]))
        readies.append(float(line[2]))
        native, servers = local[1], local[2]
        loads.append(float(local[3]))
    wall = statistics.median(walls)
    print(
        f"  process start -> prompt focused {wall * 1000:7.0f} ms  (median of 5; "
        f"target <= 600 ms: {'met' if wall <= 0.6 else 'MISSED'})"
    )
    print(
        f"    of which import mmchat.tui.app {statistics.median(imports) * 1000:5.0f} ms, "
        f"in-process to ready {statistics.median(readies) * 1000:.0f} ms; "
        f"config, store, plugins and engine loaded (after the first frame) at "
        f"{statistics.median(loads) * 1000:.0f} ms"
    )
    print(f"  local model at start-up: native modules loaded: {native}; local servers: {servers}")
    sys.stdout.flush()


# ---------------------------------------------------------------- 1,000-turn conversation


def build_history(turns: int = 1000) -> int:
    from mmchat import paths
    from mmchat.api import Usage
    from mmchat.history.store import Store

    store = Store.open(paths.db_file())
    conv = store.create_conversation("a very long chat", "s200")
    parent = None
    rnd = random.Random(7)
    for i in range(turns):
        user = store.add_user_message(conv, f"Question {i}: how does part {i} work?", parent)
        mid = store.start_assistant(conv, user, "s200", "single")
        text = markdown_answer(rnd.randint(100, 500), seed=i)  # 400..2,000 chars
        store.finish_assistant(
            mid, text=text, status="complete", models=["s200"],
            usage=Usage(prompt_tokens=50, completion_tokens=len(text) // 4),
            cost=0.001, duration=2.0,
        )  # fmt: skip
        parent = mid
    store.close()
    return conv


async def bench_history(profile: bool) -> None:
    setup_dirs()
    started = time.perf_counter()
    conv = build_history()
    built = time.perf_counter() - started
    from mmchat import paths

    db_size = paths.db_file().stat().st_size / 1e6
    print(
        f"opening a 1,000-turn conversation (2,000 messages, db {db_size:.1f} MB, "
        f"built in {built:.1f} s)"
    )
    from mmchat.tui.widgets.assistant_message import AssistantMessage

    app = build_app("http://127.0.0.1:9")  # no turn is sent
    times, rss_before, rss_after, older = [], [], [], []
    async with app.run_test(size=(160, 48)) as pilot:
        chat = app.chat_screen
        await pilot.pause()
        for i in range(REPEATS + 1):
            await chat.controller.new_chat()
            await pilot.pause()
            rss_before.append(rss_mb())
            prof = None
            if profile and i == 1:
                from pyinstrument import Profiler

                prof = Profiler(async_mode="disabled")
                prof.start()
            t0 = time.perf_counter()
            await chat.controller.open_conversation(conv)
            replies = list(chat.screen.query(AssistantMessage))
            while any(r.status == "streaming" for r in replies):
                await asyncio.sleep(0.001)
            await pilot.pause()
            elapsed = time.perf_counter() - t0
            if prof is not None:
                prof.stop()
                out = Path(tempfile.gettempdir()) / "bench_tui_history.txt"
                out.write_text(prof.output_text(unicode=True, show_all=False))
                print(f"  (profile written to {out})")
            rss_after.append(rss_mb())
            if i:  # the first opening is a warm-up (imports of Markdown plugins etc.)
                times.append(elapsed)
            mounted = len(chat.transcript.children)
            # one lazy page of older messages (scrolling to the top)
            t1 = time.perf_counter()
            await chat.transcript.load_older()
            replies = list(chat.screen.query(AssistantMessage))
            while any(r.status == "streaming" for r in replies):
                await asyncio.sleep(0.001)
            await pilot.pause()
            older.append(time.perf_counter() - t1)
    t = statistics.median(times)
    print(
        f"  time to show it          {t * 1000:7.0f} ms  (median of {REPEATS}, after 1 warm-up; "
        f"runs {', '.join(f'{x * 1000:.0f}' for x in times)}; target <= 500 ms: "
        f"{'met' if t <= 0.5 else 'MISSED'})"
    )
    print(f"  widgets mounted          {mounted} messages of 2,000 (rest lazy)")
    print(f"  load one older page      {statistics.median(older) * 1000:7.0f} ms")
    print(
        f"  RSS before / after open  {rss_before[0]:.0f} MB / {rss_after[0]:.0f} MB "
        f"(last run {rss_before[-1]:.0f} / {rss_after[-1]:.0f} MB); peak "
        f"{resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB"
    )
    sys.stdout.flush()


def main() -> None:
    args = set(sys.argv[1:])
    profile = "--profile" in args
    sections = (args - {"--profile"}) or {"single", "fanout", "startup", "history"}
    print(
        f"bench_tui (headless) · python {sys.version.split()[0]} · "
        f"textual {version('textual')} · {os.cpu_count()} cpus · "
        f"markdown {os.environ.get('MMCHAT_MARKDOWN') or 'lean'}"
    )
    if "startup" in sections:
        bench_startup()
    if "history" in sections:
        asyncio.run(bench_history(profile))
    if sections & {"single", "fanout"}:
        asyncio.run(bench_streams(sections, profile))


if __name__ == "__main__":
    main()
