"""An assistant turn: the strategy's view (lanes, tally, plan tree, stages), the
answer streamed through Markdown.append (see tui.markdown), and a footer with preset, models,
tokens, cost and time. Driven only by engine events (:meth:`handle`).

A stored turn (a reopened conversation) gets its events with :meth:`restore`: they
are replayed while the message mounts, and the answer's Markdown is rendered once at
the end from the final text (not once per stage or lane close on the way).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

from textual.app import ComposeResult
from textual.containers import Vertical
from textual.message import Message
from textual.widget import Widget
from textual.widgets import Static

from mmchat.api import (
    ANSWER_ROLES,
    AssignmentsDetail,
    BlindDetail,
    Decision,
    DecisionDetail,
    Event,
    FanoutDetail,
    FinalAnswer,
    LaneClosed,
    LaneOpened,
    LaneRetrying,
    LayerDetail,
    Note,
    PlanDetail,
    PlanNode,
    ReasoningDelta,
    ReviewDetail,
    RoundDetail,
    RouteDetail,
    StageDetail,
    TextDelta,
    TurnFinished,
    TurnStarted,
    Usage,
    View,
)
from mmchat.debug_log import log
from mmchat.finish import TOKEN_LIMIT_MARK
from mmchat.tui import markdown
from mmchat.tui.widgets import fmt
from mmchat.tui.widgets.decision_list import DecisionList
from mmchat.tui.widgets.fmt import escape
from mmchat.tui.widgets.lane_pane import LanePane
from mmchat.tui.widgets.lane_state import LaneInfo
from mmchat.tui.widgets.lanes_grid import LanesGrid
from mmchat.tui.widgets.plan_tree import PlanTree
from mmchat.tui.widgets.route_badge import RouteBadge
from mmchat.tui.widgets.stage_list import StageList
from mmchat.tui.widgets.tally_view import TALLY_DETAILS, TallyView
from mmchat.tui.widgets.thinking_view import ThinkingView

__all__ = ["AssistantMessage"]

KNOWN_VIEWS: tuple[View, ...] = ("single", "lanes", "tally", "tree")
DecisionSlot = Literal["route", "tally", "list"]
# Where each kind of decision is drawn: the route badge, the tally view, or the list of
# decisions (a sentence each). A payload type not here is drawn in the list too, and
# the debug log says so.
DECISION_VIEWS: dict[type[DecisionDetail], DecisionSlot] = {
    RouteDetail: "route",
    **dict.fromkeys(TALLY_DETAILS, "tally"),
    **dict.fromkeys(
        (StageDetail, PlanDetail, AssignmentsDetail, ReviewDetail, FanoutDetail, BlindDetail),
        "list",
    ),
    **dict.fromkeys((LayerDetail, RoundDetail), "list"),  # beside the moa / debate tree
}


def decision_slot(detail: DecisionDetail) -> DecisionSlot | None:
    """Where ``detail`` is drawn; None for a kind no view knows."""
    for cls in type(detail).__mro__:
        slot = DECISION_VIEWS.get(cls)
        if slot is not None:
            return slot
    return None


class AssistantMessage(Vertical):
    DEFAULT_CSS = """
    AssistantMessage { height: auto; margin: 0 0 1 0; padding: 0 1; border-left: wide $accent; }
    AssistantMessage > .msg-head { color: $accent; text-style: bold; height: auto; }
    AssistantMessage > .msg-slot { height: auto; }
    AssistantMessage > Markdown.answer { margin: 0; padding: 0; }
    AssistantMessage > .msg-status { height: auto; }
    AssistantMessage > .msg-status.-failed { color: $error; }
    AssistantMessage > .msg-status.-cancelled { color: $warning; }
    AssistantMessage > .msg-footer { color: $text-muted; height: auto; }
    """

    class LanePicked(Message):
        """The user chose one lane's answer to continue the conversation with."""

        def __init__(self, message: AssistantMessage, lane: str, text: str) -> None:
            super().__init__()
            self.message = message
            self.lane = lane
            self.text = text

    def __init__(
        self, *, view: str = "single", preset: str = "", strategy: str = "", id: str | None = None
    ) -> None:
        super().__init__(id=id)
        self.view = view if view in KNOWN_VIEWS else "generic"
        self.preset = preset
        self.strategy = strategy
        self.message_id: int | None = None
        self.turn_id = ""
        self.status = "streaming"
        self.error: str | None = None
        self.final_text = ""
        self.chosen_lane: str | None = None
        self.models: list[str] = []
        self.usage = Usage()
        self.cost: float | None = None
        self.cost_source = ""
        self.duration: float | None = None
        self.lanes: dict[str, LaneInfo] = {}
        self._where: dict[str, str] = {}
        self._answer_lane: str | None = None
        self._head = Static(classes="msg-head")
        self._route_slot = Vertical(classes="msg-slot")
        self._stages = StageList()
        self._main_slot = Vertical(classes="msg-slot")
        self._decisions = DecisionList()
        self.answer = markdown.streamed(self.app, classes="answer")
        self._status = Static(classes="msg-status")
        self._footer = Static(classes="msg-footer")
        self._grid: LanesGrid | None = None
        self._tally: TallyView | None = None
        self._tree: PlanTree | None = None
        self._route: RouteBadge | None = None
        self._to_restore: tuple[list[Event], str | None] | None = None
        self._restoring = False
        self._shadow = ""  # the answer, unrendered: while restoring, or a pane shows it
        self._thinking: dict[str, ThinkingView] = {}  # answer lanes' reasoning, by lane
        self._below: list[Widget] = []  # under the footer (a branch switcher)

    def compose(self) -> ComposeResult:
        yield self._head
        yield self._route_slot
        yield self._stages
        yield self._main_slot
        yield self._decisions
        yield self.answer.markdown
        yield self._status
        yield self._footer
        yield from self._below

    async def on_mount(self) -> None:
        for widget in (self._route_slot, self._stages, self._decisions, self._status):
            widget.display = False
        self.answer.markdown.display = False
        self._refresh_head()
        self._refresh_footer()
        if self._to_restore is not None:
            events, chosen = self._to_restore
            self._to_restore = None
            await self._restore(events, chosen)

    def show_below(self, widget: Widget) -> None:
        """Add ``widget`` under the footer: composed with the message, or mounted now."""
        if self.is_attached:
            self.mount(widget)
        else:
            self._below.append(widget)

    # -- a stored turn -------------------------------------------------------------
    def restore(self, events: Sequence[Event], chosen: str | None = None) -> None:
        """Show a stored turn (see :func:`mmchat.tui.controller.replay_events`) when
        this message is mounted; ``chosen`` is the lane the user picked."""
        self._to_restore = (list(events), chosen)

    async def _restore(self, events: list[Event], chosen: str | None) -> None:
        self._restoring = True
        try:
            for event in events:
                await self.handle(event)
        except Exception as exc:  # a view bug must not take the app down
            self.app.log.error(f"could not restore message {self.message_id}: {exc!r}")
            self._show_status(f"✗ could not show this stored turn: {exc}", "failed")
        finally:
            self._restoring = False
        if chosen:
            self.choose(chosen)
            self.reveal()  # a blind comparison the user picked from: its models are known
        # Render the answer once; a hidden one (the chosen lane's pane shows it) not at all.
        if self.answer.markdown.display and self._shadow:
            await self.answer.stop(self._shadow)
            self._shadow = ""

    async def _answer_stop(self, final: str | None = None) -> None:
        """``StreamedMarkdown.stop``, deferred to the end while restoring."""
        if not self._restoring:
            await self.answer.stop(final)
        elif final is not None:
            self._shadow = final

    def _answer_text(self) -> str:
        return self.answer.text or self._shadow

    # -- event dispatch ------------------------------------------------------------
    async def handle(self, event: Event) -> None:
        if isinstance(event, TextDelta):
            await self._on_text(event)
        elif isinstance(event, LaneOpened):
            await self._on_lane_opened(event)
        elif isinstance(event, LaneClosed):
            await self._on_lane_closed(event)
        elif isinstance(event, LaneRetrying):
            self._on_retrying(event)
        elif isinstance(event, Decision):
            await self._on_decision(event)
        elif isinstance(event, PlanNode):
            await self._ensure_tree()
            assert self._tree is not None
            self._tree.upsert(event)
        elif isinstance(event, Note):
            if event.level != "error":
                self._decisions.display = True
                await self._decisions.add_note(event.text, event.level)
        elif isinstance(event, FinalAnswer):
            await self._on_final(event)
        elif isinstance(event, TurnFinished):
            await self._on_finished(event)
        elif isinstance(event, TurnStarted):
            self.turn_id = event.turn
            self.preset, self.strategy = event.preset, event.strategy
            self._refresh_head()
        elif isinstance(event, ReasoningDelta):
            await self._on_reasoning(event)

    # -- lanes ---------------------------------------------------------------------
    async def _on_lane_opened(self, event: LaneOpened) -> None:
        if event.model not in self.models:
            self.models.append(event.model)
        if self.view in ("lanes", "generic"):
            grid = await self._ensure_grid()
            self.lanes[event.lane] = (await grid.add_lane(event)).info
            self._where[event.lane] = "pane"
        elif self.view == "tally":
            tally = await self._ensure_tally()
            self.lanes[event.lane] = await tally.add_member(event)
            self._where[event.lane] = "member"
        elif self.view == "tree" and (
            event.role not in ANSWER_ROLES
            # an answer under a node (a preset run as a member): that node's, not the turn's
            or (event.parent and self._tree is not None and self._tree.has_node(event.parent))
        ):
            await self._ensure_tree()
            assert self._tree is not None
            self.lanes[event.lane] = LaneInfo(event)
            if event.parent:
                self._tree.attach_lane(event.parent, event.lane)
            self._where[event.lane] = "tree"
        else:
            await self._show_in_answer(LaneInfo(event))
        self._refresh_footer()

    async def _show_in_answer(self, info: LaneInfo) -> None:
        """The answer pane now follows this lane; the previous one becomes a stage."""
        previous = self._answer_lane
        if previous is not None:
            self._where[previous] = "stage"
            self._stages.display = True
            await self._stages.add_stage(self.lanes[previous])
            if self._restoring:
                self._shadow = ""
            else:
                await self.answer.reset()
        self.lanes[info.lane] = info
        self._where[info.lane] = "answer"
        self._answer_lane = info.lane

    async def _on_text(self, event: TextDelta) -> None:
        where = self._where.get(event.lane)
        if where == "pane":
            assert self._grid is not None
            await self._grid.panes[event.lane].write(event.text, event.at)
        elif where == "member":
            assert self._tally is not None
            await self._tally.write(event.lane, event.text, event.at)
        elif where is not None:
            self.lanes[event.lane].on_text(event.text, event.at)
            if where == "answer":
                if self._thinking:  # (no coroutine per token for the rest)
                    await self._thought(event.lane, event.at)
                if not self.answer.markdown.display:
                    self.answer.markdown.display = True
                if self._restoring:
                    self._shadow += event.text
                else:
                    await self.answer.write(event.text)

    async def _on_reasoning(self, event: ReasoningDelta) -> None:
        where = self._where.get(event.lane)
        if where == "pane" and self._grid is not None:
            self._grid.panes[event.lane].thinking(event.text, event.at)
        elif where is not None:
            info = self.lanes[event.lane]
            info.on_reasoning(event.text, event.at)
            if where == "answer":
                if event.lane not in self._thinking:
                    view = self._thinking[event.lane] = ThinkingView(event.lane, info.name)
                    await self.mount(view, before=self.answer.markdown)
                await self._thinking[event.lane].write(event.text, event.at)

    async def _thought(self, lane: str, at: float | None = None) -> None:
        if lane in self._thinking:
            await self._thinking[lane].finish(at)

    def _on_retrying(self, event: LaneRetrying) -> None:
        where = self._where.get(event.lane)
        if where == "pane" and self._grid is not None:
            self._grid.panes[event.lane].retrying(event)
        elif where == "member" and self._tally is not None:
            self._tally.retrying(event)
        elif where is not None:
            self.lanes[event.lane].on_retry(event)
            self._show_status(f"↻ {self.lanes[event.lane].error}", "retrying")

    async def _on_lane_closed(self, event: LaneClosed) -> None:
        where = self._where.get(event.lane)
        if where == "pane" and self._grid is not None:
            await self._grid.panes[event.lane].close(event)
            self._grid.lane_closed()
        elif where == "member" and self._tally is not None:
            await self._tally.close(event)
        elif where is not None:
            info = self.lanes[event.lane]
            info.on_close(event)
            await self._thought(event.lane)
            if where == "answer":
                if info.text:
                    self.answer.markdown.display = True
                await self._answer_stop(info.text)
                self._status.display = False
            elif where == "stage":
                self._stages.refresh_stage(info)
            elif where == "tree" and self._tree is not None:
                self._tree.lane_changed(event.lane)
        self._refresh_footer()

    # -- decisions -----------------------------------------------------------------
    @property
    def route(self) -> RouteDetail | None:
        """The router's decision for this answer, if a router answered."""
        return self._route.detail if self._route is not None else None

    @property
    def blind(self) -> bool:
        """A blind comparison whose models are not revealed yet (the grid knows)."""
        return self._grid is not None and self._grid.blind

    async def _on_decision(self, event: Decision) -> None:
        detail = event.detail
        if isinstance(detail, BlindDetail) and self.view in ("lanes", "generic"):
            (await self._ensure_grid()).set_blind(True)
            self._refresh_footer()
        if isinstance(detail, FanoutDetail) and self._grid is not None:
            # The answer shown until the user picks: marked "default", not "✓ chosen".
            self._grid.mark_default(detail.chosen)
        slot = decision_slot(detail)
        if slot is None:
            log.debug("no view for decision kind %r (%s): shown generically", event.kind,
                      type(detail).__name__)  # fmt: skip
            slot = "list"
        if slot == "route" and isinstance(detail, RouteDetail):
            if self._route is None:
                self._route = RouteBadge(detail)
                self._route_slot.display = True
                await self._route_slot.mount(self._route)
            else:
                self._route.show(detail)
        elif slot == "tally":
            tally = await self._ensure_tally()
            tally.show_decision(event.summary, detail)
        else:
            self._decisions.display = True
            await self._decisions.add_decision(event)

    async def _ensure_grid(self) -> LanesGrid:
        if self._grid is None:
            self._grid = LanesGrid()
            await self._main_slot.mount(self._grid)
        return self._grid

    async def _ensure_tally(self) -> TallyView:
        if self._tally is None:
            self._tally = TallyView()
            await self._main_slot.mount(self._tally)
        return self._tally

    async def _ensure_tree(self) -> None:
        if self._tree is None:
            self._tree = PlanTree(self.lane_text)
            await self._main_slot.mount(self._tree, before=0)

    def lane_text(self, lane: str) -> str:
        info = self.lanes.get(lane)
        return info.text if info is not None else ""

    def lane_name(self, lane: str) -> str:
        """What the lane's pane is headed with (a model or a role), for messages."""
        info = self.lanes.get(lane)
        return info.name if info is not None else lane

    # -- the end of the turn -------------------------------------------------------
    async def _on_final(self, event: FinalAnswer) -> None:
        self.final_text = event.text
        if self._grid is not None and self.view in ("lanes", "generic"):
            texts = {info.text for info in self.lanes.values()}
            # (The default pane is marked from the fan-out's recorded decision, not
            # here: a reopened turn has no sources, and live and reopened must agree.)
            if event.text in texts:
                # A pane shows it: rendering it again, hidden, cost an 8-pane turn 0.1 s.
                self.answer.markdown.display = False
                self._shadow = event.text
                return
        self.answer.markdown.display = bool(event.text)
        await self._answer_stop(event.text)

    async def _on_finished(self, event: TurnFinished) -> None:
        self.status = event.status
        self.error = event.error
        self.usage, self.cost, self.duration = event.usage, event.cost, event.duration
        self.cost_source = event.cost_source
        if self._tree is not None and event.status != "complete":
            self._tree.settle("failed" if event.status == "failed" else "cancelled")
        if event.status != "complete":
            shown = self._shadow or None
            if event.status == "interrupted" and not self._has_text():
                shown = event.text or None  # what the store kept of the answer
            await self._answer_stop(shown)
            if self._answer_text():
                self.answer.markdown.display = True
        kept = "partial answer kept" if self._has_text() else "nothing arrived"
        if event.status == "cancelled":
            self._show_status(f"■ cancelled — {kept}", "cancelled")
        elif event.status == "interrupted":
            self._show_status(
                f"⚡ interrupted — mmchat stopped before this answer was finished; {kept}",
                "cancelled",
            )
        elif event.status == "failed":
            self._show_status(f"✗ failed: {event.error or 'unknown error'}", "failed")
        else:
            self._status.display = False
        self._refresh_footer()

    def _has_text(self) -> bool:
        return bool(self._answer_text()) or any(info.text for info in self.lanes.values())

    def _show_status(self, text: str, kind: str) -> None:
        self._status.update(escape(text))
        self._status.set_classes(f"msg-status -{kind}")
        self._status.display = True

    def choose(self, lane: str | None) -> None:
        self.chosen_lane = lane
        if self._grid is not None:
            self._grid.choose(lane)

    def reveal(self) -> None:
        """A blind comparison was decided: show which model wrote which pane."""
        if self._grid is not None and self._grid.blind:
            self._grid.set_blind(False)
            self._refresh_footer()

    def on_lane_pane_picked(self, message: LanePane.Picked) -> None:
        message.stop()
        if self.status == "streaming":
            self.app.notify("Wait for the turn to finish before picking an answer.")
            return
        self.choose(message.pane.lane)
        self.reveal()
        self.final_text = message.pane.text
        self.answer.markdown.display = False
        self.post_message(self.LanePicked(self, message.pane.lane, message.pane.text))

    @property
    def text(self) -> str:
        """What continues the conversation: the final (or chosen, or partial) answer."""
        return self.final_text or self._answer_text()

    # -- labels --------------------------------------------------------------------
    def _refresh_head(self) -> None:
        self._head.update(escape(fmt.message_head(self.preset, self.strategy)))

    def _refresh_footer(self) -> None:
        totals = (self.usage, self.cost, self.duration) if self.status != "streaming" else None
        models = [] if self.blind else self.models  # (in pane order: A, B… would tell)
        footer = fmt.message_footer(self.preset, self.strategy, models, totals, self.cost_source)
        cut = [info.name for info in self.lanes.values() if info.cut_by_token_limit]
        if cut:
            # An answer that ends mid-sentence must say why (the lanes when there are
            # several, unless they are blind: A, B… until the pick).
            named = len(self.lanes) > 1 and not self.blind
            footer += f" · {TOKEN_LIMIT_MARK}" + (f" ({', '.join(cut)})" if named else "")
        self._footer.update(escape(footer))
