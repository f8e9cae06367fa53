"""A pipeline stage: its options, the {names} its instruction uses, and its prompt.

Apart from pipeline.py so the strategy reads as the loop it is; this module is what a
stage sees of the run.
"""

from __future__ import annotations

import re
import string
from dataclasses import dataclass, field

from mmchat.api import LaneResult, ModelRef, StrategyOptions, models_option, option

PREVIEW_CHARS = 120
RESERVED = ("input", "previous")


class Stage(StrategyOptions):
    name: str = option(
        "", "What later stages call this stage's output, as {name} (default stage1, stage2…)"
    )
    model: ModelRef = models_option("local", "The model that runs this stage")
    instruction: str = option(
        "",
        "What this stage does; may name {input} (the request), {previous} or an earlier "
        "stage's output by its name ({draft}). Without any, it gets the request and the "
        "previous stage's output",
    )
    updates: str = option(
        "", "Also keep this output as an earlier stage's (a refine stage updates draft)"
    )
    stop_when: str = option(
        "",
        "End the pipeline when this output matches (a word such as OK, or a regular "
        "expression); the answer is then the pipeline's answer output so far",
    )
    repeat_from: str = option(
        "", "After this stage, go back to the named earlier stage (a refine loop)"
    )
    max_repeats: int = option(1, "How many times repeat_from may go back", ge=0, le=5)


def placeholders(instruction: str) -> list[str]:
    """The {names} an instruction uses (``{{`` escapes a brace)."""
    try:
        fields = [f for _, f, _, _ in string.Formatter().parse(instruction) if f]
    except ValueError:
        return []  # unbalanced braces: taken literally
    return list(dict.fromkeys(fields))


def stop_pattern(text: str) -> re.Pattern[str]:
    """A plain word matches at the start of the output ("OK", "OK." …); anything else
    is a regular expression searched anywhere."""
    if re.fullmatch(r"[\w' -]+", text):
        return re.compile(rf"^\W*{re.escape(text)}\b", re.IGNORECASE)
    return re.compile(text, re.IGNORECASE | re.MULTILINE)


def first_line(text: str) -> str:
    return next((line.strip() for line in text.splitlines() if line.strip()), "")


def preview(text: str) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= PREVIEW_CHARS else flat[: PREVIEW_CHARS - 1] + "…"


@dataclass
class Run:
    """What the stages have written so far, by name."""

    request: str
    outputs: dict[str, LaneResult] = field(default_factory=dict)
    previous: LaneResult | None = None
    last_name: str = ""

    def text(self, name: str) -> str:
        if name == "input":
            return self.request
        if name == "previous":
            return self.previous.text if self.previous else ""
        return self.outputs[name].text if name in self.outputs else ""


def stage_prompt(stage: Stage, run: Run) -> tuple[str, list[str]]:
    """The stage's request and the earlier outputs it names."""
    names = placeholders(stage.instruction)
    instruction = stage.instruction or "Answer the request."
    if not names:  # the classic pipeline: the request and the previous stage's output
        content = f"{instruction}\n\nRequest:\n{run.request}"
        if run.previous is not None:
            content = (
                f"{instruction}\n\nOriginal request:\n{run.request}\n\n"
                f"Output of the previous stage ({run.last_name}):\n{run.previous.text}"
            )
            return content, [run.last_name]
        return content, []
    try:
        content = instruction.format_map({name: run.text(name) for name in names})
    except (KeyError, ValueError, IndexError):
        content = instruction
    if "input" not in names:
        content += f"\n\nOriginal request:\n{run.request}"
    return content, [n for n in names if n != "input"]
