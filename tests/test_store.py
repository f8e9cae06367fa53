from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

from mmchat.api import Usage
from mmchat.history.export import to_json, to_markdown
from mmchat.history.schema import MIGRATIONS
from mmchat.history.store import Store, StoreError


@pytest.fixture
def db(tmp_path: Path) -> Path:
    return tmp_path / "data" / "history.sqlite3"


@pytest.fixture
def store(db: Path) -> Store:
    s = Store.open(db)
    yield s  # type: ignore[misc]
    s.close()


def _raw(db: Path, sql: str, *params: object) -> list[tuple[object, ...]]:
    # A separate connection sees only committed data.
    with sqlite3.connect(db) as conn:
        return list(conn.execute(sql, params).fetchall())


def test_pragmas_and_schema_version(store: Store, db: Path) -> None:
    assert store.schema_version == len(MIGRATIONS)
    assert store.integrity_check() == "ok"
    assert _raw(db, "PRAGMA journal_mode") == [("wal",)]
    assert store._conn.execute("PRAGMA foreign_keys").fetchone()[0] == 1
    assert store._conn.execute("PRAGMA synchronous").fetchone()[0] == 1  # NORMAL


def test_reopen_does_not_rerun_migrations(db: Path) -> None:
    Store.open(db).close()
    with Store.open(db) as again:
        assert again.schema_version == len(MIGRATIONS)


def test_a_version_1_database_gains_the_eval_tables_and_keeps_its_history(db: Path) -> None:
    db.parent.mkdir(parents=True)
    with sqlite3.connect(db) as conn:  # what mmchat before `mmchat eval` wrote
        conn.executescript(MIGRATIONS[0] + "\nPRAGMA user_version = 1;")
        conn.execute("INSERT INTO conversations(title, created, updated) VALUES ('old chat', 1, 1)")
    with Store.open(db) as store:
        assert store.schema_version == len(MIGRATIONS)
        assert [c.title for c in store.list_conversations()] == ["old chat"]
        run = store.eval_run(
            dataset="builtin:facts", dataset_hash="abc", dataset_size=40, preset="vote",
            strategy="voting", config_hash="123",
        )  # fmt: skip
        assert store.eval_results(run.id) == [] and store.eval_runs() == []


def test_newer_schema_refused(db: Path) -> None:
    Store.open(db).close()
    with sqlite3.connect(db) as conn:
        conn.execute("PRAGMA user_version = 99")
    with pytest.raises(StoreError, match="newer mmchat"):
        Store.open(db)


def test_user_message_durable_before_assistant(store: Store, db: Path) -> None:
    conv = store.create_conversation("Test", "single")
    user = store.add_user_message(conv, "What is 2+2?", None)
    # Visible from another connection before any assistant work starts.
    assert _raw(db, "SELECT role, text FROM messages WHERE id=?", user) == [
        ("user", "What is 2+2?")
    ]


def test_full_turn_with_lanes_and_events(store: Store) -> None:
    conv = store.create_conversation()
    user = store.add_user_message(conv, "hi", None)
    msg = store.start_assistant(conv, user, "compare", "fanout")
    assert store.get_message(msg).status == "streaming"  # type: ignore[union-attr]
    store.open_lane(msg, "a", "precise", "answer", "Precise", None)
    store.open_lane(msg, "b", "creative", "answer", "Creative", None)
    store.update_lane_text(msg, "a", "Hel")
    store.close_lane(
        msg,
        "a",
        status="done",
        text="Hello",
        reasoning="",
        usage=Usage(5, 2),
        cost=0.001,
        ttft=0.2,
        duration=1.5,
        finish_reason="stop",
        error=None,
    )
    store.close_lane(
        msg,
        "b",
        status="failed",
        text="",
        reasoning="",
        usage=Usage(5, 0, True),
        cost=None,
        ttft=None,
        duration=0.3,
        finish_reason=None,
        error="HTTP 500",
    )
    store.add_event(msg, 1, 0.1, "decision", {"kind": "tally", "votes": {"Hello": 1}})
    store.finish_assistant(
        msg,
        text="Hello",
        status="complete",
        models=["precise", "creative"],
        usage=Usage(10, 2, True),
        cost=None,
        duration=1.6,
        error=None,
    )
    row = store.get_message(msg)
    assert row is not None
    assert (row.status, row.text, row.models) == ("complete", "Hello", ("precise", "creative"))
    assert row.usage == Usage(10, 2, True) and row.cost is None
    lanes = {lane.lane: lane for lane in store.lanes(msg)}
    assert lanes["a"].status == "done" and lanes["a"].usage == Usage(5, 2)
    assert lanes["b"].error == "HTTP 500" and lanes["b"].usage.estimated
    assert store.events(msg)[0].data == {"kind": "tally", "votes": {"Hello": 1}}
    totals = store.session_totals(conv)
    assert totals.turns == 1 and totals.usage.total_tokens == 12
    assert totals.unknown_cost_turns == 1


def test_partial_text_kept_on_cancel(store: Store) -> None:
    conv = store.create_conversation()
    user = store.add_user_message(conv, "long story", None)
    msg = store.start_assistant(conv, user, "single", "single")
    store.open_lane(msg, "main", "local", "", "", None)
    store.update_lane_text(msg, "main", "Once upon")
    store.update_assistant_text(msg, "Once upon")
    store.finish_assistant(
        msg,
        text="Once upon a",
        status="cancelled",
        models=["local"],
        usage=Usage(3, 3, True),
        cost=0.0,
        duration=0.4,
        error=None,
    )
    row = store.get_message(msg)
    assert row is not None and (row.status, row.text) == ("cancelled", "Once upon a")
    lane = store.lanes(msg)[0]
    assert lane.status == "cancelled" and lane.text == "Once upon"


