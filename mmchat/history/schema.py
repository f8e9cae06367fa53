"""Schema of the history database: migrations (applied in order) and row types.

Migration N brings the database to PRAGMA user_version N. Never edit a released
migration: append a new one (ALTER TABLE / new tables) instead.
"""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NamedTuple

from mmchat.api import Usage

_INITIAL = """
CREATE TABLE conversations (
    id       INTEGER PRIMARY KEY,
    title    TEXT NOT NULL,
    created  REAL NOT NULL,
    updated  REAL NOT NULL,
    preset   TEXT NOT NULL DEFAULT ''
);

CREATE TABLE messages (
    id                INTEGER PRIMARY KEY,
    conversation_id   INTEGER NOT NULL REFERENCES conversations(id) ON DELETE CASCADE,
    parent_id         INTEGER REFERENCES messages(id) ON DELETE CASCADE,
    role              TEXT NOT NULL CHECK (role IN ('system', 'user', 'assistant')),
    text              TEXT NOT NULL DEFAULT '',
    status            TEXT NOT NULL DEFAULT 'complete' CHECK (status IN
                      ('complete', 'streaming', 'cancelled', 'failed', 'interrupted')),
    preset            TEXT NOT NULL DEFAULT '',
    strategy          TEXT NOT NULL DEFAULT '',
    models            TEXT NOT NULL DEFAULT '[]',      -- JSON list of aliases
    prompt_tokens     INTEGER NOT NULL DEFAULT 0,
    completion_tokens INTEGER NOT NULL DEFAULT 0,
    tokens_estimated  INTEGER NOT NULL DEFAULT 0,
    cost              REAL,                            -- NULL = unknown price
    duration          REAL,
    error             TEXT,
    created           REAL NOT NULL,
    chosen_lane       TEXT
);
CREATE INDEX messages_by_conversation ON messages(conversation_id, id);
CREATE INDEX messages_by_parent ON messages(parent_id);
CREATE INDEX messages_streaming ON messages(status) WHERE status = 'streaming';

CREATE TABLE lanes (
    id                INTEGER PRIMARY KEY,
    message_id        INTEGER NOT NULL REFERENCES messages(id) ON DELETE CASCADE,
    lane              TEXT NOT NULL,
    model             TEXT NOT NULL DEFAULT '',
    role              TEXT NOT NULL DEFAULT '',
    label             TEXT NOT NULL DEFAULT '',
    parent_lane       TEXT,
    text              TEXT NOT NULL DEFAULT '',
    reasoning         TEXT NOT NULL DEFAULT '',
    status            TEXT NOT NULL DEFAULT 'streaming',
    prompt_tokens     INTEGER NOT NULL DEFAULT 0,
    completion_tokens INTEGER NOT NULL DEFAULT 0,
    tokens_estimated  INTEGER NOT NULL DEFAULT 0,
    cost              REAL,
    ttft              REAL,
    duration          REAL,
    finish_reason     TEXT,
    error             TEXT,
    UNIQUE (message_id, lane)
);

CREATE TABLE events (
    id          INTEGER PRIMARY KEY,
    message_id  INTEGER NOT NULL REFERENCES messages(id) ON DELETE CASCADE,
    seq         INTEGER NOT NULL,
    at          REAL NOT NULL,
    kind        TEXT NOT NULL,
    data        TEXT NOT NULL DEFAULT '{}'             -- JSON object
);
CREATE INDEX events_by_message ON events(message_id, seq);
"""

# 2: what the user taught by correcting a turn (a request re-routed by hand…), for
# strategies to learn from (Context.learned).
_CORRECTIONS = """
CREATE TABLE corrections (
    id          INTEGER PRIMARY KEY,
    kind        TEXT NOT NULL,            -- e.g. "route"
    text        TEXT NOT NULL,            -- the request
    label       TEXT NOT NULL,            -- what the user chose
    preset      TEXT NOT NULL DEFAULT '',
    message_id  INTEGER REFERENCES messages(id) ON DELETE SET NULL,
    created     REAL NOT NULL
);
CREATE INDEX corrections_by_kind ON corrections(kind, id);
"""


