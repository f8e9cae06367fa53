"""Helpers shared by subcommands: opening a session with readable errors."""

from __future__ import annotations

import sys

from mmchat.wiring import Session


def err(message: str) -> None:
    print(f"mmchat: {message}", file=sys.stderr)


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
