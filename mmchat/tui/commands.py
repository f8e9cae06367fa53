"""Command palette (ctrl+p): every action of the app, presets and models by name."""

from __future__ import annotations

from functools import partial
from typing import TYPE_CHECKING

from textual.command import DiscoveryHit, Hit, Hits, Provider

from mmchat.tui.host import Command

if TYPE_CHECKING:
    from mmchat.tui.host import ChatHost

__all__ = ["MMChatCommands"]


class MMChatCommands(Provider):
    def _commands(self) -> list[Command]:
        app: ChatHost = self.app  # type: ignore[assignment]
        chat = app.chat_screen
        commands: list[Command] = chat.palette_commands() if chat is not None else []
        commands += [
            ("Settings", "Edit providers, models and presets", app.action_open_settings),
            ("API keys", "Store or remove provider keys", app.action_open_keys),
            ("Theme", "Choose a colour theme", app.action_change_theme),
            ("Eval results", "Accuracy, cost and latency of stored `mmchat eval` runs",
             partial(_open_eval, app)),
            ("Leaderboard", "Your models ranked by the answers you picked (mmchat leaderboard)",
             partial(_open_leaderboard, app)),
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


def _open_eval(app: ChatHost) -> None:
    from mmchat.tui.screens.eval import EvalScreen  # only when asked: it loads plotext

    app.push_screen(EvalScreen(app.store))


def _open_leaderboard(app: ChatHost) -> None:
    from mmchat.tui.screens.leaderboard import LeaderboardScreen

    app.push_screen(LeaderboardScreen(app.store))
