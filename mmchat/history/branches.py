"""Branches of a conversation: which messages have alternatives, and which one shows.

Regenerate and edit-and-resend never overwrite: the new user message is a sibling of
the old one (the same ``parent_id``), and the old answer stays under the old question.
A conversation shows one path from its first message to a leaf; the leaf is stored
(``conversations.current_leaf``, NULL meaning the newest message) so the branch the
user chose is the one a reopened conversation, an export and the next turn follow.

:class:`BranchRecords` is the SQL, mixed into :class:`~mmchat.history.store.Store`
(one connection, one lock) like the eval tables; :class:`BranchMap` is what a view
needs to draw "◀ 2/3 ▶": for each message on the path, its alternatives.
"""

from __future__ import annotations

import sqlite3
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, NamedTuple

__all__ = ["Alternative", "BranchMap", "BranchRecords", "Siblings"]


class Alternative(NamedTuple):
    """One of several messages that answer the same parent."""

    id: int
    role: str
    text: str  # a user message's text ('' for an answer: not needed to tell them apart)


@dataclass(frozen=True, slots=True)
class Siblings:
    """The alternatives at one branch point, oldest first, and the one shown."""

    ids: tuple[int, ...]
    current: int

    @property
    def position(self) -> int:
        """1-based, as shown ("2/3")."""
        return self.ids.index(self.current) + 1

    @property
    def count(self) -> int:
        return len(self.ids)

    def step(self, delta: int) -> int | None:
        """The alternative ``delta`` places away (None past either end)."""
        index = self.ids.index(self.current) + delta
        return self.ids[index] if 0 <= index < len(self.ids) else None


class BranchMap:
    """Every branch point of one conversation (parents with two or more children).

    Where "◀ 2/3 ▶" goes: on a user message whose siblings ask something else (an
    edit); on the answer when the siblings ask the same thing (a regeneration: what
    differs is the answer), or when the answer itself has siblings.
    """

    def __init__(self, groups: dict[int | None, list[Alternative]]) -> None:
        self._groups = groups
        self._parent = {alt.id: parent for parent, alts in groups.items() for alt in alts}

    @property
    def empty(self) -> bool:
        return not self._groups

    def _siblings(self, message_id: int) -> list[Alternative] | None:
        if message_id not in self._parent:
            return None
        return self._groups[self._parent[message_id]]

    def for_user(self, user_id: int | None) -> Siblings | None:
        """The switcher a user message shows (its siblings are other questions)."""
        if user_id is None:
            return None
        group = self._siblings(user_id)
        if group is None or _same_question(group):
            return None
        return Siblings(tuple(alt.id for alt in group), user_id)

    def for_reply(self, user_id: int | None, reply_id: int | None) -> Siblings | None:
        """The switcher an answer shows: its own siblings, else the regenerations of
        its question (siblings of the question with the same text)."""
        own = self._siblings(reply_id) if reply_id is not None else None
        if own is not None and reply_id is not None:
            return Siblings(tuple(alt.id for alt in own), reply_id)
        if user_id is None:
            return None
        group = self._siblings(user_id)
        if group is None or not _same_question(group):
            return None
        return Siblings(tuple(alt.id for alt in group), user_id)


def _same_question(group: list[Alternative]) -> bool:
    return all(alt.role == "user" and alt.text == group[0].text for alt in group)


class BranchRecords:
    if TYPE_CHECKING:  # provided by Store

        def _tx(self) -> AbstractContextManager[sqlite3.Connection]: ...
        def _one(self, sql: str, *params: Any) -> sqlite3.Row | None: ...
        def _all(self, sql: str, *params: Any) -> list[sqlite3.Row]: ...

    def current_leaf(self, conversation_id: int) -> int | None:
        """The last message of the branch the conversation shows (None: no message)."""
        row = self._one(
            "SELECT coalesce(c.current_leaf, (SELECT max(id) FROM messages m"
            " WHERE m.conversation_id = c.id)) FROM conversations c WHERE c.id = ?",
            conversation_id,
        )
        return int(row[0]) if row is not None and row[0] is not None else None

    def set_current_leaf(self, conversation_id: int, leaf_id: int) -> None:
        """Show the branch that ends at ``leaf_id`` (a message of this conversation)."""
        with self._tx() as db:
            updated = db.execute(
                "UPDATE conversations SET current_leaf = ?1 WHERE id = ?2 AND EXISTS"
                " (SELECT 1 FROM messages WHERE id = ?1 AND conversation_id = ?2)",
                (leaf_id, conversation_id),
            ).rowcount
        if not updated:
            raise KeyError(f"message {leaf_id} is not in conversation {conversation_id}")

    def newest_leaf(self, message_id: int) -> int:
        """The newest message under ``message_id`` (itself when it has no children):
        where a branch chosen at ``message_id`` continues."""
        row = self._one(
            "WITH RECURSIVE down(id) AS (SELECT ?1 UNION ALL"
            " SELECT m.id FROM messages m JOIN down ON m.parent_id = down.id)"
            " SELECT max(id) FROM down",
            message_id,
        )
        return int(row[0]) if row is not None and row[0] is not None else message_id

    def branch_map(self, conversation_id: int) -> BranchMap:
        """The conversation's branch points (one query; only the parents with more than
        one child are read, and of those children only the questions' text)."""
        rows = self._all(
            "SELECT id, parent_id, role, CASE WHEN role = 'user' THEN text ELSE '' END"
            " FROM messages WHERE conversation_id = ?1 AND coalesce(parent_id, 0) IN"
            " (SELECT coalesce(parent_id, 0) FROM messages WHERE conversation_id = ?1"
            "  GROUP BY coalesce(parent_id, 0) HAVING count(*) > 1) ORDER BY id",
            conversation_id,
        )
        groups: dict[int | None, list[Alternative]] = {}
        for message_id, parent_id, role, text in rows:
            groups.setdefault(parent_id, []).append(Alternative(message_id, role, text))
        return BranchMap(groups)
