"""Try the TUI for real without any model: a fake server plus a config pointing at it.

    .venv/bin/python bench/tui_fake_server.py /tmp/mmchat-try   # prints the env to use
    MMCHAT_CONFIG_DIR=/tmp/mmchat-try/config MMCHAT_DATA_DIR=/tmp/mmchat-try/data \\
        tmux new -d -s t -x 160 -y 48 '.venv/bin/python -m mmchat'

The server runs until this script is stopped (Ctrl+C). Models stream canned answers at
a readable pace; ``slow`` is slow enough to try Esc, ``broken`` always fails, ``long``
streams a long Markdown answer (preset ``compare-long``: six panes), ``thinker``
reasons for a few seconds before it answers (preset ``think``; it is also in
``compare``), the planner answers with a two-step plan.
"""

from __future__ import annotations

import json
import signal
import sys
import threading
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import contextlib

import tomli_w

from tests.fakeserver import FakeServer, Reply

LOREM = (
    "Here is an answer with **markdown**:\n\n- a point\n- another point\n\n"
    "```python\ndef add(a, b):\n    return a + b\n```\n\nThat is all."
)
LONG = "\n\n".join(
    f"## Part {n}\n\nA longer answer streams here, with **bold** and `code()` in it, "
    "long enough to wrap a few times in a narrow pane.\n\n- first point\n- second point\n"
    "  - a nested point\n\n| name | value |\n|---|---|\n| alpha | 1 |\n| beta | 2 |"
    for n in range(1, 16)
)
PLAN = json.dumps(
    [
        {"id": "s1", "title": "collect the facts", "type": "search"},
        {"id": "s2", "title": "compute the total", "type": "math", "depends_on": ["s1"]},
    ]
)


def script(server: FakeServer) -> None:
    server.script("model-a", Reply(text=LOREM, chunk_chars=3, delay=0.02))
    server.script("model-b", Reply(text="A shorter answer from b. " * 4, chunk_chars=3, delay=0.03))
    server.script("model-c", Reply(text="42", delay=0.05))
    server.script("model-long", Reply(text=LONG, chunk_chars=4, delay=0.005))
    server.script("model-slow", Reply(text="slow words arrive one by one " * 30, delay=0.15))
    server.script("model-broken", Reply(status=503, error_message="upstream overloaded"))
    thought = (
        "The user wants a short answer. Let me check the facts first: **two** and two "
        "make four, and nothing in the question suggests another base. "
    ) * 6
    server.script("model-thinker", Reply(text=LOREM, reasoning=thought, chunk_chars=4, delay=0.01))
    answers = iter([PLAN])

    def planner(body: dict[str, Any]) -> Reply | str:
        text = json.dumps(body)
        if "Break the request" in text:
            return Reply(text=next(answers, PLAN), chunk_chars=8, delay=0.01)
        if "Categor" in text or "categor" in text:
            return "code"
        return Reply(text="**Synthesis**: the total is 42.", chunk_chars=3, delay=0.02)

    server.script_fn("model-judge", planner)


def config(url: str) -> dict[str, Any]:
    models = {
        alias: {"provider": "fake", "model": f"model-{alias}", "price_in": 0.5, "price_out": 1.5}
        for alias in ("a", "b", "c", "judge")
    }
    models["slow"] = {"provider": "fake", "model": "model-slow"}  # unknown price
    models["broken"] = {"provider": "fake", "model": "model-broken"}
    models["long"] = {"provider": "fake", "model": "model-long"}
    models["thinker"] = {"provider": "fake", "model": "model-thinker"}
    return {
        "defaults": {"preset": "single", "model": "a"},
        "ui": {"sidebar": True},
        "providers": {"fake": {"kind": "openai", "base_url": f"{url}/v1", "max_retries": 1}},
        "models": models,
        "presets": {
            "single": {"strategy": "single", "options": {"model": "a"}},
            "slow": {"strategy": "single", "options": {"model": "slow"}},
            "think": {"strategy": "single", "options": {"model": "thinker"}},
            "compare": {
                "strategy": "fanout",
                "options": {"models": ["a", "b", "slow", "broken", "thinker"]},
            },
            "compare-long": {
                "strategy": "fanout",
                "options": {"models": ["long", "long", "long", "long", "a", "b"]},
            },
            "vote": {"strategy": "voting", "options": {"models": ["c", "c", "b"]}},
            "agree": {
                "strategy": "consensus",
                "options": {"models": ["a", "b", "c"], "threshold": 0.67, "escalate_to": "judge"},
            },
            "ensemble": {
                "strategy": "ensemble",
                "options": {"models": {"a": 0.5, "b": 0.3, "c": 0.2}, "judges": ["judge"]},
            },
            "route": {
                "strategy": "router",
                "options": {"classifier": "judge", "routes": {"code": "a", "general": "b"}},
            },
            "pipeline": {
                "strategy": "pipeline",
                "options": {
                    "stages": [
                        {"model": "b", "instruction": "Draft."},
                        {"model": "a", "instruction": "Refine."},
                    ]
                },
            },
            "plan": {
                "strategy": "planner",
                "options": {"planner": "judge", "executors": {"default": "a"}, "approve": True},
            },
            "supervise": {
                "strategy": "supervisor",
                "options": {"supervisor": "judge", "workers": ["a", "b"]},
            },
        },
    }


def main() -> None:
    home = Path(sys.argv[1] if len(sys.argv) > 1 else "/tmp/mmchat-try")
    (home / "config").mkdir(parents=True, exist_ok=True)
    (home / "data").mkdir(parents=True, exist_ok=True)
    with FakeServer() as server:
        script(server)
        (home / "config" / "config.toml").write_text(tomli_w.dumps(config(server.url)))
        print(f"fake server at {server.url}", flush=True)
        print(f"MMCHAT_CONFIG_DIR={home / 'config'} MMCHAT_DATA_DIR={home / 'data'}", flush=True)
        stop = threading.Event()
        signal.signal(signal.SIGTERM, lambda *_: stop.set())
        with contextlib.suppress(KeyboardInterrupt):
            stop.wait()


if __name__ == "__main__":
    main()
