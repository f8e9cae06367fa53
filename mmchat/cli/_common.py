"""Helpers shared by subcommands: output that is safe on a terminal, opening a session.

Everything the CLI prints that it did not write itself (model ids and error text from
servers, keys and lines of the user's config, plugin errors, key names from the
keyring) goes through these functions, so escape sequences in it are shown
(``^[``) rather than obeyed: a server cannot set the window title, write the
clipboard (OSC 52) or clear the screen. See :mod:`mmchat.sanitize`.
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING

from mmchat.sanitize import for_terminal

if TYPE_CHECKING:  # wiring imports the engine: only the commands that run turns need it
    from mmchat.wiring import Session


def out(text: str = "", *, end: str = "\n") -> None:
    """A line for the user on stdout, control characters made visible."""
    sys.stdout.write(for_terminal(text) + end)


def warn(text: str) -> None:
    """A message on stderr, control characters made visible."""
    sys.stderr.write(for_terminal(text) + "\n")


def err(message: str) -> None:
    """An error on stderr, prefixed with ``mmchat:``."""
    warn(f"mmchat: {message}")


def data_out(text: str, *, end: str = "") -> None:
    """Data on stdout (a file's text, an answer): made inert on a terminal, passed
    through unchanged when piped, so ``> file`` gets exactly the bytes."""
    sys.stdout.write((for_terminal(text) if sys.stdout.isatty() else text) + end)


def open_session_or_report(*, save: bool = True) -> Session | None:
    """Open config/plugins/store; on a bad config print one clear error and return None."""
    from mmchat.config import ConfigError
    from mmchat.history.store import StoreError
    from mmchat.wiring import open_session

    try:
        return open_session(save=save)
    except ConfigError as exc:
        err(str(exc))
        err("fix the file (`mmchat config edit`), or check it with `mmchat config validate`")
    except StoreError as exc:
        err(str(exc))
    return None
