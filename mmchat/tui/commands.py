"""Command palette (ctrl+p): every action of the app, presets and models by name.

The app's only provider (``MMChatApp.COMMANDS``): mmchat's commands come first, then
Textual's own (quit, the keys panel, screenshot…), without the ones mmchat replaces
(its "Theme" saves the choice in the config). With two providers the palette mixed
them in whatever order their searches finished, listed "Theme" twice, and for "keys"
put Textual's key help above "API keys" (an exact name scores higher).
"""

from __future__ import annotations

from functools import partial
from typing import TYPE_CHECKING

from textual.command import DiscoveryHit, Hit, Hits, Provider

from mmchat.tui.host import Command

if TYPE_CHECKING:
    from mmchat.tui.host import ChatHost

__all__ = ["MMChatCommands"]


def _ranked(score: float, own: bool) -> float:
    """The matcher's score (0 to about 20) into the palette's 0..1: mmchat's hits in the
    upper half, Textual's in the lower (the palette sorts hits by score, highest first)."""
    squashed = score / (1.0 + score)  # keeps the order, in (0, 1)
    return 0.5 + squashed / 2 if own else squashed / 2


class MMChatCommands(Provider):
    def _own(self) -> list[Command]:
        app: ChatHost = self.app  # type: ignore[assignment]
        chat = app.chat_screen
        commands: list[Command] = chat.palette_commands() if chat is not None else []
        commands += [
            ("Settings", "Edit providers, models and presets", app.action_open_settings),
            ("API keys", "Store or remove provider keys", app.action_open_keys),
            ("Theme", "Choose a colour theme (saved in the config)", partial(_pick_theme, app)),
            ("Eval results", "Accuracy, cost and latency of stored `mmchat eval` runs",
             partial(_open_eval, app)),
            ("Leaderboard", "Your models ranked by the answers you picked (mmchat leaderboard)",
             partial(_open_leaderboard, app)),
        ]  # fmt: skip
        return commands

    def _textual(self, own: list[Command]) -> list[Command]:
        """Textual's system commands that mmchat does not replace."""
        taken = {name.casefold() for name, _, _ in own}
        return [
            (name, help_text, callback)
            for name, help_text, callback, *_ in self.app.get_system_commands(self.screen)
            if name.casefold() not in taken
        ]

    def _commands(self) -> list[Command]:
        own = self._own()
        return own + self._textual(own)

    async def discover(self) -> Hits:
        for name, help_text, callback in self._commands():
            yield DiscoveryHit(name, callback, help=help_text)

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        own = self._own()
        for is_own, commands in ((True, own), (False, self._textual(own))):
            for name, help_text, callback in commands:
                score = matcher.match(name)
                if score > 0:
                    yield Hit(
                        _ranked(score, is_own), matcher.highlight(name), callback,
                        text=name, help=help_text,
                    )  # fmt: skip


def _pick_theme(app: ChatHost) -> None:
    from mmchat.tui.themes import pick_theme

    pick_theme(app)


def _open_eval(app: ChatHost) -> None:
    from mmchat.tui.screens.eval import EvalScreen  # only when asked: it loads plotext

    app.push_screen(EvalScreen(app.store))


def _open_leaderboard(app: ChatHost) -> None:
    from mmchat.tui.screens.leaderboard import LeaderboardScreen

    app.push_screen(LeaderboardScreen(app.store))
