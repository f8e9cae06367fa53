"""Voting / consensus / ensemble / council: member answers, tally and agreement vs
threshold, escalation and why, the score × weight table, and the council's rankings."""

from __future__ import annotations

from typing import Any

from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import Collapsible, Static

from mmchat.api import (
    ConsensusDetail,
    CouncilDetail,
    DecisionDetail,
    EscalationDetail,
    LaneClosed,
    LaneOpened,
    LaneRetrying,
    ScoresDetail,
    Tally,
    VoteDetail,
)
from mmchat.api.answers import normalize_text
from mmchat.api.decisions import method_words
from mmchat.tui import markdown
from mmchat.tui.widgets.fmt import escape
from mmchat.tui.widgets.lane_pane import STATUS_MARKS
from mmchat.tui.widgets.lane_state import LaneInfo, Throttle

__all__ = ["TALLY_DETAILS", "TallyView", "agreement_bar"]

# The decisions this view draws (the message's view registry sends them here).
TALLY_DETAILS: tuple[type[DecisionDetail], ...] = (
    VoteDetail,
    ConsensusDetail,
    EscalationDetail,
    ScoresDetail,
    CouncilDetail,
)

BAR_WIDTH = 24


def agreement_bar(agreement: float, threshold: float | None) -> str:
    """``█████░░░│░░ 62% (threshold 70%)`` in Textual markup."""
    agreement = max(0.0, min(1.0, agreement))
    filled = round(agreement * BAR_WIDTH)
    cells = ["█" if i < filled else "░" for i in range(BAR_WIDTH)]
    if threshold is not None:
        mark = min(BAR_WIDTH - 1, round(threshold * BAR_WIDTH))
        cells[mark] = "│"
    colour = "$success" if threshold is None or agreement >= threshold else "$warning"
    text = f"[{colour}]{''.join(cells)}[/] {agreement:.0%}"
    if threshold is not None:
        text += f" (threshold {threshold:.0%})"
    return text


def _tally_lines(tally: Tally) -> list[str]:
    """One line per group: how many, what they said (the extracted answer when there is
    one), and who."""
    lines = []
    for group in tally.groups:
        said = group.extracted or _short(group.answer)
        extracted = ""
        if group.extracted and normalize_text(group.answer) != normalize_text(group.extracted):
            extracted = f" [dim]— from “{escape(_short(group.answer, 40))}”[/dim]"
        who = f" ({', '.join(group.models)})" if group.models else ""
        lines.append(f"  {group.votes} × [b]{escape(said)}[/b]{escape(who)}{extracted}")
    if tally.excluded:
        names = ", ".join(f"{e.model} ({e.why})" for e in tally.excluded)
        lines.append(f"[dim]not counted: {escape(_short(names, 120))}[/dim]")
    return lines


