"""Eval datasets: the built-in sets, user files, and broken lines with their location."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from mmchat.eval.dataset import DatasetError, builtin_names, load_dataset, parse_dataset


def test_the_builtin_sets_load_and_follow_their_readme() -> None:
    assert builtin_names() == ["arithmetic", "choice", "facts"]
    sets = {name: load_dataset(f"builtin:{name}") for name in builtin_names()}
    assert {name: len(d.items) for name, d in sets.items()} == {
        "arithmetic": 40, "choice": 40, "facts": 40,
    }  # fmt: skip
    assert {i.check for i in sets["arithmetic"].items} == {"number"}
    assert {i.check for i in sets["choice"].items} == {"choice"}
    assert sorted(i.answer for i in sets["choice"].items) == sorted("ABCD" * 10)
    facts = [i.check for i in sets["facts"].items]
    assert (facts.count("contains"), facts.count("number")) == (31, 9)
    first = sets["arithmetic"].items[0]
    assert (first.id, first.answer, first.line) == ("arith-01", "12", 1)


def test_the_digest_follows_the_content_not_the_file(tmp_path: Path) -> None:
    line = {"id": "q1", "prompt": "2+2?", "answer": "4", "check": "number"}
    a = tmp_path / "a.jsonl"
    a.write_text(json.dumps(line) + "\n\n")
    b = tmp_path / "b.jsonl"
    b.write_text(json.dumps(line, indent=None, separators=(",", ":")))
    assert load_dataset(str(a)).digest == load_dataset(str(b)).digest
    b.write_text(json.dumps({**line, "answer": "5"}))
    assert load_dataset(str(a)).digest != load_dataset(str(b)).digest


def test_a_user_file_with_numbers_as_answers_and_no_ids(tmp_path: Path) -> None:
    path = tmp_path / "mine.jsonl"
    path.write_text(
        '{"prompt": "6 × 7?", "answer": 42, "check": "number", "topic": "maths"}\n'
        '{"prompt": "Capital of Peru?", "answer": "Lima", "check": "contains"}\n'
    )
    dataset = load_dataset(str(path))
    assert [(i.id, i.answer) for i in dataset.items] == [("line-1", "42"), ("line-2", "Lima")]
    assert dataset.name == str(path) and not dataset.uses_judge


def test_every_broken_line_is_reported_with_its_number(tmp_path: Path) -> None:
    path = tmp_path / "broken.jsonl"
    path.write_bytes(
        b'{"id": "a", "prompt": "ok?", "answer": "yes", "check": "exact"}\n'
        b'{"id": "b", "prompt": "missing a brace", "answer": "1", "check": "number"\n'
        b"\n"
        b'["a", "list"]\n'
        b'{"id": "c", "prompt": "", "answer": "x", "check": "exact"}\n'
        b'{"id": "d", "prompt": "p", "answer": "x", "check": "fuzzy"}\n'
        b'{"id": "e", "prompt": "p", "answer": "n/a", "check": "number"}\n'
        b'{"id": "f", "prompt": "p", "answer": "E or F", "check": "choice"}\n'
        b'{"id": "g", "prompt": "p", "answer": "(unclosed", "check": "regex"}\n'
        b'{"id": "a", "prompt": "again", "answer": "x", "check": "exact"}\n'
        b'{"id": "h", "prompt": "p", "check": "exact"}\n'
        b'{"id": "i", "prompt": "\xff", "answer": "x", "check": "exact"}\n'
    )
    with pytest.raises(DatasetError) as caught:
        load_dataset(str(path))
    message = str(caught.value)
    assert message.splitlines()[0] == f"{path}: 10 broken line(s)"
    for expected in (
        "line 2: not valid JSON",
        "line 4: expected a JSON object, got list",
        'line 5: "prompt" must be a non-empty string',
        'line 6: "check" must be one of exact, number, choice, contains, regex, judge',
        'line 7: "answer" must be a number for check "number"',
        'line 8: "answer" must be one option letter',
        'line 9: "answer" is not a valid regular expression',
        "line 10: id 'a' is already used on line 1",
        'line 11: "answer" must be a string or a number',
        "line 12: not UTF-8 text",
    ):
        assert expected in message, expected


def test_unknown_names_and_missing_files() -> None:
    with pytest.raises(DatasetError, match=r"no built-in dataset 'maths'.*builtin:arithmetic"):
        load_dataset("builtin:maths")
    with pytest.raises(DatasetError, match="arithmetic: no such file; did you mean builtin:arith"):
        load_dataset("arithmetic")
    with pytest.raises(DatasetError, match="no items"):
        parse_dataset(b"\n\n", "empty.jsonl")
