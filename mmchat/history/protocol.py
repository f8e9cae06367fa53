"""What the rest of mmchat needs from a history store (SQLite's :class:`Store` is the one
implementation): the recorder writes turns through it, replay and export read them,
the TUI and the CLI list, search, rename and delete conversations."""

from __future__ import annotations

from typing import Any, Protocol

from mmchat.api import Usage
from mmchat.history.schema import (
    ConversationRow,
    EventRow,
    LaneRow,
    MessageRow,
    PathEntry,
    Totals,
)

__all__ = ["HistoryStore"]


class HistoryStore(Protocol):
    # -- writes (the recorder) ---------------------------------------------------------
    def create_conversation(self, title: str = ..., preset: str = ...) -> int: ...
    def add_user_message(self, conversation_id: int, text: str, parent_id: int | None) -> int: ...
    def start_assistant(
        self, conversation_id: int, parent_id: int, preset: str, strategy: str
    ) -> int: ...
    def open_lane(
        self,
        message_id: int,
        lane: str,
        model: str,
        role: str = ...,
        label: str = ...,
        parent_lane: str | None = ...,
    ) -> None: ...
    def update_lane_text(
        self, message_id: int, lane: str, text: str, reasoning: str = ...
    ) -> None: ...
    def close_lane(
        self,
        message_id: int,
        lane: str,
        *,
        status: str,
        text: str,
        reasoning: str = ...,
        usage: Usage | None = ...,
        cost: float | None = ...,
        ttft: float | None = ...,
        duration: float | None = ...,
        finish_reason: str | None = ...,
        error: str | None = ...,
        cost_source: str = ...,
    ) -> None: ...
    def add_event(
        self, message_id: int, seq: int, at: float, kind: str, data: dict[str, Any]
    ) -> None: ...
    def update_assistant_text(self, message_id: int, text: str) -> None: ...
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
        error: str | None = ...,
        cost_source: str = ...,
    ) -> None: ...

    # -- the user's actions -------------------------------------------------------------
    def set_chosen_lane(self, message_id: int, lane: str, text: str) -> None: ...
    def add_correction(
        self, kind: str, text: str, label: str, preset: str = ..., message_id: int | None = ...
    ) -> None: ...
    def corrections(self, kind: str, limit: int = ...) -> list[tuple[str, str]]: ...
    def rename_conversation(self, conversation_id: int, title: str) -> None: ...
    def delete_conversation(self, conversation_id: int) -> None: ...

    # -- reads ----------------------------------------------------------------------------
    def get_conversation(self, conversation_id: int) -> ConversationRow | None: ...
    def list_conversations(self, limit: int = ...) -> list[ConversationRow]: ...
    def search_conversations(self, query: str, limit: int = ...) -> list[ConversationRow]: ...
    def get_message(self, message_id: int) -> MessageRow | None: ...
    def messages(self, conversation_id: int) -> list[MessageRow]: ...
    def children(self, message_id: int) -> list[MessageRow]: ...
    def conversation_path(
        self, conversation_id: int, leaf_id: int | None = ...
    ) -> list[MessageRow]: ...
    def conversation_outline(
        self, conversation_id: int, leaf_id: int | None = ...
    ) -> list[PathEntry]: ...
    def lanes(self, message_id: int) -> list[LaneRow]: ...
    def events(self, message_id: int) -> list[EventRow]: ...
    def session_totals(
        self, conversation_id: int | None = ..., since: float | None = ...
    ) -> Totals: ...
