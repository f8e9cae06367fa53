"""Shared pieces of the reliability suite: test keys, scripted models, engine building.

Every key used anywhere in tests/reliability is listed in :data:`TEST_KEYS`; the
session-end scan (``test_zz_secret_scan.py``) looks for each of them in every file the
suite wrote and in every piece of captured output registered with :func:`captured`.
"""

from __future__ import annotations

import json
import re
import ssl
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from mmchat.api import Event, LaneClosed, LaneOpened
from mmchat.config_schema import Config
from mmchat.engine import Engine
from mmchat.plugins import Registry
from tests.fakeserver.server import FakeServer
from tests.harness import user_text

# Distinctive values: a hit in the scan can only come from a leak.
KEY_X = "sk-relx-7Qz9Lw3Vb1Nn5Tt8Kk2Hh6Jj4Pp0Rr"
KEY_GOOD = "sk-relg-3Fd8Sa1Gh5Jk9Lq2Wx7Ce4Vr6Bt0Yn"
KEY_CLI = "sk-relc-9Mn2Bv5Cx8Za1Qs4Wd7Ef3Rg6Th0Yu"
KEY_STORED = "sk-rels-5Ui8Op2As7Df1Gh4Jk9Lz3Xc6Vb0Nm"
TEST_KEYS = (KEY_X, KEY_GOOD, KEY_CLI, KEY_STORED)

# Output captured from subprocesses and error messages, checked at session end.
CAPTURED: list[tuple[str, str]] = []


def captured(where: str, text: str) -> str:
    """Register ``text`` (CLI output, an error message...) for the session-end key scan."""
    CAPTURED.append((where, text))
    return text


def key_fragments(key: str, size: int = 12) -> list[str]:
    """Every ``size``-character window of a key: a leak of part of a key is a leak."""
    return [key[i : i + size] for i in range(0, len(key) - size + 1)]


def leaks(text: str) -> list[str]:
    """The test keys (or 12-char fragments of them) found in ``text``."""
    found = []
    for key in TEST_KEYS:
        if any(fragment in text for fragment in key_fragments(key)):
            found.append(key[:8] + "…")
    return found


# -------------------------------------------------------------- plain sentences

_REPR = re.compile(r"\b\w*(Error|Exception|Timeout|Interrupt)\(")


def plain_sentence_problems(text: str | None, limit: int = 400) -> list[str]:
    """Why ``text`` is not a one-line message a user understands (empty list: it is).

    ``limit`` is generous for a turn error that lists each member's reason.
    """
    if not text or not text.strip():
        return ["empty"]
    problems = []
    if "Traceback" in text or 'File "' in text:
        problems.append("traceback")
    if _REPR.search(text):
        problems.append("exception repr")
    # mmchat's own marker for a bug (turn.py), not a server's "An internal error has
    # occurred" (Gemini's 500), which is the server's text passed on.
    if "internal error:" in text:
        problems.append("internal error")
    if "\n" in text:
        problems.append("more than one line")
    if len(text) > limit:
        problems.append("too long")
    if "\x1b" in text:
        problems.append("escape sequence")
    if leaks(text):
        problems.append("contains a key")
    return problems


# -------------------------------------------------------------- scripted models

PLAN = json.dumps(
    [
        {"id": "s1", "title": "code part", "type": "code", "prompt": "write the code part"},
        {"id": "s2", "title": "prose part", "type": "general", "prompt": "write the prose"},
    ]
)
ASSIGN = json.dumps([{"worker": "x", "task": "part one"}, {"worker": "b", "task": "part two"}])
GOOD_ANSWER = "Paris is the capital of France."
FINAL = "Final combined answer."


def good_model(body: dict[str, Any]) -> str:
    """What the healthy models answer, whatever strategy is asking."""
    text = user_text(body)
    if "Break the request" in text:
        return PLAN
    if "You supervise" in text:
        return ASSIGN
    if "If the results are good enough" in text:
        return f"ACCEPT\n{FINAL}"
    if "Results of the plan's steps" in text or "Write the final answer" in text:
        return FINAL
    if "FINAL RANKING" in text:  # a council member ranks the others' answers
        return "FINAL RANKING:\n1. Response A\n2. Response B\n3. Response C"
    return GOOD_ANSWER


def script_healthy(server: FakeServer, aliases: tuple[str, ...] = ("a", "b", "c")) -> None:
    for alias in aliases:
        server.script_fn(f"model-{alias}", good_model)


# -------------------------------------------------------------- presets

PROMPT = "python question: what is the capital of France?"


