"""mmchat's debug log: Python logging under the ``mmchat`` logger.

Quiet by default (nothing is written). ``MMCHAT_DEBUG=1`` sends debug records to
``<data dir>/logs/mmchat.log`` (0600; never to the screen, which the TUI owns). What
goes there is the app's own reasoning (an event no view knows, a fallback taken), never
a key: messages are built from names and kinds, not from requests.
"""

from __future__ import annotations

import logging
import os

__all__ = ["DEBUG_ENV", "enable_from_env", "log"]

DEBUG_ENV = "MMCHAT_DEBUG"
log = logging.getLogger("mmchat")
log.addHandler(logging.NullHandler())
_enabled = False


def enable_from_env() -> None:
    """Write debug records to the log file when ``MMCHAT_DEBUG`` is set (once)."""
    global _enabled
    if _enabled or os.environ.get(DEBUG_ENV, "").strip() in ("", "0"):
        return
    from mmchat import paths

    folder = paths.ensure_dir(paths.log_dir())
    path = folder / "mmchat.log"
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    handler = logging.StreamHandler(os.fdopen(fd, "a", encoding="utf-8"))
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    log.addHandler(handler)
    log.setLevel(logging.DEBUG)
    _enabled = True
