"""What counts as a comparison of models (pure functions: no store, no I/O).

- **A pick.** Picking pane X of a fan-out (or any side-by-side turn) over panes Y and
  Z is a win of X's model against Y's and against Z's. Only panes that answered count
  (role "answer", done, with text): a failed pane lost nothing on quality. Picking
  again replaces the first pick. A pane of the same model as X is not a comparison.
- **An outcome the user kept.** When the user goes on from (sends the next message
  after) a vote, consensus or ensemble answer, the models whose answer won count as
  winning against the others: vote's winning group against every other group (a tie
  counts nothing); consensus's agreeing group when it accepted (an escalation counts
  nothing: nobody won); ensemble's winner against every other scored answer (in sum
  mode, the winning group against the rest). An ensemble whose weights were learned
  from these ratings counts nothing: its outcome already follows the ratings, and
  counting it would feed them back into themselves.
- Not a comparison: the default pane of a fan-out the user did not pick (it is first
  by position, not by merit), a regenerated answer, a turn that failed or stopped.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Protocol

from mmchat.api import ConsensusDetail, Decision, ScoresDetail, Tally, VoteDetail

__all__ = ["Pair", "outcome_pairs", "pick_pairs"]

Pair = tuple[str, str]  # (winner, loser): model aliases


class _Lane(Protocol):
    @property
    def lane(self) -> str: ...
    @property
    def model(self) -> str: ...
    @property
    def role(self) -> str: ...
    @property
    def status(self) -> str: ...
    @property
    def text(self) -> str: ...


def pick_pairs(lanes: Sequence[_Lane], picked: str) -> list[Pair]:
    """The pairs of picking lane ``picked`` over the turn's other answers."""
    answered = [
        lane for lane in lanes if lane.role == "answer" and lane.status == "done" and lane.text
    ]
    winner = next((lane for lane in answered if lane.lane == picked), None)
    if winner is None:
        return []
    return [(winner.model, lane.model) for lane in answered if lane.model != winner.model]


def outcome_pairs(decisions: Iterable[Decision]) -> list[Pair]:
    """The pairs of a turn's own outcome (vote, consensus, ensemble), from its decisions;
    decisions of sub-presets (``scope``) are steps, not the outcome the user kept."""
    pairs: list[Pair] = []
    for decision in decisions:
        if decision.scope:
            continue
        detail = decision.detail
        if isinstance(detail, VoteDetail) and not detail.tie and detail.winner:
            pairs += _group_pairs(detail.tally, detail.winner)
        elif isinstance(detail, ConsensusDetail) and detail.accepted and detail.tally.groups:
            lanes = detail.tally.groups[0].lanes
            pairs += _group_pairs(detail.tally, lanes[0] if lanes else "")
        elif isinstance(detail, ScoresDetail) and detail.winner and detail.weights != "learned":
            pairs += _score_pairs(detail)
    return pairs


def _group_pairs(tally: Tally, winner_lane: str) -> list[Pair]:
    won = next((g for g in tally.groups if winner_lane in g.lanes), None)
    if won is None:
        return []
    lost = [m for g in tally.groups if g is not won for m in g.models]
    return [(w, lo) for w in won.models for lo in lost if w != lo]


def _score_pairs(detail: ScoresDetail) -> list[Pair]:
    top = next((row for row in detail.rows if row.lane == detail.winner), None)
    if top is None:
        return []
    if detail.mode == "sum" and top.group:
        won = [row for row in detail.rows if row.group == top.group]
    else:
        won = [top]
    lost = [row for row in detail.rows if row not in won]
    return [(w.model, lo.model) for w in won for lo in lost if w.model != lo.model]
