"""TUI benchmarks in a real terminal: ``python -m mmchat`` inside tmux (160x48).

The fake server runs in its own process (``python -m tests.fakeserver``); the app gets
MMCHAT_CONFIG_DIR / MMCHAT_DATA_DIR temp dirs with a config pointing a provider at it.
Keys go in with ``tmux send-keys``; the screen is read with ``tmux capture-pane -p``;
the end of a turn is read from the SQLite history (assistant message status
``complete``), then the screen is polled until it shows the end of the answer and
stops changing. Keystroke echo is measured in separate turns (ECHO_TURNS): from
``send-keys`` until the app has written the typed character to its terminal, read
from tmux's ``pipe-pane`` copy of that output (see PaneOutput). Prints figures; it is
not a pass/fail test.

Sections (default: all): ``startup``, ``single``, ``fanout``, ``history``.
Run: .venv/bin/python bench/bench_tui_tmux.py [startup] [single] [fanout] [history]
"""

from __future__ import annotations

import os
import re
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import tomli_w

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_tui import (
    END_MARK,
    FAN,
    PY,
    REPEATS,
    ROOT,
    ServerProcess,
    bench_replies,
    config_dict,
    pct,
    print_server_pace,
    server_pace,
    wire_time,
)

SESSION = f"mmbench{os.getpid()}"
ECHO_TURNS = 2  # turns typed into while streaming, after the timed ones
READY_MARK = "enter send"  # the prompt's border subtitle
LOADING_MARK = "starting…"  # the top bar's status until config, store and engine load
TURN_LIMIT = 100.0


# ---------------------------------------------------------------- tmux helpers


def tmux(*args: str) -> str:
    return subprocess.run(["tmux", *args], capture_output=True, text=True).stdout


def capture() -> str:
    return tmux("capture-pane", "-p", "-t", SESSION)


def kill() -> None:
    subprocess.run(["tmux", "kill-session", "-t", SESSION], capture_output=True)


def start_app(home: Path, argv: tuple[str, ...] = ()) -> float:
    """Open ``python -m mmchat`` in a new tmux session; return the launch time."""
    kill()
    env = [
        "-e", f"MMCHAT_CONFIG_DIR={home / 'config'}",
        "-e", f"MMCHAT_DATA_DIR={home / 'data'}",
        "-e", f"MMCHAT_CACHE_DIR={home / 'cache'}",
        "-e", "TERM=xterm-256color",
        # the Markdown mode asked of the bench (README: "Markdown modes"); lean if unset
        "-e", f"MMCHAT_MARKDOWN={os.environ.get('MMCHAT_MARKDOWN', '')}",
    ]  # fmt: skip
    started = time.perf_counter()
    subprocess.run(
        ["tmux", "new-session", "-d", "-s", SESSION, "-x", "160", "-y", "48", "-c", str(ROOT),
         *env, PY, "-m", "mmchat", *argv],
        check=True,
    )  # fmt: skip
    return started


def wait_screen(pred: Any, within: float = 30.0, every: float = 0.005) -> float:
    deadline = time.perf_counter() + within
    while time.perf_counter() < deadline:
        if pred(capture()):
            return time.perf_counter()
        time.sleep(every)
    raise TimeoutError(f"screen condition not met in {within} s:\n{capture()}")


def wait_settled(quiet: float = 0.15, within: float = 30.0) -> float:
    """When the screen last changed, once it has not changed for ``quiet`` s."""
    last, changed = capture(), time.perf_counter()
    deadline = changed + within
    while time.perf_counter() < deadline:
        time.sleep(0.01)
        now = capture()
        if now != last:
            last, changed = now, time.perf_counter()
        elif time.perf_counter() - changed >= quiet:
            return changed
    return changed


def app_pid() -> int | None:
    out = tmux("list-panes", "-t", SESSION, "-F", "#{pane_pid}").split()
    if not out:
        return None
    pid = int(out[0])
    for _ in range(3):
        cmd = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
        if any(b"mmchat" in part for part in cmd) and b"python" in cmd[0]:
            return pid
        kids = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
        if not kids:
            return None
        pid = int(kids[0])
    return None


