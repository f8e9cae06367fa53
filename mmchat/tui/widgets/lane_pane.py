"""One model call shown as a pane: model, live status, rate, tokens, cost, text."""

from __future__ import annotations

from typing import ClassVar

from textual import events
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical, VerticalScroll
from textual.message import Message
from textual.widget import Widget
from textual.widgets import Static

from mmchat.accounting import cost_label
from mmchat.api import LaneClosed, LaneOpened, LaneRetrying
from mmchat.tui import markdown
from mmchat.tui.runtime import runtime_of
from mmchat.tui.runtime.tuning import COMPACT_AFTER, TAIL_LINES
from mmchat.tui.widgets.fmt import escape
from mmchat.tui.widgets.lane_state import LaneInfo, Throttle

__all__ = ["STATUS_MARKS", "LanePane"]

STATUS_MARKS = {
    "queued": "○",
    "thinking": "◔",
    "streaming": "◐",
    "retrying": "↻",
    "done": "●",
    "failed": "✗",
    "cancelled": "■",
    "interrupted": "■",
}


class _PaneScroll(VerticalScroll):
    """The pane's scroll view: its growing text needs one layout per flush, not two
    (in lean mode: see ``Runtime.quiet_resizing``).

    No scrollbar while the pane follows its streaming text: the thumb moved on every
    flush, so eight scrollbars were redrawn every frame for nothing to read (the
    "earlier text" line says there is more). It comes back when the user turns to the
    pane (:meth:`show_scrollbar`).
    """

    def __init__(self, document: Widget) -> None:
        super().__init__(document)
        # Inline styles, not a class: a class change re-applies the stylesheet to
        # every block inside (see LanePane.settle). The scrollbar's column stays
        # reserved ("stable" gutter), so showing it does not re-wrap every block.
        self.styles.scrollbar_gutter = "stable"
        # (A stable gutter also reserves a row for a horizontal scrollbar, which
        # this vertical-only view never shows.)
        self.styles.scrollbar_size_horizontal = 0
        self.styles.scrollbar_visibility = "hidden"

    def show_scrollbar(self) -> None:
        self.styles.clear_rule("scrollbar_visibility")


