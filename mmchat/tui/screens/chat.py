"""The chat screen: strategy bar, sidebar, transcript, prompt, session panel.

Every user action lives here as an ``action_*`` method so bindings, the command
palette and tests all go through the same code.
"""

from __future__ import annotations

from functools import partial
from typing import TYPE_CHECKING, ClassVar

from textual import events
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.screen import Screen
from textual.widgets import Footer

from mmchat.tui.widgets.attachment_chip import AttachmentChip
from mmchat.tui.widgets.attachment_chips import AttachmentChips
from mmchat.tui.widgets.prompt_input import PromptInput
from mmchat.tui.widgets.session_panel import SessionPanel
from mmchat.tui.widgets.sidebar import Sidebar
from mmchat.tui.widgets.strategy_bar import StrategyBar
from mmchat.tui.widgets.transcript import Transcript

if TYPE_CHECKING:
    from mmchat.api import Attachment
    from mmchat.engine import TurnOutcome
    from mmchat.providers.local_servers import LocalStatus
    from mmchat.tui.controller import BranchSwitchers, ChatController, TurnRecord
    from mmchat.tui.host import ChatHost, Command
    from mmchat.tui.widgets.assistant_message import AssistantMessage
    from mmchat.tui.widgets.branch_switcher import BranchSwitcher

__all__ = ["ChatScreen"]