def rss_mb(pid: int) -> tuple[float, float]:
    status = Path(f"/proc/{pid}/status").read_text()
    rss = re.search(r"VmRSS:\s+(\d+)", status)
    hwm = re.search(r"VmHWM:\s+(\d+)", status)
    return (int(rss.group(1)) / 1024 if rss else 0.0, int(hwm.group(1)) / 1024 if hwm else 0.0)


def prompt_line(screen: str) -> str:
    """The first text line inside the prompt box (its border title is 'message')."""
    lines = screen.splitlines()
    for i, line in enumerate(lines):
        if "message" in line and "╭" in line and i + 1 < len(lines):
            parts = lines[i + 1].split("│")  # "▕ │ text   │" (sidebar edge first)
            return parts[1].strip() if len(parts) >= 3 else ""
    return ""


def last_assistant(db: Path) -> tuple[int, str] | None:
    try:
        conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=1)
        try:
            row = conn.execute(
                "SELECT id, status FROM messages WHERE role='assistant' ORDER BY id DESC LIMIT 1"
            ).fetchone()
        finally:
            conn.close()
    except sqlite3.Error:
        return None
    return (int(row[0]), str(row[1])) if row else None


def make_home(url: str, preset: str) -> Path:
    home = Path(tempfile.mkdtemp(prefix="mmchat-tmux-"))
    (home / "config").mkdir()
    (home / "data").mkdir()
    data = config_dict(url)
    data["defaults"]["preset"] = preset
    (home / "config" / "config.toml").write_text(tomli_w.dumps(data))
    return home


# ---------------------------------------------------------------- start-up


def bench_startup() -> None:
    print("start-up (tmux, python -m mmchat)")
    with ServerProcess(bench_replies()) as server:
        home = make_home(server.url, "s200")
        times = []
        for _ in range(5):
            started = start_app(home)
            ready = wait_screen(lambda s: READY_MARK in s)
            times.append(ready - started)
            kill()
            time.sleep(0.3)
    t = statistics.median(times)
    print(
        f"  launch -> prompt visible  {t * 1000:6.0f} ms  (median of 5; runs "
        f"{', '.join(f'{x * 1000:.0f}' for x in times)}; target <= 600 ms: "
        f"{'met' if t <= 0.6 else 'MISSED'})"
    )

    # the default config (embedded local model): first run writes it; local model lazy?
    home = Path(tempfile.mkdtemp(prefix="mmchat-tmux-default-"))
    start_app(home)
    wait_screen(lambda s: READY_MARK in s or "local" in s.lower())
    time.sleep(1.0)
    pid = app_pid()
    maps = Path(f"/proc/{pid}/maps").read_text() if pid else ""
    native = sorted({m for m in ("xllamacpp", "libllama", "ggml") if m in maps})
    kids = Path(f"/proc/{pid}/task/{pid}/children").read_text().split() if pid else []
    rss = rss_mb(pid)[0] if pid else float("nan")
    kill()
    print(
        f"  default config (local model configured): native llama libs mapped at start-up: "
        f"{', '.join(native) or 'none'}; child processes: {len(kids)}; RSS {rss:.0f} MB"
    )

    runs = []
    for _ in range(5):
        t0 = time.perf_counter()
        subprocess.run([PY, "-m", "mmchat", "--version"], cwd=ROOT, capture_output=True, check=True)
        runs.append(time.perf_counter() - t0)
    print(f"  mmchat --version          {statistics.median(runs) * 1000:6.0f} ms  (median of 5)")
    runs = []
    for _ in range(5):
        t0 = time.perf_counter()
        subprocess.run([PY, "-c", "pass"], capture_output=True, check=True)
        runs.append(time.perf_counter() - t0)
    print(f"  bare python -c pass       {statistics.median(runs) * 1000:6.0f} ms  (for scale)")

    proc = subprocess.run(
        [PY, "-X", "importtime", "-c", "import mmchat.tui.app"],
        cwd=ROOT, capture_output=True, text=True, check=True,
    )  # fmt: skip
    rows = []
    for line in proc.stderr.splitlines():
        m = re.match(r"import time:\s+(\d+) \|\s+(\d+) \|(\s*)(\S+)", line)
        if m:
            rows.append((int(m.group(1)), int(m.group(2)), len(m.group(3)), m.group(4)))
    total = max(r[1] for r in rows)
    print(f"  import mmchat.tui.app     {total / 1000:6.0f} ms (python -X importtime, cumulative)")
    top = sorted((r for r in rows if r[2] <= 5), key=lambda r: -r[1])[:12]
    for self_us, cum_us, _, name in top:
        print(f"    {cum_us / 1000:6.1f} ms cumulative  {self_us / 1000:5.1f} ms self  {name}")
    sys.stdout.flush()


