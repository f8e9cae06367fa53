#!/bin/sh
# Run the keyring integration tests against a real Secret Service.
#
# Needs the Debian packages gnome-keyring, dbus (dbus-x11 optional) and the Python
# package secretstorage in the venv. A private D-Bus session and an unlocked
# gnome-keyring-daemon live only as long as this script; HOME and the XDG dirs point
# at a temp dir, so no real user keyring is touched.
set -eu
cd "$(dirname "$0")/.."
PYTHON="${PYTHON:-.venv/bin/python}"

for tool in dbus-run-session gnome-keyring-daemon; do
    if ! command -v "$tool" >/dev/null 2>&1; then
        echo "keyring-tests: $tool not found (apt-get install gnome-keyring dbus dbus-x11)" >&2
        exit 1
    fi
done

tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT INT TERM
mkdir -p "$tmp/home" "$tmp/data" "$tmp/config" "$tmp/cache" "$tmp/runtime"
chmod 700 "$tmp/runtime"

export HOME="$tmp/home" XDG_DATA_HOME="$tmp/data" XDG_CONFIG_HOME="$tmp/config" \
    XDG_CACHE_HOME="$tmp/cache" XDG_RUNTIME_DIR="$tmp/runtime" \
    MMCHAT_KEYRING_TEST_HOME="$tmp/home"
unset PYTHON_KEYRING_BACKEND || true

# The password only unlocks the throwaway login keyring created in $tmp.
exec dbus-run-session -- sh -c '
    echo -n testpass | gnome-keyring-daemon --unlock --components=secrets >/dev/null
    exec "$0" -m pytest -p no:cacheprovider -m keyring_integration \
        tests/test_keyring_integration.py "$@"
' "$PYTHON" "$@"
