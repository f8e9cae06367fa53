"""Export a stored conversation as Markdown (the branch it shows) or JSON (everything).

The Markdown export reads each answer's decisions back through replay
(:mod:`mmchat.history.replay`), so it says what a strategy decided in the same words as
the app and ``mmchat ask`` do.
"""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from mmchat.api import Decision, Usage
from mmchat.history.protocol import HistoryStore
from mmchat.history.replay import INTERRUPTED, replay_events
from mmchat.history.schema import MessageRow

EXPORT_FORMAT = 1


def to_markdown(store: HistoryStore, conversation_id: int, leaf_id: int | None = None) -> str:
    conversation = store.get_conversation(conversation_id)
    if conversation is None:
        raise KeyError(conversation_id)
    out = [f"# {conversation.title}", ""]
    for message in store.conversation_path(conversation_id, leaf_id):
        if message.role == "user":
            out += ["## You", "", message.text, ""]
            continue
        out += [f"## {_heading(message)}", ""]
        decisions = [e for e in replay_events(store, message) if isinstance(e, Decision)]
        for decision in decisions:
            out.append(f"> ◆ **{decision.kind}**: {decision.summary}")
        if decisions:
            out.append("")
        out += [message.text or "_(no text)_", ""]
        if message.status != "complete":
            reason = message.error or (INTERRUPTED if message.status == "interrupted" else "")
            out += [f"> {reason or message.status}", ""]
        footer = _footer(message.usage, message.cost, message.duration)
        if footer:
            out += [f"<sub>{footer}</sub>", ""]
    return "\n".join(out).rstrip() + "\n"


def to_json(store: HistoryStore, conversation_id: int) -> dict[str, Any]:
    """All messages of all branches with their lanes and events (decisions, plan...);
    ``current_leaf`` is the last message of the branch the conversation shows."""
    conversation = store.get_conversation(conversation_id)
    if conversation is None:
        raise KeyError(conversation_id)
    messages = []
    for message in store.messages(conversation_id):
        item = _message_dict(message)
        if message.role == "assistant":
            item["lanes"] = [
                {**_drop(asdict(lane), "message_id", "usage"), "usage": _usage(lane.usage)}
                for lane in store.lanes(message.id)
            ]
            item["events"] = [_drop(asdict(e), "message_id") for e in store.events(message.id)]
        messages.append(item)
    return {
        "format": EXPORT_FORMAT,
        "conversation": asdict(conversation),
        "current_leaf": store.current_leaf(conversation_id),
        "messages": messages,
    }


def _message_dict(message: MessageRow) -> dict[str, Any]:
    data = _drop(asdict(message), "usage", "conversation_id")
    data["models"] = list(message.models)
    data["usage"] = _usage(message.usage)
    return data


def _usage(usage: Usage) -> dict[str, Any]:
    return {
        "prompt_tokens": usage.prompt_tokens,
        "completion_tokens": usage.completion_tokens,
        "estimated": usage.estimated,
    }


def _drop(data: dict[str, Any], *keys: str) -> dict[str, Any]:
    return {k: v for k, v in data.items() if k not in keys}


def _heading(message: MessageRow) -> str:
    parts = [p for p in (message.preset, message.strategy) if p]
    if message.models:
        parts.append(", ".join(message.models))
    return "Assistant" + (f" ({' · '.join(parts)})" if parts else "")


def _footer(usage: Usage, cost: float | None, duration: float | None) -> str:
    parts = []
    if usage.total_tokens:
        approx = "~" if usage.estimated else ""
        parts.append(f"{approx}{usage.prompt_tokens} in / {approx}{usage.completion_tokens} out")
    if cost is not None:
        parts.append(f"${cost:.4f}")
    if duration is not None:
        parts.append(f"{duration:.1f}s")
    return " · ".join(parts)
