"""Reliability suite hooks: the secret scan runs after every other test of the session."""

from __future__ import annotations

import pytest

SCAN_MODULE = "test_zz_secret_scan.py"


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    last = [item for item in items if item.path.name == SCAN_MODULE]
    if last:
        items[:] = [item for item in items if item.path.name != SCAN_MODULE] + last