class ChatScreen(Screen[None]):
    DEFAULT_CSS = """
    ChatScreen { layout: vertical; }
    ChatScreen > #chat-body { height: 1fr; }
    ChatScreen #chat-main { width: 1fr; height: 1fr; }
    ChatScreen PromptInput { margin: 0 1; }
    """
    # Focus the prompt when the screen is first shown, before its first frame: the
    # default ("*") focused the sidebar's list first, so the footer recomposed and
    # the screen was laid out again when on_mount moved focus to the prompt.
    AUTO_FOCUS = "#prompt"

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "Stop", id="cancel"),
        Binding("ctrl+t", "pick_preset", "Preset", id="pick_preset"),
        Binding("ctrl+l", "pick_model", "Model", id="pick_model"),
        Binding("ctrl+f", "search", "Search", id="search", show=False),
        # priority: a terminal sends alt+p with the character "p", which the focused
        # prompt would otherwise take (and type) before the screen's bindings are seen.
        Binding("alt+p", "pick_persona", "Persona", id="pick_persona", show=False, priority=True),
        Binding("ctrl+o", "new_chat", "New chat", id="new_chat"),
        Binding("ctrl+r", "regenerate", "Regenerate", id="regenerate"),
        Binding("ctrl+g", "edit_last", "Edit last", id="edit_last"),
        Binding("f2", "toggle_sidebar", "Chats", id="toggle_sidebar"),
        Binding("f3", "toggle_session", "Session", id="toggle_session"),
        Binding("f4", "copy_last", "Copy answer", id="copy_last", show=False),
        Binding("alt+r", "reroute", "Re-route", id="reroute", show=False, priority=True),
        # priority: a terminal sends alt+a as ESC a, which Textual reports with the
        # character "a"; without it the focused prompt types the "a" and stops the key.
        Binding("alt+a", "attach", "Attach", id="attach", show=False, priority=True),
        # Keyboard navigation (mmchat/tui/panes.py); in the keys panel, not the footer.
        Binding("f8", "next_pane(1)", "Next pane", id="next_pane", show=False),
        Binding("shift+f8", "next_pane(-1)", "Previous pane", id="previous_pane", show=False),
        Binding(
            "alt+t",
            "focus_transcript",
            "Transcript",
            id="focus_transcript",
            show=False,
            priority=True,
        ),
        Binding("ctrl+b", "focus_sidebar", "Conversations", id="focus_sidebar", show=False),
        Binding("alt+left", "branch(-1)", "Previous branch", id="branch_previous", show=False),
        Binding("alt+right", "branch(1)", "Next branch", id="branch_next", show=False),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.mm: ChatHost = self.app  # type: ignore[assignment]
        self._controller: ChatController | None = None
        self._listening = False
        self.bar = StrategyBar(id="strategy-bar")
        self.sidebar = Sidebar(id="sidebar")
        self.session = SessionPanel(id="session-panel")
        self._transcript = Transcript(batch=self.mm.transcript_batch, id="transcript")
        self.prompt = PromptInput(id="prompt")
        self.attachments = AttachmentChips(id="attachments")  # the next message's files
        self.session.display = False
        self.sidebar.fit(self.app.size.width)  # before the first layout (narrow: hidden)
        if self.mm.starting:
            # Drawn before the config is loaded: nothing here may import the engine, the
            # store or pydantic; :meth:`loaded` fills in the rest. Set before the first
            # layout, not in on_mount (which runs after it: a second layout).
            self.sidebar.want(self.mm.early_sidebar)
            self.bar.set_preset(self.mm.early_preset, self.mm.early_preset, [])
            self.bar.set_status("starting…")

    @property
    def controller(self) -> ChatController:
        """Built on first use: the controller module imports the engine's API (pydantic),
        which the first frame does not need (see :meth:`mmchat.tui.app.MMChatApp.on_mount`)."""
        if self._controller is None:
            from mmchat.tui.controller import ChatController

            self._controller = ChatController(self.mm, self, _branch_switchers)
        return self._controller

    @property
    def streaming(self) -> bool:
        """Is a turn running (without building the controller to find out)?"""
        return self._controller is not None and self._controller.running is not None

    @property
    def transcript(self) -> Transcript:
        return self._transcript

    def compose(self) -> ComposeResult:
        yield self.bar
        with Horizontal(id="chat-body"):
            yield self.sidebar
            with Vertical(id="chat-main"):
                yield self._transcript
                yield self.attachments
                yield self.prompt
            yield self.session
        yield Footer()

    async def on_mount(self) -> None:
        if self.mm.starting:
            self.call_after_refresh(self.mm.first_frame_drawn)
        else:
            await self.loaded()
        self.prompt.focus()

    async def loaded(self) -> None:
        """The config, store and engine are there (the app calls this once they are)."""
        config = self.mm.config
        self.sidebar.want(bool(config and config.ui.sidebar and self.mm.store is not None))
        controller = self._controller
        if config is not None and controller is not None and not controller.preset:
            controller.use_preset(config.defaults.preset)  # built before the config
            controller.use_persona(config.defaults.persona)
        self.bar.set_status("")
        self.refresh_bar()
        await self.refresh_sidebar()
        from mmchat.providers.local_servers import add_status_listener

        add_status_listener(self.on_local_model_status)
        self._listening = True

    def on_unmount(self) -> None:
        if self._listening:
            from mmchat.providers.local_servers import remove_status_listener

            remove_status_listener(self.on_local_model_status)

    def on_resize(self, event: events.Resize) -> None:
        if self.sidebar.fit(event.size.width):
            self.run_worker(self.refresh_sidebar(), exit_on_error=False)

    def on_local_model_status(self, status: LocalStatus) -> None:
        """The embedded model loads on first use: say so instead of looking stuck."""
        if status.state == "loading":
            self.bar.set_status(status.message or "loading model…")
        else:
            self.bar.set_status("")
        if status.state == "ready" and status.seconds is not None:
            self.notify(f"{status.message} ({status.seconds:.1f} s)", timeout=3)
        elif status.state == "failed":
            self.notify(status.message, title="Local model", severity="error")

    # -- the command palette ---------------------------------------------------------
    def palette_commands(self) -> list[Command]:
        """This screen's entries in the command palette (the app adds its own after)."""
        commands: list[Command] = [
            ("New chat", "Start an empty conversation (ctrl+o)", self.action_new_chat),
            ("Switch preset…", "Choose the strategy preset (ctrl+t)", self.action_pick_preset),
            ("Switch model…", "Talk to one model directly (ctrl+l)", self.action_pick_model),
            ("Switch persona…", "The system prompt of this conversation (alt+p)",
             self.action_pick_persona),
            ("Regenerate", "Ask the last question again, as a new branch (ctrl+r)",
             self.action_regenerate),
            ("Edit last message", "Change the last question; the answer branches (ctrl+g)",
             self.action_edit_last),
            ("Attach a file…", "Add a text file or an image to the next message (alt+a)",
             self.action_attach),
            ("Remove attached files", "Send the next message without the files attached",
             self.action_clear_attachments),
            ("Stop the running turn", "Cancel every request, keep partial text (esc)",
             self.action_cancel),
            ("Copy last answer", "To the clipboard (f4)", self.action_copy_last),
            ("Re-route last answer…", "Send the last question down another route (alt+r)",
             self.action_reroute),
            ("Export as Markdown", "Write the conversation to a .md file",
             partial(self.action_export, "md")),
            ("Export as JSON", "Write the conversation with lanes and events to a .json file",
             partial(self.action_export, "json")),
            ("Rename conversation", "Give this conversation a title", self.action_rename),
            ("Delete conversation", "Remove it from the history", self.action_delete),
            ("Search conversations…", "Find past conversations by words (ctrl+f)",
             self.action_search),
            ("Toggle sidebar", "Show or hide the conversation list (f2)",
             self.action_toggle_sidebar),
            ("Toggle session panel", "Tokens, cost and time by strategy (f3)",
             self.action_toggle_session),
            ("Focus the conversation list", "Move the keyboard to the sidebar (ctrl+b)",
             self.action_focus_sidebar),
            ("Focus the transcript", "Scroll with the arrows and PgUp/PgDn (alt+t)",
             self.action_focus_transcript),
            ("Next pane", "Sidebar, transcript, the panes in view, prompt (f8, shift+f8)",
             partial(self.action_next_pane, 1)),
            ("Previous branch", "Show the other version of a regenerated or edited message "
             "(alt+left)", partial(self.action_branch, -1)),
            ("Next branch", "alt+right", partial(self.action_branch, 1)),
        ]  # fmt: skip
        config = self.mm.config
        if config is not None:
            for name, preset in config.presets.items():
                about = " — ".join(filter(None, (preset.strategy, preset.description)))
                commands.append((f"Preset: {name}", about, partial(self.use_preset, name)))
            for alias, model in config.models.items():
                commands.append(
                    (f"Model: {alias}", f"single model {model.provider}/{model.model}",
                     partial(self.use_model, alias))
                )  # fmt: skip
            for name, persona in config.personas.items():
                about = persona.description or persona.system
                commands.append((f"Persona: {name}", about, partial(self.use_persona, name)))
        return commands

    def use_persona(self, name: str) -> None:
        self.controller.use_persona(name)
        self.refresh_bar()

    def use_preset(self, name: str) -> None:
        self.controller.use_preset(name)
        self.refresh_bar()

    def use_model(self, alias: str) -> None:
        self.controller.use_model(alias)
        self.refresh_bar()

    # -- hooks used by the controller and by other screens ---------------------------
    def refresh_bar(self) -> None:
        label, strategy, models = self.controller.describe()
        self.bar.set_preset(label, strategy, models)
        self.bar.set_persona(self.controller.persona)
        self.bar.set_running(self.controller.running is not None)

    async def refresh_sidebar(self) -> None:
        store = self.mm.store
        if store is not None and self.sidebar.display:
            await self.sidebar.set_rows(store.list_conversations(), self.controller.conversation_id)

    def turn_started(self, record: TurnRecord) -> None:
        self.bar.set_running(True)

    def turn_finished(self, record: TurnRecord, outcome: TurnOutcome | None) -> None:
        self.bar.set_running(False)
        self.mm.turn_ended()
        reply = record.reply
        if reply is not None:
            reply.message_id = record.message_id
            label = record.strategy or reply.strategy or reply.preset or "?"
            self.session.record(
                label, reply.usage, reply.cost, reply.duration or 0.0, reply.status == "complete"
            )
            totals = self.session.totals.values()
            if totals and all(t.unknown_cost == t.turns for t in totals):
                self.bar.set_session_cost(None)
            else:
                self.bar.set_session_cost(sum(t.cost for t in totals))
            if reply.status == "failed" and not reply.text and not self.prompt.text:
                self.prompt.text = record.prompt  # nothing came back: keep what was typed
                if record.attachments and not self.attachments.files:
                    self.run_worker(self.attachments.set_files(record.attachments))
        self.run_worker(self.refresh_sidebar(), exit_on_error=False)

    # -- messages --------------------------------------------------------------------
    async def on_prompt_input_submitted(self, message: PromptInput.Submitted) -> None:
        if self.controller.send(message.text.strip(), self.attachments.files):
            self.prompt.clear()
            await self.attachments.clear()

    def on_attachment_chip_removed(self, message: AttachmentChip.Removed) -> None:
        if not self.attachments.files:
            self.prompt.focus()

    def on_assistant_message_lane_picked(self, message: AssistantMessage.LanePicked) -> None:
        self.controller.pick_lane(message.message, message.lane, message.text)

    async def on_branch_switcher_chosen(self, message: BranchSwitcher.Chosen) -> None:
        message.stop()
        await self.controller.branches.switch(message.target)

    async def on_sidebar_opened(self, message: Sidebar.Opened) -> None:
        await self.controller.open_conversation(message.conversation_id)
        self.refresh_bar()
        self.prompt.focus()

    # -- actions ---------------------------------------------------------------------
    def action_cancel(self) -> None:
        help_panel = self.query("HelpPanel")
        if help_panel:  # Textual's keys panel (palette → Keys): esc closes it first
            help_panel.remove()
            return
        if self.controller.cancel():
            self.notify("Stopping… (partial text is kept)")

    def action_pick_preset(self) -> None:
        from mmchat.tui.screens.pickers import PickerScreen

        config = self.mm.config
        if config is None:
            return
        choices = [
            (name, f"{name} — {preset.strategy}: {preset.description}".rstrip(": "))
            for name, preset in config.presets.items()
        ]

        def chosen(name: str | None) -> None:
            if name:
                self.controller.use_preset(name)
                self.refresh_bar()

        self.app.push_screen(
            PickerScreen("Preset for the next turns", choices, current=self.controller.preset),
            chosen,
        )

    def action_pick_model(self) -> None:
        from mmchat.tui.screens.pickers import PickerScreen

        config = self.mm.config
        if config is None:
            return
        choices = [
            (alias, f"{alias} — {m.provider}/{m.model}") for alias, m in config.models.items()
        ]

        def chosen(alias: str | None) -> None:
            if alias:
                self.controller.use_model(alias)
                self.refresh_bar()

        from mmchat.tui.alias_details import alias_details

        details = alias_details(config.models)
        self.app.push_screen(PickerScreen("Talk to one model", choices, details=details), chosen)

    def action_pick_persona(self) -> None:
        from mmchat.tui.screens.pickers import PickerScreen

        config = self.mm.config
        if config is None:
            return
        if not config.personas:
            self.notify('No persona configured: add [personas.NAME] system = "..." to config.')
            return
        none = "\x00none"  # a key no persona name can be (names are identifiers)
        choices = [(none, "(no persona)")] + [
            (name, f"{name} — {p.description or p.system}") for name, p in config.personas.items()
        ]

        def chosen(name: str | None) -> None:
            if name is not None:
                self.use_persona("" if name == none else name)

        current = self.controller.persona or none
        self.app.push_screen(
            PickerScreen("Persona for the next turns", choices, current=current), chosen
        )

    async def action_new_chat(self) -> None:
        await self.controller.new_chat()
        await self.refresh_sidebar()
        self.prompt.focus()

    async def action_regenerate(self) -> None:
        record = await self.controller.take_last()
        if record is None:
            self.notify("Nothing to regenerate (or a turn is running).", severity="warning")
            return
        self.controller.send(record.prompt, record.attachments)

    def action_reroute(self) -> None:
        """Ask the last question again down a route the user picks: a new branch, and a
        correction the router learns from (its examples)."""
        from mmchat.tui.screens.pickers import PickerScreen

        records = self.controller.records
        reply = records[-1].reply if records else None
        detail = reply.route if reply is not None else None
        if self.controller.running is not None:
            self.notify("A turn is running: esc stops it.", severity="warning")
            return
        if detail is None or len(detail.routes) < 2:
            self.notify("The last answer was not routed: re-route works on a router's answer.",
                        severity="warning")  # fmt: skip
            return
        choices = [(r, f"{r} (its route now)" if r == detail.route else r) for r in detail.routes]

        def chosen(route: str | None) -> None:
            if route and route != detail.route:
                self.run_worker(self._reroute(route), exit_on_error=False)

        self.app.push_screen(
            PickerScreen("Re-route the last question", choices, current=detail.route), chosen
        )

    async def _reroute(self, route: str) -> None:
        record = await self.controller.take_last()
        if record is None:
            return
        if self.controller.send(record.prompt, record.attachments, hints={"route": route}):
            self.notify(f"Re-routed to {route}; the earlier answer stays as a branch.")

    async def action_edit_last(self) -> None:
        record = await self.controller.take_last()
        if record is None:
            self.notify("Nothing to edit (or a turn is running).", severity="warning")
            return
        self.prompt.text = record.prompt
        await self.attachments.set_files(record.attachments)
        self.prompt.move_cursor(self.prompt.document.end)
        self.prompt.focus()
        self.notify("Edit and send: the answer starts a new branch.")

    def action_attach(self) -> None:
        from mmchat.attachments.files import Limits
        from mmchat.tui.screens.attach_file import AttachFileScreen

        config = self.mm.config
        limits = Limits.from_config(config.attachments if config is not None else None)

        async def chosen(attachment: Attachment | None) -> None:
            if attachment is not None:
                await self.attachments.add(attachment)
            self.prompt.focus()

        self.app.push_screen(AttachFileScreen(self.attachments.files, limits), chosen)

    async def action_clear_attachments(self) -> None:
        await self.attachments.clear()
        self.prompt.focus()

    def action_toggle_sidebar(self) -> None:
        if self.sidebar.toggle():
            self.run_worker(self.refresh_sidebar(), exit_on_error=False)
        elif self.sidebar.list.has_focus:
            self.prompt.focus()

    async def action_focus_sidebar(self) -> None:
        if not self.sidebar.display:
            self.sidebar.toggle()
            await self.refresh_sidebar()
        self.sidebar.list.focus()

    def action_focus_transcript(self) -> None:
        self.transcript.focus()

    def action_next_pane(self, step: int) -> None:
        from mmchat.tui.panes import focus_pane

        focus_pane(self.focused, self.sidebar, self.transcript, self.prompt, step)

    def action_branch(self, step: int) -> None:
        from mmchat.tui.branches import switcher_for_keys

        switcher = switcher_for_keys(self)
        if switcher is None:
            self.notify("No other branch here: regenerate (ctrl+r) or edit (ctrl+g) makes one.")
            return
        switcher.action_step(step)

    def action_toggle_session(self) -> None:
        self.session.display = not self.session.display

    def action_copy_last(self) -> None:
        answers = [r.answer for r in self.controller.records if r.answer]
        if not answers:
            self.notify("No answer to copy yet.", severity="warning")
            return
        self.app.copy_to_clipboard(answers[-1])
        self.notify("Last answer copied.")

    def action_export(self, kind: str = "md") -> None:
        try:
            path = self.controller.export(kind)
        except Exception as exc:
            self.notify(f"export failed: {exc}", severity="error")
            return
        if path is not None:
            self.notify(f"Exported to {path}")

    def action_rename(self) -> None:
        from mmchat.tui.screens.pickers import InputScreen

        store, conv = self.mm.store, self.controller.conversation_id
        if store is None or conv is None:
            self.notify("Send a message first.", severity="warning")
            return
        row = store.get_conversation(conv)

        async def renamed(title: str | None) -> None:
            if title and title.strip():
                store.rename_conversation(conv, title.strip())
                await self.refresh_sidebar()

        self.app.push_screen(InputScreen("Rename conversation", row.title if row else ""), renamed)

    def action_delete(self) -> None:
        from mmchat.tui.screens.pickers import ConfirmScreen

        store, conv = self.mm.store, self.controller.conversation_id
        if store is None or conv is None:
            return
        row = store.get_conversation(conv)
        title = row.title if row is not None else ""

        async def confirmed(yes: bool | None) -> None:
            if yes:
                store.delete_conversation(conv)
                await self.action_new_chat()
                self.notify(f"Deleted “{title}”.", markup=False)

        from mmchat.tui.widgets.fmt import escape

        self.app.push_screen(ConfirmScreen(f"Delete “{escape(title)}”?"), confirmed)

    def action_search(self) -> None:
        from mmchat.tui.screens.search import SearchScreen

        store = self.mm.store
        if store is None:
            self.notify("No history: searching needs the database.", severity="warning")
            return

        async def opened(conversation_id: int | None) -> None:
            if conversation_id is not None:
                await self.controller.open_conversation(conversation_id)
                self.refresh_bar()
                await self.refresh_sidebar()
                self.prompt.focus()

        self.app.push_screen(SearchScreen(store), opened)


def _branch_switchers(controller: ChatController) -> BranchSwitchers:
    from mmchat.tui.branches import Branches

    return Branches(controller)
