"""Full-text search of the history: what the user types, as a safe FTS5 query, ranked.

SQLite's FTS5 (the ``messages_fts`` and ``lanes_fts`` tables of the schema, kept in
sync by triggers) does the matching, the ranking (``bm25``) and the snippets
(``snippet()``): it ships with Python's sqlite3, so there is nothing to install, and it
stays fast at tens of thousands of conversations (bench/bench_search.py).

The user's text never reaches FTS5 as query syntax: every word becomes a quoted string,
so quotes, parentheses, ``AND``/``OR``/``NOT``/``NEAR``, ``:``, ``^`` and ``-`` are
searched for as words and never make a syntax error. Two things keep a meaning:
``"a few words"`` in double quotes is a phrase, and a word ending in ``*`` is a prefix
(``optim*`` finds "optimise" and "optimization"). Every word must appear (AND).
"""

from __future__ import annotations

import re
import sqlite3
from dataclasses import dataclass

__all__ = ["Hit", "Snippet", "fts_query", "search"]

# Marks snippet() puts around each match: private-use characters, which model text
# does not carry in practice (if one does, only that snippet's highlight is off).
_OPEN, _CLOSE = "\ue000", "\ue001"
_ELLIPSIS = "…"
SNIPPET_TOKENS = 16  # words of context a snippet shows around the match
CANDIDATES = 2000  # best-ranked matches per table considered when grouping by conversation
# bm25 is computed for every row a query matches: ~6 µs a row, 0.6 s for a word found in
# nearly every message of 10,000 conversations. Only the newest NEWEST matches of each
# table are ranked (FTS5 reads its rowids newest first and stops there), which changes
# nothing for a word in fewer messages, and for a very common word ranks the recent
# history (bench/bench_search.py).
NEWEST = 5000
# Search as you type: a last word this short is not made a prefix ("s*" matches most
# words of the history, so every keystroke would cost seconds), only matched whole.
MIN_PREFIX = 3

_TERM = re.compile(r'"([^"]*)"|(\S+)')


def fts_query(text: str, *, prefix_last: bool = False) -> str | None:
    """The FTS5 query for what the user typed, or None when it holds no word to search.

    ``prefix_last`` makes the last word a prefix too (search as you type: "optim"
    already finds "optimization"), once it has :data:`MIN_PREFIX` characters.
    """
    terms: list[str] = []
    # A NUL would end the query string inside SQLite ("unterminated string").
    matches = list(_TERM.finditer(text.replace("\x00", " ")))
    for index, match in enumerate(matches):
        phrase, word = match.group(1), match.group(2)
        prefix = False
        if phrase is None:
            phrase = word.rstrip("*")
            last = prefix_last and index == len(matches) - 1
            prefix = word.endswith("*") or (last and len(phrase) >= MIN_PREFIX)
        if not any(ch.isalnum() for ch in phrase):
            continue  # only punctuation: nothing the tokenizer would index
        quoted = '"' + phrase.replace('"', '""') + '"'
        terms.append(quoted + ("*" if prefix else ""))
    return " ".join(terms) if terms else None


@dataclass(frozen=True, slots=True)
class Snippet:
    """A piece of the matching text: (text, is a match) parts, newlines made spaces."""

    parts: tuple[tuple[str, bool], ...]

    @classmethod
    def parse(cls, marked: str) -> Snippet:
        parts: list[tuple[str, bool]] = []
        pieces = re.split(f"[{_OPEN}{_CLOSE}]", " ".join(marked.split()))
        for index, piece in enumerate(pieces):
            if piece:
                parts.append((piece, index % 2 == 1))
        return cls(tuple(parts))

    @property
    def text(self) -> str:
        return "".join(text for text, _ in self.parts)

    def highlights(self) -> list[tuple[int, int]]:
        """[start, end) of each match in :attr:`text`."""
        spans, at = [], 0
        for text, matched in self.parts:
            if matched:
                spans.append((at, at + len(text)))
            at += len(text)
        return spans


