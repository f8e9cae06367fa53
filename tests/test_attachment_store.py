"""Attachments in the history database (real SQLite): stored with the user's message in
its transaction, read back in order, a blob kept once, gone with its last message, and
an older database gaining the tables without losing anything."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from mmchat.api import Attachment
from mmchat.history.schema import _ATTACHMENTS, MIGRATIONS
from mmchat.history.store import Store
from tests.sample_images import png

NOTES = Attachment("notes.md", "text/markdown", "# Plan\nShip it — soon.\n".encode())
PHOTO = Attachment("photo.png", "image/png", png(5, 5))


@pytest.fixture
def db(tmp_path: Path) -> Path:
    return tmp_path / "data" / "history.sqlite3"


def _raw(db: Path, sql: str) -> list[tuple[object, ...]]:
    with sqlite3.connect(db) as conn:
        return list(conn.execute(sql).fetchall())


def test_a_message_keeps_its_files_in_order_byte_for_byte(db: Path) -> None:
    with Store.open(db) as store:
        chat = store.create_conversation("files")
        first = store.add_user_message(chat, "look", None, (NOTES, PHOTO))
        bare = store.add_user_message(chat, "and now?", first)
        assert store.attachments_of([first, bare]) == {first: (NOTES, PHOTO)}
    with Store.open(db) as store:  # reopened: read from the file, not from memory
        assert store.attachments_of([first]) == {first: (NOTES, PHOTO)}
        assert store.attachments_of([first])[first][1].data == PHOTO.data


def test_a_file_sent_again_is_stored_once_and_goes_with_its_last_message(db: Path) -> None:
    with Store.open(db) as store:
        one = store.create_conversation("one")
        two = store.create_conversation("two")
        first = store.add_user_message(one, "look", None, (PHOTO,))
        store.add_user_message(one, "look", None, (PHOTO,))  # a regenerated turn's copy
        store.add_user_message(two, "again", None, (PHOTO, NOTES))
        assert _raw(db, "SELECT count(*) FROM attachment_blobs") == [(2,)]
        assert _raw(db, "SELECT count(*) FROM attachments") == [(4,)]
        store.delete_conversation(two)
        assert _raw(db, "SELECT count(*) FROM attachment_blobs") == [(1,)]  # NOTES gone
        assert store.attachments_of([first]) == {first: (PHOTO,)}
        store.delete_conversation(one)
        assert _raw(db, "SELECT count(*) FROM attachment_blobs") == [(0,)]
        assert _raw(db, "SELECT count(*) FROM attachments") == [(0,)]


def test_a_message_whose_files_cannot_be_stored_is_not_stored_either(db: Path) -> None:
    """One transaction: a failure while writing a file leaves no message without it."""
    broken = Attachment("broken.txt", "text/plain", None)  # type: ignore[arg-type]
    with Store.open(db) as store:
        chat = store.create_conversation("files")
        with pytest.raises(TypeError):
            store.add_user_message(chat, "look", None, (NOTES, broken))
        assert store.messages(chat) == []
        assert _raw(db, "SELECT count(*) FROM attachment_blobs") == [(0,)]


def test_an_older_database_gains_the_tables_and_keeps_its_history(db: Path) -> None:
    db.parent.mkdir(parents=True)
    before = MIGRATIONS.index(_ATTACHMENTS)  # the version before the attachments
    with sqlite3.connect(db) as conn:
        conn.executescript("\n".join(MIGRATIONS[:before]) + f"\nPRAGMA user_version = {before};")
        conn.execute("INSERT INTO conversations(title, created, updated) VALUES ('old', 1, 1)")
    with Store.open(db) as store:
        assert store.schema_version == len(MIGRATIONS)
        old = store.list_conversations()[0]
        assert old.title == "old"
        message = store.add_user_message(old.id, "now with a file", None, (NOTES,))
        assert store.attachments_of([message]) == {message: (NOTES,)}


def test_many_messages_are_read_in_chunks(db: Path) -> None:
    """More ids than SQLite takes as parameters in one query still all come back."""
    with Store.open(db) as store:
        chat = store.create_conversation("long")
        ids = [store.add_user_message(chat, f"m{i}", None, (NOTES,)) for i in range(1200)]
        found = store.attachments_of(ids)
        assert sorted(found) == ids and all(files == (NOTES,) for files in found.values())
