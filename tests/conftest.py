"""Suite-wide fixtures: every test runs in throwaway dirs with an in-memory keyring.

No test can touch the real user config, data, cache or keyring: the MMCHAT_* dir
variables point into tmp_path and keyring is switched to a dict-backed backend.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

pytest_plugins = ["tests.fakeserver.pytest_plugin"]

# Provider env vars a developer may have set: tests must not pick them up.
_KEY_ENV_VARS = ("OPENAI_API_KEY", "ANTHROPIC_API_KEY", "OPENROUTER_API_KEY", "GROQ_API_KEY")


@pytest.fixture(autouse=True)
def isolated_dirs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    home = tmp_path / "mmchat-home"
    for name, sub in (
        ("MMCHAT_CONFIG_DIR", "config"),
        ("MMCHAT_DATA_DIR", "data"),
        ("MMCHAT_CACHE_DIR", "cache"),
    ):
        monkeypatch.setenv(name, str(home / sub))
    for var in _KEY_ENV_VARS:
        monkeypatch.delenv(var, raising=False)
    yield home


@pytest.fixture(autouse=True)
def memory_keyring(request: pytest.FixtureRequest) -> Iterator[object]:
    """Swap in an in-memory keyring unless the test talks to a real Secret Service."""
    import keyring

    if request.node.get_closest_marker("keyring_integration"):
        yield None
        return
    from tests.memory_keyring import MemoryKeyring

    previous = keyring.get_keyring()
    backend = MemoryKeyring()
    keyring.set_keyring(backend)
    try:
        yield backend
    finally:
        keyring.set_keyring(previous)
