"""Session-end scan: no test key in any file the suite wrote, nor in captured output.

Runs last (``conftest.py`` moves it to the end of the session). It reads every file
under pytest's base temp directory — each test's MMCHAT_CONFIG_DIR / MMCHAT_DATA_DIR /
MMCHAT_CACHE_DIR (config files, history databases with their WAL, logs), the crash
test's logs, exports — and every piece of CLI output and error text the reliability
tests registered with ``captured``, looking for each test key and any 12-character
piece of one.
"""

from __future__ import annotations

import re
import sys

import pytest

from tests.reliability.common import CAPTURED, TEST_KEYS, key_fragments, leaks

PATTERN = re.compile(
    b"|".join(re.escape(f.encode()) for key in TEST_KEYS for f in key_fragments(key))
)


def test_no_key_in_any_file_or_output(tmp_path_factory: pytest.TempPathFactory) -> None:
    base = tmp_path_factory.getbasetemp()
    files = size = 0
    hits: list[str] = []
    for path in base.rglob("*"):
        if not path.is_file() or path.is_symlink():
            continue
        try:
            data = path.read_bytes()
        except OSError:
            continue
        files += 1
        size += len(data)
        if PATTERN.search(data):
            hits.append(str(path))
    for where, text in CAPTURED:
        if leaks(text):
            hits.append(f"captured output: {where}")
    print(
        f"secret scan: {files} files ({size / 1e6:.1f} MB) and {len(CAPTURED)} captured "
        f"outputs, {len(hits)} hits",
        file=sys.stderr,
    )
    assert hits == []
