"""Finding Textual private names in source: what tests/tui/test_textual_privates.py uses.

A private name is one Textual defines with a leading underscore (a module, a method,
an attribute); "using" one is importing a private module, reading or writing such an
attribute, or overriding such a method in a subclass of a Textual class. The scan is
by AST, so it sees what the source says, not types: an attribute name counts as
Textual's unless the module's own classes introduce it (a Textual base of theirs does
not define it).
"""

from __future__ import annotations

import ast
import functools
import importlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import textual

__all__ = ["Use", "declared_names", "exists_in_textual", "private_uses", "textual_private_names"]


@dataclass(frozen=True)
class Use:
    line: int
    name: str  # a private module ("textual.widgets._markdown") or an attribute ("_blocks")


def _private(name: str) -> bool:
    return name.startswith("_") and not name.startswith("__")


def _is_private_textual_module(module: str) -> bool:
    parts = module.split(".")
    return parts[0] == "textual" and any(_private(part) for part in parts[1:])


def _defined_names(tree: ast.AST) -> Iterator[str]:
    """Private names a piece of source defines or assigns: defs, classes, attributes
    stored on anything, plain assignments."""
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            yield node.name
        elif isinstance(node, ast.Attribute) and isinstance(node.ctx, ast.Store):
            yield node.attr
        elif isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
            yield node.id


@functools.cache
def textual_private_names() -> frozenset[str]:
    """Every private name defined anywhere in the installed Textual."""
    names: set[str] = set()
    for path in Path(textual.__file__).parent.rglob("*.py"):
        tree = ast.parse(path.read_text("utf-8"))
        names.update(name for name in _defined_names(tree) if _private(name))
    return frozenset(names)


@functools.cache
def _classes_in(module_name: str) -> dict[str, frozenset[str]]:
    """Private names each class of a Textual module defines, by qualified name (its
    source read once: instance attributes only show there)."""
    module = importlib.import_module(module_name)
    path = getattr(module, "__file__", None)
    if path is None or not path.endswith(".py"):
        return {}
    classes: dict[str, frozenset[str]] = {}

    def visit(node: ast.AST, prefix: str) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.ClassDef):
                name = prefix + child.name
                classes[name] = frozenset(n for n in _defined_names(child) if _private(n))
                visit(child, name + ".")

    visit(ast.parse(Path(path).read_text("utf-8")), "")
    return classes


@functools.cache
def _textual_class_names(cls: type) -> frozenset[str]:
    """Private names the Textual classes in ``cls``'s MRO define (also instance
    attributes, which only their source shows)."""
    names: set[str] = set()
    for base in cls.__mro__:
        if not base.__module__.startswith("textual"):
            continue
        names.update(name for name in vars(base) if _private(name))
        names.update(_classes_in(base.__module__).get(base.__qualname__, ()))
    return frozenset(names)


def _introduced(cls: type, node: ast.ClassDef) -> tuple[set[str], set[str]]:
    """(private names the class introduces, Textual private names it overrides)."""
    mine = {name for name in _defined_names(node) if _private(name)} - {node.name}
    textuals = _textual_class_names(cls)
    return mine - textuals, mine & textuals


def private_uses(path: Path, module_name: str) -> list[Use]:
    """Where the module at ``path`` uses a Textual private name."""
    tree = ast.parse(path.read_text("utf-8"))
    uses: list[Use] = []
    imports_textual = False
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                imports_textual |= alias.name.split(".")[0] == "textual"
                if _is_private_textual_module(alias.name):
                    uses.append(Use(node.lineno, alias.name))
        elif isinstance(node, ast.ImportFrom) and node.module:
            imports_textual |= node.module.split(".")[0] == "textual"
            if _is_private_textual_module(node.module):
                uses.append(Use(node.lineno, node.module))
            elif node.module.split(".")[0] == "textual":
                uses.extend(
                    Use(node.lineno, f"{node.module}.{alias.name}")
                    for alias in node.names
                    if _private(alias.name)
                )
    if not imports_textual:
        return uses
    module = importlib.import_module(module_name)
    own: set[str] = set()
    for node in ast.walk(tree):
        cls = getattr(module, node.name, None) if isinstance(node, ast.ClassDef) else None
        if isinstance(node, ast.ClassDef) and isinstance(cls, type):
            introduced, overridden = _introduced(cls, node)
            own |= introduced
            uses.extend(
                Use(item.lineno, item.name)
                for item in node.body
                if isinstance(item, (ast.FunctionDef, ast.AsyncFunctionDef))
                and item.name in overridden
            )
    textual_names = textual_private_names()
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and node.attr in textual_names and node.attr not in own:
            uses.append(Use(node.lineno, node.attr))
    return uses


def declared_names(entries: tuple[str, ...]) -> set[str]:
    """What a seam's PRIVATE_TEXTUAL_NAMES entries allow: private modules and the
    last (private) name of each ``module:Class.attribute``."""
    names: set[str] = set()
    for entry in entries:
        module, _, qualname = entry.partition(":")
        if not qualname:
            names.add(module)
        elif _private(last := qualname.rsplit(".", 1)[-1]):
            names.add(last)
    return names


def exists_in_textual(entry: str) -> bool:
    """Is ``module[:Class.attribute]`` there in the installed Textual? An instance
    attribute counts when a Textual class in the owner's MRO assigns it."""
    module_name, _, qualname = entry.partition(":")
    try:
        owner: object = importlib.import_module(module_name)
    except ImportError:
        return False
    if not qualname:
        return True
    *path, last = qualname.split(".")
    for part in path:
        owner = getattr(owner, part, None)
        if owner is None:
            return False
    if hasattr(owner, last):
        return True
    return isinstance(owner, type) and last in _textual_class_names(owner)
