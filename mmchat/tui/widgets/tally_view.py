"""Voting / consensus / ensemble: member answers, tally and agreement vs threshold,
escalation and why, and the score × weight table."""

from __future__ import annotations

from typing import Any

from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import Collapsible, Static

from mmchat.api import LaneClosed, LaneOpened, LaneRetrying
from mmchat.tui import markdown
from mmchat.tui.widgets.fmt import escape
from mmchat.tui.widgets.lane_pane import STATUS_MARKS
from mmchat.tui.widgets.lane_state import LaneInfo, Throttle

__all__ = ["TallyView", "agreement_bar"]

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


def _number(value: Any) -> float | None:
    return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else None


def _tally_lines(tally: Any) -> list[str]:
    if isinstance(tally, dict):
        items = sorted(tally.items(), key=lambda kv: -(_number(kv[1]) or 0))
        return [f"  {escape(str(v))} × {escape(_short(k))}" for k, v in items]
    if isinstance(tally, list):
        lines = []
        for entry in tally:
            if isinstance(entry, dict):
                answer = entry.get("answer", entry.get("text", entry.get("cluster", "?")))
                count = entry.get("count", entry.get("votes", len(entry.get("lanes", []) or [])))
                lanes = entry.get("models") or entry.get("lanes") or []
                who = f" ({', '.join(map(str, lanes))})" if lanes else ""
                lines.append(f"  {escape(str(count))} × {escape(_short(answer))}{escape(who)}")
            else:
                lines.append(f"  {escape(_short(entry))}")
        return lines
    return [f"  {escape(_short(tally))}"] if tally else []


def _who(items: Any) -> str:
    """``model (why), ...`` for a list of {lane, model, why} dicts."""
    if not isinstance(items, list):
        return _short(items)
    parts = []
    for item in items:
        if isinstance(item, dict):
            name = item.get("model") or item.get("lane") or "?"
            why = item.get("why") or item.get("error")
            parts.append(f"{name} ({why})" if why else str(name))
        else:
            parts.append(str(item))
    return _short(", ".join(parts), 120)


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
    """

    def __init__(self) -> None:
        super().__init__()
        self.members: dict[str, _Member] = {}
        self._members_box = Vertical(classes="tally-members")
        self._members_box.styles.height = "auto"
        self._summary = Static(classes="tally-summary")
        self._escalation = Static(classes="tally-escalation")
        self._scores = Static(classes="tally-scores")

    def compose(self) -> ComposeResult:
        yield self._members_box
        yield self._summary
        yield self._escalation
        yield self._scores

    def on_mount(self) -> None:
        for widget in (self._summary, self._escalation, self._scores):
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
    def show_decision(self, kind: str, summary: str, detail: dict[str, Any]) -> None:
        if kind == "scores":
            self._show_scores(summary, detail)
            return
        if kind == "escalation":
            failed = detail.get("status") == "failed"
            colour = "$error" if failed else "$warning"
            self._escalation.update(f"[{colour}]⇪ {escape(summary)}[/]")
            self._escalation.display = True
            return
        lines = [f"[b]{escape(kind)}[/b]: {escape(summary)}"]
        agreement = _number(detail.get("agreement"))
        if agreement is not None:
            lines.append("agreement " + agreement_bar(agreement, _number(detail.get("threshold"))))
        lines += _tally_lines(detail.get("tally"))
        excluded = detail.get("excluded") or detail.get("failed")
        if excluded:
            lines.append(f"[dim]excluded: {escape(_who(excluded))}[/dim]")
        self._summary.update("\n".join(lines))
        self._summary.display = True
        if "escalated" in detail:
            reason = escape(str(detail.get("reason") or ""))
            if detail.get("escalated"):
                target = detail.get("to") or detail.get("model") or ""
                to = f" to {escape(str(target))}" if target else ""
                self._escalation.update(f"⇪ [b]escalated[/b]{to}: {reason}")
            else:
                self._escalation.update(f"[$success]✓ not escalated[/]: {reason}")
            self._escalation.display = True

    def _show_scores(self, summary: str, detail: dict[str, Any]) -> None:
        rows = detail.get("rows") or []
        winner = detail.get("winner")
        lines = [
            f"[b]scores[/b]: {escape(summary)}",
            f"  {'model':<18} {'score':>7} {'weight':>7} {'total':>7}",
        ]
        for row in rows if isinstance(rows, list) else []:
            if not isinstance(row, dict):
                continue
            name = str(row.get("model") or row.get("lane") or "?")
            won = winner is not None and winner in (row.get("lane"), row.get("model"))
            cells = [_cell(row.get(k)) for k in ("score", "weight", "total")]
            star = "★" if won else " "
            line = f"{star} {escape(name[:18]):<18} {cells[0]:>7} {cells[1]:>7} {cells[2]:>7}"
            lines.append(f"[b]{line}[/b]" if won else line)
        self._scores.update("\n".join(lines))
        self._scores.display = True


def _cell(value: Any) -> str:
    number = _number(value)
    if number is None:
        return "–" if value is None else str(value)[:7]
    return f"{number:.2f}"
