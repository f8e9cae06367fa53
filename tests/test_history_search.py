"""Full-text search of the history (SQLite FTS5): what the user types is never FTS syntax,
matches are ranked and highlighted, the index follows every write, and a database of
the version before gets its rows indexed when it is opened."""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mmchat.api import Usage
from mmchat.history import schema
from mmchat.history.search import Snippet, fts_query
from mmchat.history.store import Store


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    with Store.open(tmp_path / "history.sqlite3") as s:
        yield s


def turn(
    store: Store,
    question: str,
    answer: str,
    *,
    conversation: int | None = None,
    lanes: dict[str, str] | None = None,
    title: str = "",
) -> tuple[int, int]:
    """A finished turn (conversation id, assistant message id); each lane a model's text."""
    conv = conversation or store.create_conversation(title or question[:40], "single")
    parents = store.conversation_outline(conv)
    user = store.add_user_message(conv, question, parents[-1].id if parents else None)
    msg = store.start_assistant(conv, user, "single", "single")
    for model, text in (lanes or {"a": answer}).items():
        store.open_lane(msg, f"L-{model}", model, "answer", model)
        store.close_lane(msg, f"L-{model}", status="done", text=text, usage=Usage(1, 1))
    store.finish_assistant(
        msg, text=answer, status="complete", models=list(lanes or ["a"]), usage=Usage(1, 1),
        cost=None, duration=0.1,
    )  # fmt: skip
    return conv, msg


def found(store: Store, text: str, **kwargs: object) -> list[int]:
    return [hit.conversation_id for hit in store.search(text, **kwargs)]  # type: ignore[arg-type]


# ------------------------------------------------------------------ the query


@pytest.mark.parametrize(
    ("typed", "query"),
    [
        ("paris", '"paris"'),
        ("capital of France", '"capital" "of" "France"'),
        ('"exact phrase" here', '"exact phrase" "here"'),
        ("optim*", '"optim"*'),
        ("a AND b OR NOT c", '"a" "AND" "b" "OR" "NOT" "c"'),
        ("NEAR(a b, 3)", '"NEAR(a" "b," "3)"'),
        ('say "hi', '"say" """hi"'),  # an unbalanced quote is a character
        ("col:val ^start -x", '"col:val" "^start" "-x"'),
        ("( ) * - \" '", None),  # nothing a tokenizer would index
        ("", None),
    ],
)
def test_typed_text_becomes_quoted_terms(typed: str, query: str | None) -> None:
    assert fts_query(typed) == query


def test_search_as_you_type_makes_the_last_word_a_prefix() -> None:
    assert fts_query("capital fra", prefix_last=True) == '"capital" "fra"*'
    assert fts_query('"a phrase"', prefix_last=True) == '"a phrase"'
    # under three letters the word being typed is matched whole ("s*" would match most of
    # the history on every keystroke); a "*" the user types still makes a prefix
    assert fts_query("capital fr", prefix_last=True) == '"capital" "fr"'
    assert fts_query("capital fr*", prefix_last=True) == '"capital" "fr"*'


NASTY = [
    '"', '""', "'", "(", ")", "(()", "*", "**", "a*b", "AND", "OR", "NOT", "NEAR",
    "NEAR(x y)", "a OR", "OR a", "x:y", "messages_fts:x", "^", "-", "+", "{a b}", "[x]",
    "\\", "%", "_", "\x00", "0\x00", "a\x00b", "\x1b[31m", "é", "Zürich", "東京", "Привет",
    "🙂", "a\nb",
]  # fmt: skip


@pytest.mark.parametrize("typed", NASTY)
def test_nothing_the_user_types_is_an_fts_syntax_error(store: Store, typed: str) -> None:
    turn(store, "a question", "an answer with x and y")
    store.search(typed)  # must not raise
    store.search(typed, prefix_last=True)


@settings(max_examples=150, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.text(max_size=40))
def test_any_text_searches_without_error(store: Store, typed: str) -> None:
    for hit in store.search(typed, prefix_last=True):
        assert hit.snippet.parts


# ------------------------------------------------------------------ matching and ranking