# ---------------------------------------------------------------- streaming


# Typed while a turn streams: none of them is in the bench's answers, so the first
# output after a key that holds it is that key's echo.
ECHO_CHARS = "αβγδεζηθικλμνξοπρστυφχψωΑΒΓΔΕΖΗΘΙΚΛΜΝΞΟΠΡΣΤΥΦΧΨΩ"


class PaneOutput:
    """What the app writes to its terminal, as tmux copies it (``pipe-pane``) to a
    file read here. Waiting for an echo then polls a file in this process: polling
    ``capture-pane`` started a tmux client every 2 ms, two thirds of a core on a
    2-core machine, which slowed the app it was timing."""

    def __init__(self) -> None:
        fd, name = tempfile.mkstemp(prefix="mmchat-pane-", suffix=".out")
        os.close(fd)
        self.path = Path(name)
        tmux("pipe-pane", "-t", SESSION, "-o", f"cat >> {self.path}")
        self._file = self.path.open("rb")

    def skip(self) -> None:
        """Forget what was written so far."""
        self._file.seek(0, os.SEEK_END)

    def wait_for(self, data: bytes, within: float = 10.0) -> bool:
        deadline = time.perf_counter() + within
        seen = b""
        while time.perf_counter() < deadline:
            chunk = self._file.read()
            if chunk:
                seen = seen[-len(data) :] + chunk
                if data in seen:
                    return True
            else:
                time.sleep(0.001)
        return False

    def close(self) -> None:
        self._file.close()
        self.path.unlink(missing_ok=True)


def echo_once(output: PaneOutput, char: str) -> float:
    """Seconds from ``send-keys`` to the app writing the typed character."""
    output.skip()
    t0 = time.perf_counter()
    subprocess.run(["tmux", "send-keys", "-t", SESSION, "-l", char], check=True)
    output.wait_for(char.encode())
    return time.perf_counter() - t0


def run_turn(home: Path, *, fanout: bool, probe: bool) -> dict[str, Any]:
    db = home / "data" / "history.sqlite3"
    start_app(home)
    # Loaded: the prompt is up and the bar no longer says "starting…" (config, store
    # and engine load after the first frame; a turn sent before waits for them, which
    # the start-up figure covers, not this one).
    wait_screen(lambda s: READY_MARK in s and "preset " in s and LOADING_MARK not in s)
    time.sleep(0.3)
    subprocess.run(["tmux", "send-keys", "-t", SESSION, "-l", "write the long answer"])
    wait_screen(lambda s: "write the long answer" in prompt_line(s))
    before = last_assistant(db)
    started = time.perf_counter()
    started_at = time.monotonic()  # the server's clock
    subprocess.run(["tmux", "send-keys", "-t", SESSION, "Enter"], check=True)
    wait_screen(lambda s: "write the long answer" not in prompt_line(s))
    latencies: list[float] = []
    output = PaneOutput() if probe else None
    time.sleep(0.3)
    timeout = False
    while True:
        now = last_assistant(db)
        if now is not None and now != before and now[1] != "streaming":
            break
        if time.perf_counter() - started > TURN_LIMIT:
            timeout = True
            break
        if output is not None and len(latencies) < len(ECHO_CHARS):
            latencies.append(echo_once(output, ECHO_CHARS[len(latencies)]))
            time.sleep(0.15)
        else:
            time.sleep(0.01)
    stored = time.perf_counter()
    if output is not None:
        output.close()
    if timeout:
        screen = capture()
        kill()
        return {"timeout": True, "stored": stored - started, "latencies": latencies,
                "screen": screen}  # fmt: skip
    if not fanout:
        wait_screen(lambda s: END_MARK in s, within=TURN_LIMIT)
    shown = time.perf_counter()
    settled = wait_settled()
    settled_at = time.monotonic() - (time.perf_counter() - settled)  # the server's clock
    kill()
    return {
        "timeout": False,
        "stored": stored - started,
        "shown": shown - started,
        "settled": settled - started,
        "rendered_at": settled_at,
        "started_at": started_at,
        "latencies": latencies,
    }


