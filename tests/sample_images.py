"""Small real images for attachment tests: a PNG built here (zlib + CRCs), and the
smallest well-formed GIF, JPEG and WebP files, byte for byte."""

from __future__ import annotations

import struct
import zlib


def png(width: int = 2, height: int = 2, rgb: tuple[int, int, int] = (200, 30, 30)) -> bytes:
    """A valid RGB PNG of one colour."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        crc = zlib.crc32(kind + data) & 0xFFFFFFFF
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc)

    row = b"\x00" + bytes(rgb) * width  # filter type 0, then the pixels
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(row * height))
        + chunk(b"IEND", b"")
    )


# 1×1 GIF89a, one white pixel.
GIF = bytes.fromhex(
    "47494638396101000100800000ffffff00000021f90401000000002c00000000010001000002024401003b"
)
# 1×1 baseline-header JPEG (arithmetic-coded grey pixel).
JPEG = bytes.fromhex(
    "ffd8ffe000104a46494600010101004800480000ffdb004300030202020203020202030303030406"
    "040404040408060605060908 0a0a090809090a0c0f0c0a0b0e0b09090d110d0e0f101011100a0c12"
    "131210130f101010ffc9000b080001000101011100ffcc000600101005ffda0008010100003f00d2"
    "cf20ffd9".replace(" ", "")
)
# 1×1 lossless WebP.
WEBP = bytes.fromhex("524946461a000000574542505650384c0d0000002f0000001007101111888" + "8fe0700")
