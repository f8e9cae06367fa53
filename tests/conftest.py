"""Suite-wide fixtures: every test runs in throwaway dirs with an in-memory keyring.

No test can touch the real user config, data, cache or keyring: the MMCHAT_* dir
variables point into tmp_path and keyring is switched to a dict-backed backend.
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

pytest_plugins = ["tests.fakeserver.pytest_plugin"]

# Provider env vars a developer may have set: tests must not pick them up.
_KEY_ENV_VARS = (
    "OPENAI_API_KEY",
    "ANTHROPIC_API_KEY",
    "GEMINI_API_KEY",
    "OPENROUTER_API_KEY",
    "GROQ_API_KEY",
)


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
    monkeypatch.delenv("MMCHAT_MARKDOWN", raising=False)  # lean unless a test asks
    yield home


@pytest.fixture(params=["lean", "stock"])
def markdown_mode(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """The test runs twice: with mmchat's lean Markdown machinery and with Textual's
    stock Markdown (MMCHAT_MARKDOWN); what the user sees must be the same."""
    mode = str(request.param)
    monkeypatch.setenv("MMCHAT_MARKDOWN", mode)
    return mode


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


@pytest.fixture
def third_party_kinds(tmp_path: Path) -> Iterator[Path]:
    """A throwaway package on sys.path registering provider kinds by entry point.

    See tests/third_party_kind.py; the registry (and Config's union) are rebuilt on the
    way in and, without the package, on the way out.
    """
    from mmchat.config_schema import reload_kinds
    from tests.third_party_kind import MODULES, write_distribution

    site = str(write_distribution(tmp_path / "site"))
    sys.path.insert(0, site)
    importlib.invalidate_caches()
    reload_kinds()
    try:
        yield Path(site)
    finally:
        sys.path.remove(site)
        for module in MODULES:
            sys.modules.pop(module, None)
        importlib.invalidate_caches()
        reload_kinds()