def preset_for(strategy: str, faulty: str = "x") -> dict[str, Any]:
    """A preset of ``strategy`` where ``faulty`` is one member (the only one for single)."""
    x = faulty
    options: dict[str, Any] = {
        "single": {"model": x},
        "pipeline": {
            "stages": [
                {"model": "a", "instruction": "Draft an answer."},
                {"model": x, "instruction": "Improve the draft."},
            ]
        },
        "router": {
            "mode": "rules",
            "classifier": "a",
            "rules": {"code": ["python"]},
            "routes": {"code": x, "general": "a"},
            "default": "general",
        },
        "fanout": {"models": ["a", x, "b"]},
        "voting": {"models": ["a", "b", x]},
        "consensus": {"models": ["a", "b", x], "threshold": 0.6, "early_stop": False},
        "ensemble": {"models": {"a": 1.0, x: 1.0, "b": 1.0}, "scoring": "rule"},
        "planner": {"planner": "a", "executors": {"code": x, "default": "b"}},
        "supervisor": {"supervisor": "a", "workers": [x, "b"], "max_rounds": 1},
        "moa": {"proposers": ["a", x, "b"], "layers": 1, "aggregator": "c"},
        "council": {"models": ["a", x, "b"], "chair": "c"},
        "debate": {"models": ["a", x, "b"], "arbiter": "c", "max_rounds": 2},
    }[strategy]
    return {"strategy": strategy, "options": options, "time_limit": 60.0}


STRATEGIES = (
    "single",
    "pipeline",
    "router",
    "fanout",
    "voting",
    "consensus",
    "ensemble",
    "planner",
    "supervisor",
    "moa",
    "council",
    "debate",
)


def config_for(
    server: FakeServer,
    presets: dict[str, dict[str, Any]],
    *,
    x_kind: str = "openai",
    x_read_timeout: float = 5.0,
    x_max_retries: int = 1,
    good_read_timeout: float = 10.0,
    all_bad: bool = False,
) -> Config:
    """Healthy aliases a, b, c on provider ``good``; the faulty alias x on ``bad``.

    ``all_bad`` puts a, b and c on ``bad`` too (every member faulty).
    """
    x_url = {
        "openai": server.openai_url,
        "anthropic": server.anthropic_url,
        "gemini": server.gemini_url,
    }.get(x_kind, server.ollama_url)
    data: dict[str, Any] = {
        "providers": {
            "good": {
                "kind": "openai",
                "base_url": server.openai_url,
                "key": "good-key",
                "max_retries": 0,
                "read_timeout": good_read_timeout,
            },
            "bad": {
                "kind": x_kind,
                "base_url": x_url,
                "key": "x-key",
                "max_retries": x_max_retries,
                "read_timeout": x_read_timeout,
            },
        },
        "models": {
            **{
                alias: {"provider": "bad" if all_bad else "good", "model": f"model-{alias}"}
                for alias in "abc"
            },
            "x": {"provider": "bad", "model": "model-x"},
        },
        "presets": presets,
        "defaults": {"preset": next(iter(presets))},
    }
    return Config.model_validate(data)


def key_lookup(name: str, env_var: str | None) -> str | None:
    return {"x-key": KEY_X, "good-key": KEY_GOOD}.get(name)


@dataclass
class SleepRecorder:
    """An injected retry sleep: records each delay, waits not at all."""

    delays: list[float] = field(default_factory=list)

    async def __call__(self, seconds: float) -> None:
        self.delays.append(seconds)


_SSL: ssl.SSLContext | None = None


def fast_client() -> httpx.AsyncClient:
    """mmchat's client settings, with one SSL context for the whole suite.

    ``make_client`` loads the CA bundle each time (about 0.15 s); the matrix builds
    well over a hundred engines, all talking plain HTTP to the loopback server.
    """
    global _SSL
    if _SSL is None:
        _SSL = ssl.create_default_context()
    from mmchat.providers.http import DEFAULT_CONNECT_TIMEOUT, DEFAULT_READ_TIMEOUT, USER_AGENT

    return httpx.AsyncClient(
        timeout=httpx.Timeout(DEFAULT_READ_TIMEOUT, connect=DEFAULT_CONNECT_TIMEOUT),
        limits=httpx.Limits(max_connections=64, max_keepalive_connections=16),
        headers={"User-Agent": USER_AGENT},
        follow_redirects=False,
        verify=_SSL,
    )


class OwnedClientEngine(Engine):
    """An Engine that closes the client it was given (tests build one per engine)."""

    async def aclose(self) -> None:
        await super().aclose()
        await self.client.aclose()


def build_engine(
    config: Config,
    registry: Registry,
    *,
    store_path: Path | None = None,
    sleep: Callable[[float], Awaitable[None]] | None = None,
) -> Engine:
    store = None
    if store_path is not None:
        from mmchat.history.store import Store

        store = Store.open(store_path)
    return OwnedClientEngine(
        config,
        registry,
        store=store,
        client=fast_client(),
        key_lookup=key_lookup,
        retry_sleep=sleep,
    )


def lanes_of(events: list[Event], model: str) -> list[tuple[LaneOpened, LaneClosed | None]]:
    closed = {e.lane: e for e in events if isinstance(e, LaneClosed)}
    return [
        (e, closed.get(e.lane)) for e in events if isinstance(e, LaneOpened) and e.model == model
    ]
