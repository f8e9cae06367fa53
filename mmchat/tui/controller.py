"""Turn orchestration, kept out of the widgets.

The controller runs ``Engine.run_turn`` in an async worker (``exit_on_error=False``:
no provider or plugin error can take the app down), feeds every event through a
queue to the turn's :class:`AssistantMessage` in order, cancels with the engine (Esc
keeps partial text), and keeps the conversation's current branch: regenerate and
edit-last start a sibling branch from the same parent, a picked fan-out lane becomes
the text the conversation continues with.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from mmchat import api
from mmchat.api import (
    Event,
    Message,
    TurnFinished,
    TurnStarted,
)
from mmchat.config_schema import PresetConfig
from mmchat.tui.event_pump import pump_events

if TYPE_CHECKING:
    from textual.widget import Widget

    from mmchat.engine import TurnOutcome, TurnRequest
    from mmchat.history.schema import PathEntry
    from mmchat.tui.host import ChatHost
    from mmchat.tui.widgets.assistant_message import AssistantMessage
    from mmchat.tui.widgets.transcript import Lazy, Transcript
    from mmchat.tui.widgets.user_message import UserMessage

__all__ = ["ChatController", "ChatSurface", "TurnRecord"]


class ChatSurface(Protocol):
    """What the controller needs from the chat screen."""

    @property
    def transcript(self) -> Transcript: ...

    def turn_started(self, record: TurnRecord) -> None: ...

    def turn_finished(self, record: TurnRecord, outcome: TurnOutcome | None) -> None: ...


@dataclass(eq=False, slots=True)
class TurnRecord:
    prompt: str
    answer: str = ""
    reply: AssistantMessage | None = None
    user: UserMessage | None = None
    user_message_id: int | None = None
    message_id: int | None = None
    turn_id: str = ""
    strategy: str = ""
    attachments: tuple[api.Attachment, ...] = ()


class BranchSwitchers(Protocol):
    """What the controller needs of the branch switchers (mmchat.tui.branches, which
    the chat screen gives it: that module works on the controller, so importing it
    here would be a cycle)."""

    def load(self) -> None: ...
    def refresh(self) -> None: ...
    def decorate(self, record: TurnRecord) -> None: ...
    async def switch(self, target: int) -> bool: ...


class ChatController:
    def __init__(
        self,
        app: ChatHost,
        surface: ChatSurface,
        branches: Callable[[ChatController], BranchSwitchers],
    ) -> None:
        self.app = app
        self._make_branches = branches
        self.surface = surface
        self.conversation_id: int | None = None
        self.records: list[TurnRecord] = []
        self.running: TurnRecord | None = None
        config = app.config
        self.preset = config.defaults.preset if config is not None else ""
        self.persona = config.defaults.persona if config is not None else ""  # '' = none
        self.adhoc: PresetConfig | None = None
        self.adhoc_label = ""
        self._branches: BranchSwitchers | None = None
        # The first turn's imports (message views, httpx, providers) load in the
        # background once start-up is over.
        app.runtime.prefetch.soon()

    # -- presets ---------------------------------------------------------------------
    @property
    def preset_label(self) -> str:
        return self.adhoc_label if self.adhoc is not None else self.preset

    def use_preset(self, name: str) -> None:
        self.preset, self.adhoc, self.adhoc_label = name, None, ""

    def use_model(self, alias: str) -> None:
        self.adhoc = PresetConfig(strategy="single", options={"model": alias})
        self.adhoc_label = f"model:{alias}"

    def use_persona(self, name: str) -> None:
        """The persona of the next turns ('' = none); stored with the next turn."""
        self.persona = name

    def describe(self) -> tuple[str, str, list[str]]:
        """(preset label, strategy name, model aliases) of what the next turn uses."""
        engine = self.app.engine
        label = self.preset_label
        if engine is None:
            return label, "", []
        from mmchat.engine import PresetError

        try:
            strategy, options = engine.resolve_preset(self.adhoc or self.preset, label=label)
        except PresetError:
            return label, "?", []
        return label, type(strategy).name, type(strategy).model_refs(options)

    def view_for(self, strategy: str) -> str:
        registry = self.app.registry
        cls = registry.get(strategy) if registry is not None else None
        return str(getattr(cls, "view", "single")) if cls is not None else "single"

    @property
    def branches(self) -> BranchSwitchers:
        """The branch switchers (see :mod:`mmchat.tui.branches`), built on first use."""
        if self._branches is None:
            self._branches = self._make_branches(self)
        return self._branches

    # -- turns -----------------------------------------------------------------------
    def history(self) -> list[Message]:
        messages: list[Message] = []
        for record in self.records:
            if record.answer:
                messages += [
                    Message("user", record.prompt, record.attachments),
                    Message("assistant", record.answer),
                ]
        return messages

    def send(
        self,
        prompt: str,
        attachments: tuple[api.Attachment, ...] = (),
        hints: Mapping[str, str] | None = None,
    ) -> bool:
        """Start a turn with the files ``attachments``; False (and a notification) when
        it cannot start (a model of the preset that takes no images is one reason).
        ``hints``: the user's choices for this turn (``{"route": "math"}`` re-routes it)."""
        engine = self.app.engine
        if engine is None:
            self.app.notify("No usable configuration: fix it first.", severity="error")
            return False
        if self.running is not None:
            self.app.notify("A turn is running: esc stops it.", severity="warning")
            return False
        label, strategy, _ = self.describe()
        if attachments:
            from mmchat.attachments.vision import image_refusal

            refusal = image_refusal(engine, self.adhoc or self.preset, attachments, label)
            if refusal:
                self.app.notify(refusal, title="Not sent", severity="error", timeout=10)
                return False
        parent = self.records[-1].message_id if self.records else None
        # Imported on first use: the chat screen paints before the engine and the
        # Markdown widgets are loaded (start-up time).
        from mmchat.engine import TurnRequest
        from mmchat.tui.widgets.assistant_message import AssistantMessage
        from mmchat.tui.widgets.user_message import UserMessage

        request = TurnRequest(
            prompt=prompt,
            history=tuple(self.history()),
            preset=label,
            preset_config=self.adhoc,
            conversation_id=self.conversation_id,
            parent_id=parent,
            review=self._review,
            hints=dict(hints or {}),
            attachments=attachments,
            persona=self.persona,
        )
        record = TurnRecord(prompt=prompt, strategy=strategy, attachments=attachments)
        record.user = UserMessage(prompt, attachments=attachments)
        view = self.view_for(strategy)
        record.reply = AssistantMessage(view=view, preset=label, strategy=strategy)
        self.records.append(record)
        self.running = record
        self.surface.turn_started(record)
        self.app.run_worker(
            self._run(record, request), group="turn", name="turn", exit_on_error=False
        )
        return True

    async def _run(self, record: TurnRecord, request: TurnRequest) -> None:
        assert record.reply is not None and record.user is not None
        engine = self.app.engine
        assert engine is not None
        queue: asyncio.Queue[Event | None] = asyncio.Queue()
        outcome: TurnOutcome | None = None
        # The model calls start now; their events wait in the queue until the new
        # messages are mounted (that took 60-80 ms, which used to delay the requests).
        turn = asyncio.create_task(engine.run_turn(request, queue.put_nowait))
        try:
            try:
                await self.surface.transcript.add(record.user, record.reply)
            except BaseException:
                turn.cancel()
                raise
            seen = partial(self._seen, record)
            pump = asyncio.create_task(pump_events(self.app, queue, record.reply, seen))
            try:
                outcome = await turn
            except Exception as exc:  # the engine itself failed (e.g. the database)
                why = f"{type(exc).__name__}: {exc}"
                queue.put_nowait(TurnFinished(status="failed", error=why))
            finally:
                queue.put_nowait(None)
                await asyncio.shield(pump)
        finally:
            self.running = None
            if outcome is not None:
                record.user_message_id = outcome.user_message_id
                record.message_id = outcome.message_id
                if outcome.conversation_id is not None:
                    self.conversation_id = outcome.conversation_id
                record.strategy = outcome.strategy or record.strategy
            record.answer = record.reply.text
            self.surface.turn_finished(record, outcome)
            if record.user_message_id is not None:
                self.branches.refresh()  # a regeneration or an edit: "◀ 2/2 ▶"

    @staticmethod
    def _seen(record: TurnRecord, event: Event) -> None:
        if isinstance(event, TurnStarted):
            record.turn_id = event.turn

    def cancel(self) -> bool:
        record = self.running
        if record is None:
            return False
        engine = self.app.engine
        if engine is not None and record.turn_id and engine.cancel(record.turn_id):
            return True
        self.app.workers.cancel_group(self.app, "turn")
        return True

    async def _review(self, kind: str, payload: Any) -> Any:
        from mmchat.tui.screens.plan_review import PlanReviewScreen

        future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()

        def done(result: Any) -> None:
            if not future.done():
                future.set_result(result)

        screen = PlanReviewScreen(kind, payload)
        await self.app.push_screen(screen, callback=done)
        try:
            return await future
        except asyncio.CancelledError:
            if self.app.screen is screen:
                self.app.pop_screen()
            raise

    # -- branches --------------------------------------------------------------------
    async def take_last(self) -> TurnRecord | None:
        """Remove the last turn from the current branch (stored history keeps it)."""
        if self.running is not None or not self.records:
            return None
        record = self.records.pop()
        for widget in (record.user, record.reply):
            if widget is not None and widget.is_attached:
                await widget.remove()
        return record

    def pick_lane(self, reply: AssistantMessage, lane: str, text: str) -> None:
        record = next((r for r in self.records if r.reply is reply), None)
        if record is None:
            return
        record.answer = text
        store = self.app.store
        if store is not None and record.message_id is not None:
            try:
                store.set_chosen_lane(record.message_id, lane, text)
            except Exception as exc:
                self.app.notify(f"could not save the choice: {exc}", severity="error")
                return
            self._record_pick(record.message_id, lane)
        self.app.notify(f"Continuing with {reply.lane_name(lane)}'s answer.")

    def _record_pick(self, message_id: int, lane: str) -> None:
        """The pick is a comparison of the turn's models (see mmchat.ratings)."""
        from mmchat.ratings.history import record_pick

        store = self.app.store
        assert store is not None
        try:
            record_pick(store, message_id, lane)
        except Exception as exc:  # the choice is saved; only the rating misses it
            self.app.notify(f"could not record the comparison: {exc}", severity="warning")

    # -- conversations ---------------------------------------------------------------
    async def new_chat(self) -> None:
        if self.running is not None:
            self.cancel()
        self.conversation_id = None
        self.records = []
        self.branches.load()
        await self.surface.transcript.show([])

    async def open_conversation(self, conversation_id: int) -> None:
        store = self.app.store
        if store is None:
            return
        if self.running is not None:
            self.cancel()
        # Only ids, roles and texts for the whole path (the branch the conversation
        # shows): every turn is a record (the history the next turn sends), but widgets
        # (and the full stored rows, lanes and events they show) are only built for what
        # the transcript mounts: the newest screenful, then a page at a time as the user
        # scrolls up.
        entries = store.conversation_outline(conversation_id)
        self._restore_choice(conversation_id)
        self.conversation_id = conversation_id
        self.branches.load()
        self.records, pending = self.outline_records(entries)
        await self.surface.transcript.show([item for items in pending for item in items])

    def outline_records(
        self, entries: list[PathEntry]
    ) -> tuple[list[TurnRecord], list[list[Lazy]]]:
        """The turns of a stored path, and for each the messages the transcript builds
        when it mounts them."""
        from mmchat.tui.widgets.transcript import Lazy

        store = self.app.store
        users = [e.id for e in entries if e.role == "user"]
        files = store.attachments_of(users) if store is not None else {}
        records: list[TurnRecord] = []
        pending: list[list[Lazy]] = []
        for entry in entries:
            if entry.role == "user":
                attached = files.get(entry.id, ())
                record = TurnRecord(
                    prompt=entry.text, user_message_id=entry.id, attachments=attached
                )
                records.append(record)
                make = partial(self._stored_user, record)
                pending.append([Lazy(make, entry.text, chrome=3 if attached else 2)])
            elif entry.role == "assistant" and records:
                record = records[-1]
                record.message_id, record.answer = entry.id, entry.text
                record.strategy = entry.strategy
                pending[-1].append(Lazy(partial(self._stored_reply, record), entry.text))
        return records, pending

    def _stored_user(self, record: TurnRecord) -> Widget:
        from mmchat.tui.widgets.user_message import UserMessage

        record.user = UserMessage(
            record.prompt, message_id=record.user_message_id, attachments=record.attachments
        )
        self.branches.decorate(record)
        return record.user

    def _restore_choice(self, conversation_id: int) -> None:
        """Continue with the preset (or model) and persona the conversation last ran
        with; what today's config no longer has is said and left as it is."""
        store, config = self.app.store, self.app.config
        row = store.get_conversation(conversation_id) if store is not None else None
        if row is None or config is None:
            return
        from mmchat.remembered import remembered

        memory = remembered(config, row.preset, row.persona)
        if memory.model is not None:
            self.use_model(memory.model)
        elif memory.preset is not None:
            self.use_preset(memory.preset)
        if memory.persona is not None:
            self.persona = memory.persona
        for problem in memory.problems:
            self.app.notify(f"This conversation: {problem}; keeping the current choice.")

    def _stored_reply(self, record: TurnRecord) -> Widget:
        """The view of a stored answer: replayed while it mounts, its Markdown rendered
        once from the stored text (see ``AssistantMessage.restore``)."""
        from mmchat.tui.widgets.assistant_message import AssistantMessage

        store = self.app.store
        assert record.message_id is not None
        row = store.get_message(record.message_id) if store is not None else None
        if store is None or row is None:  # deleted meanwhile: show the text that was read
            reply = AssistantMessage(view="single", strategy=record.strategy)
            events: list[Event] = [
                api.FinalAnswer(text=record.answer),
                TurnFinished(status="complete"),
            ]
            chosen = None
        else:
            view = self.view_for(row.strategy)
            reply = AssistantMessage(view=view, preset=row.preset, strategy=row.strategy)
            from mmchat.history.replay import replay_events

            events, chosen = replay_events(store, row, record.prompt), row.chosen_lane
        reply.message_id = record.message_id
        record.reply = reply
        self.branches.decorate(record)
        reply.restore(events, chosen)
        return reply

    def export(self, kind: str) -> Path | None:
        """Write the shown branch (Markdown) or everything (JSON) to a new file in the
        exports folder, named after the conversation's title."""
        from mmchat import paths
        from mmchat.history.export_file import write_export

        store = self.app.store
        if store is None or self.conversation_id is None:
            self.app.notify("Nothing to export yet.", severity="warning")
            return None
        conversation = store.get_conversation(self.conversation_id)
        title = conversation.title if conversation is not None else ""
        leaf = self.records[-1].message_id if self.records else None
        if kind == "json":
            import json

            from mmchat.history.export import to_json

            text = json.dumps(to_json(store, self.conversation_id), indent=2, ensure_ascii=False)
        else:
            from mmchat.history.export import to_markdown

            text = to_markdown(store, self.conversation_id, leaf)
        folder = paths.ensure_dir(paths.data_dir() / "exports")
        suffix = ".json" if kind == "json" else ".md"
        return write_export(folder, title, suffix, text, f"conversation-{self.conversation_id}")
