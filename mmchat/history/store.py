"""Conversation history in SQLite.

One small synchronous write per call, committed at once: the user's message is on
disk before any request goes out, and streamed text is saved (throttled by the
engine) so a crash loses at most a fraction of a second. WAL with synchronous=NORMAL
keeps those commits cheap. The schema is versioned with PRAGMA user_version.
"""

from __future__ import annotations

import contextlib
import json
import os
import sqlite3
import threading
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mmchat.api import Attachment, Usage
from mmchat.history.attachment_store import AttachmentRecords
from mmchat.history.branches import BranchRecords
from mmchat.history.comparison_store import ComparisonRecords
from mmchat.history.eval_store import EvalRecords
from mmchat.history.schema import (
    ConversationRow,
    EventRow,
    LaneRow,
    MessageRow,
    PathEntry,
    StoreError,
    Totals,
    conversation_row,
    lane_row,
    message_row,
    migrate,
)

if TYPE_CHECKING:
    from mmchat.history.search import Hit

__all__ = [
    "ConversationRow",
    "EventRow",
    "LaneRow",
    "MessageRow",
    "PathEntry",
    "Store",
    "StoreError",
    "Totals",
]


class Store(EvalRecords, AttachmentRecords, ComparisonRecords, BranchRecords):
    def __init__(self, conn: sqlite3.Connection, path: Path) -> None:
        self._conn = conn
        self._lock = threading.RLock()
        self.path = path
        self.interrupted_at_open = 0

    # ------------------------------------------------------------ lifecycle

    @classmethod
    def open(cls, path: Path, *, recover: bool = True) -> Store:
        """Open (creating/migrating) the database; mark crash leftovers interrupted.

        ``recover=False`` skips that step, for a second process sharing the file.
        """
        try:
            path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
            _create_private(path)
            conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
            conn.row_factory = sqlite3.Row
            conn.execute("PRAGMA busy_timeout = 5000")
            conn.execute("PRAGMA journal_mode = WAL")
            conn.execute("PRAGMA synchronous = NORMAL")
            conn.execute("PRAGMA foreign_keys = ON")
            migrate(conn, path)
        except sqlite3.Error as exc:
            raise StoreError(f"Cannot open the history database {path}: {exc}") from None
        store = cls(conn, path)
        if recover:
            store.interrupted_at_open = store.mark_interrupted()
        return store

    def close(self) -> None:
        with self._lock:
            self._conn.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    @property
    def schema_version(self) -> int:
        return int(self._conn.execute("PRAGMA user_version").fetchone()[0])

    def integrity_check(self) -> str:
        return str(self._conn.execute("PRAGMA integrity_check").fetchone()[0])

    @contextlib.contextmanager
    def _tx(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            self._conn.execute("BEGIN IMMEDIATE")
            try:
                yield self._conn
            except BaseException:
                self._conn.execute("ROLLBACK")
                raise
            self._conn.execute("COMMIT")

    # ------------------------------------------------------------ writes

    def create_conversation(
        self, title: str = "New chat", preset: str = "", persona: str = ""
    ) -> int:
        now = time.time()
        with self._tx() as db:
            cur = db.execute(
                "INSERT INTO conversations(title, created, updated, preset, persona)"
                " VALUES (?,?,?,?,?)",
                (title, now, now, preset, persona),
            )
        return _rowid(cur)

    def remember_choice(self, conversation_id: int, preset: str, persona: str) -> None:
        """The preset and persona the conversation continues with (restored on reopen)."""
        with self._tx() as db:
            db.execute(
                "UPDATE conversations SET preset=?, persona=? WHERE id=?",
                (preset, persona, conversation_id),
            )

    def add_user_message(
        self,
        conversation_id: int,
        text: str,
        parent_id: int | None,
        attachments: Sequence[Attachment] = (),
    ) -> int:
        """The user's message and its files, in one transaction."""
        return self._add_message(
            conversation_id, parent_id, "user", text, "complete", "", "", attachments
        )

    def start_assistant(
        self, conversation_id: int, parent_id: int, preset: str, strategy: str
    ) -> int:
        return self._add_message(
            conversation_id, parent_id, "assistant", "", "streaming", preset, strategy
        )

    def _add_message(
        self,
        conversation_id: int,
        parent_id: int | None,
        role: str,
        text: str,
        status: str,
        preset: str,
        strategy: str,
        attachments: Sequence[Attachment] = (),
    ) -> int:
        now = time.time()
        with self._tx() as db:
            cur = db.execute(
                "INSERT INTO messages(conversation_id, parent_id, role, text, status, preset,"
                " strategy, created) VALUES (?,?,?,?,?,?,?,?)",
                (conversation_id, parent_id, role, text, status, preset, strategy, now),
            )
            message_id = _rowid(cur)
            if attachments:
                self._put_attachments(db, message_id, attachments)
            # The new message ends the branch the conversation shows (see branches.py).
            db.execute(
                "UPDATE conversations SET updated = ?, current_leaf = ? WHERE id = ?",
                (now, message_id, conversation_id),
            )
        return message_id

    def open_lane(
        self,
        message_id: int,
        lane: str,
        model: str,
        role: str = "",
        label: str = "",
        parent_lane: str | None = None,
    ) -> None:
        # Re-opening a lane (a retry) starts it afresh.
        with self._tx() as db:
            db.execute(
                "INSERT INTO lanes(message_id, lane, model, role, label, parent_lane, status)"
                " VALUES (?,?,?,?,?,?,'streaming') ON CONFLICT(message_id, lane) DO UPDATE SET"
                " model=excluded.model, role=excluded.role, label=excluded.label,"
                " parent_lane=excluded.parent_lane, status='streaming', text='', reasoning=''",
                (message_id, lane, model, role, label, parent_lane),
            )

    def update_lane_text(self, message_id: int, lane: str, text: str, reasoning: str = "") -> None:
        with self._tx() as db:
            db.execute(
                "UPDATE lanes SET text = ?, reasoning = ? WHERE message_id = ? AND lane = ?",
                (text, reasoning, message_id, lane),
            )

    def close_lane(
        self,
        message_id: int,
        lane: str,
        *,
        status: str,
        text: str,
        reasoning: str = "",
        usage: Usage | None = None,
        cost: float | None = None,
        ttft: float | None = None,
        duration: float | None = None,
        finish_reason: str | None = None,
        error: str | None = None,
        cost_source: str = "",
    ) -> None:
        usage = usage or Usage()
        with self._tx() as db:
            db.execute(
                "INSERT INTO lanes(message_id, lane, model) VALUES (?,?,'')"
                " ON CONFLICT(message_id, lane) DO NOTHING",
                (message_id, lane),
            )
            db.execute(
                "UPDATE lanes SET status=?, text=?, reasoning=?, prompt_tokens=?,"
                " completion_tokens=?, tokens_estimated=?, cost=?, ttft=?, duration=?,"
                " finish_reason=?, error=?, cost_source=? WHERE message_id=? AND lane=?",
                (
                    status, text, reasoning, usage.prompt_tokens, usage.completion_tokens,
                    int(usage.estimated), cost, ttft, duration, finish_reason, error,
                    cost_source, message_id, lane,
                ),
            )  # fmt: skip

    def add_event(
        self, message_id: int, seq: int, at: float, kind: str, data: dict[str, Any]
    ) -> None:
        payload = json.dumps(data, default=str, ensure_ascii=False)
        with self._tx() as db:
            db.execute(
                "INSERT INTO events(message_id, seq, at, kind, data) VALUES (?,?,?,?,?)",
                (message_id, seq, at, kind, payload),
            )

    def update_assistant_text(self, message_id: int, text: str) -> None:
        """The answer so far, while the turn streams (what a crash leaves)."""
        with self._tx() as db:
            db.execute("UPDATE messages SET text = ? WHERE id = ?", (text, message_id))

    def finish_assistant(
        self,
        message_id: int,
        *,
        text: str,
        status: str,
        models: list[str],
        usage: Usage,
        cost: float | None,
        duration: float,
        error: str | None = None,
        cost_source: str = "",
    ) -> None:
        with self._tx() as db:
            db.execute(
                "UPDATE messages SET text=?, status=?, models=?, prompt_tokens=?,"
                " completion_tokens=?, tokens_estimated=?, cost=?, duration=?, error=?,"
                " cost_source=? WHERE id=?",
                (
                    text, status, json.dumps(list(models)), usage.prompt_tokens,
                    usage.completion_tokens, int(usage.estimated), cost, duration, error,
                    cost_source, message_id,
                ),
            )  # fmt: skip
            db.execute(
                "UPDATE lanes SET status='cancelled' WHERE message_id=? AND status='streaming'",
                (message_id,),
            )
            db.execute(
                "UPDATE conversations SET updated=? WHERE id ="
                " (SELECT conversation_id FROM messages WHERE id=?)",
                (time.time(), message_id),
            )

    def mark_interrupted(self) -> int:
        """Messages (and lanes) a crash left 'streaming' become 'interrupted', text kept."""
        with self._tx() as db:
            count = db.execute(
                "UPDATE messages SET status='interrupted' WHERE status='streaming'"
            ).rowcount
            db.execute("UPDATE lanes SET status='interrupted' WHERE status='streaming'")
        return count

    def set_chosen_lane(self, message_id: int, lane: str, text: str) -> None:
        """The user picked one lane's answer as the message's text (e.g. after fan-out)."""
        with self._tx() as db:
            db.execute(
                "UPDATE messages SET chosen_lane=?, text=? WHERE id=?", (lane, text, message_id)
            )

    def add_correction(
        self, kind: str, text: str, label: str, preset: str = "", message_id: int | None = None
    ) -> None:
        with self._tx() as db:
            db.execute(
                "INSERT INTO corrections(kind, text, label, preset, message_id, created)"
                " VALUES (?,?,?,?,?,?)",
                (kind, text, label, preset, message_id, time.time()),
            )

    def corrections(self, kind: str, limit: int = 200) -> list[tuple[str, str]]:
        """(text, label) pairs of ``kind``, newest first; a request corrected twice
        counts once, with its latest label."""
        rows = self._all("SELECT text, label FROM corrections WHERE kind=? ORDER BY id DESC", kind)
        seen: dict[str, str] = {}
        for text, label in rows:
            seen.setdefault(text, label)
            if len(seen) >= limit:
                break
        return list(seen.items())

    def rename_conversation(self, conversation_id: int, title: str) -> None:
        with self._tx() as db:
            db.execute("UPDATE conversations SET title=? WHERE id=?", (title, conversation_id))

    def delete_conversation(self, conversation_id: int) -> None:
        with self._tx() as db:
            db.execute("DELETE FROM conversations WHERE id=?", (conversation_id,))

    # ------------------------------------------------------------ reads

    def get_conversation(self, conversation_id: int) -> ConversationRow | None:
        row = self._one("SELECT * FROM conversations WHERE id=?", conversation_id)
        return conversation_row(row) if row else None

    def list_conversations(self, limit: int = 200) -> list[ConversationRow]:
        rows = self._all(
            "SELECT * FROM conversations ORDER BY updated DESC, id DESC LIMIT ?", limit
        )
        return [conversation_row(r) for r in rows]

    def search_conversations(self, query: str, limit: int = 200) -> list[ConversationRow]:
        pattern = "%" + query.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        rows = self._all(
            "SELECT * FROM conversations c WHERE c.title LIKE ?1 ESCAPE '\\' OR EXISTS"
            " (SELECT 1 FROM messages m WHERE m.conversation_id = c.id"
            "  AND m.text LIKE ?1 ESCAPE '\\') ORDER BY updated DESC, id DESC LIMIT ?2",
            pattern,
            limit,
        )
        return [conversation_row(r) for r in rows]

    def search(self, text: str, *, limit: int = 50, prefix_last: bool = False) -> list[Hit]:
        """Full-text search of every message and lane (see :mod:`mmchat.history.search`)."""
        from mmchat.history.search import search

        with self._lock:
            return search(self._conn, text, limit=limit, prefix_last=prefix_last)

    def get_message(self, message_id: int) -> MessageRow | None:
        row = self._one("SELECT * FROM messages WHERE id=?", message_id)
        return message_row(row) if row else None

    def messages(self, conversation_id: int) -> list[MessageRow]:
        """Every message of the conversation, all branches, oldest first."""
        rows = self._all(
            "SELECT * FROM messages WHERE conversation_id=? ORDER BY id", conversation_id
        )
        return [message_row(r) for r in rows]

    def children(self, message_id: int) -> list[MessageRow]:
        rows = self._all("SELECT * FROM messages WHERE parent_id=? ORDER BY id", message_id)
        return [message_row(r) for r in rows]

    def conversation_path(
        self, conversation_id: int, leaf_id: int | None = None
    ) -> list[MessageRow]:
        """Messages from the root to ``leaf_id`` (default: the current branch's leaf,
        see :mod:`mmchat.history.branches`)."""
        rows = self._path(conversation_id, leaf_id, "m.*")
        return [message_row(r) for r in rows]

    def conversation_outline(
        self, conversation_id: int, leaf_id: int | None = None
    ) -> list[PathEntry]:
        """Like :meth:`conversation_path`, only what a transcript needs for every message
        (id, role, text, strategy) as plain tuples: a 1,000-turn conversation opens
        without building 2,000 full rows; :meth:`get_message` gives one when shown."""
        rows = self._path(conversation_id, leaf_id, "m.id, m.role, m.text, m.strategy")
        return [PathEntry(*r) for r in rows]

    def _path(self, conversation_id: int, leaf_id: int | None, columns: str) -> list[Any]:
        if leaf_id is None:
            leaf_id = self.current_leaf(conversation_id)
            if leaf_id is None:
                return []
        return self._all(
            "WITH RECURSIVE up(id, depth) AS (SELECT ?, 0 UNION ALL"
            " SELECT m.parent_id, up.depth + 1 FROM messages m JOIN up ON m.id = up.id"
            " WHERE m.parent_id IS NOT NULL)"
            f" SELECT {columns} FROM up JOIN messages m ON m.id = up.id"
            " WHERE m.conversation_id = ? ORDER BY up.depth DESC",
            leaf_id,
            conversation_id,
        )

    def lanes(self, message_id: int) -> list[LaneRow]:
        rows = self._all("SELECT * FROM lanes WHERE message_id=? ORDER BY id", message_id)
        return [lane_row(r) for r in rows]

    def events(self, message_id: int) -> list[EventRow]:
        rows = self._all("SELECT * FROM events WHERE message_id=? ORDER BY seq, id", message_id)
        return [
            EventRow(r["message_id"], r["seq"], r["at"], r["kind"], json.loads(r["data"]))
            for r in rows
        ]

    def session_totals(
        self, conversation_id: int | None = None, since: float | None = None
    ) -> Totals:
        """Tokens and cost of assistant messages, optionally for one conversation/period."""
        row = self._one(
            "SELECT count(*), coalesce(sum(prompt_tokens),0), coalesce(sum(completion_tokens),0),"
            " coalesce(max(tokens_estimated),0), coalesce(sum(cost),0.0),"
            " coalesce(sum(cost IS NULL),0) FROM messages WHERE role='assistant'"
            " AND (?1 IS NULL OR conversation_id=?1) AND (?2 IS NULL OR created>=?2)",
            conversation_id,
            since,
        )
        assert row is not None
        usage = Usage(int(row[1]), int(row[2]), bool(row[3]))
        return Totals(int(row[0]), usage, float(row[4]), int(row[5]))

    def _one(self, sql: str, *params: Any) -> sqlite3.Row | None:
        with self._lock:
            row: sqlite3.Row | None = self._conn.execute(sql, params).fetchone()
            return row

    def _all(self, sql: str, *params: Any) -> list[sqlite3.Row]:
        with self._lock:
            return list(self._conn.execute(sql, params).fetchall())


# ------------------------------------------------------------------ helpers


def _create_private(path: Path) -> None:
    """Create the database file 0600 if it does not exist (whatever the umask and the
    folder's mode). SQLite gives its -wal and -shm files the database file's mode."""
    with contextlib.suppress(FileExistsError):
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        os.fchmod(fd, 0o600)  # O_CREAT's mode is filtered by the umask; this is not
        os.close(fd)


def _rowid(cur: sqlite3.Cursor) -> int:
    assert cur.lastrowid is not None
    return cur.lastrowid