# 3: `mmchat eval`. A run is one preset (as configured: config_hash covers its options
# and the models it names) on one dataset (by content); a result is one item of it.
# Eval turns are not conversations: nothing of them goes into messages or lanes.
_EVAL = """
CREATE TABLE eval_runs (
    id            INTEGER PRIMARY KEY,
    dataset       TEXT NOT NULL,                   -- as named: builtin:facts, a path
    dataset_hash  TEXT NOT NULL,                   -- sha256 of the items
    dataset_size  INTEGER NOT NULL,
    preset        TEXT NOT NULL,
    strategy      TEXT NOT NULL DEFAULT '',
    config_hash   TEXT NOT NULL,
    judge         TEXT NOT NULL DEFAULT '',        -- judge alias ('' = none needed)
    created       REAL NOT NULL,
    updated       REAL NOT NULL,
    UNIQUE (dataset_hash, preset, config_hash, judge)
);

CREATE TABLE eval_results (
    run_id            INTEGER NOT NULL REFERENCES eval_runs(id) ON DELETE CASCADE,
    item_id           TEXT NOT NULL,
    position          INTEGER NOT NULL,            -- the item's line in the dataset
    check_kind        TEXT NOT NULL,
    expected          TEXT NOT NULL,
    status            TEXT NOT NULL CHECK (status IN ('ok', 'failed')),
    correct           INTEGER NOT NULL DEFAULT 0,
    extracted         TEXT NOT NULL DEFAULT '',
    reply             TEXT NOT NULL DEFAULT '',
    error             TEXT,
    models            TEXT NOT NULL DEFAULT '[]',  -- JSON list of aliases
    prompt_tokens     INTEGER NOT NULL DEFAULT 0,
    completion_tokens INTEGER NOT NULL DEFAULT 0,
    tokens_estimated  INTEGER NOT NULL DEFAULT 0,
    cost              REAL,                        -- NULL = unknown price
    latency           REAL NOT NULL,
    judge_verdict     TEXT,                        -- NULL = not judged
    judge_cost        REAL,
    created           REAL NOT NULL,
    PRIMARY KEY (run_id, item_id)
);
"""

# 4: files attached to user messages (mmchat/history/attachment_store.py).
#
# The bytes live in the database, not in files beside it: one file holds the whole
# history (a backup, a move or `rm` of it is complete; nothing is orphaned or left
# behind), a message and its files are committed in one transaction (a crash keeps
# both or neither), deleting a conversation removes its files through the same
# cascades, and the file keeps its 0600 mode. The limits ([attachments]: 5 MB a
# file, 20 MB a message by default) keep blobs where SQLite reads them about as fast
# as the file system. A blob is stored once however many messages carry it
# (regenerate and edit-and-resend copy the user's message with its files); the
# trigger deletes it with the last message that does.
_ATTACHMENTS = """
CREATE TABLE attachment_blobs (
    sha256  TEXT PRIMARY KEY,                  -- of data
    data    BLOB NOT NULL                      -- an image's bytes, a text file as UTF-8
);

CREATE TABLE attachments (
    id          INTEGER PRIMARY KEY,
    message_id  INTEGER NOT NULL REFERENCES messages(id) ON DELETE CASCADE,
    position    INTEGER NOT NULL,              -- order on the message
    name        TEXT NOT NULL,
    media_type  TEXT NOT NULL,                 -- image/png..., text/plain...
    size        INTEGER NOT NULL,              -- bytes of data
    sha256      TEXT NOT NULL REFERENCES attachment_blobs(sha256),
    UNIQUE (message_id, position)
);
CREATE INDEX attachments_by_blob ON attachments(sha256);

CREATE TRIGGER attachment_blobs_unused AFTER DELETE ON attachments
WHEN NOT EXISTS (SELECT 1 FROM attachments WHERE sha256 = OLD.sha256)
BEGIN
    DELETE FROM attachment_blobs WHERE sha256 = OLD.sha256;
END;
"""

