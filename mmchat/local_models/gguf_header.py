"""What a GGUF file's header says: architecture, context length, size, quantisation.

Hand-written (the format: magic ``GGUF``, a version, tensor and key/value counts, then
typed key/value pairs) rather than the ``gguf`` package from llama.cpp: its reader
needs numpy (0.2 s to import) and decodes every array, the whole vocabulary included —
6.5 s for the 93 MB SmolLM2 file on this machine, for four values. This reads the
key/value section only, seeking over arrays, and stops once it has what it shows
(llama.cpp's converter writes those keys before the vocabulary): about 1 ms a file.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

__all__ = ["GGUFError", "GGUFInfo", "read_gguf_info"]

MAGIC = b"GGUF"
MAX_KEYS = 100_000  # a header with more is corrupt, not big
MAX_STRING = 64 * 1024 * 1024

# GGUF value types -> struct format of a scalar (8 = string, 9 = array).
_SCALARS = {0: "<B", 1: "<b", 2: "<H", 3: "<h", 4: "<I", 5: "<i", 6: "<f", 7: "<?",
            10: "<Q", 11: "<q", 12: "<d"}  # fmt: skip
_STRING, _ARRAY = 8, 9

# llama.cpp's LLAMA_FTYPE_* (general.file_type): the quantisation most tensors use.
FILE_TYPES = {
    0: "F32", 1: "F16", 2: "Q4_0", 3: "Q4_1", 7: "Q8_0", 8: "Q5_0", 9: "Q5_1",
    10: "Q2_K", 11: "Q3_K_S", 12: "Q3_K_M", 13: "Q3_K_L", 14: "Q4_K_S", 15: "Q4_K_M",
    16: "Q5_K_S", 17: "Q5_K_M", 18: "Q6_K", 32: "BF16",
}  # fmt: skip


class GGUFError(ValueError):
    """Not a readable GGUF file; the message says why, in a line."""


@dataclass(frozen=True, slots=True)
class GGUFInfo:
    architecture: str
    name: str = ""
    context_length: int | None = None
    size_label: str = ""  # "135M", "7B": the model's own label, when it has one
    quantisation: str = ""  # "Q4_K_M"...

    def summary(self) -> str:
        parts = [self.architecture, self.size_label, self.quantisation]
        if self.context_length:
            parts.append(f"context {self.context_length:,}")
        return " · ".join(p for p in parts if p)


def read_gguf_info(path: Path) -> GGUFInfo:
    """The header of ``path``; GGUFError when it is not GGUF, is truncated or corrupt."""
    try:
        with path.open("rb") as f:
            values = _read_values(f)
    except OSError as exc:
        raise GGUFError(f"cannot read it: {exc.strerror or exc}") from None
    arch = values.get("general.architecture")
    if not isinstance(arch, str) or not arch:
        raise GGUFError("no general.architecture in its header")
    context = values.get(f"{arch}.context_length")
    file_type = values.get("general.file_type")
    return GGUFInfo(
        architecture=arch,
        name=str(values.get("general.name") or ""),
        context_length=int(context) if isinstance(context, int) else None,
        size_label=str(values.get("general.size_label") or ""),
        quantisation=FILE_TYPES.get(file_type, f"type {file_type}")
        if isinstance(file_type, int)
        else "",
    )


def _read_values(f: BinaryIO) -> dict[str, Any]:
    if f.read(4) != MAGIC:
        raise GGUFError("not a GGUF file (no GGUF magic)")
    (version,) = _unpack(f, "<I")
    if version not in (2, 3):
        raise GGUFError(f"GGUF version {version} is not supported (2 or 3 are)")
    _tensors, count = _unpack(f, "<QQ")
    if count > MAX_KEYS:
        raise GGUFError(f"corrupt header ({count} keys)")
    values: dict[str, Any] = {}
    for _ in range(count):
        key = _string(f)
        (kind,) = _unpack(f, "<I")
        values[key] = _value(f, kind)
        if _enough(values):
            break  # the vocabulary that usually follows costs ~1 ms per 1,000 tokens
    return values


def _enough(values: dict[str, Any]) -> bool:
    arch = values.get("general.architecture")
    return (
        isinstance(arch, str)
        and f"{arch}.context_length" in values
        and "general.file_type" in values
    )


def _value(f: BinaryIO, kind: int) -> Any:
    if kind in _SCALARS:
        return _unpack(f, _SCALARS[kind])[0]
    if kind == _STRING:
        return _string(f)
    if kind == _ARRAY:
        item, length = _unpack(f, "<IQ")
        if item in _SCALARS:
            f.seek(struct.calcsize(_SCALARS[item]) * length, 1)
        elif item == _STRING:
            for _ in range(length):  # each has its own length: the vocabulary, mostly
                (size,) = _unpack(f, "<Q")
                f.seek(size, 1)
        else:
            raise GGUFError(f"corrupt header (array of type {item})")
        return None  # arrays are skipped: nothing listed needs one
    raise GGUFError(f"corrupt header (value type {kind})")


def _string(f: BinaryIO) -> str:
    (size,) = _unpack(f, "<Q")
    if size > MAX_STRING:
        raise GGUFError(f"corrupt header (a string of {size} bytes)")
    raw = f.read(size)
    if len(raw) < size:
        raise GGUFError("truncated: the file ends inside its header")
    return raw.decode("utf-8", "replace")


def _unpack(f: BinaryIO, fmt: str) -> tuple[Any, ...]:
    raw = f.read(struct.calcsize(fmt))
    if len(raw) < struct.calcsize(fmt):
        raise GGUFError("truncated: the file ends inside its header")
    return struct.unpack(fmt, raw)
