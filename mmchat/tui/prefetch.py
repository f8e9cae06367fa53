"""What the first turn needs, imported in the background once start-up is over.

None of it is needed for the first frame, but the first turn sent (or conversation
opened) waited for it: the message views (Markdown, markdown-it, lane panes: ~0.2-0.3 s
of imports), httpx with its asyncio backend (anyio, ~0.15 s) and the provider of each
kind in the config. Measured: 0.2-0.3 s from Enter to the first request on a fresh
app's first turn, 30 ms on the next. The imports run in a daemon thread, so the event
loop keeps serving keys (the import lock makes a concurrent import from the loop wait,
never fail).
"""

from __future__ import annotations

import contextlib
import importlib
import threading
from collections.abc import Collection
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from mmchat.tui.app import MMChatApp

__all__ = ["PREFETCH_AFTER", "soon"]

PREFETCH_AFTER = 0.1  # seconds after the chat controller exists (start-up is done by then)
# ``local`` itself is left out: it may load llama.cpp. A local model speaks OpenAI's
# protocol to its server.
_PROVIDER_MODULES = {
    "openai": "mmchat.providers.openai",
    "anthropic": "mmchat.providers.anthropic",
    "ollama": "mmchat.providers.ollama",
    "local": "mmchat.providers.openai",
}
_started = False


def soon(app: MMChatApp) -> None:
    """Import what the first turn needs PREFETCH_AFTER seconds from now (once)."""
    if not _started:
        app.set_timer(PREFETCH_AFTER, lambda: _start(app), name="prefetch")


def _start(app: MMChatApp) -> None:
    global _started
    if _started:
        return
    _started = True
    config = app.config  # loaded by now, on a first run too
    kinds = {p.kind for p in config.providers.values()} if config is not None else ()
    modules = _modules(kinds)

    def load() -> None:
        for module in modules:
            with contextlib.suppress(Exception):  # the real import reports any problem
                importlib.import_module(module)

    threading.Thread(target=load, name="mmchat-prefetch", daemon=True).start()


def _modules(kinds: Collection[str]) -> list[str]:
    return [
        "mmchat.tui.widgets.assistant_message",
        "mmchat.tui.widgets.user_message",
        "mmchat.providers.http",
        "mmchat.providers.retry",
        # httpcore's asyncio backend, imported on the first connection; private names,
        # so best effort like the rest
        "httpcore._backends.anyio",
        "anyio._backends._asyncio",
        *sorted({_PROVIDER_MODULES[kind] for kind in kinds if kind in _PROVIDER_MODULES}),
    ]