# 5: finding conversations again, and what a conversation remembers.
# - conversations.persona: the persona (config [personas]) it last ran with, restored
#   with its preset when it is reopened (the TUI, `mmchat ask -c`).
# - Full-text search (SQLite FTS5) over the messages' and the lanes' text: two
#   external-content tables (FTS5 reads the text back from messages / lanes for
#   snippets, so it is not stored twice), kept in sync by triggers. Only finished text
#   is indexed (status not 'streaming', text not empty): text saved twice a second
#   while it streams is indexed once, when the message or lane ends (or is marked
#   interrupted at the next start). The WHEN clauses of the delete and update triggers
#   say exactly which rows are in the index, as FTS5's 'delete' needs the old values.
# - Tokenizer unicode61 with remove_diacritics 2: words in any script that separates
#   them, case-folded ("ПРИВЕТ" finds "привет"), accents folded in Latin script ("cafe"
#   finds "Café", "zurich" "Zürich"); prefix queries ("optim*") for partial words.
#   Not trigram: its index is about four times larger (bench/bench_search.py: +183 MB
#   against +47 MB for 10,000 conversations), it
#   finds nothing for a word under three letters, and before SQLite 3.45 it cannot
#   fold accents. No prefix index (prefix='3' was tried: +26 MB and twice the backfill
#   time, for 3-letter prefixes only somewhat faster).
_SEARCH_AND_PERSONA = """
ALTER TABLE conversations ADD COLUMN persona TEXT NOT NULL DEFAULT '';

CREATE VIRTUAL TABLE messages_fts USING fts5(
    text, content='messages', content_rowid='id', tokenize='unicode61 remove_diacritics 2'
);
CREATE VIRTUAL TABLE lanes_fts USING fts5(
    text, content='lanes', content_rowid='id', tokenize='unicode61 remove_diacritics 2'
);

INSERT INTO messages_fts(rowid, text)
    SELECT id, text FROM messages WHERE status != 'streaming' AND text != '';
INSERT INTO lanes_fts(rowid, text)
    SELECT id, text FROM lanes WHERE status != 'streaming' AND text != '';

CREATE TRIGGER messages_fts_insert AFTER INSERT ON messages
WHEN new.status != 'streaming' AND new.text != '' BEGIN
    INSERT INTO messages_fts(rowid, text) VALUES (new.id, new.text);
END;
CREATE TRIGGER messages_fts_delete AFTER DELETE ON messages
WHEN old.status != 'streaming' AND old.text != '' BEGIN
    INSERT INTO messages_fts(messages_fts, rowid, text) VALUES ('delete', old.id, old.text);
END;
CREATE TRIGGER messages_fts_update AFTER UPDATE OF text, status ON messages
WHEN old.text IS NOT new.text OR (old.status = 'streaming') != (new.status = 'streaming')
BEGIN
    INSERT INTO messages_fts(messages_fts, rowid, text) SELECT 'delete', old.id, old.text
        WHERE old.status != 'streaming' AND old.text != '';
    INSERT INTO messages_fts(rowid, text) SELECT new.id, new.text
        WHERE new.status != 'streaming' AND new.text != '';
END;

CREATE TRIGGER lanes_fts_insert AFTER INSERT ON lanes
WHEN new.status != 'streaming' AND new.text != '' BEGIN
    INSERT INTO lanes_fts(rowid, text) VALUES (new.id, new.text);
END;
CREATE TRIGGER lanes_fts_delete AFTER DELETE ON lanes
WHEN old.status != 'streaming' AND old.text != '' BEGIN
    INSERT INTO lanes_fts(lanes_fts, rowid, text) VALUES ('delete', old.id, old.text);
END;
CREATE TRIGGER lanes_fts_update AFTER UPDATE OF text, status ON lanes
WHEN old.text IS NOT new.text OR (old.status = 'streaming') != (new.status = 'streaming')
BEGIN
    INSERT INTO lanes_fts(lanes_fts, rowid, text) SELECT 'delete', old.id, old.text
        WHERE old.status != 'streaming' AND old.text != '';
    INSERT INTO lanes_fts(rowid, text) SELECT new.id, new.text
        WHERE new.status != 'streaming' AND new.text != '';
END;
"""

# 6: where each cost's price came from ("your price", "local", "genai-prices 0.2.3";
# '' = unknown or recorded before prices had sources).
_COST_SOURCES = """
ALTER TABLE messages ADD COLUMN cost_source TEXT NOT NULL DEFAULT '';
ALTER TABLE lanes ADD COLUMN cost_source TEXT NOT NULL DEFAULT '';
"""

# 7: the user's comparisons of models (mmchat.ratings): one row per (winner, loser) pair
# of aliases. A pick of pane X over panes Y and Z is a win of X against each; an
# outcome the user kept (vote, consensus, ensemble) counts its winners against the
# rest. Ratings are fitted from these rows when asked for, never stored. A deleted
# conversation keeps its comparisons (they hold only model names).
_COMPARISONS = """
CREATE TABLE comparisons (
    id          INTEGER PRIMARY KEY,
    message_id  INTEGER REFERENCES messages(id) ON DELETE SET NULL,
    winner      TEXT NOT NULL,
    loser       TEXT NOT NULL,
    source      TEXT NOT NULL,             -- pick | blind-pick | kept
    created     REAL NOT NULL,
    CHECK (winner <> loser)
);
CREATE INDEX comparisons_by_message ON comparisons(message_id);
"""