def test_mark_interrupted_after_crash(db: Path) -> None:
    s = Store.open(db)
    conv = s.create_conversation()
    user = s.add_user_message(conv, "q", None)
    msg = s.start_assistant(conv, user, "single", "single")
    s.open_lane(msg, "main", "local", "", "", None)
    s.update_lane_text(msg, "main", "partial ans")
    s.update_assistant_text(msg, "partial ans")
    s._conn.close()  # simulated crash: nothing finished, nothing else written

    again = Store.open(db)
    assert again.interrupted_at_open == 1
    row = again.get_message(msg)
    assert row is not None and (row.status, row.text) == ("interrupted", "partial ans")
    lane = again.lanes(msg)[0]
    assert (lane.status, lane.text) == ("interrupted", "partial ans")
    assert again.mark_interrupted() == 0
    again.close()


def test_branches_and_paths(store: Store) -> None:
    conv = store.create_conversation()
    u1 = store.add_user_message(conv, "first", None)
    a1 = store.start_assistant(conv, u1, "single", "single")
    store.finish_assistant(
        a1,
        text="A1",
        status="complete",
        models=["local"],
        usage=Usage(),
        cost=0.0,
        duration=0.1,
        error=None,
    )
    u2 = store.add_user_message(conv, "second", a1)
    u2b = store.add_user_message(conv, "second, edited", a1)  # a sibling branch
    assert [m.id for m in store.children(a1)] == [u2, u2b]
    assert [m.text for m in store.conversation_path(conv)] == ["first", "A1", "second, edited"]
    assert [m.text for m in store.conversation_path(conv, u2)] == ["first", "A1", "second"]
    other = store.create_conversation()
    assert store.conversation_path(other) == []
    assert store.conversation_path(other, u2) == []  # leaf from another conversation
    # the outline (what opening a conversation reads for every message) is the same path
    for leaf in (None, u2):
        full = store.conversation_path(conv, leaf)
        outline = store.conversation_outline(conv, leaf)
        assert [(m.id, m.role, m.text, m.strategy) for m in full] == [tuple(e) for e in outline]
    assert store.conversation_outline(other) == []


def test_list_search_rename_delete(store: Store) -> None:
    c1 = store.create_conversation("Cooking")
    c2 = store.create_conversation("Travel")
    store.add_user_message(c2, "best 100% pasta_recipe?", None)
    assert {c.id for c in store.list_conversations()} == {c1, c2}
    assert store.list_conversations()[0].id == c2  # most recently updated
    assert [c.id for c in store.search_conversations("cook")] == [c1]
    assert [c.id for c in store.search_conversations("100% pasta_r")] == [c2]
    assert store.search_conversations("0%% pasta") == []
    store.rename_conversation(c1, "Food")
    assert store.get_conversation(c1).title == "Food"  # type: ignore[union-attr]
    msg = store.start_assistant(c2, 1, "x", "single")
    store.open_lane(msg, "l", "m", "", "", None)
    store.add_event(msg, 0, 0.0, "note", {})
    store.delete_conversation(c2)
    assert store.get_conversation(c2) is None
    for table in ("messages", "lanes", "events"):
        assert store._conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0] == 0


def test_chosen_lane(store: Store) -> None:
    conv = store.create_conversation()
    user = store.add_user_message(conv, "q", None)
    msg = store.start_assistant(conv, user, "compare", "fanout")
    store.set_chosen_lane(msg, "b", "answer b")
    row = store.get_message(msg)
    assert row is not None and (row.chosen_lane, row.text) == ("b", "answer b")


def test_exports(store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    secret = "sk-live-should-never-appear-123456"
    monkeypatch.setenv("OPENAI_API_KEY", secret)
    conv = store.create_conversation("Export me", "vote")
    user = store.add_user_message(conv, "Capital of France?", None)
    msg = store.start_assistant(conv, user, "vote", "voting")
    store.open_lane(msg, "v1", "precise", "voter", "", None)
    store.close_lane(
        msg,
        "v1",
        status="done",
        text="Paris",
        reasoning="",
        usage=Usage(4, 1),
        cost=0.0,
        ttft=0.1,
        duration=0.2,
        finish_reason="stop",
        error=None,
    )
    store.add_event(msg, 1, 0.3, "Decision", {"kind": "vote", "summary": "Paris wins 1/1"})
    store.finish_assistant(
        msg,
        text="Paris",
        status="complete",
        models=["precise"],
        usage=Usage(4, 1),
        cost=0.0,
        duration=0.3,
        error=None,
    )
    md = to_markdown(store, conv)
    assert md.startswith("# Export me") and "Capital of France?" in md and "Paris" in md
    assert "voting" in md and "precise" in md
    assert "> ◆ **vote**: Paris wins 1/1" in md  # decisions read back through replay
    data = to_json(store, conv)
    assistant = data["messages"][1]
    assert assistant["strategy"] == "voting" and assistant["models"] == ["precise"]
    assert assistant["usage"]["prompt_tokens"] == 4 and assistant["cost"] == 0.0
    assert assistant["lanes"][0]["text"] == "Paris"
    assert assistant["events"][0]["data"]["summary"] == "Paris wins 1/1"
    dumped = json.dumps(data)
    assert secret not in dumped and secret not in md
    assert "api_key" not in dumped.lower()
