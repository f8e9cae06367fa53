"""Continuing a stored conversation from the shell (``mmchat ask -c`` / ``--conversation``).

What the next turn needs: the earlier turns the models see, along the branch that is
current (the path to the newest message, as the app shows it when opened), the message
the new turn follows, and the conversation's remembered preset and persona. The history
is built as the app builds it: each question with the answer kept for it (the picked
lane's, after a fan-out); a question whose answer never came is left out.
"""

from __future__ import annotations

from dataclasses import dataclass

from mmchat.api import Message
from mmchat.history.protocol import HistoryStore
from mmchat.history.schema import ConversationRow

__all__ = ["Continuation", "NothingToContinue", "continuation"]


class NothingToContinue(LookupError):
    """No such conversation, or no conversation at all (message is for the user)."""


@dataclass(frozen=True, slots=True)
class Continuation:
    conversation: ConversationRow
    history: tuple[Message, ...]
    leaf_id: int | None  # the message the new turn follows (None: an empty conversation)


def continuation(store: HistoryStore, conversation_id: int | None = None) -> Continuation:
    """Conversation ``conversation_id``, or the latest one when None."""
    if conversation_id is None:
        latest = store.list_conversations(1)
        if not latest:
            raise NothingToContinue(
                "no conversation to continue: the history is empty "
                '(start one with `mmchat ask "..."`)'
            )
        conversation = latest[0]
    else:
        found = store.get_conversation(conversation_id)
        if found is None:
            raise NothingToContinue(
                f"no conversation {conversation_id} (`mmchat history list` shows them)"
            )
        conversation = found
    path = store.conversation_outline(conversation.id)
    history: list[Message] = []
    question: str | None = None
    for entry in path:
        if entry.role == "user":
            question = entry.text
        elif entry.role == "assistant" and question is not None:
            if entry.text:
                history += [Message("user", question), Message("assistant", entry.text)]
            question = None
    leaf = path[-1].id if path else None
    return Continuation(conversation, tuple(history), leaf)