def bench_streams(sections: set[str]) -> None:
    import asyncio

    with ServerProcess(bench_replies()) as server:
        cases = []
        if "single" in sections:
            cases += [("s200", "single answer, 2,000 tokens at 200 tok/s", ["model-s200"], 1.05)]
            cases += [("fast", "single answer, 2,000 tokens unthrottled", ["model-fast"], 1.05)]
        if "fanout" in sections:
            models = [f"model-{a}" for a in FAN]
            cases += [("fan8", "fan-out, 8 panes x 2,000 tokens at 500 tok/s", models, 1.10)]
        for preset, title, models, target in cases:
            wires = [asyncio.run(wire_time(server.url, models)) for _ in range(REPEATS)]
            wire = statistics.median(wires)
            # Wall time and echo come from separate turns: keys typed into the prompt
            # hold streamed text back for a moment (typing_hold), as they should, and
            # the probe's own processes (send-keys, cat) take CPU from the app.
            runs = []
            for _ in range(REPEATS):
                home = make_home(server.url, preset)
                server.timings()  # (drops the requests of the runs before)
                runs.append(run_turn(home, fanout=preset == "fan8", probe=False))
                runs[-1].update(server_pace(server.timings(), models, runs[-1]))
                shutil.rmtree(home, ignore_errors=True)
                if runs[-1]["timeout"] or runs[-1]["settled"] > 40:
                    break
            probed = []
            for _ in range(ECHO_TURNS if preset != "fast" and not runs[-1]["timeout"] else 0):
                home = make_home(server.url, preset)
                probed.append(run_turn(home, fanout=preset == "fan8", probe=True))
                shutil.rmtree(home, ignore_errors=True)
            print(f"{title} (tmux)")
            print(f"  wire time (httpx)        {wire * 1000:8.0f} ms  (median of {REPEATS})")
            lat = [x for r in probed for x in r["latencies"]]
            if runs[0]["timeout"]:
                print(
                    f"  NOT FINISHED after {TURN_LIMIT:.0f} s (history still 'streaming'); "
                    f"rendered / wire > {TURN_LIMIT / wire:.1f}x (target <= {target:.2f}x: MISSED)"
                )
            else:
                stored = statistics.median(r["stored"] for r in runs)
                shown = statistics.median(r["shown"] for r in runs)
                settled = statistics.median(r["settled"] for r in runs)
                print(
                    f"  app runs                 {len(runs)} (fewer than {REPEATS} when one "
                    f"takes > 40 s)"
                )
                print(f"  stored complete (SQLite) {stored * 1000:8.0f} ms")
                if preset != "fan8":
                    print(f"  end of answer on screen  {shown * 1000:8.0f} ms")
                print(
                    f"  screen settled           {settled * 1000:8.0f} ms  (runs: "
                    f"{', '.join(f'{x * 1000:.0f}' for x in (r['settled'] for r in runs))})"
                )
                ratio = settled / wire
                print(
                    f"  settled / wire           {ratio:8.3f}x  (target <= {target:.2f}x: "
                    f"{'met' if ratio <= target else 'MISSED'})"
                )
                print_server_pace(runs, wire)
            if lat:
                print(
                    f"  keystroke echo           p50 {pct(lat, 0.5) * 1000:.0f} ms, p95 "
                    f"{pct(lat, 0.95) * 1000:.0f} ms, max {max(lat) * 1000:.0f} ms over "
                    f"{len(lat)} keys in {len(probed)} more turns (send-keys -> the "
                    f"app's output, via pipe-pane; target <= 100 ms: "
                    f"{'met' if pct(lat, 0.95) <= 0.1 else 'MISSED'})"
                )
                loaded = [r["settled"] / wire for r in probed if not r["timeout"]]
                print(
                    "  settled / wire, those turns (typed into) "
                    + ", ".join(f"{x:.3f}x" for x in loaded)
                )
            sys.stdout.flush()


