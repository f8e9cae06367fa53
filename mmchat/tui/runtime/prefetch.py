"""What the first turn needs, imported in the background once start-up is over.

None of it is needed for the first frame, but the first turn sent (or conversation
opened) waited for it: the message views (Markdown, markdown-it, lane panes: ~0.2-0.3 s
of imports), httpx with its asyncio backend (anyio, ~0.15 s) and the provider of each
kind in the config. Measured: 0.2-0.3 s from Enter to the first request on a fresh
app's first turn, 30 ms on the next. The imports run in a daemon thread, so the event
loop keeps serving keys (the import lock makes a concurrent import from the loop wait,
never fail). One per app (``app.runtime.prefetch``).
"""

from __future__ import annotations

import contextlib
import importlib
import threading
from collections.abc import Callable, Collection, Sequence
from typing import Protocol

from mmchat.provider_kinds import prefetch_modules
from mmchat.tui.runtime.tuning import PREFETCH_AFTER

__all__ = ["Prefetch"]


class _Timers(Protocol):  # the App: the imports start on its clock
    def set_timer(self, delay: float, callback: Callable[[], object], *, name: str) -> object: ...


class Prefetch:
    """``provider_kinds``: the kinds of the configured providers (read when the imports
    start, once the config is loaded); ``views``: the message views' modules (they
    depend on the Markdown mode)."""

    def __init__(
        self,
        timers: _Timers,
        *,
        provider_kinds: Callable[[], Collection[str]],
        views: Sequence[str],
    ) -> None:
        self._timers = timers
        self._provider_kinds = provider_kinds
        self._views = list(views)
        self.started = False

    def soon(self) -> None:
        """Import what the first turn needs PREFETCH_AFTER seconds from now (once)."""
        if not self.started:
            self._timers.set_timer(PREFETCH_AFTER, self._start, name="prefetch")

    def _start(self) -> None:
        if self.started:
            return
        self.started = True
        modules = self.modules(self._provider_kinds())

        def load() -> None:
            for module in modules:
                with contextlib.suppress(Exception):  # the real import reports any problem
                    importlib.import_module(module)

        threading.Thread(target=load, name="mmchat-prefetch", daemon=True).start()

    def modules(self, kinds: Collection[str]) -> list[str]:
        return [
            "mmchat.tui.widgets.assistant_message",
            "mmchat.tui.widgets.user_message",
            *self._views,
            "mmchat.providers.http",
            "mmchat.providers.retry",
            # httpcore's asyncio backend, imported on the first connection; private
            # names, so best effort like the rest
            "httpcore._backends.anyio",
            "anyio._backends._asyncio",
            # each kind declares what its first request imports (``local`` names the
            # OpenAI protocol module, not llama.cpp)
            *prefetch_modules(kinds),
        ]