class LanePane(Vertical, can_focus=True):
    """A lane's live view. Enter or a click picks its answer (``Picked``)."""

    DEFAULT_CSS = """
    LanePane {
        /* A fixed height while streaming: a growing answer scrolls inside its pane
           instead of re-laying out the whole screen on every streamed line. Once
           the lane closes, a pane its text does not fill shrinks (see settle()). */
        height: 18;
        min-height: 18;  /* the grid's auto rows size a pane by its limits */
        max-height: 18;
        border: round $panel-lighten-2;
        padding: 0 1;
    }
    LanePane:focus { border: round $accent; }
    LanePane.-chosen { border: double $success; }
    LanePane.-failed { border: round $error; }
    LanePane > .lane-head { color: $text-muted; height: 2; }
    LanePane > .lane-error { color: $error; height: auto; }
    LanePane > .lane-earlier { color: $text-muted; height: 1; }
    LanePane > VerticalScroll { height: 1fr; }
    LanePane Markdown { margin: 0; padding: 0; }
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("enter", "pick", "Use this answer", id="pick_lane"),
        Binding("up", "scroll_text(-1)", "Scroll up", show=False),
        Binding("down", "scroll_text(1)", "Scroll down", show=False),
        Binding("pageup", "scroll_text(-10)", "Page up", show=False),
        Binding("pagedown", "scroll_text(10)", "Page down", show=False),
        Binding("home", "scroll_text(-1_000_000)", "Top", show=False),
        Binding("end", "scroll_text(1_000_000)", "Bottom", show=False),
    ]

    class Picked(Message):
        def __init__(self, pane: LanePane) -> None:
            super().__init__()
            self.pane = pane

    def __init__(self, opened: LaneOpened, *, pickable: bool = True) -> None:
        super().__init__(id=f"lane-{opened.lane}")
        self.info = LaneInfo(opened)
        self.pickable = pickable
        self.chosen = False  # the user picked this pane's answer
        self.default = False  # the strategy's answer until the user picks (not a pick)
        self._head = Static(classes="lane-head")
        self._error = Static(classes="lane-error")
        # The pane shows the tail of its answer while streaming: older blocks are
        # unmounted (eight growing documents re-laid out every frame are what made
        # fan-out slow) and come back when the user turns to the pane.
        self.body = markdown.streamed(self.app, tail_lines=TAIL_LINES, on_flush=self._text_flushed)
        self._earlier = Static("⋯ earlier text: focus or scroll up to show", classes="lane-earlier")
        self._scroll = runtime_of(self.app).quiet_resizing(_PaneScroll)(self.body.markdown)
        self._scroll.can_focus = False  # Tab moves pane to pane; the pane itself scrolls
        self._shown_error: str | None = None
        self._settled = False
        self._shrunk = False
        self._fit_tries = 0
        self._thought = Throttle()  # thinking has no flush clock to redraw the head

    @property
    def lane(self) -> str:
        return self.info.lane

    @property
    def text(self) -> str:
        return self.info.text

    def compose(self) -> ComposeResult:
        yield self._head
        yield self._error
        yield self._earlier
        yield self._scroll

    def on_mount(self) -> None:
        self._error.display = False
        self._earlier.display = False
        self._refresh_head()

    async def write(self, chunk: str, at: float) -> None:
        if self.info.on_text(chunk, at):
            self._refresh_head()  # a new status (streaming): at once
        await self.body.write(chunk)

    def _text_flushed(self) -> None:
        """The flush clock appended text: redraw the counters in the same frame (a
        head redrawn on a timer of its own was a frame of its own, for eight panes)."""
        self._refresh_head()
        if self.body.hidden_blocks and not self._earlier.display:
            self._earlier.display = True
        # Follow the newest text once it overflows (anchoring earlier would push a
        # short answer to the bottom of the pane); a user scroll releases it.
        self._follow_if_overflowing()

    def thinking(self, chunk: str, at: float) -> None:
        """Thinking text: the head counts it (the pane shows only the answer)."""
        if self.info.on_reasoning(chunk, at) or self._thought.ready():
            self._refresh_head()

    def retrying(self, event: LaneRetrying) -> None:
        self.info.on_retry(event)
        self._refresh_head()

    async def close(self, event: LaneClosed) -> None:
        self.info.on_close(event)
        if event.status == "failed":
            self.add_class("-failed")  # cheap: a failed pane holds little text
        self._refresh_head()
        await self.body.stop_soon(self.info.text, then=self._after_last_text)

    def _after_last_text(self) -> None:
        # The last text may only now be laid out (held while the user typed, or the
        # whole answer fitted in one flush): trim and follow it once it has.
        self.call_after_refresh(self._keep_the_tail)

    def _keep_the_tail(self) -> None:
        # Blocks a flush adds have no height yet when it trims, so a pane's last flush
        # could leave twice the tail shown (and mounted, once the pane compacts).
        self.body.trim()
        if self.body.hidden_blocks:  # e.g. a stored answer: its tail, which overflows
            self._earlier.display = True
            if not self._scroll.is_anchored:  # (a user scroll keeps its place)
                self._scroll.anchor()
        self._follow_if_overflowing()

    def _follow_if_overflowing(self) -> None:
        if not self._scroll.is_anchored and self._scroll.max_scroll_y > 0:
            self._scroll.anchor()
        self._fit_to_text()

    def settle(self, compact_in: float = COMPACT_AFTER) -> None:
        """Once streaming is over, a pane its text does not fill shrinks to it.

        A full pane keeps its size: resizing it re-measures every block shown, at
        two widths (Textual sizes an auto-height scroll view without its scrollbar),
        which cost eight panes ~0.2 s in the turn's last frame.
        The scrollbar stays hidden until the user turns to the pane (show_all):
        eight scrollbars appearing at once made Textual map every widget of the
        screen, hidden ones too (~0.2 s); the "earlier text" line says there is more.
        """
        self._settled = True
        self.call_after_refresh(self._fit_to_text)  # once the last text is laid out
        self.set_timer(compact_in, self.body.compact)

    def _fit_to_text(self) -> None:
        """(Settled) shrink to a short text; say when there is more than is shown.

        Inline styles, not a CSS class: a class change re-applies the stylesheet to
        every Markdown block inside the pane, which costs seconds for long answers.
        """
        if not self._settled:
            return
        scroll = self._scroll
        if not scroll.size.height and self._fit_tries < 5:
            self._fit_tries += 1  # (mounted and closed within one frame: not placed yet)
            self.call_after_refresh(self._fit_to_text)
        elif scroll.max_scroll_y > 0:
            self._earlier.display = True
        elif not self._shrunk and self.body.markdown.outer_size.height < scroll.size.height:
            self._shrunk = True
            self.styles.height = "auto"
            self.styles.min_height = 0
            # The streaming cap (18 rows) would clip a pane whose text grows after
            # this (its last text, flushed later): its last lines were cut off.
            self.styles.max_height = "100vh"
            scroll.styles.height = "auto"
            scroll.styles.max_height = 15

    def set_chosen(self, chosen: bool) -> None:
        self.chosen = chosen
        if self.has_class("-chosen") != chosen:
            # Only the pane's own border depends on the class, so restyle the pane
            # alone: Textual restyles every descendant on a class change, here all
            # the pane's blocks (hidden ones too), 25 ms at the end of a fan-out turn.
            self.set_class(chosen, "-chosen", update=False)
            if self.is_attached:
                self.app.stylesheet.update_nodes([self], animate=False)
        self._refresh_head()

    def set_default(self, default: bool) -> None:
        self.default = default
        self._refresh_head()

    def set_blind(self, blind: bool) -> None:
        """Hide (a blind comparison) or reveal which model wrote this pane."""
        self.info.blind = blind
        self._refresh_head()

    def _refresh_head(self) -> None:
        info = self.info
        mark = STATUS_MARKS.get(info.status, "?")
        head = f"{mark} [b]{escape(info.name)}[/b] · {escape(info.status_line())}"
        if self.chosen:
            head += " · [b $success]✓ chosen[/]"
        elif self.default:
            head += " · [i]default[/]"
        # The head has a fixed height: redrawing it needs no relayout of the screen
        # (a relayout per pane per refresh was most of a fan-out's frame budget).
        self._head.update(head, layout=False)
        closed = info.closed
        if closed is not None and not info.blind:  # where the price came from: on hover
            self._head.tooltip = f"cost: {cost_label(closed.cost, closed.cost_source)}"
        elif self._head.tooltip is not None:
            self._head.tooltip = None
        error = info.error
        if error and info.blind:  # a server's error often names the model
            error = "(why is shown once you pick an answer: it may name the model)"
        if error != self._shown_error:
            self._shown_error = error
            self._error.update(escape(error or ""))
            self._error.display = bool(error)

    async def show_all(self) -> None:
        """Mount the blocks hidden while streaming (the user turned to this pane)."""
        self._scroll.show_scrollbar()
        if self._earlier.display or self.body.hidden_blocks:
            self._earlier.display = False
            await self.body.show_all()
            self._scroll.scroll_end(animate=False)

    async def on_focus(self) -> None:
        await self.show_all()

    async def on_mouse_scroll_up(self, event: events.MouseScrollUp) -> None:
        await self.show_all()

    async def action_scroll_text(self, lines: int) -> None:
        await self.show_all()
        if lines < 0:
            self._scroll.release_anchor()  # reading back: stop following new text
        self._scroll.scroll_relative(y=lines, animate=False)

    def action_pick(self) -> None:
        if self.pickable and self.text:
            self.post_message(self.Picked(self))

    def on_click(self, event: events.Click) -> None:
        if self.pickable:
            self.focus()
            self.action_pick()
