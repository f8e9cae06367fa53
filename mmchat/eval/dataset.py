"""Eval datasets: JSONL files of questions with known answers.

One JSON object per line: ``{"prompt", "answer", "check", "id"?}`` (see
``datasets/README.md`` and docs/eval.md). ``builtin:NAME`` names a set shipped inside
the package (read with :mod:`importlib.resources`, so it works from a wheel); anything
else is a path. Every broken line is reported with its line number, all at once, and
nothing runs until the file is right.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any, Literal, TypeAlias, get_args

__all__ = [
    "BUILTIN_PREFIX",
    "CheckKind",
    "Dataset",
    "DatasetError",
    "Item",
    "builtin_names",
    "load_dataset",
    "parse_dataset",
]

CheckKind: TypeAlias = Literal["exact", "number", "choice", "contains", "regex", "judge"]
CHECKS: tuple[str, ...] = get_args(CheckKind)
BUILTIN_PREFIX = "builtin:"
MAX_REPORTED = 20  # broken lines listed in one error (the count says how many more)


class DatasetError(Exception):
    """A dataset that cannot be used; the message names the file and every broken line."""


@dataclass(frozen=True, slots=True)
class Item:
    id: str
    prompt: str
    answer: str
    check: CheckKind
    line: int  # where it is in the file (1-based)


@dataclass(frozen=True, slots=True)
class Dataset:
    name: str  # as the user named it: "builtin:arithmetic" or a path
    items: tuple[Item, ...]
    digest: str  # sha256 (hex) of every item's id, prompt, answer and check, in order

    def first(self, limit: int | None) -> tuple[Item, ...]:
        return self.items if limit is None else self.items[:limit]

    @property
    def uses_judge(self) -> bool:
        return any(item.check == "judge" for item in self.items)


def builtin_names() -> list[str]:
    folder = resources.files("mmchat.eval") / "datasets"
    return sorted(
        entry.name.removesuffix(".jsonl")
        for entry in folder.iterdir()
        if entry.name.endswith(".jsonl")
    )


def load_dataset(spec: str) -> Dataset:
    """Read ``builtin:NAME`` or a JSONL file (raises DatasetError)."""
    if spec.startswith(BUILTIN_PREFIX):
        name = spec.removeprefix(BUILTIN_PREFIX)
        known = builtin_names()
        if name not in known:
            raise DatasetError(
                f"no built-in dataset {name!r} (built in: "
                f"{', '.join(BUILTIN_PREFIX + n for n in known)})"
            )
        data = (resources.files("mmchat.eval") / "datasets" / f"{name}.jsonl").read_bytes()
        return parse_dataset(data, spec)
    path = Path(spec).expanduser()
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        hint = ""
        if not path.suffix and spec in builtin_names():
            hint = f"; did you mean {BUILTIN_PREFIX}{spec}?"
        raise DatasetError(f"{spec}: no such file{hint}") from None
    except OSError as exc:
        raise DatasetError(f"{spec}: cannot read it: {exc.strerror or exc}") from None
    return parse_dataset(data, spec)


def parse_dataset(data: bytes, name: str) -> Dataset:
    """Items from JSONL bytes; every problem is collected with its line number."""
    items: list[Item] = []
    problems: list[str] = []
    seen: dict[str, int] = {}
    for number, raw in enumerate(data.split(b"\n"), start=1):
        if not raw.strip():
            continue
        try:
            item = _item(raw, number)
        except ValueError as exc:
            problems.append(f"line {number}: {exc}")
            continue
        if item.id in seen:
            first = seen[item.id]
            problems.append(f"line {number}: id {item.id!r} is already used on line {first}")
            continue
        seen[item.id] = number
        items.append(item)
    if problems:
        lines = [f"{name}: {len(problems)} broken line(s)"]
        lines += [f"  {problem}" for problem in problems[:MAX_REPORTED]]
        if len(problems) > MAX_REPORTED:
            lines.append(f"  … and {len(problems) - MAX_REPORTED} more")
        raise DatasetError("\n".join(lines))
    if not items:
        raise DatasetError(f"{name}: no items (one JSON object per line)")
    return Dataset(name, tuple(items), _digest(items))


def _item(raw: bytes, number: int) -> Item:
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise ValueError("not UTF-8 text") from None
    try:
        obj: Any = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ValueError(f"not valid JSON ({exc.msg} at column {exc.colno})") from None
    if not isinstance(obj, dict):
        raise ValueError(f"expected a JSON object, got {type(obj).__name__}")
    prompt = obj.get("prompt")
    if not isinstance(prompt, str) or not prompt.strip():
        raise ValueError('"prompt" must be a non-empty string')
    answer = _text(obj.get("answer"), "answer")
    check = obj.get("check")
    if check not in CHECKS:
        raise ValueError(f'"check" must be one of {", ".join(CHECKS)} (got {check!r})')
    item_id = _text(obj["id"], "id") if "id" in obj else f"line-{number}"
    _check_answer(check, answer)
    return Item(item_id, prompt, answer, check, number)


def _text(value: object, field: str) -> str:
    """A string field; numbers are accepted and kept as written ("answer": 12)."""
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise ValueError(f'"{field}" must be a string or a number')
    text = str(value).strip()
    if not text:
        raise ValueError(f'"{field}" is empty')
    return text


def _check_answer(check: str, answer: str) -> None:
    """The answer has the form its check needs (a number, a letter, a valid regex)."""
    if check == "number":
        from mmchat.api.answers import extract_answer

        if extract_answer(answer).kind != "number":
            raise ValueError(f'"answer" must be a number for check "number" (got {answer!r})')
    elif check == "choice" and not re.fullmatch(r"[A-Ha-h]", answer):
        raise ValueError(f'"answer" must be one option letter A–H for check "choice" ({answer!r})')
    elif check == "regex":
        try:
            re.compile(answer)
        except re.error as exc:
            raise ValueError(f'"answer" is not a valid regular expression: {exc}') from None


def _digest(items: list[Item]) -> str:
    canonical = json.dumps(
        [[i.id, i.prompt, i.answer, i.check] for i in items], ensure_ascii=False
    ).encode()
    return hashlib.sha256(canonical).hexdigest()
