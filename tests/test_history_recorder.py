"""History from events: what the recorder stores is what the views were shown, and a
stored turn replays as the same events (decisions typed, reasoning included)."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path
from typing import Any

import pytest

from mmchat.api import (
    CustomDetail,
    Decision,
    Event,
    LaneClosed,
    LaneOpened,
    Note,
    PlanNode,
    ReasoningDelta,
    RouteDetail,
    TextDelta,
    TurnFinished,
    VoteDetail,
)
from mmchat.history.codec import decode, encode
from mmchat.history.export import to_markdown
from mmchat.history.replay import replay_events
from mmchat.history.store import Store
from tests.fakeserver import Reply
from tests.fakeserver.server import FakeServer
from tests.harness import make_engine, run, run_and_cancel, user_text

PLAN = json.dumps(
    [
        {"id": "s1", "title": "find the facts", "type": "search"},
        {"id": "s2", "title": "do the sums", "type": "math", "depends_on": ["s1"]},
    ]
)
PRESETS: dict[str, dict[str, Any]] = {
    "route": {
        "strategy": "router",
        "options": {"classifier": "judge", "routes": {"code": "a", "general": "b"}},
    },
    "vote": {"strategy": "voting", "options": {"models": ["a", "b", "c"]}},
    "agree": {
        "strategy": "consensus",
        "options": {"models": ["a", "b", "c"], "threshold": 1.0, "escalate_to": "big"},
    },
    "ensemble": {
        "strategy": "ensemble",
        "options": {"models": {"a": 1.0, "b": 0.5}, "judges": ["judge"]},
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
    "plan": {"strategy": "planner", "options": {"planner": "judge", "executors": {"default": "a"}}},
    "supervise": {"strategy": "supervisor", "options": {"supervisor": "big", "workers": ["a"]}},
    "compare": {"strategy": "fanout", "options": {"models": ["a", "b"]}},
    "moa": {"strategy": "moa", "options": {"proposers": ["a", "c"], "layers": [["b"]],
                                           "aggregator": "big"}},
    "council": {"strategy": "council", "options": {"models": ["a", "b", "c"], "chair": "big"}},
    "debate": {"strategy": "debate", "options": {"models": ["a", "b", "c"], "arbiter": "big"}},
}  # fmt: skip


def answering(text: str, **reply: Any) -> Any:
    """Says ``text``; asked to rank answers (a council), ranks them."""
    ranking = "FINAL RANKING:\n1. Response B\n2. Response A"
    return lambda body: Reply(text=ranking if "FINAL RANKING" in user_text(body) else text, **reply)


def script_all(server: FakeServer) -> None:
    server.script_fn("model-a", answering("Paris is the answer.", reasoning="hmm"))
    server.script_fn("model-b", answering("Paris is the answer."))
    server.script_fn("model-c", answering("Lyon."))
    server.script_fn("model-big", lambda body: Reply(text="ACCEPT\nParis.\nConfidence: 0.9"))
    server.script("model-judge", "code", '{"A": 7, "B": 5}', PLAN, "final synthesis")


def shown(events: list[Event]) -> dict[str, Any]:
    """What a view is shown of a turn, without stamps and per-token pieces."""
    reasoning: dict[str, str] = {}
    for e in events:
        if isinstance(e, ReasoningDelta):
            reasoning[e.lane] = reasoning.get(e.lane, "") + e.text
    finish = next(e for e in events if isinstance(e, TurnFinished))
    return {
        "lanes": [(e.lane, e.model, e.role, e.label, e.parent) for e in events
                  if isinstance(e, LaneOpened)],
        "closed": {e.lane: (e.status, e.text, e.error) for e in events
                   if isinstance(e, LaneClosed)},
        "reasoning": reasoning,
        "decisions": [(e.kind, e.summary, e.detail, e.scope) for e in events
                      if isinstance(e, Decision)],
        "plan": [(e.node, e.label, e.state, e.parent, e.lane, e.kind) for e in events
                 if isinstance(e, PlanNode)],
        "notes": [(e.text, e.level) for e in events if isinstance(e, Note)],
        "finish": (finish.status, finish.text, finish.error),
    }  # fmt: skip


@pytest.mark.parametrize("preset", sorted(PRESETS))
async def test_a_stored_turn_replays_as_the_events_it_was_shown(
    fake_server: FakeServer, tmp_path: Path, preset: str
) -> None:
    script_all(fake_server)
    engine = make_engine(fake_server, PRESETS, store_path=tmp_path / "h.db")
    outcome, events = await run(engine, preset, "What is the capital of France?")
    await engine.aclose()
    assert outcome.status == "complete", outcome.error
    store = engine.store
    assert isinstance(store, Store)
    row = store.get_message(outcome.message_id or 0)
    assert row is not None and row.text == outcome.text
    replayed = replay_events(store, row, "What is the capital of France?")
    live, again = shown(events), shown(replayed)
    # Replay puts lanes first and decisions after; each kind keeps its own order.
    assert again == live
    assert any(isinstance(e.detail, (RouteDetail, VoteDetail)) for e in replayed
               if isinstance(e, Decision)) or preset not in ("route", "vote")  # fmt: skip


async def test_cancelled_turn_keeps_the_answer_so_far_as_the_message(
    fake_server: FakeServer, tmp_path: Path
) -> None:
    fake_server.script("model-a", Reply(text="word " * 200, chunk_chars=5, delay=0.01))
    one = {"one": {"strategy": "single", "options": {"model": "a"}}}
    engine = make_engine(fake_server, PRESETS | one, store_path=tmp_path / "h.db")
    events = await run_and_cancel(engine, "one", "talk", when=lambda evs: sum(
        isinstance(e, TextDelta) for e in evs) >= 5)  # fmt: skip
    await engine.aclose()
    finish = next(e for e in events if isinstance(e, TurnFinished))
    assert finish.status == "cancelled" and finish.text.startswith("word word")
    store = engine.store
    assert isinstance(store, Store)
    (conversation,) = store.list_conversations()
    _, answer = store.conversation_path(conversation.id)
    assert answer.status == "cancelled" and answer.text == finish.text
    assert "word word" in to_markdown(store, conversation.id)


def test_an_interrupted_answer_replays_as_interrupted_with_its_text(tmp_path: Path) -> None:
    db = tmp_path / "h.db"
    store = Store.open(db)
    conv = store.create_conversation("t")
    user = store.add_user_message(conv, "tell me", None)
    msg = store.start_assistant(conv, user, "single", "single")
    store.open_lane(msg, "L1", "local", "answer", "local", None)
    store.update_lane_text(msg, "L1", "The answer so f", "")
    store.update_assistant_text(msg, "The answer so f")
    store.close()  # a crash: nothing finished the message
    store = Store.open(db)
    assert store.interrupted_at_open == 1
    row = store.get_message(msg)
    assert row is not None and row.status == "interrupted" and row.text == "The answer so f"
    events = replay_events(store, row)
    (closed,) = [e for e in events if isinstance(e, LaneClosed)]
    finish = events[-1]
    assert isinstance(finish, TurnFinished)
    assert closed.status == "interrupted" and closed.text == "The answer so f"
    assert finish.status == "interrupted" and finish.text == "The answer so f"
    assert finish.error is not None and "interrupted" in finish.error
    md = to_markdown(store, conv)
    assert "The answer so f" in md and "_(no text)_" not in md and "interrupted" in md


def test_unknown_or_old_decision_data_comes_back_generic() -> None:
    kind, data = encode(Decision(kind="shortest", summary="b: 3 chars", detail=CustomDetail(
        {"chars": 3})))  # fmt: skip
    back = decode(kind, data)
    assert isinstance(back, Decision) and back.kind == "shortest"
    assert back.detail == CustomDetail({"chars": 3})
    # A route decision stored by an older mmchat (no "source"): generic, not lost.
    old = decode("Decision", {"kind": "route", "summary": "code → a", "detail": {"route": "code"}})
    assert isinstance(old, Decision) and old.kind == "route"
    assert old.detail == CustomDetail({"route": "code"}) and old.detail.lines() == ["route: code"]


def test_a_decision_needs_a_kind_that_matches_its_detail() -> None:
    with pytest.raises(ValueError, match="needs a kind"):
        Decision(summary="no kind")
    with pytest.raises(ValueError, match="but its detail is"):
        Decision(kind="vote", summary="x",
                 detail=RouteDetail(route="a", target="b", source="rule", reason="r"))  # fmt: skip


def test_history_files_are_private_whatever_the_folder_and_umask(tmp_path: Path) -> None:
    folder = tmp_path / "data"
    folder.mkdir(mode=0o755)
    old = os.umask(0o022)
    try:
        store = Store.open(folder / "history.sqlite3")
        conv = store.create_conversation("t")  # writes: the -wal and -shm files exist now
        store.add_user_message(conv, "hello", None)
        files = sorted(folder.iterdir())
        assert {p.name for p in files} >= {"history.sqlite3", "history.sqlite3-wal"}
        for path in files:
            assert stat.S_IMODE(path.stat().st_mode) == 0o600, path.name
        store.close()
    finally:
        os.umask(old)
