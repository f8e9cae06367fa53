"""Bad input: a corpus of broken config files, each refused with one clear error.

``tests/data/broken_configs/expectations.json`` says, for every file, the key the
error must name, the line (null when the problem has no single line, e.g. bytes that
are not UTF-8), a phrase that says what is wrong, and what the file gets wrong.

For each file: loading it (schema level) or resolving its presets (strategy level:
unknown plugin, bad options, unknown model) gives exactly one problem naming the file,
the line and the key; ``mmchat config validate`` exits 1 with it and no traceback;
``mmchat ask`` exits 2 with it, before anything is saved or sent. A few files also go
through real subprocesses, as a user would run them.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from mmchat.cli import main
from mmchat.cli.config_cmd import preset_problems
from mmchat.config import ConfigError, load_config
from tests.reliability.common import captured

CORPUS = Path(__file__).resolve().parents[1] / "data" / "broken_configs"
EXPECTATIONS: dict[str, dict[str, object]] = json.loads(
    (CORPUS / "expectations.json").read_text("utf-8")
)
ROOT = Path(__file__).resolve().parents[2]
PLAINTEXT_KEY = "sk-not-a-real-key-0123456789abcdef"


def test_corpus_is_large_and_described() -> None:
    files = sorted(p.name for p in CORPUS.glob("*.toml"))
    assert len(files) >= 30
    assert files == sorted(EXPECTATIONS)
    assert all(e["what"] and e["says"] for e in EXPECTATIONS.values())


def install(name: str) -> Path:
    config = Path(os.environ["MMCHAT_CONFIG_DIR"]) / "config.toml"
    config.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(CORPUS / name, config)
    return config


def check_message(text: str, path: Path, expected: dict[str, object]) -> None:
    assert str(path) in text, text
    if expected["line"] is not None:
        assert f"line {expected['line']}:" in text, text
    assert str(expected["key"]) in text, text
    assert str(expected["says"]) in text, text
    assert "Traceback" not in text and "Error(" not in text, text
    assert PLAINTEXT_KEY not in text and "0123456789abcdef" not in text


@pytest.mark.parametrize("name", sorted(EXPECTATIONS))
def test_broken_config(name: str, capsys: pytest.CaptureFixture[str]) -> None:
    expected = EXPECTATIONS[name]
    path = install(name)

    # One problem, naming file, line and key.
    try:
        loaded = load_config(path)
    except ConfigError as exc:
        assert len(exc.problems) == 1, str(exc)
        message = str(exc)
    else:
        problems = preset_problems(loaded)
        assert len(problems) == 1, problems
        message = str(ConfigError(path, problems))
    check_message(captured(f"{name} error", message), path, expected)

    # `mmchat config validate`: non-zero, the same message, no traceback.
    assert main(["config", "validate"]) == 1
    out = capsys.readouterr()
    captured(f"{name} validate", out.out + out.err)
    check_message(out.err, path, expected)
    assert "OK" not in out.out

    # `mmchat ask`: exit 2 with it; nothing saved, nothing sent.
    assert main(["ask", "hello there"]) == 2
    out = capsys.readouterr()
    captured(f"{name} ask", out.out + out.err)
    check_message(out.err, path, expected)
    assert out.out == ""
    db = Path(os.environ["MMCHAT_DATA_DIR"]) / "history.sqlite3"
    if db.exists():
        import sqlite3

        with sqlite3.connect(db) as conn:
            assert conn.execute("SELECT count(*) FROM messages").fetchone()[0] == 0
        conn.close()


@pytest.mark.parametrize(
    "name",
    [
        "01_syntax_unclosed_string.toml",
        "17_unknown_key_plaintext_api_key.toml",
        "39_preset_unknown_strategy.toml",
    ],
)
def test_broken_config_subprocess(name: str) -> None:
    """The real command line: exit codes, stderr only, no traceback."""
    path = install(name)
    expected = EXPECTATIONS[name]
    for args, code in ((["config", "validate"], 1), (["ask", "hello"], 2)):
        result = subprocess.run(
            [sys.executable, "-m", "mmchat", *args],
            capture_output=True,
            text=True,
            cwd=ROOT,
            env=dict(os.environ),
            timeout=60,
            stdin=subprocess.DEVNULL,
        )
        captured(f"{name} {args[0]} subprocess", result.stdout + result.stderr)
        assert result.returncode == code, result.stderr
        check_message(result.stderr, path, expected)
        assert result.stdout == ""
