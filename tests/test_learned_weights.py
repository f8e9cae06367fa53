"""From picks to learned weights, end to end: fan-out turns over the fake server, the
user picks one model's pane, `mmchat leaderboard` (a subprocess, as a user runs it)
ranks it first, and an ensemble with ``weights = "learned"`` then chooses that model's
answer where equal weights choose another's. Too few comparisons: equal weights, and a
warning says so."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from typing import Any

import pytest

from mmchat import paths
from mmchat.api import Note
from mmchat.engine import Engine
from mmchat.ratings.history import record_pick
from tests.fakeserver.server import FakeServer
from tests.harness import decisions, lanes, make_engine, run, user_text

ANSWERS = {"a": "answer from a", "b": "answer from b", "c": "answer from c"}
# the judge prefers a's answer a little: with equal weights, a wins
JUDGED = {"answer from a": 8, "answer from b": 5, "answer from c": 7}
ENSEMBLE = {"models": {"a": 1.0, "b": 1.0, "c": 1.0}, "judges": ["judge"], "seed": 1}
PRESETS: dict[str, dict[str, Any]] = {
    "compare": {"strategy": "fanout", "options": {"models": ["a", "b", "c"]}},
    "equal": {"strategy": "ensemble", "options": ENSEMBLE},
    "learned": {
        "strategy": "ensemble",
        "options": {**ENSEMBLE, "weights": "learned", "min_comparisons": 5},
    },
}


def fair_judge(body: dict[str, Any]) -> str:
    shown = re.findall(r"Answer ([A-Z]):\n(.+)", user_text(body))
    return "{" + ", ".join(f'"{label}": {JUDGED[text]}' for label, text in shown) + "}"


def script_turn(server: FakeServer) -> None:
    for alias, text in ANSWERS.items():
        server.script(f"model-{alias}", text)
    server.script_fn("model-judge", fair_judge)


async def pick(engine: Engine, server: FakeServer, model: str) -> None:
    """A fan-out turn in which the user picks ``model``'s pane."""
    script_turn(server)
    outcome, events = await run(engine, "compare")
    assert engine.store is not None and outcome.message_id is not None
    lane = next(lane.lane for lane in lanes(events) if lane.model == model)
    record_pick(engine.store, outcome.message_id, lane)


def leaderboard(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "mmchat", "leaderboard", *args],
        capture_output=True, text=True, env=dict(os.environ), timeout=60,
    )  # fmt: skip


async def test_picks_rank_models_and_learned_weights_follow_them(fake_server: FakeServer) -> None:
    engine = make_engine(fake_server, PRESETS, store_path=paths.db_file())
    for _ in range(2):
        await pick(engine, fake_server, "c")

    # two picks: a and b have 2 comparisons each, too few: equal weights, and why
    script_turn(fake_server)
    outcome, events = await run(engine, "learned")
    assert outcome.text == ANSWERS["a"]
    warnings = [e.text for e in events if isinstance(e, Note) and e.level == "warning"]
    assert warnings == [
        "too few comparisons for learned weights: a (2 of 5), b (2 of 5), c (4 of 5); equal weights"
    ]
    assert decisions(events, "scores")[0].detail.weights == "equal"

    for _ in range(3):
        await pick(engine, fake_server, "c")
    shown = leaderboard("--json")
    assert shown.returncode == 0, shown.stderr
    table = json.loads(shown.stdout)
    assert [(r["rank"], r["model"], r["comparisons"], r["wins"]) for r in table["rows"]] == [
        (1, "c", 10, 10),
        (2, "a", 5, 0),
        (3, "b", 5, 0),
    ]
    best = table["rows"][0]
    assert best["rating"] - best["interval"] > 1000  # better than the field, surely
    plain = leaderboard()
    first = re.compile(r"^\s+1\s+c\s+\d+\s+±\s*\d+\s+10\s+10$", re.MULTILINE)
    assert plain.returncode == 0 and first.search(plain.stdout), plain.stdout

    script_turn(fake_server)
    equal, _ = await run(engine, "equal")
    script_turn(fake_server)
    learned, events = await run(engine, "learned")
    await engine.aclose()
    assert equal.text == ANSWERS["a"]  # judged 8 × 1 beats 7 × 1
    assert learned.text == ANSWERS["c"]  # 7 × c's learned weight beats 8 × a's
    (scores,) = decisions(events, "scores")
    weights = {row.model: row.weight for row in scores.detail.rows}
    assert scores.detail.weights == "learned"
    assert weights["c"] > 8 / 7 * weights["a"]
    assert sum(weights.values()) / 3 == pytest.approx(1.0, abs=0.002)  # they average 1
    assert not [e for e in events if isinstance(e, Note)]


async def test_leaderboard_shows_hostile_model_names_as_data(fake_server: FakeServer) -> None:
    engine = make_engine(fake_server, PRESETS, store_path=paths.db_file())
    script_turn(fake_server)
    outcome, _ = await run(engine, "compare")
    await engine.aclose()
    assert engine.store is not None and outcome.message_id is not None
    hostile = "evil\x1b]0;owned\x07\x1b[2J"
    engine.store.replace_comparisons(outcome.message_id, [(hostile, "a")], "pick")
    for args in ((), ("--json",)):
        shown = leaderboard(*args)
        assert shown.returncode == 0, shown.stderr
        assert "\x1b" not in shown.stdout and "\x07" not in shown.stdout
        assert "evil" in shown.stdout
