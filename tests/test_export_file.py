"""Export file names from conversation titles: safe on every platform, never hidden,
never replacing another export."""

from __future__ import annotations

from pathlib import Path

import pytest

from mmchat.history.export_file import NAME_BYTES, export_name, write_export


@pytest.mark.parametrize(
    ("title", "expected"),
    [
        ("Plan a trip to Rome", "Plan a trip to Rome"),
        ("../../etc/passwd", "etcpasswd"),  # no separators, no climbing out
        ("a\\b/c:d*e?f", "abcdef"),
        ("line one\nline two\ttab", "line one line two tab"),
        ("bell\x07 and escape\x1b[31m", "bell and escape[31m"),
        ("CON", "CON_"),  # a reserved name on Windows
        ("...hidden", "hidden"),  # never a dot file
        ("   ", "conversation-7"),
        ("", "conversation-7"),
        ("trailing dots...", "trailing dots"),
    ],
)
def test_export_name_is_safe(title: str, expected: str) -> None:
    assert export_name(title, "conversation-7") == expected


def test_long_titles_are_cut_in_bytes() -> None:
    name = export_name("é" * 200, "x")
    assert len(name.encode("utf-8")) <= NAME_BYTES and name == "é" * len(name)


def test_exports_never_replace_each_other(tmp_path: Path) -> None:
    first = write_export(tmp_path, "Same title", ".md", "one", "conversation-1")
    second = write_export(tmp_path, "Same title", ".md", "two", "conversation-1")
    other = write_export(tmp_path, "Same title", ".json", "{}", "conversation-1")
    assert [first.name, second.name, other.name] == [
        "Same title.md", "Same title (2).md", "Same title.json",
    ]  # fmt: skip
    assert first.read_text() == "one" and second.read_text() == "two"
    assert all(p.parent == tmp_path for p in (first, second, other))
