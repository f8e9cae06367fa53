"""Make untrusted text (model output, server messages) inert on a terminal.

A model can write anything, including escape sequences: colours are harmless, but
OSC 52 writes the user's clipboard, OSC 8 hides link targets, CSI sequences move the
cursor over earlier output, and a stray ``\\r`` overwrites a line. When mmchat writes
such text to a terminal, control characters are shown (``^[`` for ESC, as ``cat -v``
does) instead of obeyed. Sanitizing is per character, so it works on streamed chunks
that split a sequence anywhere.

JSON output is data: :func:`json_for_terminal` keeps it valid and equal by escaping
the control characters ``json.dumps`` lets through (DEL and C1) as ``\\uXXXX``.
"""

from __future__ import annotations

__all__ = ["for_terminal", "json_for_terminal"]

# C0 controls except tab and newline, DEL, and the C1 controls (CSI U+009B, OSC
# U+009D... are single-character introducers on some terminals).
_KEEP = {"\t", "\n"}


def _visible(code: int) -> str:
    if code < 0x20:
        return "^" + chr(code + 0x40)  # ESC -> ^[, BEL -> ^G
    if code == 0x7F:
        return "^?"
    return f"<U+{code:04X}>"  # C1


_TABLE: dict[int, str] = {
    code: ("" if code == 0x0D else _visible(code))  # a lone CR is dropped: \r\n -> \n
    for code in [*range(0x00, 0x20), 0x7F, *range(0x80, 0xA0)]
    if chr(code) not in _KEEP
}


def for_terminal(text: str) -> str:
    """``text`` with every control character but tab and newline made visible."""
    return text.translate(_TABLE)


# json.dumps writes raw control characters only as its own newlines and tabs (indent=);
# inside strings C0 is already escaped, DEL and C1 are not.
_JSON_TABLE: dict[int, str] = {code: f"\\u{code:04x}" for code in _TABLE}


def json_for_terminal(text: str) -> str:
    """JSON ``text`` with every control character but newline and tab as ``\\uXXXX``.

    Only valid for JSON (control characters appear there only inside strings, where
    the escape means the same character); the parsed data is unchanged.
    """
    return text.translate(_JSON_TABLE)
