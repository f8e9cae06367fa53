"""What an ``mmchat ask`` turn continues from and with which persona.

``-c`` continues the latest conversation and ``--conversation ID`` a given one: the
models see its earlier turns (the current branch), the new turn is stored in it, and
its remembered preset and persona are used unless ``-s``/``-m`` or ``--persona`` /
``--no-persona`` say otherwise. Without either, the turn starts a new conversation
with ``defaults.persona``.
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from mmchat.api import Message
    from mmchat.wiring import Session

__all__ = ["AskContext", "AskContextError", "add_arguments", "resolve"]


class AskContextError(Exception):
    """The conversation or persona asked for cannot be used (message is for the user)."""


@dataclass(slots=True)
class AskContext:
    persona: str = ""
    conversation_id: int | None = None
    parent_id: int | None = None
    history: tuple[Message, ...] = ()
    warnings: list[str] = field(default_factory=list)


def add_arguments(p: Any) -> None:
    which = p.add_mutually_exclusive_group()
    which.add_argument(
        "-c", "--continue", dest="continue_latest", action="store_true",
        help="continue the latest conversation (its preset and persona unless overridden)",
    )  # fmt: skip
    which.add_argument(
        "--conversation", type=int, metavar="ID",
        help="continue conversation ID (see `mmchat history list`)",
    )  # fmt: skip
    persona = p.add_mutually_exclusive_group()
    persona.add_argument("--persona", metavar="NAME", help="a persona from config [personas]")
    persona.add_argument("--no-persona", action="store_true", help="no persona for this turn")


def resolve(session: Session, args: argparse.Namespace) -> AskContext:
    """The turn's context; sets ``args.strategy`` / ``args.model`` to what a continued
    conversation remembers when the command line names neither."""
    config = session.loaded.config
    context = AskContext(persona=config.defaults.persona)
    if args.continue_latest or args.conversation is not None:
        context = _continued(session, args)
    if args.no_persona:
        context.persona = ""
    elif args.persona is not None:
        if args.persona not in config.personas:
            known = ", ".join(sorted(config.personas)) or "none configured"
            raise AskContextError(f"no persona named {args.persona!r} (known: {known})")
        context.persona = args.persona
    return context


def _continued(session: Session, args: argparse.Namespace) -> AskContext:
    from mmchat.history.continuation import NothingToContinue, continuation
    from mmchat.history.store import Store, StoreError
    from mmchat.remembered import remembered

    config = session.loaded.config
    store = session.store
    own = None
    if store is None:  # --no-save: read the history, record nothing
        from mmchat import paths

        if not paths.db_file().exists():
            raise AskContextError("no conversation to continue: the history is empty")
        try:
            store = own = Store.open(paths.db_file(), recover=False)
        except StoreError as exc:
            raise AskContextError(str(exc)) from None
    try:
        found = continuation(store, args.conversation)
    except NothingToContinue as exc:
        raise AskContextError(str(exc)) from None
    finally:
        if own is not None:
            own.close()
    row = found.conversation
    memory = remembered(config, row.preset, row.persona)
    context = AskContext(
        persona=memory.persona if memory.persona is not None else config.defaults.persona,
        conversation_id=row.id if session.store is not None else None,
        parent_id=found.leaf_id if session.store is not None else None,
        history=found.history,
    )
    for problem in memory.problems:
        context.warnings.append(f"conversation {row.id}: {problem}; using today's default")
    if not args.strategy and not args.model:
        args.strategy, args.model = memory.preset, memory.model
    return context
