"""`mmchat ask`: one turn from the command line, streamed to stdout or printed as JSON."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import signal
import sys
from typing import Any

from mmchat.api import (
    Decision,
    Event,
    FinalAnswer,
    LaneClosed,
    LaneOpened,
    LaneRetrying,
    Note,
    ReasoningDelta,
    TextDelta,
)
from mmchat.cli._common import err, open_session_or_report
from mmchat.cli.ask_context import add_arguments
from mmchat.finish import TOKEN_LIMIT_MARK, hit_token_limit
from mmchat.sanitize import for_terminal, json_for_terminal


def add_parser(sub: Any) -> None:
    p = sub.add_parser("ask", help="ask once and print the answer")
    p.add_argument("prompt", nargs="*", help="the question (read from stdin when absent)")
    p.add_argument(
        "-s",
        "--strategy",
        "--preset",
        dest="strategy",
        help="preset name (or strategy name) to run",
    )
    p.add_argument("-m", "--model", help="model alias (runs `single` with it unless -s is set)")
    p.add_argument("--system", help="a system prompt for this turn")
    p.add_argument(
        "--route",
        metavar="NAME",
        help="with a router preset: take this route (kept as a correction it learns from)",
    )
    p.add_argument("--json", action="store_true", help="print one JSON object with the details")
    p.add_argument("--no-save", action="store_true", help="do not record the turn in history")
    p.add_argument(
        "-a",
        "--attach",
        action="append",
        default=[],
        metavar="FILE",
        help="attach a text file or a PNG, JPEG, GIF or WebP image (repeatable; - reads stdin)",
    )
    add_arguments(p)  # -c / --conversation ID, --persona NAME / --no-persona


def run(args: argparse.Namespace) -> int:
    prompt = " ".join(args.prompt).strip()
    stdin_attached = "-" in args.attach
    if args.attach.count("-") > 1:
        err("-a - can be given once: standard input is one file")
        return 2
    if not prompt and not sys.stdin.isatty() and not stdin_attached:
        prompt = sys.stdin.read().strip()
    if not prompt:
        where = "as arguments (stdin is the attached file)" if stdin_attached else "as arguments"
        err(f"nothing to ask: give a prompt {where} or on stdin")
        return 2
    return asyncio.run(_ask(args, prompt))


def _attachments(args: argparse.Namespace, session: Any) -> tuple[Any, ...]:
    """The files of ``-a``, read within the config's limits (AttachmentError if not)."""
    if not args.attach:
        return ()
    from mmchat.attachments.files import Limits, read_all

    limits = Limits.from_config(session.loaded.config.attachments)
    return read_all(args.attach, limits, sys.stdin.buffer)


