"""User key overrides: ``[ui.keymap]`` binding id → keys, applied with App.set_keymap.

Bindings that users may remap carry an ``id`` (``Binding("ctrl+s", "send", id="send")``).
Unknown ids are not errors (a plugin or a later version may define them) but are
reported as one warning notification so typos do not go unnoticed.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

from textual.app import App
from textual.binding import Binding
from textual.dom import DOMNode

__all__ = ["apply_keymap", "check_keymap", "known_binding_ids"]

# A key is letters/digits/punctuation names joined by "+"; several keys by ",".
_KEY = re.compile(r"^[A-Za-z0-9_\-]+(\+[A-Za-z0-9_\-]+)*$")


def _subclasses(cls: type[DOMNode]) -> Iterable[type[DOMNode]]:
    seen: set[type[DOMNode]] = set()
    stack = [cls]
    while stack:
        current = stack.pop()
        for sub in current.__subclasses__():
            if sub not in seen:
                seen.add(sub)
                stack.append(sub)
                yield sub


def known_binding_ids(extra: Iterable[str] = ()) -> set[str]:
    """The ids of every Binding declared by any loaded widget, screen or app class."""
    ids = set(extra)
    for cls in (DOMNode, *_subclasses(DOMNode)):
        for binding in getattr(cls, "BINDINGS", ()) or ():
            if isinstance(binding, Binding) and binding.id:
                ids.add(binding.id)
    return ids


def check_keymap(
    keymap: Mapping[str, str], known: Iterable[str] | None = None
) -> tuple[dict[str, str], list[str]]:
    """(the usable overrides, one warning per entry that was left out)."""
    known_ids = set(known) if known is not None else known_binding_ids()
    usable: dict[str, str] = {}
    warnings: list[str] = []
    for binding_id, keys in keymap.items():
        parts = [k.strip() for k in str(keys).split(",")]
        if not parts or not all(parts) or not all(_KEY.match(k) for k in parts):
            warnings.append(f'{binding_id} = {keys!r}: not a key like "ctrl+s" or "f2,ctrl+n"')
            continue
        if binding_id not in known_ids:
            warnings.append(f"{binding_id}: no binding with this id")
        # Unknown ids are still passed on: they may belong to a screen not loaded yet.
        usable[binding_id] = ",".join(parts)
    return usable, warnings


def apply_keymap(
    app: App[Any],
    keymap: Mapping[str, str],
    known: Iterable[str] | None = None,
    *,
    notify: bool = True,
) -> list[str]:
    """Apply ``keymap`` to ``app``; returns (and by default notifies) the warnings."""
    usable, warnings = check_keymap(keymap, known)
    try:
        app.set_keymap(usable)
    except Exception as exc:  # a keymap must never stop the app from starting
        warnings.append(f"keymap not applied: {exc}")
    if notify and warnings:
        known_ids = sorted(set(known) if known is not None else known_binding_ids())
        hint = f"\nKnown ids: {', '.join(known_ids)}" if known_ids else ""
        app.notify("\n".join(warnings) + hint, title="[ui.keymap] problems", severity="warning")
    return warnings
