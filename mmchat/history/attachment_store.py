"""The attachment tables of the history database: the files of user messages.

Mixed into :class:`~mmchat.history.store.Store` (one connection, one lock, one set of
migrations; why the bytes are in SQLite is said at migration 4 in ``schema.py``). A
message's files are written in the transaction that writes the message.
"""

from __future__ import annotations

import hashlib
import sqlite3
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from mmchat.api import Attachment

__all__ = ["AttachmentRecords"]

_IDS_PER_QUERY = 500  # under SQLite's host-parameter limit on every build


class AttachmentRecords:
    if TYPE_CHECKING:  # provided by Store

        def _all(self, sql: str, *params: Any) -> list[sqlite3.Row]: ...

    @staticmethod
    def _put_attachments(
        db: sqlite3.Connection, message_id: int, attachments: Sequence[Attachment]
    ) -> None:
        """Store ``attachments`` on ``message_id`` (inside the caller's transaction)."""
        for position, attachment in enumerate(attachments):
            digest = hashlib.sha256(attachment.data).hexdigest()
            db.execute(
                "INSERT INTO attachment_blobs(sha256, data) VALUES (?,?)"
                " ON CONFLICT(sha256) DO NOTHING",
                (digest, attachment.data),
            )
            db.execute(
                "INSERT INTO attachments(message_id, position, name, media_type, size, sha256)"
                " VALUES (?,?,?,?,?,?)",
                (message_id, position, attachment.name, attachment.media_type,
                 attachment.size, digest),
            )  # fmt: skip

    def attachments_of(self, message_ids: Sequence[int]) -> dict[int, tuple[Attachment, ...]]:
        """The files of each of ``message_ids`` that has any, in their order."""
        found: dict[int, list[Attachment]] = {}
        ids = list(dict.fromkeys(message_ids))
        for start in range(0, len(ids), _IDS_PER_QUERY):
            chunk = ids[start : start + _IDS_PER_QUERY]
            marks = ",".join("?" * len(chunk))
            rows = self._all(
                "SELECT a.message_id, a.name, a.media_type, b.data FROM attachments a"
                " JOIN attachment_blobs b ON b.sha256 = a.sha256"
                f" WHERE a.message_id IN ({marks}) ORDER BY a.message_id, a.position",
                *chunk,
            )
            for row in rows:
                found.setdefault(row["message_id"], []).append(
                    Attachment(row["name"], row["media_type"], bytes(row["data"]))
                )
        return {message_id: tuple(files) for message_id, files in found.items()}
