"""mmchat.secrets against a REAL Secret Service (gnome-keyring on a private D-Bus).

The fixture starts its own private session bus and an unlocked `gnome-keyring-daemon`
with a throwaway HOME. It is skipped only when those programs are not installed;
.ci/run installs them.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from mmchat import secrets

pytestmark = [pytest.mark.keyring_integration, pytest.mark.integration]


def _start_private_secret_service(tmp: Path) -> tuple[dict[str, str], list[int]]:
    """A private D-Bus session bus plus an unlocked gnome-keyring, both under ``tmp``."""
    env = {
        **os.environ,
        "HOME": str(tmp / "home"),
        "XDG_DATA_HOME": str(tmp / "data"),
        "XDG_CONFIG_HOME": str(tmp / "config"),
        "XDG_RUNTIME_DIR": str(tmp / "runtime"),
    }
    for key in ("home", "data", "config", "runtime"):
        (tmp / key).mkdir(mode=0o700, parents=True, exist_ok=True)
    bus = subprocess.run(
        ["dbus-daemon", "--session", "--fork", "--nopidfile", "--print-address=1", "--print-pid=1"],
        capture_output=True,
        text=True,
        check=True,
        env=env,
        timeout=20,
    ).stdout.split()
    address, pid = bus[0], int(bus[1])
    env["DBUS_SESSION_BUS_ADDRESS"] = address
    # The password only unlocks the throwaway login keyring created under tmp.
    daemon = subprocess.run(
        ["gnome-keyring-daemon", "--unlock", "--components=secrets"],
        input="testpass",
        capture_output=True,
        text=True,
        env=env,
        timeout=20,
        check=True,
    )
    pids = [pid]
    for line in daemon.stdout.splitlines():
        if line.startswith("GNOME_KEYRING_PID="):
            pids.append(int(line.split("=", 1)[1]))
    return env, pids


@pytest.fixture
def real_keyring(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[None]:
    """The real SecretService backend on a private bus (never the developer's keyring)."""
    import keyring
    from keyring.backends import SecretService

    missing = [t for t in ("dbus-daemon", "gnome-keyring-daemon") if not shutil.which(t)]
    if missing:
        pytest.skip(f"{', '.join(missing)} not installed (apt-get install gnome-keyring dbus-x11)")
    env, pids = _start_private_secret_service(tmp_path / "ss")
    for key in ("DBUS_SESSION_BUS_ADDRESS", "HOME", "XDG_DATA_HOME", "XDG_RUNTIME_DIR"):
        monkeypatch.setenv(key, env[key])
    monkeypatch.delenv("PYTHON_KEYRING_BACKEND", raising=False)
    keyring.set_keyring(SecretService.Keyring())
    try:
        yield
    finally:
        for pid in pids:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGTERM)


def test_secret_service_roundtrip(real_keyring: None) -> None:
    usable, backend, message = secrets.keyring_status()
    assert usable, message
    assert "SecretService" in backend
    name = f"itest-{uuid.uuid4().hex[:8]}"
    value = f"sk-integration-{uuid.uuid4().hex}"
    secrets.set_key(name, value)
    try:
        found = secrets.get_key(name)
        assert found is not None
        assert (found.value, found.source) == (value, "keyring")
        assert name in secrets.stored_key_names()
        [status] = [s for s in secrets.list_keys({name: None}) if s.name == name]
        assert status.source == "keyring" and value not in repr(status)
    finally:
        assert secrets.delete_key(name) is True
    assert secrets.get_key(name) is None
    assert secrets.delete_key(name) is False
    assert name not in secrets.stored_key_names()
