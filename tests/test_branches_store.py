"""Branches in the history: the current leaf, where a branch continues, the branch map."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest

from mmchat.api import Usage
from mmchat.history.export import to_json, to_markdown
from mmchat.history.schema import MIGRATIONS
from mmchat.history.store import Store


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    with Store.open(tmp_path / "history.sqlite3") as s:
        yield s


def _turn(store: Store, conv: int, question: str, answer: str, parent: int | None) -> int:
    user = store.add_user_message(conv, question, parent)
    reply = store.start_assistant(conv, user, "single", "single")
    store.finish_assistant(
        reply, text=answer, status="complete", models=["a"], usage=Usage(1, 1),
        cost=None, duration=0.1,
    )  # fmt: skip
    return reply


def _texts(store: Store, conv: int, leaf: int | None = None) -> list[str]:
    return [m.text for m in store.conversation_path(conv, leaf)]


def test_new_messages_end_the_shown_branch_and_a_chosen_leaf_sticks(store: Store) -> None:
    conv = store.create_conversation("c")
    first = _turn(store, conv, "q1", "a1", None)
    old = _turn(store, conv, "q2", "old answer", first)
    new = _turn(store, conv, "q2", "new answer", first)  # regenerated: a sibling turn
    assert store.current_leaf(conv) == new
    assert _texts(store, conv) == ["q1", "a1", "q2", "new answer"]
    store.set_current_leaf(conv, old)
    assert _texts(store, conv) == ["q1", "a1", "q2", "old answer"]
    # the next turn continues the shown branch and becomes its leaf
    later = _turn(store, conv, "q3", "a3", old)
    assert store.current_leaf(conv) == later
    assert _texts(store, conv) == ["q1", "a1", "q2", "old answer", "q3", "a3"]
    # the export follows it: Markdown shows that branch, JSON names its leaf
    markdown = to_markdown(store, conv)
    assert "old answer" in markdown and "new answer" not in markdown
    exported = to_json(store, conv)
    assert exported["current_leaf"] == later
    assert {m["text"] for m in exported["messages"]} >= {"old answer", "new answer"}


def test_newest_leaf_is_where_a_chosen_branch_continues(store: Store) -> None:
    conv = store.create_conversation("c")
    first = _turn(store, conv, "q1", "a1", None)
    root = store.conversation_path(conv)[0].id  # "q1"
    deep = _turn(store, conv, "q2", "a2", first)
    _turn(store, conv, "other q1", "other a1", None)  # an edit of the first question
    assert store.newest_leaf(root) == deep
    assert store.newest_leaf(deep) == deep  # a leaf is its own newest leaf


def test_a_leaf_of_another_conversation_is_refused(store: Store) -> None:
    one = store.create_conversation("one")
    two = store.create_conversation("two")
    leaf = _turn(store, one, "q", "a", None)
    _turn(store, two, "q", "a", None)
    with pytest.raises(KeyError, match="not in conversation"):
        store.set_current_leaf(two, leaf)
    assert _texts(store, two) == ["q", "a"]


def test_deleting_a_conversation_with_a_chosen_leaf(store: Store) -> None:
    conv = store.create_conversation("c")
    leaf = _turn(store, conv, "q", "a", None)
    store.set_current_leaf(conv, leaf)
    store.delete_conversation(conv)
    assert store.get_conversation(conv) is None
    assert store.integrity_check() == "ok"


def test_branch_map_puts_edits_on_the_question_and_regenerations_on_the_answer(
    store: Store,
) -> None:
    conv = store.create_conversation("c")
    first = _turn(store, conv, "q1", "a1", None)
    regen_1 = _turn(store, conv, "q2", "x", first)
    regen_2 = _turn(store, conv, "q2", "y", first)
    users = [m for m in store.messages(conv) if m.role == "user"]
    q2_old, q2_new = users[1].id, users[2].id
    branches = store.branch_map(conv)
    assert branches.for_user(users[0].id) is None  # no alternatives
    assert branches.for_user(q2_new) is None  # the same question: not the place
    on_answer = branches.for_reply(q2_new, regen_2)
    assert on_answer is not None
    assert (on_answer.position, on_answer.count) == (2, 2)
    assert on_answer.step(-1) == q2_old and on_answer.step(1) is None
    # an edited question: now the siblings ask different things
    _turn(store, conv, "q2, better", "z", first)
    branches = store.branch_map(conv)
    on_question = branches.for_user(q2_old)
    assert on_question is not None and (on_question.position, on_question.count) == (1, 3)
    assert branches.for_reply(q2_old, regen_1) is None
    # answers that are siblings themselves (one question answered twice)
    again = store.start_assistant(conv, users[0].id, "single", "single")
    branches = store.branch_map(conv)
    own = branches.for_reply(users[0].id, again)
    assert own is not None and own.ids == (first, again)


def test_a_database_from_before_branches_shows_its_newest_message(tmp_path: Path) -> None:
    db = tmp_path / "old.sqlite3"
    with sqlite3.connect(db) as conn:  # the schema before current_leaf
        for number, script in enumerate(MIGRATIONS[:-1], start=1):
            conn.executescript(f"{script}\nPRAGMA user_version = {number};")
        conn.execute("INSERT INTO conversations(title, created, updated) VALUES ('old', 1, 1)")
        conn.execute(
            "INSERT INTO messages(conversation_id, parent_id, role, text, created)"
            " VALUES (1, NULL, 'user', 'q', 1), (1, 1, 'assistant', 'first', 1),"
            " (1, NULL, 'user', 'q', 2), (1, 3, 'assistant', 'second', 2)"
        )
    with Store.open(db) as store:
        assert store.schema_version == len(MIGRATIONS)
        assert store.current_leaf(1) == 4
        assert _texts(store, 1) == ["q", "second"]
        assert store.branch_map(1).for_reply(3, 4) is not None