def _short(value: Any, limit: int = 70) -> str:
    text = " ".join(str(value).split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


class _Member(Collapsible):
    DEFAULT_CSS = """
    _Member { border: none; padding: 0; margin: 0; background: $boost; }
    _Member > Contents { padding: 0 1 0 3; height: auto; }
    """

    def __init__(self, opened: LaneOpened) -> None:
        self.info = LaneInfo(opened)
        self.body = markdown.streamed(self.app)
        self.title_throttle = Throttle()
        super().__init__(self.body.markdown, title="", collapsed=True)
        self.retitle()

    def retitle(self) -> None:
        info = self.info
        role = f"{info.role} · " if info.role and info.role not in ("voter", "member") else ""
        why = f" — {info.error}" if info.error else ""
        self.title = (
            f"{STATUS_MARKS.get(info.status, '?')} {role}{info.name} · {info.status_line()}{why}"
        )


class TallyView(Vertical):
    DEFAULT_CSS = """
    TallyView { height: auto; margin: 0 0 1 0; }
    TallyView > .tally-summary { height: auto; padding: 0 1; }
    TallyView > .tally-escalation { height: auto; padding: 0 1; color: $warning; }
    TallyView > .tally-scores { height: auto; padding: 0 1; }
    TallyView > .tally-ranks { height: auto; padding: 0 1; }
    """

    def __init__(self) -> None:
        super().__init__()
        self.members: dict[str, _Member] = {}
        self._members_box = Vertical(classes="tally-members")
        self._members_box.styles.height = "auto"
        self._summary = Static(classes="tally-summary")
        self._escalation = Static(classes="tally-escalation")
        self._scores = Static(classes="tally-scores")
        self._ranks = Static(classes="tally-ranks")

    def compose(self) -> ComposeResult:
        yield self._members_box
        yield self._summary
        yield self._escalation
        yield self._scores
        yield self._ranks

    def on_mount(self) -> None:
        for widget in (self._summary, self._escalation, self._scores, self._ranks):
            widget.display = False

    # -- lanes -----------------------------------------------------------------------
    async def add_member(self, opened: LaneOpened) -> LaneInfo:
        member = _Member(opened)
        self.members[opened.lane] = member
        await self._members_box.mount(member)
        return member.info

    async def write(self, lane: str, chunk: str, at: float) -> None:
        member = self.members[lane]
        changed = member.info.on_text(chunk, at)
        await member.body.write(chunk)
        if changed or member.title_throttle.ready():
            member.retitle()

    def retrying(self, event: LaneRetrying) -> None:
        member = self.members[event.lane]
        member.info.on_retry(event)
        member.retitle()

    async def close(self, event: LaneClosed) -> None:
        member = self.members[event.lane]
        member.info.on_close(event)
        await member.body.stop(member.info.text)
        member.retitle()

    # -- decisions ------------------------------------------------------------------
    def show_decision(self, summary: str, detail: DecisionDetail) -> None:
        if isinstance(detail, ScoresDetail):
            self._show_scores(summary, detail)
        elif isinstance(detail, EscalationDetail):
            colour = "$error" if detail.status == "failed" else "$warning"
            self._escalation.update(f"[{colour}]⇪ {escape(summary)}[/]")
            self._escalation.display = True
        elif isinstance(detail, (VoteDetail, ConsensusDetail)):
            self._show_tally(summary, detail)
        elif isinstance(detail, CouncilDetail):
            self._show_ranks(summary, detail)

    def _show_tally(self, summary: str, detail: VoteDetail | ConsensusDetail) -> None:
        tally = detail.tally
        threshold = detail.threshold if isinstance(detail, ConsensusDetail) else None
        lines = [
            f"[b]{escape(detail.kind)}[/b]: {escape(summary)}",
            "agreement " + agreement_bar(tally.agreement, threshold),
            f"[dim]answers compared by {escape(method_words(tally.method))}[/dim]",
            *_tally_lines(tally),
        ]
        self._summary.update("\n".join(lines))
        self._summary.display = True
        if isinstance(detail, ConsensusDetail):
            reason = escape(detail.reason)
            if detail.accepted:
                self._escalation.update(f"[$success]✓ not escalated[/]: {reason}")
            else:
                self._escalation.update(f"⇪ [b]escalating[/b]: {reason}")
            self._escalation.display = True

    def _show_scores(self, summary: str, detail: ScoresDetail) -> None:
        lines = [
            f"[b]scores[/b]: {escape(summary)}",
            f"  {'model':<18} {'score':>7} {'weight':>7} {'total':>7}",
        ]
        for row in detail.rows:
            won = detail.winner == row.lane
            star = "★" if won else " "
            line = (
                f"{star} {escape(row.model[:18]):<18} {row.score:>7.2f} {row.weight:>7.2f}"
                f" {row.total:>7.2f}"
            )
            lines.append(f"[b]{line}[/b]" if won else line)
        lines += [f"[dim]{escape(text)}[/dim]" for text in detail.lines()[len(detail.rows) :]]
        self._scores.update("\n".join(lines))
        self._scores.display = True

    def _show_ranks(self, summary: str, detail: CouncilDetail) -> None:
        """The aggregate of the council's rankings (best first), then each ranking."""
        lines = [
            f"[b]council[/b]: {escape(summary)}",
            f"  {'answer':<18} {'mean rank':>9} {'Borda':>6} {'rankings':>8}",
        ]
        for index, row in enumerate(detail.rows):
            best = index == 0 and row.rankings > 0
            rank = f"{row.mean_rank:>9.2f}" if row.rankings else f"{'–':>9}"
            line = (
                f"{'★' if best else ' '} {escape(row.model[:18]):<18} {rank}"
                f" {row.borda:>6g} {row.rankings:>8}"
            )
            lines.append(f"[b]{line}[/b]" if best else line)
        for run in detail.rankings:
            if run.status == "done":
                rest = "" if run.complete else " (the rest last)"
                ranked = " > ".join(run.ranked_models)
                lines.append(f"[dim]  {escape(run.ranker)} ranked {escape(ranked)}{rest}[/dim]")
        unusable = [f"{r.ranker} ({r.status})" for r in detail.rankings if r.status != "done"]
        if unusable:
            lines.append(f"[dim]rankings not counted: {escape(', '.join(unusable))}[/dim]")
        if detail.excluded:
            names = ", ".join(f"{e.model} ({e.why})" for e in detail.excluded)
            lines.append(f"[dim]not counted: {escape(_short(names, 120))}[/dim]")
        lines.append(f"[dim]the chair, {escape(detail.chair)}, writes the answer from these[/dim]")
        self._ranks.update("\n".join(lines))
        self._ranks.display = True