def test_finds_messages_and_answers_with_a_highlighted_snippet(store: Store) -> None:
    paris, _ = turn(store, "What is the capital of France?", "The capital of France is Paris.")
    turn(store, "A haiku about tea", "Green leaves in hot water")
    hits = store.search("paris")
    assert [h.conversation_id for h in hits] == [paris]
    snippet = hits[0].snippet
    assert snippet.text == "The capital of France is Paris."
    assert [snippet.text[a:b] for a, b in snippet.highlights()] == ["Paris"]
    assert found(store, "capital france") == [paris]  # every word, any order
    assert found(store, "capital tea") == []


def test_accents_and_case_fold_in_any_script(store: Store) -> None:
    cafe, _ = turn(store, "Où boire un café à Zürich ?", "Au Café Schober.")
    russian, _ = turn(store, "Как сказать привет?", "Привет — это hello.")
    assert found(store, "cafe zurich") == [cafe]
    assert found(store, "CAFÉ") == [cafe]
    assert found(store, "ПРИВЕТ") == [russian]
    greek, _ = turn(store, "Τι σημαίνει αγάπη;", "Αγάπη σημαίνει love.")
    assert found(store, "ΑΓΆΠΗ") == [greek]  # case folds in Greek; accents only in Latin


def test_phrases_and_prefixes(store: Store) -> None:
    a, _ = turn(store, "premature optimization", "is the root of all evil")
    b, _ = turn(store, "optimization is premature", "sometimes")
    assert set(found(store, "premature optimization")) == {a, b}
    assert found(store, '"premature optimization"') == [a]
    assert found(store, "optim") == []  # a whole word...
    assert set(found(store, "optim*")) == {a, b}  # ...or a prefix when asked
    assert set(found(store, "optim", prefix_last=True)) == {a, b}


def test_better_matches_rank_first_and_one_hit_per_conversation(store: Store) -> None:
    weak, _ = turn(store, "a long story " + "filler words " * 60 + "with tokio once", "ok")
    strong, _ = turn(store, "tokio", "tokio tokio: the async runtime")
    turn(store, "tokio again", "more tokio", conversation=strong)
    hits = store.search("tokio")
    assert [h.conversation_id for h in hits] == [strong, weak]
    assert hits[0].score < hits[1].score  # bm25: lower is better
    assert len(store.search("tokio", limit=1)) == 1


def test_only_the_newest_matches_are_ranked_when_a_word_is_everywhere(tmp_path: Path) -> None:
    """bm25 costs per matching row: a very common word ranks the newest matches only
    (NEWEST of them, 5000, in the app), a rarer word is ranked over the whole history."""
    from mmchat.history.search import search

    with Store.open(tmp_path / "h.sqlite3") as store:
        oldest_best, _ = turn(store, "lamp lamp lamp lamp", "ok")
        newer = [turn(store, f"question {i} lamp " + "pad " * 20, "answer")[0] for i in range(4)]
    conn = sqlite3.connect(tmp_path / "h.sqlite3")
    try:
        everything = [h.conversation_id for h in search(conn, "lamp")]
        assert everything[0] == oldest_best and set(everything) == {oldest_best, *newer}
        recent = [h.conversation_id for h in search(conn, "lamp", newest=3)]
        assert set(recent) == set(newer[1:])  # the three newest matching messages
    finally:
        conn.close()


def test_a_lane_the_user_did_not_pick_is_found_and_named(store: Store) -> None:
    conv, msg = turn(
        store, "compare please", "from a", lanes={"a": "from a", "b": "the hedgehog answer"}
    )
    (hit,) = store.search("hedgehog")
    assert (hit.conversation_id, hit.message_id, hit.model) == (conv, msg, "b")
    assert hit.lane == "L-b" and hit.role == "assistant"


# ------------------------------------------------------------------ the index follows writes


def test_streaming_text_is_indexed_once_it_ends(store: Store) -> None:
    conv = store.create_conversation("streaming", "single")
    user = store.add_user_message(conv, "tell me", None)
    msg = store.start_assistant(conv, user, "single", "single")
    store.open_lane(msg, "L1", "a")
    store.update_lane_text(msg, "L1", "walrus so far")
    store.update_assistant_text(msg, "walrus so far")
    assert found(store, "walrus") == []  # not while it streams
    store.close_lane(msg, "L1", status="done", text="walrus complete")
    assert found(store, "walrus") == [conv]  # the lane, closed
    store.finish_assistant(
        msg, text="walrus complete", status="complete", models=["a"], usage=Usage(),
        cost=None, duration=1.0,
    )  # fmt: skip
    assert [h.lane for h in store.search("walrus")] in ([None], ["L1"])
    store.set_chosen_lane(msg, "L1", "a narwhal instead")
    assert found(store, "narwhal") == [conv]
    assert [h.lane for h in store.search("walrus")] == ["L1"]  # the message's old text left


