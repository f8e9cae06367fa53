"""When the cyclic garbage collector may pause the app.

While answers stream, Textual allocates many containers that outlive a young
collection (strips with their caches, segments, styles), and CPython's full
collections walked all of them: 100-440 ms each, several times per eight-pane
turn, with keystrokes waiting behind every one. The ``mmchat`` command therefore
freezes the start-up heap (:meth:`MMChatApp.resume_gc`), keeps young collections
as they are, and runs the full ones itself: shortly after a turn ends, and on a
slow clock while nothing streams.
"""

from __future__ import annotations

import gc

__all__ = ["IDLE_COLLECT_EVERY", "collect_full", "hold_full_collections"]

IDLE_COLLECT_EVERY = 120.0  # seconds between full collections while the app is idle
_NEVER = 1_000_000_000  # young collections before an automatic full one: never


def hold_full_collections() -> None:
    """Keep the collector's young generations; leave full collections to us."""
    young, middle, _ = gc.get_threshold()
    gc.set_threshold(young, middle, _NEVER)


def collect_full() -> int:
    """One full collection (what CPython would have done at some random moment)."""
    return gc.collect()
