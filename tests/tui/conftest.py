"""Helpers for the app tests: an app wired to the fake server, in tmp dirs.

The suite-wide conftest already points MMCHAT_CONFIG_DIR / MMCHAT_DATA_DIR at tmp
dirs and installs an in-memory keyring; these helpers only build the app.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

from mmchat import paths
from mmchat.history.store import Store
from mmchat.plugins import discover
from mmchat.tui.app import MMChatApp, make_app
from tests.fakeserver import FakeServer
from tests.harness import make_config

PRESETS: dict[str, dict[str, Any]] = {
    "single": {"strategy": "single", "options": {"model": "a"}},
    "other": {"strategy": "single", "options": {"model": "b"}},
    "compare": {"strategy": "fanout", "options": {"models": ["a", "b", "c"]}},
    "vote": {"strategy": "voting", "options": {"models": ["a", "b", "c"]}},
    "agree": {
        "strategy": "consensus",
        "options": {"models": ["a", "b", "c"], "threshold": 0.67, "escalate_to": "big"},
    },
    "ensemble": {
        "strategy": "ensemble",
        "options": {"models": {"a": 0.5, "b": 0.3, "c": 0.2}, "judges": ["judge"], "seed": 1},
    },
    "route": {
        "strategy": "router",
        "options": {
            "classifier": "judge",
            "default": "general",
            "routes": {"code": "a", "general": "b"},
            "deciders": ["rules", "classifier"],
        },
    },
    "plan": {"strategy": "planner", "options": {"planner": "judge", "executors": {"default": "a"}}},
    "plan-review": {
        "strategy": "planner",
        "options": {"planner": "judge", "executors": {"default": "a"}, "approve": True},
    },
    "pipeline": {
        "strategy": "pipeline",
        "options": {
            "stages": [
                {"model": "a", "instruction": "Draft."},
                {"model": "b", "instruction": "Refine."},
            ]
        },
    },
}

PRICED = {"a": {"provider": "fake", "model": "model-a", "price_in": 1.0, "price_out": 2.0}}


def build_app(server: FakeServer, *, preset: str = "single", **kwargs: Any) -> MMChatApp:
    presets = {preset: PRESETS[preset], **{k: v for k, v in PRESETS.items() if k != preset}}
    config = make_config(server, presets, models=kwargs.pop("models", PRICED))
    store = Store.open(paths.db_file())
    return make_app(
        loaded=config, store=store, registry=discover([]), onboarding=False, hide_timings=True,
        **kwargs,
    )  # fmt: skip


async def wait_for(pilot: Any, predicate: Callable[[], bool], within: float = 10.0) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within
    while not predicate():
        if loop.time() > deadline:
            raise AssertionError("condition not reached in time")
        await pilot.pause(0.02)


async def send(pilot: Any, text: str) -> None:
    app = pilot.app
    app.chat_screen.prompt.text = text
    app.chat_screen.prompt.focus()
    await pilot.press("enter")


def idle(app: MMChatApp) -> Callable[[], bool]:
    chat = app.chat_screen
    assert chat is not None
    return lambda: chat.controller.running is None and bool(chat.controller.records)
