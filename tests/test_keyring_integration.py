"""mmchat.secrets against a REAL Secret Service (gnome-keyring on a private D-Bus).

Run by .ci/keyring-tests.sh, which starts `dbus-run-session` and an unlocked
`gnome-keyring-daemon` with a throwaway HOME. Skipped when no session bus exists.
"""

from __future__ import annotations

import os
import uuid

import pytest

from mmchat import secrets

pytestmark = [
    pytest.mark.keyring_integration,
    pytest.mark.skipif(
        not os.environ.get("DBUS_SESSION_BUS_ADDRESS"),
        reason="no D-Bus session (DBUS_SESSION_BUS_ADDRESS unset): run .ci/keyring-tests.sh",
    ),
]


@pytest.fixture
def real_keyring(monkeypatch: pytest.MonkeyPatch) -> None:
    import keyring
    from keyring.backends import SecretService

    # Refuse to run against a developer's own keyring: the script sets a temp HOME.
    if not os.environ.get("MMCHAT_KEYRING_TEST_HOME"):
        pytest.skip("set up by .ci/keyring-tests.sh only (MMCHAT_KEYRING_TEST_HOME unset)")
    monkeypatch.delenv("PYTHON_KEYRING_BACKEND", raising=False)
    keyring.set_keyring(SecretService.Keyring())


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
