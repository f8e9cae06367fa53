"""Secrets: keys never reach files, messages, exports or reprs; no plaintext fallback.

Each test registers what it printed or produced with ``captured``; the session-end
scan (``test_zz_secret_scan.py``) then looks for every test key in all of it and in
every file the suite wrote.
"""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from pathlib import Path

import keyring
import pytest
from keyring.backends import fail

from mmchat import paths, secrets
from mmchat.api import Event, LaneClosed
from mmchat.cli import main
from mmchat.config import load_config, save_config
from mmchat.engine import Engine, TurnRequest
from mmchat.history.export import to_json, to_markdown
from mmchat.history.store import Store
from mmchat.plugins import discover
from mmchat.providers.base import ProviderError
from mmchat.providers.http import ErrorContext
from tests.fakeserver import Reply
from tests.fakeserver.server import FakeServer
from tests.reliability.common import (
    KEY_CLI,
    KEY_GOOD,
    KEY_STORED,
    KEY_X,
    SleepRecorder,
    build_engine,
    captured,
    config_for,
    leaks,
    preset_for,
    script_healthy,
)

ROOT = Path(__file__).resolve().parents[2]


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_config_files_are_private(isolated_dirs: Path) -> None:
    loaded = load_config()  # first run writes the default file
    assert loaded.created and _mode(loaded.path) == 0o600
    assert _mode(loaded.path.parent) == 0o700
    save_config(loaded.config)
    assert _mode(paths.config_file()) == 0o600
    with Store.open(paths.db_file()) as store:
        store.create_conversation("x")
    # The database file follows the umask, but its directory admits nobody else.
    assert _mode(paths.db_file().parent) == 0o700


def test_keys_set_goes_to_the_keyring_not_the_config(
    isolated_dirs: Path, memory_keyring: object, capsys: pytest.CaptureFixture[str]
) -> None:
    load_config()
    before = paths.config_file().read_bytes()
    sys_stdin = sys.stdin
    try:
        import io

        sys.stdin = io.StringIO(KEY_STORED + "\n")
        assert main(["keys", "set", "reliability", "--stdin"]) == 0
    finally:
        sys.stdin = sys_stdin
    out = capsys.readouterr()
    captured("keys set", out.out + out.err)
    assert not leaks(out.out + out.err)
    assert secrets.mask(KEY_STORED) in out.out  # enough to recognise it, no more
    assert paths.config_file().read_bytes() == before
    found = secrets.get_key("reliability")
    assert found is not None and found.value == KEY_STORED
    for text in (repr(found), str(found), f"{found}", repr([found])):
        assert not leaks(captured("KeyLookup repr", text)), text
    assert main(["keys", "list"]) == 0
    out = capsys.readouterr()
    assert not leaks(captured("keys list", out.out + out.err))


async def test_keys_stay_out_of_sqlite_exports_messages_and_reprs(
    fake_server: FakeServer, tmp_path: Path
) -> None:
    """A server that echoes the key back (whole, masked, in a 401 and mid-stream)."""
    script_healthy(fake_server)
    fake_server.script(
        "model-x",
        Reply(status=401, error_message=f"Incorrect API key provided: {KEY_X}"),
        Reply(text="partial answer", error_after=1, error_message=f"key {KEY_X} revoked"),
    )
    config = config_for(fake_server, {"p": preset_for("fanout")})
    engine = build_engine(
        config, discover([]), store_path=tmp_path / "h.sqlite3", sleep=SleepRecorder()
    )
    events: list[Event] = []
    try:
        for _ in range(2):
            outcome = await engine.run_turn(TurnRequest(prompt="hi", preset="p"), events.append)
        provider = await engine.provider("bad")
        reprs = [repr(engine), repr(provider), str(provider), repr(engine.config)]
        reprs += [repr(e) for e in events]
    finally:
        await engine.aclose()
    errors = [e.error for e in events if isinstance(e, LaneClosed) and e.error]
    assert len(errors) == 2, errors
    assert "authentication failed (401)" in errors[0]
    for text in [*errors, *reprs]:
        assert not leaks(captured("engine text", text)), text
    store = engine.store
    assert store is not None
    assert outcome.conversation_id is not None
    exports = [
        to_markdown(store, outcome.conversation_id),
        json.dumps(to_json(store, outcome.conversation_id)),
    ]
    store.close()
    for text in exports:
        assert not leaks(captured("export", text))
    export_dir = tmp_path / "exports"
    export_dir.mkdir()
    (export_dir / "chat.md").write_text(exports[0])  # scanned again at session end
    for path in sorted(tmp_path.glob("h.sqlite3*")):  # noqa: ASYNC240
        assert not leaks(path.read_bytes().decode("latin-1")), path


