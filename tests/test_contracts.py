"""Architecture contracts: who may import whom.

The import-linter contracts in pyproject.toml ([tool.importlinter]) say that plugins
see only ``mmchat.api``, that the core, history and providers never import the TUI,
the CLI or Textual, and how the layers stack. This runs them, and checks three things
import-linter does not: every ``mmchat`` module a plugin imports is part of the API
(so a new internal module is covered without editing the contract), that the API
itself imports nothing else of mmchat, and that no module imports itself through
others (TYPE_CHECKING and function-level imports count: a loop is a loop).
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


def _first_cycle(graph: grimp.ImportGraph) -> list[str] | None:
    """A cycle of direct imports (graphlib names the first it meets), or None."""
    from graphlib import CycleError, TopologicalSorter

    order = TopologicalSorter(
        {module: graph.find_modules_directly_imported_by(module) for module in graph.modules}
    )
    try:
        order.prepare()
    except CycleError as exc:
        return list(exc.args[1])
    return None


def test_no_import_cycles() -> None:
    """No module imports itself through others: not at import time, not in a function,
    not for type checking."""
    cycle = _first_cycle(_graph())
    assert cycle is None, f"import cycle: {' -> '.join(cycle or [])}"


def test_the_cycle_check_can_fail(tmp_path: Path) -> None:
    # A two-module package whose cycle goes through an import inside a function.
    package = tmp_path / "loopy"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "a.py").write_text("def f():\n    from loopy import b\n")
    (package / "b.py").write_text("from loopy import a\n")
    sys.path.insert(0, str(tmp_path))
    try:
        graph = grimp.build_graph("loopy")
    finally:
        sys.path.remove(str(tmp_path))
    cycle = _first_cycle(graph)
    assert cycle is not None and set(cycle) == {"loopy.a", "loopy.b"}