def test_a_crashed_answer_is_indexed_when_marked_interrupted(tmp_path: Path) -> None:
    path = tmp_path / "history.sqlite3"
    with Store.open(path) as store:
        conv = store.create_conversation("crash", "single")
        user = store.add_user_message(conv, "go", None)
        msg = store.start_assistant(conv, user, "single", "single")
        store.update_assistant_text(msg, "an unfinished aardvark")
        assert found(store, "aardvark") == []
    with Store.open(path) as again:  # the next start marks it interrupted
        assert again.interrupted_at_open == 1
        assert found(again, "aardvark") == [conv]


def test_deleting_a_conversation_empties_its_index_entries(store: Store) -> None:
    conv, _ = turn(store, "platypus facts", "platypus lay eggs", lanes={"a": "platypus", "b": "x"})
    keep, _ = turn(store, "other", "platypus too")
    store.delete_conversation(conv)
    assert found(store, "platypus") == [keep]
    # The index itself (fts5vocab reads it, not the content tables): only keep's words.
    for table in ("messages_fts", "lanes_fts"):
        store._conn.execute(
            f"CREATE VIRTUAL TABLE temp.{table}_words USING fts5vocab(main, {table}, row)"
        )
    words = {
        table: dict(store._conn.execute(f"SELECT term, doc FROM temp.{table}_words").fetchall())
        for table in ("messages_fts", "lanes_fts")
    }
    assert words == {
        "messages_fts": {"other": 1, "platypus": 1, "too": 1},
        "lanes_fts": {"platypus": 1, "too": 1},
    }
    for table in ("messages_fts", "lanes_fts"):
        store._conn.execute(f"INSERT INTO {table}({table}, rank) VALUES ('integrity-check', 1)")


def test_control_characters_stay_in_the_snippet_for_the_printer_to_neutralise() -> None:
    # The snippet is data: the CLI and the TUI make it inert where they show it.
    snippet = Snippet.parse("say \x1b]52;c;aGk=\x07 \ue000hi\ue001 \n there")
    assert snippet.parts == (("say \x1b]52;c;aGk=\x07 ", False), ("hi", True), (" there", False))


# ------------------------------------------------------------------ migration


def test_a_database_of_the_version_before_gets_its_rows_indexed(tmp_path: Path) -> None:
    db = tmp_path / "history.sqlite3"
    before = schema.MIGRATIONS.index(schema._SEARCH_AND_PERSONA)  # its version number - 1
    now = time.time()
    with sqlite3.connect(db) as conn:
        for number, script in enumerate(schema.MIGRATIONS[:before], start=1):
            conn.executescript(script + f"\nPRAGMA user_version = {number};")
        conn.execute(
            "INSERT INTO conversations(id, title, created, updated, preset)"
            " VALUES (1, 'old chat', ?, ?, 'vote')",
            (now, now),
        )
        conn.executemany(
            "INSERT INTO messages(id, conversation_id, parent_id, role, text, status, created)"
            " VALUES (?, 1, ?, ?, ?, ?, ?)",
            [
                (1, None, "user", "Where do quokkas live?", "complete", now),
                (2, 1, "assistant", "On Rottnest Island.", "complete", now),
                (3, 2, "user", "and wombats?", "complete", now),
                (4, 3, "assistant", "wombats in burrows (cut", "streaming", now),  # a crash
            ],
        )
        conn.execute(
            "INSERT INTO lanes(message_id, lane, model, text, status)"
            " VALUES (2, 'L1', 'a', 'On Rottnest Island.', 'done'),"
            " (2, 'L2', 'b', 'Quokkas: Western Australia', 'done')"
        )
    with Store.open(db) as store:
        assert store.schema_version == len(schema.MIGRATIONS)
        assert found(store, "quokkas") == [1]
        assert found(store, "rottnest") == [1]
        assert {h.model for h in store.search("western australia")} == {"b"}
        assert found(store, "burrows") == [1]  # marked interrupted at open: indexed
        (row,) = store.list_conversations()
        assert (row.title, row.preset, row.persona) == ("old chat", "vote", "")
