"""The chat screen: strategy bar, sidebar, transcript, prompt, session panel.

Every user action lives here as an ``action_*`` method so bindings, the command
palette and tests all go through the same code.
"""

from __future__ import annotations

from functools import partial
from typing import TYPE_CHECKING, ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.screen import Screen
from textual.widgets import Footer

from mmchat.tui.widgets.prompt_input import PromptInput
from mmchat.tui.widgets.session_panel import SessionPanel
from mmchat.tui.widgets.sidebar import Sidebar
from mmchat.tui.widgets.strategy_bar import StrategyBar
from mmchat.tui.widgets.transcript import Transcript

if TYPE_CHECKING:
    from mmchat.engine import TurnOutcome
    from mmchat.providers.local_servers import LocalStatus
    from mmchat.tui.controller import ChatController, TurnRecord
    from mmchat.tui.host import ChatHost, Command
    from mmchat.tui.widgets.assistant_message import AssistantMessage

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
        Binding("ctrl+o", "new_chat", "New chat", id="new_chat"),
        Binding("ctrl+r", "regenerate", "Regenerate", id="regenerate"),
        Binding("ctrl+g", "edit_last", "Edit last", id="edit_last"),
        Binding("f2", "toggle_sidebar", "Chats", id="toggle_sidebar"),
        Binding("f3", "toggle_session", "Session", id="toggle_session"),
        Binding("f4", "copy_last", "Copy answer", id="copy_last", show=False),
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
        self.session.display = False
        if self.mm.starting:
            # Drawn before the config is loaded: nothing here may import the engine, the
            # store or pydantic; :meth:`loaded` fills in the rest. Set before the first
            # layout, not in on_mount (which runs after it: a second layout).
            self.sidebar.display = self.mm.early_sidebar
            self.bar.set_preset(self.mm.early_preset, self.mm.early_preset, [])
            self.bar.set_status("starting…")

    @property
    def controller(self) -> ChatController:
        """Built on first use: the controller module imports the engine's API (pydantic),
        which the first frame does not need (see :meth:`mmchat.tui.app.MMChatApp.on_mount`)."""
        if self._controller is None:
            from mmchat.tui.controller import ChatController

            self._controller = ChatController(self.mm, self)
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
        self.sidebar.display = bool(config and config.ui.sidebar and self.mm.store is not None)
        controller = self._controller
        if config is not None and controller is not None and not controller.preset:
            controller.use_preset(config.defaults.preset)  # built before the config
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
            ("Regenerate", "Ask the last question again, as a new branch (ctrl+r)",
             self.action_regenerate),
            ("Edit last message", "Change the last question; the answer branches (ctrl+g)",
             self.action_edit_last),
            ("Stop the running turn", "Cancel every request, keep partial text (esc)",
             self.action_cancel),
            ("Copy last answer", "To the clipboard (f4)", self.action_copy_last),
            ("Export as Markdown", "Write the conversation to a .md file",
             partial(self.action_export, "md")),
            ("Export as JSON", "Write the conversation with lanes and events to a .json file",
             partial(self.action_export, "json")),
            ("Rename conversation", "Give this conversation a title", self.action_rename),
            ("Delete conversation", "Remove it from the history", self.action_delete),
            ("Search conversations…", "Find past conversations by words", self.action_search),
            ("Toggle sidebar", "Show or hide the conversation list (f2)",
             self.action_toggle_sidebar),
            ("Toggle session panel", "Tokens, cost and time by strategy (f3)",
             self.action_toggle_session),
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
        return commands

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
        self.run_worker(self.refresh_sidebar(), exit_on_error=False)

    # -- messages --------------------------------------------------------------------
    def on_prompt_input_submitted(self, message: PromptInput.Submitted) -> None:
        if self.controller.send(message.text.strip()):
            self.prompt.clear()

    def on_assistant_message_lane_picked(self, message: AssistantMessage.LanePicked) -> None:
        self.controller.pick_lane(message.message, message.lane, message.text)

    async def on_sidebar_opened(self, message: Sidebar.Opened) -> None:
        await self.controller.open_conversation(message.conversation_id)
        self.prompt.focus()

    # -- actions ---------------------------------------------------------------------
    def action_cancel(self) -> None:
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

    async def action_new_chat(self) -> None:
        await self.controller.new_chat()
        await self.refresh_sidebar()
        self.prompt.focus()

    async def action_regenerate(self) -> None:
        record = await self.controller.take_last()
        if record is None:
            self.notify("Nothing to regenerate (or a turn is running).", severity="warning")
            return
        self.controller.send(record.prompt)

    async def action_edit_last(self) -> None:
        record = await self.controller.take_last()
        if record is None:
            self.notify("Nothing to edit (or a turn is running).", severity="warning")
            return
        self.prompt.text = record.prompt
        self.prompt.move_cursor(self.prompt.document.end)
        self.prompt.focus()
        self.notify("Edit and send: the answer starts a new branch.")

    def action_toggle_sidebar(self) -> None:
        self.sidebar.display = not self.sidebar.display
        if self.sidebar.display:
            self.run_worker(self.refresh_sidebar(), exit_on_error=False)

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

        async def confirmed(yes: bool | None) -> None:
            if yes:
                store.delete_conversation(conv)
                await self.action_new_chat()
                self.notify("Conversation deleted.")

        self.app.push_screen(ConfirmScreen("Delete this conversation?"), confirmed)

    def action_search(self) -> None:
        from mmchat.tui.screens.pickers import InputScreen, PickerScreen

        store = self.mm.store
        if store is None:
            return

        async def opened(key: str | None) -> None:
            if key:
                await self.controller.open_conversation(int(key))
                await self.refresh_sidebar()

        def searched(query: str | None) -> None:
            if not query:
                return
            rows = store.search_conversations(query)
            if not rows:
                self.notify(f"No conversation mentions {query!r}.")
                return
            choices = [(str(row.id), row.title) for row in rows]
            self.app.push_screen(PickerScreen(f"Conversations with {query!r}", choices), opened)

        self.app.push_screen(InputScreen("Search conversations", placeholder="words…"), searched)