# ---------------------------------------------------------------- 1,000-turn conversation


def bench_history() -> None:
    import bench_tui

    home = Path(tempfile.mkdtemp(prefix="mmchat-tmux-hist-"))
    os.environ["MMCHAT_CONFIG_DIR"] = str(home / "config")
    os.environ["MMCHAT_DATA_DIR"] = str(home / "data")
    (home / "config").mkdir()
    data = config_dict("http://127.0.0.1:9")
    (home / "config" / "config.toml").write_text(tomli_w.dumps(data))
    bench_tui.build_history()
    print("opening a 1,000-turn conversation (tmux)")
    times, shown_t, rss = [], [], []
    for _ in range(REPEATS):
        start_app(home)
        wait_screen(lambda s: READY_MARK in s)
        wait_screen(lambda s: "a very long chat" in s)
        time.sleep(0.5)
        pid = app_pid()
        before = rss_mb(pid) if pid else (0.0, 0.0)
        # focus the conversation list (shift+tab twice from the prompt), highlight the entry
        for key in ("BTab", "BTab", "Down"):
            subprocess.run(["tmux", "send-keys", "-t", SESSION, key], check=True)
            time.sleep(0.3)
        time.sleep(0.3)
        t0 = time.perf_counter()
        subprocess.run(["tmux", "send-keys", "-t", SESSION, "Enter"], check=True)
        shown = wait_screen(lambda s: END_MARK in s and "Ask anything" not in s, within=60)
        settled = wait_settled(quiet=0.3)
        after = rss_mb(pid) if pid else (0.0, 0.0)
        times.append(settled - t0)
        shown_t.append(shown - t0)
        rss.append((before[0], after[0], after[1]))
        kill()
        time.sleep(0.3)
    t = statistics.median(times)
    print(f"  Enter -> last answer visible {statistics.median(shown_t) * 1000:6.0f} ms")
    print(
        f"  Enter -> screen settled      {t * 1000:6.0f} ms  (median of {REPEATS}; runs "
        f"{', '.join(f'{x * 1000:.0f}' for x in times)}; target <= 500 ms: "
        f"{'met' if t <= 0.5 else 'MISSED'})"
    )
    b, a, hwm = rss[-1]
    print(f"  RSS before / after / peak    {b:.0f} / {a:.0f} / {hwm:.0f} MB")
    shutil.rmtree(home, ignore_errors=True)
    sys.stdout.flush()


def main() -> None:
    if shutil.which("tmux") is None:
        sys.exit("tmux is not installed")
    args = set(sys.argv[1:])
    sections = args or {"startup", "single", "fanout", "history"}
    print(f"bench_tui_tmux · tmux {tmux('-V').split()[-1]} · 160x48 · {os.cpu_count()} cpus")
    try:
        if "startup" in sections:
            bench_startup()
        if sections & {"single", "fanout"}:
            bench_streams(sections)
        if "history" in sections:
            bench_history()
    finally:
        kill()


if __name__ == "__main__":
    main()
