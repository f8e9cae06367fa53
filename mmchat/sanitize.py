"""Make untrusted text (model output, server messages) inert on a terminal.

A model can write anything, including escape sequences: colours are harmless, but
OSC 52 writes the user's clipboard, OSC 8 hides link targets, CSI sequences move the
cursor over earlier output, and a stray ``\\r`` overwrites a line. When mmchat writes
such text to a terminal, control characters are shown (``^[`` for ESC, as ``cat -v``
does) instead of obeyed. Sanitizing is per character, so it works on streamed chunks
that split a sequence anywhere.
"""

from __future__ import annotations

__all__ = ["for_terminal"]

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
