"""Path completion in the attach dialog: a real folder, matched as a shell does."""

from __future__ import annotations

from pathlib import Path

import pytest

from mmchat.tui.path_completion import common_completion, path_matches


def _folder(tmp_path: Path) -> Path:
    for name in ("notes.md", "notes.txt", "Nothing.txt", ".hidden", "photo.png"):
        (tmp_path / name).write_text("x")
    (tmp_path / "notebooks").mkdir()
    return tmp_path


def test_folders_first_then_files_and_hidden_ones_only_when_asked(tmp_path: Path) -> None:
    folder = _folder(tmp_path)
    assert path_matches("no", folder) == ["notebooks/", "notes.md", "notes.txt"]
    assert path_matches(".h", folder) == [".hidden"]
    assert ".hidden" not in path_matches("", folder)
    assert path_matches(f"{folder}/ph") == [f"{folder}/photo.png"]  # absolute, as typed


def test_tab_completes_as_far_as_the_matches_agree(tmp_path: Path) -> None:
    folder = _folder(tmp_path)
    assert common_completion("notes", folder) == "notes."
    assert common_completion("p", folder) == "photo.png"
    assert common_completion("zzz", folder) == "zzz"  # nothing matches: left as typed
    assert path_matches("missing/x", folder) == []


def test_the_list_is_capped_but_tab_looks_at_every_match(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from mmchat.tui import path_completion

    for name in ("log_a", "log_b", "log_c"):
        (tmp_path / name).write_text("x")
    assert len(path_matches("log_", tmp_path, limit=2)) == 2
    monkeypatch.setattr(path_completion, "MAX_MATCHES", 1)  # whichever one is listed...
    assert common_completion("l", tmp_path) == "log_"  # ...tab agrees with all three