# 8: the branch a conversation shows (regenerate and edit keep the old messages as
# siblings): its last message. NULL: the newest message, as before this column.
_CURRENT_LEAF = """
ALTER TABLE conversations ADD COLUMN current_leaf INTEGER
    REFERENCES messages(id) ON DELETE SET NULL;
"""

MIGRATIONS: list[str] = [
    _INITIAL,
    _CORRECTIONS,
    _EVAL,
    _ATTACHMENTS,
    _SEARCH_AND_PERSONA,
    _COST_SOURCES,
    _COMPARISONS,
    _CURRENT_LEAF,
]


class StoreError(Exception):
    """The history database cannot be used (message is for the user)."""


def migrate(conn: sqlite3.Connection, path: Path) -> None:
    version = int(conn.execute("PRAGMA user_version").fetchone()[0])
    if version > len(MIGRATIONS):
        raise StoreError(
            f"The history database {path} was written by a newer mmchat "
            f"(schema {version}, this version knows {len(MIGRATIONS)}). Upgrade mmchat."
        )
    for number in range(version + 1, len(MIGRATIONS) + 1):
        # executescript commits first, so each migration carries its own transaction.
        script = MIGRATIONS[number - 1]
        try:
            conn.executescript(f"BEGIN;\n{script}\nPRAGMA user_version = {number};\nCOMMIT;")
        except sqlite3.Error:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise


# ------------------------------------------------------------------ row types


@dataclass(frozen=True, slots=True)
class ConversationRow:
    id: int
    title: str
    created: float
    updated: float
    preset: str
    persona: str = ""


@dataclass(frozen=True, slots=True)
class MessageRow:
    id: int
    conversation_id: int
    parent_id: int | None
    role: str
    text: str
    status: str  # complete | streaming | cancelled | failed | interrupted
    preset: str
    strategy: str
    models: tuple[str, ...]
    usage: Usage
    cost: float | None  # None = unknown price
    duration: float | None
    error: str | None
    created: float
    chosen_lane: str | None
    cost_source: str = ""  # where the price came from (mmchat.prices)


class PathEntry(NamedTuple):
    """One message of a conversation's path, without its details (see MessageRow)."""

    id: int
    role: str
    text: str
    strategy: str


@dataclass(frozen=True, slots=True)
class LaneRow:
    message_id: int
    lane: str
    model: str
    role: str
    label: str
    parent_lane: str | None
    text: str
    reasoning: str
    status: str  # streaming | done | failed | cancelled | interrupted
    usage: Usage
    cost: float | None
    ttft: float | None
    duration: float | None
    finish_reason: str | None
    error: str | None
    cost_source: str = ""


@dataclass(frozen=True, slots=True)
class EventRow:
    message_id: int
    seq: int
    at: float
    kind: str
    data: dict[str, Any]


@dataclass(frozen=True, slots=True)
class Totals:
    turns: int
    usage: Usage
    cost: float  # sum of known costs
    unknown_cost_turns: int  # turns whose price is unknown (cost not included)


def usage_of(row: sqlite3.Row) -> Usage:
    return Usage(row["prompt_tokens"], row["completion_tokens"], bool(row["tokens_estimated"]))


def conversation_row(row: sqlite3.Row) -> ConversationRow:
    return ConversationRow(
        row["id"], row["title"], row["created"], row["updated"], row["preset"], row["persona"]
    )


def message_row(row: sqlite3.Row) -> MessageRow:
    return MessageRow(
        id=row["id"],
        conversation_id=row["conversation_id"],
        parent_id=row["parent_id"],
        role=row["role"],
        text=row["text"],
        status=row["status"],
        preset=row["preset"],
        strategy=row["strategy"],
        models=tuple(json.loads(row["models"] or "[]")),
        usage=usage_of(row),
        cost=row["cost"],
        duration=row["duration"],
        error=row["error"],
        created=row["created"],
        chosen_lane=row["chosen_lane"],
        cost_source=row["cost_source"],
    )


def lane_row(row: sqlite3.Row) -> LaneRow:
    return LaneRow(
        message_id=row["message_id"],
        lane=row["lane"],
        model=row["model"],
        role=row["role"],
        label=row["label"],
        parent_lane=row["parent_lane"],
        text=row["text"],
        reasoning=row["reasoning"],
        status=row["status"],
        usage=usage_of(row),
        cost=row["cost"],
        ttft=row["ttft"],
        duration=row["duration"],
        finish_reason=row["finish_reason"],
        error=row["error"],
        cost_source=row["cost_source"],
    )
