"""The one error a config file that cannot be used gives: every problem, located.

Kept apart from ``config.py`` (which imports pydantic and the schema) so that reading
the file safely (``config_file.py``) needs nothing but the standard library.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

__all__ = ["ConfigError", "ConfigProblem"]

# A garbage file can have thousands of problems; the first ones say what is wrong.
MAX_SHOWN = 50


@dataclass(frozen=True, slots=True)
class ConfigProblem:
    key: str  # dotted key path, "" when the whole file is concerned
    message: str
    line: int | None = None

    def __str__(self) -> str:
        where = f"line {self.line}: " if self.line else ""
        key = f"{self.key}: " if self.key else ""
        return f"{where}{key}{self.message}"


class ConfigError(Exception):
    """A config file that cannot be used. ``str()`` is the whole user-facing message."""

    def __init__(self, path: Path, problems: list[ConfigProblem], header: str = "") -> None:
        self.path = path
        self.problems = problems
        self.header = header or f"Invalid config file {path}"
        super().__init__(self._render())

    def _render(self) -> str:
        if len(self.problems) == 1 and not self.problems[0].key and self.problems[0].line is None:
            return f"{self.header}: {self.problems[0].message}"
        lines = [f"{self.header}:"]
        lines += [f"  {problem}" for problem in self.problems[:MAX_SHOWN]]
        if len(self.problems) > MAX_SHOWN:
            lines.append(f"  … and {len(self.problems) - MAX_SHOWN} more problems")
        return "\n".join(lines)
