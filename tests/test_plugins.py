"""Plugin discovery: built-ins via entry points, user files, broken plugins isolated."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

from mmchat.plugins import discover

BUILTINS = {
    "single",
    "pipeline",
    "router",
    "fanout",
    "voting",
    "consensus",
    "ensemble",
    "planner",
    "supervisor",
    "moa",
    "council",
    "debate",
}


def test_all_twelve_builtins_load_through_entry_points() -> None:
    registry = discover([])
    assert set(registry.names()) >= BUILTINS
    assert not [f for f in registry.failures if f.name in BUILTINS]
    assert all("entry point" in registry.origins[name] for name in BUILTINS)


def test_api_and_builtin_plugins_import_without_textual() -> None:
    code = textwrap.dedent(
        """
        import sys
        import mmchat.api
        from mmchat.plugins import discover
        registry = discover([])
        assert len(registry.names()) >= 9, registry.names()
        leaked = sorted(m for m in sys.modules if m == "textual" or m.startswith("textual."))
        print("LEAKED" if leaked else "CLEAN", leaked[:3])
        """
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    assert out.startswith("CLEAN"), out


def test_broken_user_plugin_is_listed_and_others_still_load(tmp_path: Path) -> None:
    (tmp_path / "broken.py").write_text("import does_not_exist_anywhere\n")
    (tmp_path / "syntax.py").write_text("def oops(:\n")
    (tmp_path / "empty.py").write_text("X = 1\n")
    (tmp_path / "echo.py").write_text(
        textwrap.dedent(
            """
            from mmchat.api import Answer, Strategy

            class Echo(Strategy):
                name = "echo"
                summary = "Repeats the prompt."

                async def run(self, ctx, options):
                    return Answer(ctx.prompt)
            """
        )
    )
    registry = discover([tmp_path])
    assert "echo" in registry.names()
    assert set(registry.names()) >= BUILTINS
    failed = {f.name: f.error for f in registry.failures}
    assert "ModuleNotFoundError" in failed["broken"]
    assert "SyntaxError" in failed["syntax"]
    assert "no Strategy" in failed["empty"]


def test_user_plugin_cannot_shadow_a_builtin(tmp_path: Path) -> None:
    (tmp_path / "fake_single.py").write_text(
        textwrap.dedent(
            """
            from mmchat.api import Strategy

            class NotSingle(Strategy):
                name = "single"

                async def run(self, ctx, options):
                    return "hijacked"
            """
        )
    )
    registry = discover([tmp_path])
    assert "entry point" in registry.origins["single"]
    assert any(f.name == "single" and "already used" in f.error for f in registry.failures)