async def _ask(args: argparse.Namespace, prompt: str) -> int:
    from mmchat.engine import TurnRequest
    from mmchat.turn_log import TurnLog

    session = open_session_or_report(save=not args.no_save)
    if session is None:
        return 2
    engine = session.engine
    from mmchat.cli.ask_context import AskContextError, resolve

    try:
        context = resolve(session, args)
    except AskContextError as exc:
        err(str(exc))
        await session.aclose()
        return 2
    for warning in context.warnings:
        err(warning)
    try:
        preset_name, preset_cfg = _choose_preset(session.loaded.config, engine, args)
    except LookupError as exc:
        err(str(exc))
        await session.aclose()
        return 2
    if args.model and not engine.config.models.get(args.model):
        err(f"no model alias {args.model!r} (configured: {', '.join(engine.config.models)})")
        await session.aclose()
        return 2
    problem = _preset_problem(session, preset_name, preset_cfg)
    if not problem and args.attach:
        from mmchat.attachments.files import AttachmentError
        from mmchat.attachments.vision import image_refusal

        try:
            attachments = _attachments(args, session)
        except AttachmentError as exc:
            problem = str(exc)
        else:
            problem = image_refusal(engine, preset_cfg or preset_name, attachments, preset_name)
    else:
        attachments = ()
    if problem:
        err(problem)
        await session.aclose()
        return 2
    history = list(context.history)
    if args.system:
        from mmchat.api import Message

        history.append(Message("system", args.system))
    log = TurnLog()
    strategy_cls = engine.registry.get((preset_cfg or engine.config.presets[preset_name]).strategy)
    log.strategy_view = strategy_cls.view if strategy_cls is not None else ""
    printer = _Printer(stream=not args.json, tty=sys.stdout.isatty(), err_tty=sys.stderr.isatty())

    def sink(event: Event) -> None:
        log.add(event)
        printer.on_event(event, log)

    request = TurnRequest(
        prompt=prompt,
        history=tuple(history),
        preset=preset_name,
        preset_config=preset_cfg,
        hints={"route": args.route} if args.route else {},
        attachments=attachments,
        conversation_id=context.conversation_id,
        parent_id=context.parent_id,
        persona=context.persona,
    )
    stopped_by = _stop_on_signals()
    try:
        outcome = await engine.run_turn(request, sink)
    except asyncio.CancelledError:
        # SIGTERM / SIGHUP: the engine has already kept the answer so far (cancelled).
        if not stopped_by:
            raise  # Ctrl+C: asyncio.run turns this back into KeyboardInterrupt
        printer.finish("")
        err(f"stopped by {signal.Signals(stopped_by[0]).name}; what arrived is kept in history")
        return 128 + stopped_by[0]
    finally:
        await session.aclose()
    if args.json:
        # C0 is escaped by json.dumps; DEL and C1 too, so no terminal obeys them.
        data = {**log.to_json(outcome), "persona": context.persona}
        print(json_for_terminal(json.dumps(data, ensure_ascii=False, indent=2)))
    else:
        printer.finish(outcome.text)
        printer.summary(outcome)
    if printer.cut:
        # Always said (a pipe too): an answer that ends mid-word must not look finished.
        which = f" in {', '.join(printer.cut)}" if len(printer.names) > 1 else ""
        err(f"{TOKEN_LIMIT_MARK}{which}: the answer is cut short (raise the model's max_tokens)")
    if outcome.status == "complete":
        return 0
    err(outcome.error or f"turn {outcome.status}")
    if outcome.text and not args.json:
        kept = "; what arrived is kept in history" if outcome.message_id else ""
        err(f"the answer above is incomplete ({outcome.status}){kept}")
    return 130 if outcome.status == "cancelled" else 1


def _stop_on_signals() -> list[int]:
    """SIGTERM and SIGHUP (a closed terminal, ``kill``, a service manager) stop the turn
    the way Ctrl+C does: requests cancelled, the answer so far kept and marked. Returns
    the list the signal's number is put in when one arrives."""
    received: list[int] = []
    loop = asyncio.get_running_loop()
    task = asyncio.current_task()

    def stop(signum: int) -> None:
        if task is not None and not received:
            received.append(signum)
            task.cancel()

    for signum in (signal.SIGTERM, signal.SIGHUP):
        with contextlib.suppress(NotImplementedError, RuntimeError):  # not on this platform
            loop.add_signal_handler(signum, stop, signum)
    return received


def _preset_problem(session: Any, preset_name: str, preset_cfg: Any) -> str | None:
    """Why the preset to run cannot run (before anything is saved or sent), or None."""
    from mmchat.config import ConfigError
    from mmchat.engine import PresetError

    if preset_cfg is None:  # a preset from the file: name the file and the line
        from mmchat.cli.config_cmd import preset_problems

        found = preset_problems(session.loaded, session.engine, [preset_name])
        return str(ConfigError(session.loaded.path, found)) if found else None
    try:
        session.engine.resolve_preset(preset_cfg, label=preset_name)
    except PresetError as exc:
        return str(exc)
    return None


