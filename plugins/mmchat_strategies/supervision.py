"""Supervision as data: tasks and who has them, the prompts a supervisor gets, and how
its replies are read (assignments, per-task verdicts). Lenient: a reply that cannot be
read gives None or nothing, and the supervisor strategy falls back visibly."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from mmchat.api import LaneResult
from mmchat.api.parsing import extract_json, pick_category

MAX_ASSIGNMENTS = 8


@dataclass
class Assignment:
    id: str
    worker: int  # index into the workers list
    task: str
    result: LaneResult | None = None
    tried: list[int] = field(default_factory=list)  # workers that had it (failed, rejected)
    feedback: str = ""  # the review's word on the last attempt
    previous: str = ""  # the last attempt's text, shown with the feedback
    verdict: str = ""  # accept | revise | reassign, once reviewed

    @property
    def done(self) -> bool:
        return self.result is not None and self.result.ok and bool(self.result.text.strip())


def assignment_prompt(request: str, names: list[str]) -> str:
    return (
        f"You supervise these workers: {', '.join(names)}. Split the request below into "
        "sub-tasks and assign each to a worker. Reply with a JSON array only, like "
        f'[{{"worker": "{names[0]}", "task": "complete instructions"}}].\n\nRequest:\n{request}'
    )


def parse_assignments(reply: str, names: list[str]) -> list[Assignment]:
    parsed = extract_json(reply)
    if isinstance(parsed, dict):
        parsed = parsed.get("assignments") or parsed.get("tasks") or [parsed]
    found: list[Assignment] = []
    for item in parsed if isinstance(parsed, list) else []:
        if not isinstance(item, dict) or not str(item.get("task") or "").strip():
            continue
        who = str(item.get("worker", ""))
        pick = pick_category(who, names)
        index = names.index(pick.category) if pick else len(found) % len(names)
        if who.strip().isdigit() and 1 <= int(who) <= len(names):
            index = int(who) - 1
        found.append(Assignment(f"t{len(found) + 1}", index, str(item["task"]).strip()))
    return found[:MAX_ASSIGNMENTS]


def worker_prompt(request: str, a: Assignment) -> str:
    """The task, the overall request and, on a second attempt, what the review said."""
    prompt = f"{a.task}\n\n(Overall request: {request})"
    if a.feedback and a.previous.strip():
        prompt += f"\n\nA previous answer to this task:\n{a.previous}"
    if a.feedback:
        prompt += f"\n\nThe reviewer's feedback:\n{a.feedback}"
    return prompt


def results_text(assignments: list[Assignment], names: list[str]) -> str:
    parts = []
    for a in assignments:
        body = a.result.text if a.done and a.result else f"(failed: {a.result and a.result.error})"
        parts.append(f"### {a.id} ({names[a.worker]}): {a.task}\n{body}")
    return "\n\n".join(parts)


def readable_results(done: list[Assignment]) -> str:
    """The workers' results for the user when no final answer could be written."""
    return "\n\n".join(f"**{a.task.splitlines()[0]}**\n\n{a.result.text}" for a in done if a.result)


VERDICTS = ("accept", "revise", "reassign")
_VERDICT_LINE = re.compile(
    r"^\W*(t\d+)\W+(accept|revise|reassign)\w*\b[\s:,.\-–—]*(.*)$", re.IGNORECASE
)


def review_prompt(request: str, assignments: list[Assignment], names: list[str]) -> str:
    ids = [a.id for a in assignments]
    example = ", ".join(f'"{i}": {{"verdict": "accept", "feedback": ""}}' for i in ids[:2])
    return (
        f"Request:\n{request}\n\nYour workers' results:\n\n{results_text(assignments, names)}"
        "\n\nJudge each task on its own. For each one choose: accept (good enough), "
        "revise (the same worker tries again: say exactly what to fix), or reassign "
        "(another worker should do it: say why). Reply with JSON only, one entry per "
        f"task ({', '.join(ids)}), like {{{example}}}."
    )


def read_verdicts(reply: str, ids: list[str]) -> dict[str, tuple[str, str]] | None:
    """Task id → (verdict, feedback), for every task; None when the reply says nothing
    readable about every one of them."""
    found: dict[str, tuple[str, str]] = {}
    parsed = extract_json(reply)
    if isinstance(parsed, dict):
        parsed = parsed.get("tasks") or parsed.get("verdicts") or parsed
    items: list[tuple[str, Any]] = []
    if isinstance(parsed, dict):
        items = [(str(k), v) for k, v in parsed.items()]
    elif isinstance(parsed, list):
        items = [
            (str(v.get("task") or v.get("id") or ""), v) for v in parsed if isinstance(v, dict)
        ]
    for task, value in items:
        entry = value if isinstance(value, dict) else {"verdict": value}
        verdict = str(entry.get("verdict") or "").strip().lower()
        if task in ids and verdict in VERDICTS:
            found[task] = (verdict, str(entry.get("feedback") or entry.get("why") or "").strip())
    if not found:
        for line in reply.splitlines():
            match = _VERDICT_LINE.match(line.strip())
            if match and match.group(1).lower() in ids:
                found[match.group(1).lower()] = (match.group(2).lower(), match.group(3).strip())
    return found if set(found) == set(ids) else None
