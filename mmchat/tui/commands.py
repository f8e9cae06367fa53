"""Command palette (ctrl+p): every action of the app, presets and models by name."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import TYPE_CHECKING, Any

from textual.command import DiscoveryHit, Hit, Hits, Provider

if TYPE_CHECKING:
    from mmchat.tui.app import MMChatApp
    from mmchat.tui.screens.chat import ChatScreen

__all__ = ["MMChatCommands"]

Command = tuple[str, str, Callable[[], Any]]


class MMChatCommands(Provider):
    def _commands(self) -> list[Command]:
        app: MMChatApp = self.app  # type: ignore[assignment]
        chat = app.chat_screen
        commands: list[Command] = []
        if chat is not None:
            commands += _chat_commands(app, chat)
        commands += [
            ("Settings", "Edit providers, models and presets", app.action_open_settings),
            ("API keys", "Store or remove provider keys", app.action_open_keys),
            ("Theme", "Choose a colour theme", app.action_change_theme),
            ("Eval results", "Accuracy, cost and latency of stored `mmchat eval` runs",
             partial(_open_eval, app)),
        ]  # fmt: skip
        return commands

    async def discover(self) -> Hits:
        for name, help_text, callback in self._commands():
            yield DiscoveryHit(name, callback, help=help_text)

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for name, help_text, callback in self._commands():
            score = matcher.match(name)
            if score > 0:
                yield Hit(score, matcher.highlight(name), callback, text=name, help=help_text)


def _chat_commands(app: MMChatApp, chat: ChatScreen) -> list[Command]:
    commands: list[Command] = [
        ("New chat", "Start an empty conversation (ctrl+o)", chat.action_new_chat),
        ("Switch preset…", "Choose the strategy preset (ctrl+t)", chat.action_pick_preset),
        ("Switch model…", "Talk to one model directly (ctrl+l)", chat.action_pick_model),
        ("Regenerate", "Ask the last question again, as a new branch (ctrl+r)",
         chat.action_regenerate),
        ("Edit last message", "Change the last question; the answer branches (ctrl+g)",
         chat.action_edit_last),
        ("Stop the running turn", "Cancel every request, keep partial text (esc)",
         chat.action_cancel),
        ("Copy last answer", "To the clipboard (f4)", chat.action_copy_last),
        ("Export as Markdown", "Write the conversation to a .md file",
         partial(chat.action_export, "md")),
        ("Export as JSON", "Write the conversation with lanes and events to a .json file",
         partial(chat.action_export, "json")),
        ("Rename conversation", "Give this conversation a title", chat.action_rename),
        ("Delete conversation", "Remove it from the history", chat.action_delete),
        ("Search conversations…", "Find past conversations by words", chat.action_search),
        ("Toggle sidebar", "Show or hide the conversation list (f2)", chat.action_toggle_sidebar),
        ("Toggle session panel", "Tokens, cost and time by strategy (f3)",
         chat.action_toggle_session),
    ]  # fmt: skip
    config = app.config
    if config is not None:
        for name, preset in config.presets.items():
            commands.append(
                (f"Preset: {name}", " — ".join(filter(None, (preset.strategy, preset.description))),
                 partial(_use_preset, chat, name))
            )  # fmt: skip
        for alias, model in config.models.items():
            commands.append(
                (f"Model: {alias}", f"single model {model.provider}/{model.model}",
                 partial(_use_model, chat, alias))
            )  # fmt: skip
    return commands


def _open_eval(app: MMChatApp) -> None:
    from mmchat.tui.screens.eval import EvalScreen  # only when asked: it loads plotext

    app.push_screen(EvalScreen(app.store))


def _use_preset(chat: ChatScreen, name: str) -> None:
    chat.controller.use_preset(name)
    chat.refresh_bar()


def _use_model(chat: ChatScreen, alias: str) -> None:
    chat.controller.use_model(alias)
    chat.refresh_bar()
