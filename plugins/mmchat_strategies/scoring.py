"""How a judge is asked to score answers 0-10, and how its reply is read.

Apart from ensemble.py so the strategy reads as what it decides; small models reply
with JSON, with "A: 7" lines or with "Answer B - 6/10", and all of them count.
"""

from __future__ import annotations

import re

from mmchat.api.parsing import extract_json, parse_score


def may_judge(judge: str, author: str, judges: list[str]) -> bool:
    """A model scores its own answer only when it is the only judge there is."""
    return judge != author or all(j == author for j in judges)


def judge_prompt(request: str, labelled: list[tuple[str, str]]) -> str:
    shown = "\n\n".join(f"Answer {label}:\n{text}" for label, text in labelled)
    example = ", ".join(f'"{label}": 7' for label, _ in labelled)
    return (
        f"Request:\n{request}\n\n{shown}\n\n"
        "Score each answer from 0 (useless or wrong) to 10 (correct, complete, clear). "
        "Judge content, not length or position. "
        f"Reply with JSON only, like {{{example}}}."
    )


def read_scores(reply: str, labels: list[str]) -> dict[str, float]:
    """Label → score from a JSON object, else from lines like "A: 7" / "Answer B - 6/10"."""
    found: dict[str, float] = {}
    parsed = extract_json(reply)
    if isinstance(parsed, dict):
        for key, value in parsed.items():
            label = str(key).strip().upper().removeprefix("ANSWER").strip()
            score = parse_score(str(value))
            if label in labels and score is not None:
                found[label] = score
    if not found:
        for line in reply.splitlines():
            match = re.match(r"\W*(?:answer\s+)?([A-Z])\b\W*(.*)", line.strip(), re.IGNORECASE)
            if match and match.group(1).upper() in labels:
                score = parse_score(match.group(2))
                if score is not None:
                    found.setdefault(match.group(1).upper(), score)
    return found
