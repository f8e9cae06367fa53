"""Textual's private names are used in two places only, each listing what it uses.

``mmchat.tui.markdown`` and ``mmchat.tui.runtime`` each declare
``PRIVATE_TEXTUAL_NAMES`` (and the ``PRIVATE_MODULES`` that use them). After a Textual
upgrade, a failing entry here names what to port; ``MMCHAT_MARKDOWN=stock`` runs the
app without any of it meanwhile (test_markdown_modes.py).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from mmchat.tui import markdown, runtime
from tests.tui.textual_privates import (
    declared_names,
    exists_in_textual,
    private_uses,
)

ROOT = Path(__file__).resolve().parents[2]
SEAMS = {"mmchat.tui.markdown": markdown, "mmchat.tui.runtime": runtime}


def _modules() -> dict[str, Path]:
    modules = {}
    for path in sorted((ROOT / "mmchat").rglob("*.py")):
        name = ".".join(path.relative_to(ROOT).with_suffix("").parts)
        modules[name.removesuffix(".__init__")] = path
    return modules


def _seam_of(module: str) -> str | None:
    return next((seam for seam in SEAMS if module == seam or module.startswith(seam + ".")), None)


@pytest.mark.parametrize(
    "entry",
    [*markdown.PRIVATE_TEXTUAL_NAMES, *runtime.PRIVATE_TEXTUAL_NAMES],
)
def test_every_private_name_the_seams_use_exists_in_the_installed_textual(entry: str) -> None:
    assert exists_in_textual(entry), f"{entry} is gone from Textual: port the code that uses it"


def test_no_module_outside_the_seams_uses_a_textual_private_name() -> None:
    outside = {
        module: sorted({f"line {use.line}: {use.name}" for use in private_uses(path, module)})
        for module, path in _modules().items()
        if _seam_of(module) is None
    }
    assert {module: uses for module, uses in outside.items() if uses} == {}


@pytest.mark.parametrize("seam", list(SEAMS))
def test_each_seam_lists_exactly_the_private_names_and_modules_it_uses(seam: str) -> None:
    uses = {
        module: {use.name for use in private_uses(path, module)}
        for module, path in _modules().items()
        if _seam_of(module) == seam
    }
    used = set().union(*uses.values())
    declared = declared_names(SEAMS[seam].PRIVATE_TEXTUAL_NAMES)
    assert used - declared == set(), "used but not listed in PRIVATE_TEXTUAL_NAMES"
    assert declared - used == set(), "listed in PRIVATE_TEXTUAL_NAMES but no longer used"
    assert set(SEAMS[seam].PRIVATE_MODULES) == {module for module, names in uses.items() if names}


def test_the_scan_finds_imports_attributes_and_overrides(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The check above can fail: each kind of use in a small module is found, and the
    module's own private names are not."""
    source = """
from textual.widgets import TextArea
from textual.widgets._markdown import MarkdownBlock


class Prompt(TextArea):
    def __init__(self) -> None:
        super().__init__()
        self._mine = MarkdownBlock

    async def _on_key(self, event: object) -> None:  # TextArea's private key handler
        await super()._on_key(event)


def region(screen: object) -> object:
    return screen._compositor, Prompt()._mine
"""
    (tmp_path / "uses_privates.py").write_text(source)
    monkeypatch.syspath_prepend(str(tmp_path))
    uses = private_uses(tmp_path / "uses_privates.py", "uses_privates")
    assert {use.name for use in uses} == {"textual.widgets._markdown", "_on_key", "_compositor"}
