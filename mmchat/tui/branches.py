"""Branches in the chat: "◀ 2/3 ▶" on the messages that have alternatives, and
switching to another one.

The conversation's branch points come from the store (:class:`BranchMap`, reloaded
when a turn adds messages). Switching to an alternative shows the newest branch
through it: the store's current leaf moves there (so a reopened conversation, an
export and the next turn follow it), the controller's records from the branch point
on are replaced by that branch's turns, and so are their widgets in the transcript.
Above the branch point nothing is rebuilt.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Protocol
from weakref import WeakKeyDictionary

from mmchat.tui.widgets.branch_switcher import BranchSwitcher

if TYPE_CHECKING:
    from textual.screen import Screen
    from textual.widget import Widget

    from mmchat.history.branches import BranchMap, Siblings
    from mmchat.tui.controller import ChatController, TurnRecord

__all__ = ["Branches", "switcher_for_keys"]


class _HasBelow(Protocol):
    def show_below(self, widget: Widget) -> None: ...


class Branches:
    """The branch switchers of one chat (one per controller)."""

    def __init__(self, controller: ChatController) -> None:
        self.controller = controller
        self.map: BranchMap | None = None
        self._switchers: WeakKeyDictionary[Widget, BranchSwitcher] = WeakKeyDictionary()

    def load(self) -> None:
        """Read the conversation's branch points again (new messages, another chat)."""
        store = self.controller.app.store
        conv = self.controller.conversation_id
        self.map = store.branch_map(conv) if store is not None and conv is not None else None

    # -- the switchers -----------------------------------------------------------------
    def decorate(self, record: TurnRecord) -> None:
        """Give the record's messages the switcher they should have (or none)."""
        branches = self.map
        user = branches.for_user(record.user_message_id) if branches is not None else None
        reply = (
            branches.for_reply(record.user_message_id, record.message_id)
            if branches is not None
            else None
        )
        if record.user is not None:
            self._show(record.user, user)
        if record.reply is not None:
            self._show(record.reply, reply)

    def _show(self, message: Widget, siblings: Siblings | None) -> None:
        """Add, update or remove the switcher under ``message`` (built or not yet)."""
        switcher = self._switchers.get(message)
        if siblings is None:
            if switcher is not None:
                del self._switchers[message]
                if switcher.is_attached:
                    switcher.remove()
        elif switcher is not None:
            switcher.alternatives = siblings
        else:
            switcher = self._switchers[message] = BranchSwitcher(siblings)
            host: _HasBelow = message  # type: ignore[assignment]
            host.show_below(switcher)

    def refresh(self) -> None:
        """After a turn: reload the branch points and update every built message."""
        self.load()
        for record in self.controller.records:
            self.decorate(record)

    # -- switching ---------------------------------------------------------------------
    async def switch(self, target: int) -> bool:
        """Show the newest branch through message ``target``; False when it cannot."""
        controller = self.controller
        app = controller.app
        store, conv = app.store, controller.conversation_id
        if store is None or conv is None:
            return False
        if controller.running is not None:
            app.notify("A turn is running: wait for it (or esc) to switch branches.")
            return False
        leaf = store.newest_leaf(target)
        entries = store.conversation_outline(conv, leaf)
        if not any(entry.id == target for entry in entries):
            return False  # another conversation's message, or deleted meanwhile
        records, pending = controller.outline_records(entries)
        old = controller.records
        keep = 0
        while (
            keep < min(len(old), len(records))
            and old[keep].user_message_id == records[keep].user_message_id
            and old[keep].message_id == records[keep].message_id
        ):
            keep += 1
        if keep == len(old) == len(records):
            return True  # already shown
        store.set_current_leaf(conv, leaf)
        focused = isinstance(app.focused, BranchSwitcher)
        tail = old[keep:]
        widgets = [w for r in tail for w in (r.user, r.reply) if w is not None]
        transcript = controller.surface.transcript
        shown = False
        if all(r.user is not None and r.user.is_attached for r in tail):
            controller.records = old[:keep] + records[keep:]
            new = [item for items in pending[keep:] for item in items]
            shown = await transcript.replace_tail(widgets, new)
        if not shown:  # a long branch, or a tail not built: show the whole path
            controller.records = records
            await transcript.show([item for items in pending for item in items])
        if focused and keep < len(controller.records):
            self._focus_switcher(controller.records[keep])
        return True

    def _focus_switcher(self, record: TurnRecord) -> None:
        for widget in (record.reply, record.user):
            switcher = self._switchers.get(widget) if widget is not None else None
            if switcher is not None:
                switcher.call_after_refresh(switcher.focus)
                return


def switcher_for_keys(screen: Screen[Any]) -> BranchSwitcher | None:
    """The switcher alt+←/→ act on: the focused one, else the one of the message that
    holds the focus, else the lowest one on screen, else the newest."""
    from mmchat.tui.widgets.transcript import Transcript

    focused = screen.focused
    if isinstance(focused, BranchSwitcher):
        return focused
    transcript = screen.query_one(Transcript)
    node = focused
    while node is not None and node.parent is not transcript:
        node = node.parent  # type: ignore[assignment]
    if node is not None:
        inside = list(node.query_children(BranchSwitcher))
        if inside:
            return inside[0]
    switchers = list(transcript.query(BranchSwitcher))
    if not switchers:
        return None
    view = transcript.content_region
    visible = [s for s in switchers if s.region and view.contains_region(s.region)]
    return (visible or switchers)[-1]
