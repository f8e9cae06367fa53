"""How recorded events are kept: (kind, JSON object) and back.

Decisions, plan nodes and notes are stored as they were emitted (lanes and messages
have tables of their own). A decision's typed payload is stored as plain data and
comes back typed (:func:`mmchat.api.detail_from_dict`); data of an older shape or of
a plugin that is gone comes back as a custom payload, drawn generically.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from mmchat.api import Decision, Event, Note, PlanNode, detail_from_dict, detail_to_dict

__all__ = ["RECORDED", "decode", "encode"]

RECORDED: tuple[type[Event], ...] = (Decision, PlanNode, Note)
_BY_NAME: dict[str, type[Event]] = {cls.__name__: cls for cls in RECORDED}


def encode(event: Event) -> tuple[str, dict[str, Any]]:
    """The stored form of a recorded event: its type name and a JSON-ready object."""
    if isinstance(event, Decision):
        data: dict[str, Any] = {
            "kind": event.kind,
            "summary": event.summary,
            "detail": detail_to_dict(event.detail),
        }
        if event.scope:
            data["scope"] = event.scope
        return "Decision", data
    data = dataclasses.asdict(event)
    for stamp in ("turn", "at"):
        data.pop(stamp, None)
    return type(event).__name__, data


def decode(name: str, data: dict[str, Any], at: float = 0.0) -> Event | None:
    """The event stored as ``(name, data)``; None when it cannot be read back."""
    cls = _BY_NAME.get(name)
    if cls is None:
        return None
    if cls is Decision:
        kind = str(data.get("kind") or "")
        detail = data.get("detail")
        if not kind:
            return None
        return Decision(
            at=at,
            kind=kind,
            summary=str(data.get("summary") or ""),
            detail=detail_from_dict(kind, detail if isinstance(detail, dict) else {}),
            scope=str(data.get("scope") or ""),
        )
    names = {f.name for f in dataclasses.fields(cls)} - {"turn", "at"}
    try:
        return cls(at=at, **{k: v for k, v in data.items() if k in names})
    except (TypeError, ValueError):
        return None