def test_provider_error_and_error_context_reprs() -> None:
    ctx = ErrorContext("p", "http://u:pw@host/v1", "m", "p", 5.0, secrets=(KEY_GOOD,))
    err = ctx.fail(
        __import__("mmchat.providers.base", fromlist=["ErrorKind"]).ErrorKind.AUTH, "nope"
    )
    for text in (repr(ctx), str(ctx), repr(err), str(err)):
        assert not leaks(captured("repr", text)), text
    from mmchat.providers.http import error_from_status

    scrubbed = error_from_status(500, "", "", f"boom {KEY_GOOD} and sk-abcdefghijklmnop", ctx)
    assert isinstance(scrubbed, ProviderError)
    assert not leaks(captured("scrubbed", str(scrubbed)))
    assert "sk-abcdefghijklmnop" not in str(scrubbed)  # key-like tokens too


def test_no_keyring_backend_is_a_clear_message_and_no_plaintext(
    isolated_dirs: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    previous = keyring.get_keyring()
    keyring.set_keyring(fail.Keyring())
    try:
        usable, _, message = secrets.keyring_status()
        assert not usable and "No usable OS keyring" in message
        with pytest.raises(secrets.SecretStoreUnavailable) as info:
            secrets.set_key("reliability", KEY_STORED)
        assert "plaintext" in str(info.value) and "export" in str(info.value)
        import io

        stdin = sys.stdin
        try:
            sys.stdin = io.StringIO(KEY_STORED)
            code = main(["keys", "set", "reliability", "--stdin"])
        finally:
            sys.stdin = stdin
        out = capsys.readouterr()
        captured("keys set without keyring", out.out + out.err)
        assert code == 1
        assert "No usable OS keyring" in out.err and "Traceback" not in out.err
        assert not leaks(out.out + out.err)
        # The env var still works without a keyring, and is the only fallback.
        os.environ["RELIABILITY_API_KEY"] = KEY_CLI
        try:
            found = secrets.get_key("reliability")
        finally:
            del os.environ["RELIABILITY_API_KEY"]
        assert found is not None and found.source == "env:RELIABILITY_API_KEY"
    finally:
        keyring.set_keyring(previous)
    # Nothing anywhere under the app's directories holds the key.
    for root in (paths.config_dir(), paths.data_dir(), paths.cache_dir()):
        if root.exists():
            for path in root.rglob("*"):
                if path.is_file():
                    assert not leaks(path.read_bytes().decode("latin-1")), path


def test_no_keyring_in_a_real_process(isolated_dirs: Path) -> None:
    """`mmchat keys set` with keyring's fail backend, as a user would hit it."""
    env = {**os.environ, "PYTHON_KEYRING_BACKEND": "keyring.backends.fail.Keyring"}
    result = subprocess.run(
        [sys.executable, "-m", "mmchat", "keys", "set", "reliability", "--stdin"],
        input=KEY_STORED,
        capture_output=True,
        text=True,
        env=env,
        cwd=ROOT,
        timeout=60,
    )
    captured("keys set subprocess", result.stdout + result.stderr)
    assert result.returncode == 1
    assert "No usable OS keyring" in result.stderr and "Traceback" not in result.stderr
    assert not leaks(result.stdout + result.stderr)


async def test_engine_without_key_says_how_to_set_one(fake_server: FakeServer) -> None:
    """No key anywhere (no keyring entry, no env var): a sentence naming both fixes."""
    data = config_for(fake_server, {"p": preset_for("single")}).model_dump()
    data["providers"]["bad"]["base_url"] = "https://api.example.invalid/v1"  # not loopback
    from mmchat.config_schema import Config

    engine = Engine(Config.model_validate(data), discover([]))
    events: list[Event] = []
    try:
        await engine.run_turn(TurnRequest(prompt="hi", preset="p"), events.append)
    finally:
        await engine.aclose()
    (closed,) = [e for e in events if isinstance(e, LaneClosed)]
    assert closed.error is not None
    assert "mmchat keys set x-key" in closed.error and "X_KEY_API_KEY" in closed.error
