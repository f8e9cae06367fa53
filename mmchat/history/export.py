"""Export a stored conversation as Markdown (the branch it shows) or JSON (everything).

The Markdown export reads each answer's decisions back through replay
(:mod:`mmchat.history.replay`), so it says what a strategy decided in the same words as
the app and ``mmchat ask`` do.

Attachments: an export is one file that stands on its own, so nothing is left out
and nothing points at a file that may be gone. In Markdown a text file is a fenced
block under its name and an image is an image with a ``data:`` URL (VS Code,
Obsidian, Typora and pandoc show it; a viewer that does not shows its name); in JSON
each user message has ``attachments`` with the name, media type, size and the
``text`` of a text file or the ``data_url`` of an image.
"""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from mmchat.api import Attachment, Decision, Usage
from mmchat.attachments.wire import data_url, fence_for
from mmchat.history.protocol import HistoryStore
from mmchat.history.replay import INTERRUPTED, replay_events
from mmchat.history.schema import MessageRow

EXPORT_FORMAT = 1


def to_markdown(store: HistoryStore, conversation_id: int, leaf_id: int | None = None) -> str:
    conversation = store.get_conversation(conversation_id)
    if conversation is None:
        raise KeyError(conversation_id)
    out = [f"# {conversation.title}", ""]
    path = store.conversation_path(conversation_id, leaf_id)
    files = store.attachments_of([m.id for m in path if m.role == "user"])
    for message in path:
        if message.role == "user":
            out += ["## You", "", message.text, ""]
            out += [line for a in files.get(message.id, ()) for line in (_md_file(a), "")]
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
        footer = _footer(message.usage, message.cost, message.duration, message.cost_source)
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
    stored = store.messages(conversation_id)
    files = store.attachments_of([m.id for m in stored if m.role == "user"])
    for message in stored:
        item = _message_dict(message)
        if message.role == "user":
            item["attachments"] = [_json_file(a) for a in files.get(message.id, ())]
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


def _md_escaped(name: str) -> str:
    return "".join(f"\\{c}" if c in "\\`*_[]<>#" else c for c in name)


def _md_file(attachment: Attachment) -> str:
    name = _md_escaped(attachment.name)
    if attachment.is_image:
        return f"![{name}]({data_url(attachment)})"
    text = attachment.text
    fence = fence_for(text)
    body = text if text.endswith("\n") or not text else text + "\n"
    return f"📎 {name}\n\n{fence}\n{body}{fence}"


def _json_file(attachment: Attachment) -> dict[str, Any]:
    data: dict[str, Any] = {
        "name": attachment.name,
        "media_type": attachment.media_type,
        "size": attachment.size,
    }
    if attachment.is_image:
        data["data_url"] = data_url(attachment)
    else:
        data["text"] = attachment.text
    return data


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


def _footer(usage: Usage, cost: float | None, duration: float | None, source: str = "") -> str:
    parts = []
    if usage.total_tokens:
        approx = "~" if usage.estimated else ""
        parts.append(f"{approx}{usage.prompt_tokens} in / {approx}{usage.completion_tokens} out")
    if cost is not None:
        parts.append(f"${cost:.4f}" + (f" ({source})" if source else ""))
    if duration is not None:
        parts.append(f"{duration:.1f}s")
    return " · ".join(parts)
