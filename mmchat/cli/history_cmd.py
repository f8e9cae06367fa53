"""`mmchat history list|show|search|export`: the stored conversations from the shell.

Read-only (it never creates the database). ``list``, ``show`` and ``search`` are views:
whatever came from a model or a user (titles, messages, snippets) is printed with its
control characters made visible (``^[`` instead of an escape sequence), piped or not.
``--json`` escapes them as ``\\uXXXX`` (the same data). ``export`` is the data: inert on
a terminal, byte for byte to a pipe or a file.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mmchat.cli._common import data_out, err, out, warn
from mmchat.sanitize import for_terminal, json_for_terminal

if TYPE_CHECKING:
    from mmchat.history.schema import ConversationRow, MessageRow
    from mmchat.history.search import Hit
    from mmchat.history.store import Store

HELP = "list, show, search and export stored conversations"
# On a terminal, a search match is shown bold and reversed (like grep's colour).
_MATCH_ON, _MATCH_OFF = "\x1b[1;7m", "\x1b[0m"


def add_parser(subparsers: Any) -> argparse.ArgumentParser:
    parser: argparse.ArgumentParser = subparsers.add_parser("history", help=HELP)
    sub = parser.add_subparsers(dest="history_command", metavar="COMMAND")
    list_ = sub.add_parser("list", help="the latest conversations, newest first")
    list_.add_argument("--limit", type=int, default=20, metavar="N", help="how many (20)")
    list_.add_argument("--json", action="store_true", help="print them as JSON")
    show = sub.add_parser("show", help="a conversation's transcript (its current branch)")
    show.add_argument("id", type=int, metavar="ID")
    search = sub.add_parser("search", help="full-text search of every message and answer")
    search.add_argument("text", nargs="+", help='words (all must match); "a phrase"; prefix*')
    search.add_argument("--limit", type=int, default=20, metavar="N", help="how many (20)")
    search.add_argument("--json", action="store_true", help="print the matches as JSON")
    export = sub.add_parser("export", help="a conversation as Markdown or JSON")
    export.add_argument("id", type=int, metavar="ID")
    export.add_argument(
        "--format", choices=("md", "json"), default="md",
        help="md: the current branch as you read it; json: every branch, lane and event",
    )  # fmt: skip
    export.add_argument("-o", "--output", metavar="FILE", help="write to FILE (default stdout)")
    parser.set_defaults(run=run)
    return parser


def run(args: argparse.Namespace) -> int:
    command = getattr(args, "history_command", None) or "list"
    if command in ("list", "search") and args.limit < 1:
        err("--limit must be at least 1")
        return 2
    from mmchat import paths

    if not paths.db_file().exists():
        return _empty(command, args)
    from mmchat.history.store import Store, StoreError

    try:
        store = Store.open(paths.db_file(), recover=False)
    except StoreError as exc:
        err(str(exc))
        return 1
    with store:
        if command == "show":
            return _show(store, args.id)
        if command == "search":
            return _search(store, " ".join(args.text), args.limit, args.json)
        if command == "export":
            return _export(store, args.id, args.format, args.output)
        return _list(store, args.limit, args.json)


def _empty(command: str, args: argparse.Namespace) -> int:
    """No database yet: nothing is stored (and nothing is created)."""
    if command in ("show", "export"):
        return _no_conversation(args.id)
    if getattr(args, "json", False):
        print("[]")
    else:
        warn("no conversations yet")
    return 1 if command == "search" else 0


def _no_conversation(conversation_id: int) -> int:
    err(f"no conversation {conversation_id} (`mmchat history list` shows them)")
    return 2


def _when(timestamp: float) -> str:
    return time.strftime("%Y-%m-%d %H:%M", time.localtime(timestamp))


# ------------------------------------------------------------------ list


def _list(store: Store, limit: int, as_json: bool) -> int:
    rows = store.list_conversations(limit)
    if as_json:
        print(json_for_terminal(json.dumps([_row_json(r) for r in rows], ensure_ascii=False)))
        return 0
    if not rows:
        warn("no conversations yet")
        return 0
    width = max(len(str(r.id)) for r in rows)
    out(f"{'ID':>{width}}  {'UPDATED':<16}  {'PRESET':<12}  {'PERSONA':<12}  TITLE")
    for row in rows:
        out(
            f"{row.id:>{width}}  {_when(row.updated):<16}  {row.preset or '-':<12}  "
            f"{row.persona or '-':<12}  {row.title}"
        )
    return 0


def _row_json(row: ConversationRow) -> dict[str, Any]:
    return {
        "id": row.id,
        "title": row.title,
        "created": row.created,
        "updated": row.updated,
        "preset": row.preset,
        "persona": row.persona,
    }


# ------------------------------------------------------------------ show


def _show(store: Store, conversation_id: int) -> int:
    conversation = store.get_conversation(conversation_id)
    if conversation is None:
        return _no_conversation(conversation_id)
    about = [f"conversation {conversation.id}", _when(conversation.updated)]
    if conversation.preset:
        about.append(f"preset {conversation.preset}")
    if conversation.persona:
        about.append(f"persona {conversation.persona}")
    out(f"# {conversation.title}")
    out(f"({' · '.join(about)})")
    for message in store.conversation_path(conversation_id):
        out()
        if message.role == "user":
            out("You:")
        else:
            out(f"Assistant: {_turn_line(store, message)}")
        out(message.text or "(no text)")
        if message.role == "assistant" and message.status != "complete":
            out(f"[{message.status}{': ' + message.error if message.error else ''}]")
    return 0


def _turn_line(store: Store, message: MessageRow) -> str:
    """Strategy, models, tokens, cost and time of one answer."""
    parts = []
    preset = message.preset or "?"
    if message.strategy and message.strategy != message.preset:
        preset += f" ({message.strategy})"
    parts.append(preset)
    if message.models:
        parts.append(", ".join(message.models))
    if message.chosen_lane:
        picked = next(
            (lane for lane in store.lanes(message.id) if lane.lane == message.chosen_lane), None
        )
        parts.append(f"picked {picked.label or picked.model if picked else message.chosen_lane}")
    usage = message.usage
    if usage.total_tokens:
        approx = "~" if usage.estimated else ""
        parts.append(f"{approx}{usage.prompt_tokens} in / {approx}{usage.completion_tokens} out")
    parts.append("cost unknown" if message.cost is None else f"${message.cost:.4f}")
    if message.duration is not None:
        parts.append(f"{message.duration:.1f} s")
    return " · ".join(parts)


# ------------------------------------------------------------------ search


def _search(store: Store, text: str, limit: int, as_json: bool) -> int:
    from mmchat.history.search import fts_query

    if fts_query(text) is None:
        err("nothing to search for: give at least one word")
        return 2
    hits = store.search(text, limit=limit)
    if as_json:
        print(json_for_terminal(json.dumps([_hit_json(h) for h in hits], ensure_ascii=False)))
    elif not hits:
        warn(f"no conversation mentions {text!r}")
    else:
        width = max(len(str(h.conversation_id)) for h in hits)
        highlight = sys.stdout.isatty()
        for hit in hits:
            out(f"{hit.conversation_id:>{width}}  {_when(hit.updated)}  {hit.title}")
            who = "you" if hit.role == "user" else (hit.model or "assistant")
            sys.stdout.write(f"{'':>{width}}  {for_terminal(who)}: {_snippet(hit, highlight)}\n")
    return 0 if hits else 1


def _snippet(hit: Hit, highlight: bool) -> str:
    pieces = []
    for text, matched in hit.snippet.parts:
        safe = for_terminal(text)
        pieces.append(f"{_MATCH_ON}{safe}{_MATCH_OFF}" if matched and highlight else safe)
    return "".join(pieces)


def _hit_json(hit: Hit) -> dict[str, Any]:
    return {
        "conversation_id": hit.conversation_id,
        "title": hit.title,
        "updated": hit.updated,
        "message_id": hit.message_id,
        "role": hit.role,
        "lane": hit.lane,
        "model": hit.model,
        "score": hit.score,
        "snippet": hit.snippet.text,
        "highlights": hit.snippet.highlights(),
    }


# ------------------------------------------------------------------ export


def _export(store: Store, conversation_id: int, fmt: str, output: str | None) -> int:
    from mmchat.history.export import to_json, to_markdown

    if store.get_conversation(conversation_id) is None:
        return _no_conversation(conversation_id)
    if fmt == "json":
        text = json.dumps(to_json(store, conversation_id), ensure_ascii=False, indent=2) + "\n"
    else:
        text = to_markdown(store, conversation_id)
    if output is None or output == "-":
        data_out(text)
        return 0
    path = Path(output).expanduser()
    try:
        path.write_text(text, "utf-8")
    except OSError as exc:
        err(f"cannot write {path}: {exc.strerror or exc}")
        return 1
    warn(f"conversation {conversation_id} written to {path}")
    return 0