@dataclass(frozen=True, slots=True)
class Hit:
    """A conversation that matches, with its best-ranked match."""

    conversation_id: int
    title: str
    updated: float
    message_id: int
    role: str  # of the message: user | assistant
    lane: str | None  # the lane whose text matched (None: the message's own text)
    model: str  # the lane's model ('' for a message)
    score: float  # bm25: lower is better
    snippet: Snippet


# Best-ranked matches of both tables, each with its conversation; the best per
# conversation wins (SQLite gives a bare column the values of the min() row).
_RANKED = f"""
WITH matched AS (
    SELECT m.conversation_id AS conversation_id, m.id AS message_id, m.role AS role,
           NULL AS lane_rowid, found.rank AS score
    FROM (SELECT rowid, rank FROM (
              SELECT rowid, bm25(messages_fts) AS rank FROM messages_fts WHERE messages_fts MATCH ?1
              ORDER BY rowid DESC LIMIT ?3
          ) ORDER BY rank LIMIT {CANDIDATES}) AS found
    JOIN messages m ON m.id = found.rowid
    UNION ALL
    SELECT m.conversation_id, m.id, m.role, l.id, found.rank
    FROM (SELECT rowid, rank FROM (
              SELECT rowid, bm25(lanes_fts) AS rank FROM lanes_fts WHERE lanes_fts MATCH ?1
              ORDER BY rowid DESC LIMIT ?3
          ) ORDER BY rank LIMIT {CANDIDATES}) AS found
    JOIN lanes l ON l.id = found.rowid
    JOIN messages m ON m.id = l.message_id
), best AS (
    SELECT conversation_id, message_id, role, lane_rowid, min(score) AS score
    FROM matched GROUP BY conversation_id
)
SELECT best.*, c.title, c.updated FROM best JOIN conversations c ON c.id = best.conversation_id
ORDER BY best.score, c.updated DESC LIMIT ?2
"""

_MESSAGE_SNIPPET = (
    f"SELECT snippet(messages_fts, 0, '{_OPEN}', '{_CLOSE}', '{_ELLIPSIS}', {SNIPPET_TOKENS})"
    " FROM messages_fts WHERE messages_fts MATCH ? AND rowid = ?"
)
_LANE_SNIPPET = (
    f"SELECT snippet(lanes_fts, 0, '{_OPEN}', '{_CLOSE}', '{_ELLIPSIS}', {SNIPPET_TOKENS}),"
    " l.lane, l.model FROM lanes_fts JOIN lanes l ON l.id = lanes_fts.rowid"
    " WHERE lanes_fts MATCH ? AND lanes_fts.rowid = ?"
)


def search(
    conn: sqlite3.Connection,
    text: str,
    *,
    limit: int = 50,
    prefix_last: bool = False,
    newest: int = NEWEST,
) -> list[Hit]:
    """Conversations whose messages or lanes match ``text``, best first (bm25; the
    newer first among equals), each with a snippet of its best match."""
    query = fts_query(text, prefix_last=prefix_last)
    if query is None or limit <= 0:
        return []
    hits = []
    for row in conn.execute(_RANKED, (query, limit, newest)).fetchall():
        conversation_id, message_id, role, lane_rowid, score, title, updated = tuple(row)
        lane, model = None, ""
        if lane_rowid is None:
            found = conn.execute(_MESSAGE_SNIPPET, (query, message_id)).fetchone()
        else:
            found = conn.execute(_LANE_SNIPPET, (query, lane_rowid)).fetchone()
            if found is not None:
                lane, model = found[1], found[2]
        marked = str(found[0]) if found is not None and found[0] is not None else ""
        hits.append(
            Hit(
                conversation_id=conversation_id, title=title, updated=updated,
                message_id=message_id, role=role, lane=lane, model=model, score=score,
                snippet=Snippet.parse(marked),
            )
        )  # fmt: skip
    return hits
