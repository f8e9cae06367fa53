"""A plan as data: its steps, how a planner's reply is read, and how a plan is checked.

Small models copy the example they were shown ("short title" in every step), repeat
steps, and name dependencies that do not exist or go in a circle. :func:`validate`
repairs what it can and says what it did, so the plan that runs is one a user can
read and the tree shows real step names.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from mmchat.api import Context, LaneResult, Message, PlannedCall, PlanState, PlanStepInfo
from mmchat.api.parsing import extract_json, numbered_items

STEP_TYPES = ("code", "math", "search", "writing", "general")
TITLE_WORDS = 8
# What planners copy from the instructions instead of writing their own.
_PLACEHOLDER = re.compile(
    r"^\W*(?:short\s+title|title|step\s+title|a\s+few\s+words.*|step|task|todo|tbd|\.{3}|…"
    r"|complete\s+instructions.*|instructions?|step\s*\d+|s\d+)\W*$",
    re.IGNORECASE,
)


@dataclass
class Step:
    id: str
    title: str
    type: str = "general"
    prompt: str = ""
    depends_on: list[str] = field(default_factory=list)

    def info(self) -> PlanStepInfo:
        return PlanStepInfo(self.id, self.title, self.type, self.prompt, tuple(self.depends_on))


def plan_prompt(request: str, max_steps: int) -> str:
    return (
        f"Break the request below into at most {max_steps} steps (a simple request needs "
        "one). Reply with a JSON array only. Each step is an object with: id (s1, s2, …), "
        "title (a few words of your own naming what the step does), type (one of "
        f"{', '.join(STEP_TYPES)}), prompt (complete instructions for whoever does the "
        "step) and depends_on (the ids of earlier steps whose results it needs; keep steps "
        f"independent where you can).\n\nRequest:\n{request}"
    )


def is_placeholder(text: str) -> bool:
    return not text.strip() or bool(_PLACEHOLDER.match(text.strip().strip("<>[]{}\"'")))


def to_steps(items: list[Any], request: str, *, prefix: str = "s") -> list[Step]:
    """Whatever the planner (or the user's edit) gave, as steps with unique ids."""
    steps: list[Step] = []
    for number, item in enumerate(items, start=1):
        entry = item if isinstance(item, dict) else {"title": str(item)}
        raw_id = str(entry.get("id") or f"{prefix}{number}")
        step_id = raw_id if raw_id not in {s.id for s in steps} else f"{raw_id}-{number}"
        title = str(entry.get("title") or "").strip()
        kind = str(entry.get("type") or "general").lower().strip()
        deps = entry.get("depends_on") or []
        steps.append(
            Step(
                id=step_id,
                title=title,
                type=kind if kind in STEP_TYPES else "general",
                prompt=str(entry.get("prompt") or "").strip(),
                depends_on=[str(d) for d in deps] if isinstance(deps, list) else [str(deps)],
            )
        )
    return steps


def one_step(request: str) -> list[Step]:
    return [Step("s1", "answer the request", "general", request)]


def parse_plan(reply: str, request: str) -> tuple[list[Step], str]:
    """(steps, how it was read): "json", "list", or "fallback" (one step)."""
    parsed = extract_json(reply)
    if isinstance(parsed, dict):
        parsed = parsed.get("steps") or parsed.get("plan") or [parsed]
    if isinstance(parsed, list) and parsed:
        return to_steps(parsed, request), "json"
    items = numbered_items(reply)
    if items:
        return to_steps(items, request), "list"
    return one_step(request), "fallback"


def _title_from(prompt: str) -> str:
    words = prompt.split()
    return " ".join(words[:TITLE_WORDS]) + ("…" if len(words) > TITLE_WORDS else "")


def validate(
    steps: list[Step], max_steps: int, *, known: set[str] | frozenset[str] = frozenset()
) -> tuple[list[Step], list[str]]:
    """The plan made runnable, and what was fixed (in words).

    Placeholder titles are replaced by the step's own words (a step with neither a
    title nor a prompt of its own is dropped), repeated steps are dropped, the plan is
    cut to ``max_steps``, and dependencies must name an earlier step (or one of
    ``known``: steps that already ran) — others are dropped, which also breaks cycles.
    """
    problems: list[str] = []
    kept: list[Step] = []
    seen: dict[str, str] = {}  # normalized step -> id kept
    renamed: dict[str, str] = {}  # dropped duplicate id -> the id kept
    for step in steps:
        placeholder_title = is_placeholder(step.title)
        placeholder_prompt = is_placeholder(step.prompt)
        if placeholder_title and placeholder_prompt:
            problems.append(f"{step.id} said nothing of its own (copied the example): dropped")
            continue
        if placeholder_title:
            if step.title:
                problems.append(f"{step.id}'s title {step.title!r} was a placeholder")
            step.title = _title_from(step.prompt)
        if placeholder_prompt:
            step.prompt = step.title
        step.title = step.title[:80]
        key = " ".join(f"{step.title} {step.prompt}".lower().split())
        if key in seen:
            problems.append(f"{step.id} repeated {seen[key]}: dropped")
            renamed[step.id] = seen[key]
            continue
        seen[key] = step.id
        kept.append(step)
    if len(kept) > max_steps:
        problems.append(f"{len(kept) - max_steps} step(s) over the limit of {max_steps} dropped")
        kept = kept[:max_steps]
    earlier: set[str] = set(known)
    for step in kept:
        wanted = [renamed.get(d, d) for d in dict.fromkeys(step.depends_on)]
        good = [d for d in wanted if d in earlier and d != step.id]
        bad = [d for d in wanted if d not in good]
        if bad:
            problems.append(
                f"{step.id} depended on {', '.join(bad)}, not an earlier step: dependency dropped"
            )
        step.depends_on = list(dict.fromkeys(good))
        earlier.add(step.id)
    return kept, problems


def replan_prompt(
    request: str, steps: list[Step], states: Mapping[str, str], texts: Mapping[str, str]
) -> str:
    lines = []
    for step in steps:
        state = states.get(step.id, "queued")
        result = f"\n{texts[step.id]}" if state == "done" and step.id in texts else ""
        lines.append(f"### {step.id} ({state}): {step.title}{result}")
    return (
        f"Request:\n{request}\n\nA plan for it ran; some steps failed:\n\n"
        + "\n\n".join(lines)
        + "\n\nWrite a new plan for only what is still missing, as a JSON array in the same "
        "form as before (id, title, type, prompt, depends_on). Its steps may depend on the "
        "done steps above by their ids. Reply [] if nothing more is needed."
    )


def plan_calls(
    planner: str, executors: list[str], max_steps: int, replan: bool
) -> list[PlannedCall]:
    """Every call a plan may make, at most: the plan, ``max_steps`` steps (any executor
    may take any step; a step may read every earlier one), a replan with as many steps
    again, and the synthesis reading them all."""
    models = executors or [planner]
    calls = [PlannedCall(planner)]
    steps: list[str] = []
    for _ in range(2 if replan else 1):
        if steps:
            calls.append(PlannedCall(planner, tuple(steps)))  # the replan reads the results
        for n in range(max_steps):
            calls.append(PlannedCall(models[n % len(models)], tuple(steps)))
            steps.append(models[n % len(models)])
    return [*calls, PlannedCall(planner, tuple(steps))]


def step_messages(ctx: Context, step: Step, results: dict[str, LaneResult]) -> list[Message]:
    earlier = "".join(
        f"\n\n### {dep}\n{results[dep].text}" for dep in step.depends_on if dep in results
    )
    content = (
        f"You are doing one step of a larger plan.\n\nOverall request:\n{ctx.prompt}\n\n"
        f"Your step ({step.title}):\n{step.prompt}"
        + (f"\n\nResults of the steps this one builds on:{earlier}" if earlier else "")
    )
    return [*ctx.messages[:-1], Message("user", content)]


def synthesis_messages(
    ctx: Context, steps: list[Step], state: dict[str, PlanState], results: dict[str, LaneResult]
) -> list[Message]:
    done = "".join(
        f"\n\n### {s.id}: {s.title}\n{results[s.id].text}" for s in steps if state[s.id] == "done"
    )
    missing = [f"{s.id} ({s.title}): {state[s.id]}" for s in steps if state[s.id] != "done"]
    content = (
        f"{ctx.prompt}\n\n---\nResults of the plan's steps:{done or ' (none)'}\n\n"
        + (f"Steps that failed or were skipped: {'; '.join(missing)}. " if missing else "")
        + "Write the final answer to the request using these results"
        + ("; say what is missing if it matters." if missing else ".")
    )
    return [*ctx.messages[:-1], Message("user", content)]
