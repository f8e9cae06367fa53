"""Architecture contracts: who may import whom.

The import-linter contracts in pyproject.toml ([tool.importlinter]) say that plugins
see only ``mmchat.api``, that the core, history and providers never import the TUI,
the CLI or Textual, and how the layers stack. This runs them, and checks two things
import-linter does not: every ``mmchat`` module a plugin imports is part of the API
(so a new internal module is covered without editing the contract), and the API
itself imports nothing else of mmchat.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import grimp

ROOT = Path(__file__).resolve().parents[1]


def _graph() -> grimp.ImportGraph:
    return grimp.build_graph("mmchat", "mmchat_strategies", exclude_type_checking_imports=False)


def test_import_linter_contracts_are_kept() -> None:
    lint = Path(sys.executable).with_name("lint-imports")
    result = subprocess.run(
        [str(lint), "--no-cache"], cwd=ROOT, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "broken" in result.stdout and "0 broken" in result.stdout


def test_plugins_import_nothing_of_mmchat_but_the_api() -> None:
    graph = _graph()
    outside = {
        (module, imported)
        for module in graph.find_children("mmchat_strategies") | {"mmchat_strategies"}
        for imported in graph.find_modules_directly_imported_by(module)
        if imported.startswith("mmchat.") and not imported.startswith("mmchat.api")
    }
    assert outside == set()


def test_the_api_imports_nothing_else_of_mmchat() -> None:
    graph = _graph()
    api = graph.find_descendants("mmchat.api") | {"mmchat.api"}
    outside = {
        (module, imported)
        for module in api
        for imported in graph.find_modules_directly_imported_by(module)
        if imported.startswith("mmchat") and imported not in api and imported != "mmchat"
    }
    assert outside == set()
