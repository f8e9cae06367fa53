from __future__ import annotations

import argparse
from collections.abc import Iterator
from pathlib import Path

import keyring
import pytest
from keyring.backends import fail

from mmchat import secrets
from mmchat.cli import keys_cmd
from tests.memory_keyring import MemoryKeyring

SECRET = "sk-test-0123456789abcdef"


@pytest.fixture(autouse=True)
def isolated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("MMCHAT_CONFIG_DIR", str(tmp_path / "config"))
    monkeypatch.setenv("MMCHAT_DATA_DIR", str(tmp_path / "data"))
    for var in ("OPENAI_API_KEY", "ANTHROPIC_API_KEY", "MY_KEY", "PYTHON_KEYRING_BACKEND"):
        monkeypatch.delenv(var, raising=False)
    previous = keyring.get_keyring()
    yield
    keyring.set_keyring(previous)


@pytest.fixture
def memory() -> MemoryKeyring:
    backend = MemoryKeyring()
    keyring.set_keyring(backend)
    return backend


@pytest.fixture
def no_keyring() -> None:
    keyring.set_keyring(fail.Keyring())


def test_set_get_delete(memory: MemoryKeyring) -> None:
    secrets.set_key("openai", SECRET)
    assert memory.entries[("mmchat", "openai")] == SECRET
    found = secrets.get_key("openai")
    assert found is not None
    assert (found.value, found.source) == (SECRET, "keyring")
    assert secrets.stored_key_names() == ["openai"]
    assert secrets.delete_key("openai") is True
    assert secrets.delete_key("openai") is False
    assert secrets.get_key("openai") is None
    assert secrets.stored_key_names() == []


def test_env_fallback_default_and_configured_names(
    memory: MemoryKeyring, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", SECRET)
    found = secrets.get_key("openai")
    assert found is not None and found.source == "env:OPENAI_API_KEY"
    monkeypatch.setenv("MY_KEY", "other-secret-value")
    found = secrets.get_key("openrouter", "MY_KEY")
    assert found is not None and found.source == "env:MY_KEY"
    # The keyring wins over the environment.
    secrets.set_key("openai", "sk-from-keyring-000000")
    found = secrets.get_key("openai")
    assert found is not None and found.source == "keyring"


def test_default_env_var() -> None:
    assert secrets.default_env_var("openai") == "OPENAI_API_KEY"
    assert secrets.default_env_var("anthropic") == "ANTHROPIC_API_KEY"
    assert secrets.default_env_var("open-router.ai") == "OPEN_ROUTER_AI_API_KEY"


def test_list_is_masked(memory: MemoryKeyring, monkeypatch: pytest.MonkeyPatch) -> None:
    secrets.set_key("openai", SECRET)
    secrets.set_key("extra", "sk-extra-key-aaaa1111")
    monkeypatch.setenv("ANTHROPIC_API_KEY", "sk-ant-999999999999zz")
    rows = {r.name: r for r in secrets.list_keys({"openai": None, "anthropic": None, "x": None})}
    assert rows["openai"].source == "keyring"
    assert rows["openai"].masked == "sk-…cdef"
    assert rows["anthropic"].source == "env:ANTHROPIC_API_KEY"
    assert rows["x"].source == "missing" and rows["x"].masked == ""
    assert rows["extra"].source == "keyring"  # stored but not in config: still listed
    assert SECRET not in repr(rows)


def test_key_never_in_repr(memory: MemoryKeyring) -> None:
    secrets.set_key("openai", SECRET)
    found = secrets.get_key("openai")
    assert found is not None
    for text in (repr(found), str(found), f"{found}", repr([found])):
        assert SECRET not in text
        assert "sk-…cdef" in text


def test_no_backend_raises_clear_error(no_keyring: None) -> None:
    with pytest.raises(secrets.SecretStoreUnavailable) as info:
        secrets.set_key("openai", SECRET)
    message = str(info.value)
    assert "No usable OS keyring" in message
    assert "fail Keyring" in message  # names the backend
    assert "gnome-keyring" in message and "KeePassXC" in message
    assert "OPENAI_API_KEY" in message
    assert "PYTHON_KEYRING_BACKEND" in message
    assert SECRET not in message
    usable, backend, status = secrets.keyring_status()
    assert not usable and "fail" in backend and "No usable OS keyring" in status


def test_no_backend_still_reads_env(no_keyring: None, monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(secrets.SecretStoreUnavailable):
        secrets.get_key("openai")
    monkeypatch.setenv("OPENAI_API_KEY", SECRET)
    found = secrets.get_key("openai")
    assert found is not None and found.source == "env:OPENAI_API_KEY"
    rows = secrets.list_keys({"openai": None, "anthropic": None})
    assert [(r.name, r.source) for r in rows] == [
        ("anthropic", "unavailable"),
        ("openai", "env:OPENAI_API_KEY"),
    ]


def test_no_plaintext_file_written(no_keyring: None, tmp_path: Path) -> None:
    with pytest.raises(secrets.SecretStoreUnavailable):
        secrets.set_key("openai", SECRET)
    for path in tmp_path.rglob("*"):
        if path.is_file():
            assert SECRET not in path.read_text(errors="replace")


def test_invalid_names_and_empty_values(memory: MemoryKeyring) -> None:
    with pytest.raises(ValueError):
        secrets.set_key("bad name", SECRET)
    with pytest.raises(ValueError):
        secrets.set_key("openai", "   ")


def _args(**kw: object) -> argparse.Namespace:
    return argparse.Namespace(**kw)


def test_cli_set_list_delete(
    memory: MemoryKeyring, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import io

    monkeypatch.setattr("sys.stdin", io.StringIO(SECRET + "\n"))
    assert keys_cmd.run(_args(keys_command="set", name="openai", stdin=True)) == 0
    assert memory.entries[("mmchat", "openai")] == SECRET
    assert keys_cmd.run(_args(keys_command="list")) == 0
    out = capsys.readouterr().out
    assert "openai" in out and "keyring" in out and SECRET not in out
    assert keys_cmd.run(_args(keys_command="delete", name="openai")) == 0
    assert keys_cmd.run(_args(keys_command="delete", name="openai")) == 1


def test_cli_without_keyring_fails_cleanly(
    no_keyring: None, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import io

    monkeypatch.setattr("sys.stdin", io.StringIO(SECRET))
    assert keys_cmd.run(_args(keys_command="set", name="openai", stdin=True)) == 1
    err = capsys.readouterr().err
    assert "No usable OS keyring" in err and "Traceback" not in err and SECRET not in err
