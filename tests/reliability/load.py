"""Load scenarios shared by ``bench/bench_load.py`` and ``test_load.py``.

* ``engine_load``: N fan-out lanes of T tokens each through the Engine (with a Store)
  while a probe measures event-loop lag every 10 ms and a "typist" task wakes every
  40 ms as a key handler would;
* ``tui_load``: the same turn in the real app (Pilot, headless) while keys are
  typed into the prompt every 40 ms; reports loop lag and key latency (the key handed
  over as the terminal driver does, to the character shown in the prompt);
* ``history``: a 10,000-message conversation built through the Store API, then opened
  (Store.open with recovery + conversation_path) and shown in the app.

Memory figures: ``ru_maxrss`` (peak RSS of the process) and tracemalloc's peak of
Python allocations during the turn, next to the size of the streamed text.
"""

from __future__ import annotations

import asyncio
import contextlib
import resource
import time
import tracemalloc
from collections.abc import Awaitable, Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from mmchat.api import Event, LaneClosed, TextDelta, Usage
from mmchat.config_schema import Config
from mmchat.engine import Engine, TurnRequest
from mmchat.history.store import Store
from mmchat.plugins import discover

CHUNK_CHARS = 4  # one chunk per token, about four characters a token


def rss_mb() -> float:
    """Peak resident set size of this process so far, in MB (Linux: ru_maxrss in KB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def answer_text(tokens: int, lane: int) -> str:
    """``tokens`` 4-char tokens of prose with a paragraph break every 60 tokens."""
    words = []
    for i in range(tokens):
        words.append("\n\n" if i % 60 == 59 else f"{lane}{i % 100:02d} "[-4:])
    return "".join(words)


def model_id(lane: int) -> str:
    return f"load-{lane}"


def reply_json(tokens: int, lane: int, rate: float) -> dict[str, Any]:
    return {
        "text": answer_text(tokens, lane),
        "chunk_chars": CHUNK_CHARS,
        "tokens_per_second": rate,
    }


def load_config(base_url: str, lanes: int) -> Config:
    return Config.model_validate(
        {
            "providers": {
                "fake": {"kind": "openai", "base_url": f"{base_url}/v1", "max_retries": 0}
            },
            "models": {
                f"m{i}": {"provider": "fake", "model": model_id(i)} for i in range(1, lanes + 1)
            },
            "presets": {
                "fan": {
                    "strategy": "fanout",
                    "options": {"models": [f"m{i}" for i in range(1, lanes + 1)]},
                    "time_limit": 600,
                }
            },
            "defaults": {"preset": "fan"},
        }
    )


def percentile(values: list[float], q: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


@dataclass
class LoadReport:
    scenario: str
    lanes: int = 0
    tokens: int = 0
    text_chars: int = 0
    seconds: float = 0.0
    lag_p50_ms: float = 0.0
    lag_p99_ms: float = 0.0
    lag_max_ms: float = 0.0
    key_p50_ms: float = 0.0
    key_p99_ms: float = 0.0
    keys: int = 0
    rss_start_mb: float = 0.0
    rss_peak_mb: float = 0.0
    py_peak_mb: float = 0.0
    extra: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


class LagProbe:
    """Event-loop lag: how late a 10 ms sleep wakes up."""

    def __init__(self, interval: float = 0.01) -> None:
        self.interval = interval
        self.samples: list[float] = []
        self._task: asyncio.Task[None] | None = None

    async def _run(self) -> None:
        while True:
            start = time.perf_counter()
            await asyncio.sleep(self.interval)
            self.samples.append(max(0.0, time.perf_counter() - start - self.interval))

    def __enter__(self) -> LagProbe:
        self._task = asyncio.get_running_loop().create_task(self._run())
        return self

    def __exit__(self, *exc: object) -> None:
        if self._task is not None:
            self._task.cancel()

    def fill(self, report: LoadReport) -> None:
        report.lag_p50_ms = percentile(self.samples, 0.5) * 1000
        report.lag_p99_ms = percentile(self.samples, 0.99) * 1000
        report.lag_max_ms = max(self.samples, default=0.0) * 1000


async def typing(press: Callable[[str], Awaitable[None]], latencies: list[float]) -> None:
    """A user typing at ~25 keys/s for as long as the turn runs."""
    keys = "the quick brown fox jumps over the lazy dog "
    i = 0
    while True:
        start = time.perf_counter()
        await press(keys[i % len(keys)])
        latencies.append(time.perf_counter() - start)
        i += 1
        await asyncio.sleep(0.04)


async def engine_load(
    base_url: str, workdir: Path, lanes: int, tokens: int, *, trace: bool = False
) -> LoadReport:
    report = LoadReport("engine", lanes, tokens, rss_start_mb=rss_mb())
    engine = Engine(
        load_config(base_url, lanes), discover([]), store=Store.open(workdir / "load.sqlite3")
    )
    chars = 0
    closed: list[LaneClosed] = []

    def sink(event: Event) -> None:
        nonlocal chars
        if isinstance(event, TextDelta):
            chars += len(event.text)
        elif isinstance(event, LaneClosed):
            closed.append(event)

    buffer: list[str] = []

    async def press(key: str) -> None:  # what a key handler does without a UI
        buffer.append(key)
        await asyncio.sleep(0)

    latencies: list[float] = []
    if trace:
        tracemalloc.start()
    started = time.perf_counter()
    try:
        with LagProbe() as probe:
            typist = asyncio.create_task(typing(press, latencies))
            try:
                outcome = await engine.run_turn(TurnRequest(prompt="load", preset="fan"), sink)
            finally:
                typist.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await typist
    finally:
        report.seconds = time.perf_counter() - started
        if trace:
            report.py_peak_mb = tracemalloc.get_traced_memory()[1] / 1e6
            tracemalloc.stop()
        await engine.aclose()
        assert engine.store is not None
        engine.store.close()
    probe.fill(report)
    report.key_p50_ms = percentile(latencies, 0.5) * 1000
    report.key_p99_ms = percentile(latencies, 0.99) * 1000
    report.keys = len(latencies)
    report.text_chars = chars
    report.rss_peak_mb = rss_mb()
    report.extra = {
        "status": outcome.status,
        "lanes_done": sum(1 for c in closed if c.status == "done"),
    }
    return report


async def tui_load(base_url: str, lanes: int, tokens: int, *, type_keys: bool = True) -> LoadReport:
    from mmchat import paths
    from mmchat.tui.app import make_app

    report = LoadReport("tui", lanes, tokens, rss_start_mb=rss_mb())
    app = make_app(
        loaded=load_config(base_url, lanes),
        store=Store.open(paths.db_file()),
        registry=discover([]),
        onboarding=False,
    )
    latencies: list[float] = []

    async def echo_press(char: str) -> None:
        """A key as the terminal driver hands it over (pilot.press would also wait for
        the screen to settle, which it does not while eight panes stream), until the
        prompt shows it: key latency as the user sees it."""
        from textual import events

        assert chat is not None
        before = len(chat.prompt.text)
        app.post_message(events.Key("space" if char == " " else char, char))
        while len(chat.prompt.text) == before:  # noqa: ASYNC110
            await asyncio.sleep(0.0005)

    async with app.run_test(size=(200, 60)) as pilot:
        chat = app.chat_screen
        assert chat is not None
        chat.prompt.text = "load please"
        chat.prompt.focus()
        await pilot.press("enter")
        started = time.perf_counter()
        with LagProbe() as probe:
            typist = asyncio.create_task(
                typing(echo_press, latencies) if type_keys else asyncio.sleep(3600)
            )
            try:
                while chat.controller.running is None and not chat.controller.records:  # noqa: ASYNC110
                    await asyncio.sleep(0.01)
                while chat.controller.running is not None:  # noqa: ASYNC110
                    await asyncio.sleep(0.05)
            finally:
                typist.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await typist
        report.seconds = time.perf_counter() - started
        await pilot.pause()
        record = chat.controller.records[-1]
        typed = chat.prompt.text
        report.extra = {"typed_chars_in_prompt": len(typed), "answer_chars": len(record.answer)}
    probe.fill(report)
    report.key_p50_ms = percentile(latencies, 0.5) * 1000
    report.key_p99_ms = percentile(latencies, 0.99) * 1000
    report.keys = len(latencies)
    report.text_chars = lanes * len(answer_text(tokens, 1))
    report.rss_peak_mb = rss_mb()
    return report


def build_history(db: Path, messages: int) -> tuple[int, float]:
    """One conversation of ``messages`` messages (user/assistant pairs) via the Store."""
    started = time.perf_counter()
    with Store.open(db) as store:
        conv = store.create_conversation("a very long chat", "single")
        parent: int | None = None
        for i in range(messages // 2):
            user = store.add_user_message(conv, f"question number {i}: what about {i * 7}?", parent)
            parent = store.start_assistant(conv, user, "single", "single")
            store.finish_assistant(
                parent,
                text=f"Answer {i}. " + "Some words of a typical answer. " * 8,
                status="complete",
                models=["a"],
                usage=Usage(40, 80),
                cost=0.0001,
                duration=1.0,
            )
    return conv, time.perf_counter() - started


async def history_load(db: Path, messages: int, *, tui: bool = True) -> LoadReport:
    report = LoadReport("history", rss_start_mb=rss_mb())
    conv, build_s = build_history(db, messages)
    started = time.perf_counter()
    with Store.open(db) as store:
        rows = store.conversation_path(conv)
        listed = store.list_conversations()
    open_s = time.perf_counter() - started
    assert len(rows) == messages and listed
    report.extra = {"messages": messages, "build_s": build_s, "store_open_and_path_s": open_s}
    if tui:
        from mmchat.tui.app import make_app

        app = make_app(store=Store.open(db), registry=discover([]), onboarding=False)
        async with app.run_test(size=(160, 50)) as pilot:
            chat = app.chat_screen
            assert chat is not None
            start = time.perf_counter()
            await chat.controller.open_conversation(conv)
            await pilot.pause()
            report.extra["tui_open_s"] = time.perf_counter() - start
            report.extra["records"] = len(chat.controller.records)
            with LagProbe() as probe:
                for key in "typing after opening":
                    await pilot.press(key)
            probe.fill(report)
    report.rss_peak_mb = rss_mb()
    return report


def summary(report: LoadReport) -> str:
    parts = [f"{report.scenario}:"]
    if report.lanes:
        parts.append(f"{report.lanes}×{report.tokens} tokens ({report.text_chars:,} chars)")
        parts.append(f"in {report.seconds:.1f}s")
    if report.lag_p99_ms or report.lag_p50_ms:
        parts.append(f"loop lag p50 {report.lag_p50_ms:.1f} ms p99 {report.lag_p99_ms:.1f} ms")
        parts.append(f"max {report.lag_max_ms:.0f} ms")
    if report.keys:
        parts.append(f"key p50 {report.key_p50_ms:.1f} ms p99 {report.key_p99_ms:.1f} ms")
    parts.append(f"RSS {report.rss_start_mb:.0f}→{report.rss_peak_mb:.0f} MB peak")
    if report.py_peak_mb:
        parts.append(f"python peak {report.py_peak_mb:.1f} MB")
    if report.extra:
        parts.append(
            ", ".join(
                f"{k}={v:.2f}" if isinstance(v, float) else f"{k}={v}"
                for k, v in report.extra.items()
            )
        )
    return " ".join(parts)


__all__ = [
    "LoadReport",
    "answer_text",
    "engine_load",
    "history_load",
    "model_id",
    "reply_json",
    "summary",
    "tui_load",
]