def _choose_preset(config: Any, engine: Any, args: argparse.Namespace) -> tuple[str, Any]:
    from mmchat.config_schema import PresetConfig

    name = args.strategy
    if args.model and not name:
        adhoc = PresetConfig(strategy="single", options={"model": args.model})
        return f"single:{args.model}", adhoc
    if not name:
        name = config.defaults.preset
    if name in config.presets:
        preset = config.presets[name]
        if args.model and preset.strategy == "single":
            options = {**preset.options, "model": args.model}
            return name, preset.model_copy(update={"options": options})
        return name, None
    # A strategy name: use the first preset built on it, else its defaults.
    for preset_name, preset in config.presets.items():
        if preset.strategy == name:
            return preset_name, None
    if engine.registry.get(name) is not None:
        return name, PresetConfig(strategy=name)
    known = sorted({*config.presets, *engine.registry.names()})
    raise LookupError(f"no preset or strategy named {name!r} (known: {', '.join(known)})")


class _Printer:
    """Streams the answer to stdout and progress to stderr (only when it is a terminal)."""

    def __init__(self, *, stream: bool, tty: bool, err_tty: bool) -> None:
        self.stream = stream
        self.tty = tty
        self.err_tty = err_tty
        self.answer_lanes: set[str] = set()
        self.streamed = False
        self.last_char = "\n"
        self.names: dict[str, str] = {}  # lane -> what the user knows it by
        self.cut: list[str] = []  # lanes the token cap stopped

    def on_event(self, event: Event, log: Any) -> None:
        if isinstance(event, LaneOpened):
            self.names[event.lane] = event.label or event.model
        elif isinstance(event, LaneClosed) and hit_token_limit(event.finish_reason):
            self.cut.append(self.names.get(event.lane, event.lane))
        if not self.stream:
            return
        if isinstance(event, LaneOpened):
            # Only a lone answering lane streams live; multi-lane turns print the final.
            if event.role == "answer" and log.strategy_view in ("single", ""):
                self.answer_lanes.add(event.lane)
            self._progress(f"… {event.label or event.model} ({event.role or 'lane'})")
        elif isinstance(event, TextDelta) and event.lane in self.answer_lanes:
            sys.stdout.write(self._out(event.text))
            sys.stdout.flush()
            self.streamed = True
            self.last_char = event.text[-1:] or self.last_char
        elif isinstance(event, LaneRetrying):
            self._progress(f"↻ {event.reason}; retry {event.attempt} in {event.delay:.1f}s")
        elif isinstance(event, LaneClosed) and event.status != "done":
            self._progress(f"✗ lane {event.lane}: {event.error or event.status}")
        elif isinstance(event, Decision):
            self._progress(f"◆ {event.kind}: {event.summary}")
            for line in event.detail.lines():
                self._progress(f"    {line}")
        elif isinstance(event, Note) and event.level != "error":
            self._progress(f"· {event.text}")
        elif isinstance(event, (ReasoningDelta, FinalAnswer)):
            pass

    def _out(self, text: str) -> str:
        # Model output on a terminal: escape sequences shown, not obeyed (OSC 52...).
        return for_terminal(text) if self.tty else text

    def _progress(self, line: str) -> None:
        if self.err_tty:
            print(f"\x1b[2m{for_terminal(line)}\x1b[0m", file=sys.stderr)

    def summary(self, outcome: Any) -> None:
        """Tokens, cost (and where its prices came from) and time, on a terminal's stderr."""
        from mmchat.accounting import cost_label

        usage = outcome.usage
        mark = "~" if usage.estimated else ""
        tokens = f"{mark}{usage.prompt_tokens}→{mark}{usage.completion_tokens} tok"
        cost = cost_label(outcome.cost, outcome.cost_source)
        self._progress(f"· {tokens} · {cost} · {outcome.duration:.1f}s")

    def finish(self, text: str) -> None:
        if not self.stream:
            return
        if not self.streamed:
            sys.stdout.write(self._out(text))
            self.last_char = text[-1:] or "\n"
        if self.last_char != "\n":
            sys.stdout.write("\n")
        sys.stdout.flush()
