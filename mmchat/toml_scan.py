"""A lexical scan of TOML text for its brackets: how deep they nest, where each opens.

tomllib parses nested arrays and inline tables recursively (about 400 levels raise
RecursionError) and reports an unclosed array where it gave up, often the next
table's line, not where the array opens. This scan answers both questions before or
after tomllib without parsing values: it skips comments and the four kinds of
strings, and follows ``[``/``{`` and ``]``/``}``. A regular expression jumps between
the characters that matter, so a 1 MB file takes milliseconds. On text that is not
valid TOML it is best effort, which is all an error message needs.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import NamedTuple

__all__ = ["Bracket", "open_bracket_at", "too_deep"]

_TOKEN = re.compile(r'"""|\'\'\'|["\'#\[\]{}\n]')
_BASIC_BODY = re.compile(r'(?:[^"\\\n]|\\.)*')  # a one-line basic string, up to its end
_ML_BASIC_END = re.compile(r'(?:[^"\\]|\\.|"(?!""))*"""', re.S)  # backslash escapes apply
_CLOSE = {"]": "[", "}": "{"}


class Bracket(NamedTuple):  # a NamedTuple: cheaper to define than a dataclass (start-up)
    char: str  # "[" or "{"
    line: int  # 1-based
    column: int  # 1-based
    depth: int  # 1 for an outermost bracket


def _events(text: str) -> Iterator[tuple[str, int, int]]:
    """(bracket character, line, column) for every bracket outside strings and comments."""
    line, line_start, pos = 1, 0, 0
    while True:
        match = _TOKEN.search(text, pos)
        if match is None:
            return
        token, start, pos = match.group(), match.start(), match.end()
        if token == "\n":
            line, line_start = line + 1, pos
        elif token == "#":
            end = text.find("\n", pos)
            pos = len(text) if end < 0 else end
        elif token in ('"""', "'''"):
            if token == '"""':
                found = _ML_BASIC_END.match(text, pos)
                end = found.end() if found else len(text)
            else:
                close = text.find("'''", pos)
                end = len(text) if close < 0 else close + 3
            for _ in range(2):  # up to two quotes may end the content: """a""""" is valid
                if end < len(text) and text[end] == token[0]:
                    end += 1
            skipped = text[pos:end]
            newlines = skipped.count("\n")
            if newlines:
                line, line_start = line + newlines, pos + skipped.rfind("\n") + 1
            pos = end
        elif token == '"':
            found = _BASIC_BODY.match(text, pos)
            pos = found.end() if found else pos
            if pos < len(text) and text[pos] == '"':
                pos += 1
        elif token == "'":
            end = text.find("'", pos)
            newline = text.find("\n", pos)
            if end < 0 or 0 <= newline < end:  # unterminated: stop at the line's end
                end = len(text) - 1 if newline < 0 else newline - 1
            pos = end + 1
        else:
            yield token, line, start - line_start + 1


def too_deep(text: str, limit: int) -> Bracket | None:
    """The first bracket that nests deeper than ``limit``, or None."""
    depth = 0
    for char, line, column in _events(text):
        if char in "[{":
            depth += 1
            if depth > limit:
                return Bracket(char, line, column, depth)
        elif depth:
            depth -= 1
    return None


def open_bracket_at(text: str, line: int | None, column: int, char: str) -> Bracket | None:
    """The innermost ``char`` bracket still open at ``line``:``column`` (None: at the end).

    For "Unclosed array (at line 9)": the ``[`` that was never closed, wherever tomllib
    noticed it.
    """
    stack: list[Bracket] = []
    for found, at_line, at_column in _events(text):
        if line is not None and (at_line, at_column) >= (line, column):
            break
        if found in "[{":
            stack.append(Bracket(found, at_line, at_column, len(stack) + 1))
        elif stack and stack[-1].char == _CLOSE[found]:
            stack.pop()
    for bracket in reversed(stack):
        if bracket.char == char:
            return bracket
    return None
