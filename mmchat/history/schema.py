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

# The branch a conversation shows (regenerate and edit keep the old messages as
# siblings): its last message. NULL: the newest message, as before this column.
_CURRENT_LEAF = """
ALTER TABLE conversations ADD COLUMN current_leaf INTEGER
    REFERENCES messages(id) ON DELETE SET NULL;
"""

MIGRATIONS: list[str] = [_INITIAL, _CORRECTIONS, _EVAL, _CURRENT_LEAF]


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
    return ConversationRow(row["id"], row["title"], row["created"], row["updated"], row["preset"])


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
    )
