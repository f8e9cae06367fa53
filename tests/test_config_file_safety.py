"""What is at the config path is not trusted: links, FIFOs, huge or deep files, BOMs.

Each case goes through ``load_config`` and the command line (``config validate``,
``ask``, ``config edit``) as a user would meet it: a clear located message naming the
file, exit 1 (2 for ``ask``), no traceback, and nothing the user made is replaced.
"""

from __future__ import annotations

import codecs
import os
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from mmchat import paths
from mmchat.cli import main
from mmchat.config import (
    ConfigError,
    default_config_text,
    load_config,
    parse_config,
    save_config,
)
from mmchat.config_file import MAX_DEPTH

ROOT = Path(__file__).resolve().parents[1]


def config_path() -> Path:
    return paths.ensure_dir(paths.config_dir()) / "config.toml"


def refused(path: Path | None = None) -> str:
    with pytest.raises(ConfigError) as info:
        load_config(path)
    text = str(info.value)
    assert "Traceback" not in text
    return text


def cli(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str]:
    code = main(list(argv))
    out = capsys.readouterr()
    return code, out.out + out.err


# ------------------------------------------------------------------ links


def test_dangling_symlink_is_named_and_kept(capsys: pytest.CaptureFixture[str]) -> None:
    path = config_path()
    target = path.parent / "dotfiles" / "mmchat.toml"
    path.symlink_to(target)
    message = refused()
    assert str(path) in message and "symbolic link" in message
    assert str(target) in message and "does not exist" in message
    assert path.is_symlink() and not target.exists()  # not replaced by a default file

    for argv, expected in ((["config", "validate"], 1), (["ask", "hi"], 2)):
        code, output = cli(capsys, *argv)
        assert code == expected and "does not exist" in output, output
    code, output = cli(capsys, "config", "edit")
    assert code == 1 and "symbolic link" in output
    assert path.is_symlink() and os.readlink(path) == str(target) and not target.exists()


def test_symlink_loop_is_named(capsys: pytest.CaptureFixture[str]) -> None:
    path = config_path()
    other = path.parent / "other.toml"
    path.symlink_to(other)
    other.symlink_to(path)
    assert "loop" in refused()
    code, output = cli(capsys, "config", "validate")
    assert code == 1 and "loop" in output and "Traceback" not in output
    assert path.is_symlink() and other.is_symlink()


def test_symlink_to_a_file_is_followed_and_kept_on_save(tmp_path: Path) -> None:
    target = tmp_path / "dotfiles" / "config.toml"
    target.parent.mkdir()
    target.write_text(default_config_text())
    path = config_path()
    path.symlink_to(target)
    loaded = load_config()
    assert not loaded.created
    changed = loaded.config.model_copy(
        update={"ui": loaded.config.ui.model_copy(update={"theme": "nord"})}
    )
    save_config(changed)
    assert path.is_symlink()  # the link stays; the file it points to is written
    assert load_config().config.ui.theme == "nord"
    assert 'theme = "nord"' in target.read_text()


# ------------------------------------------------------------------ not a file


def test_fifo_is_refused_without_blocking(capsys: pytest.CaptureFixture[str]) -> None:
    path = config_path()
    os.mkfifo(path)
    result: list[str] = []
    reader = threading.Thread(target=lambda: result.append(refused()), daemon=True)
    reader.start()
    reader.join(10)
    if reader.is_alive():  # unblock the reader, then fail
        with open(path, "w"):
            pass
        pytest.fail("load_config blocked on a FIFO")
    assert "FIFO" in result[0] and "not a regular file" in result[0]
    code, output = cli(capsys, "config", "edit")
    assert code == 1 and "FIFO" in output


def test_fifo_does_not_hang_the_command_line() -> None:
    os.mkfifo(config_path())
    for argv, expected in ((["config", "validate"], 1), (["ask", "hi"], 2), (["models"], 2)):
        result = subprocess.run(
            [sys.executable, "-m", "mmchat", *argv],
            capture_output=True,
            text=True,
            cwd=ROOT,
            timeout=30,
            stdin=subprocess.DEVNULL,
        )
        assert result.returncode == expected, result.stderr
        assert "FIFO" in result.stderr and "Traceback" not in result.stderr


def test_directory_is_refused() -> None:
    config_path().mkdir()
    assert "a directory, not a regular file" in refused()


# ------------------------------------------------------------------ size and depth


def test_huge_file_is_refused_before_parsing() -> None:
    path = config_path()
    path.write_text("# padding\n" * 120_000)  # 1.2 MB of comments
    message = refused()
    assert "at most 1 MB" in message and "1.1 MB" in message


@pytest.mark.parametrize(
    ("text", "line"),
    [
        ("[ui]\nsidebar = true\nx = " + "[" * 500 + "]" * 500 + "\n", 3),
        ("a = 1\n\nx = " + "{ y = " * 500 + "1" + " }" * 500 + "\n", 3),
        ("x = [\n" + "[\n" * 499 + "]\n" * 500, 33),
    ],
    ids=["arrays", "inline-tables", "arrays-over-lines"],
)
def test_deep_nesting_is_a_located_error(
    text: str, line: int, capsys: pytest.CaptureFixture[str]
) -> None:
    config_path().write_text(text)
    message = refused()
    assert f"line {line}:" in message and f"nested more than {MAX_DEPTH} levels" in message
    code, output = cli(capsys, "config", "validate")
    assert code == 1 and "RecursionError" not in output and "Traceback" not in output


def test_deep_dotted_keys_are_a_located_error() -> None:
    config_path().write_text("[ui]\nsidebar = true\n\n" + ".".join(["a"] * 200) + " = 1\n")
    message = refused()
    assert "line 4:" in message and "nested more than" in message


def test_nesting_within_the_limit_is_fine() -> None:
    deep = "[" * (MAX_DEPTH - 4) + "1" + "]" * (MAX_DEPTH - 4)
    alias = '\n[models.deep]\nprovider = "local"\nmodel = "m"\n'
    text = default_config_text() + alias + f"\n[models.deep.params]\nx = {deep}\n"
    config = parse_config(text, Path("c.toml"))
    assert "x" in config.models["deep"].params


# ------------------------------------------------------------------ encodings


def test_utf8_byte_order_mark_is_accepted() -> None:
    config_path().write_bytes(codecs.BOM_UTF8 + default_config_text().encode())
    assert load_config().config.defaults.preset == "single"


def test_utf16_is_named() -> None:
    config_path().write_bytes(codecs.BOM_UTF16_LE + default_config_text().encode("utf-16-le"))
    message = refused()
    assert "UTF-16" in message and "byte-order mark" in message and "UTF-8" in message


def test_not_utf8_names_the_line() -> None:
    config_path().write_bytes(b'[ui]\nsidebar = true\ntheme = "caf\xe9"\n')
    message = refused()
    assert "line 3:" in message and "not UTF-8" in message and "0xE9" in message


# ------------------------------------------------------------------ syntax locations


@pytest.mark.parametrize(
    ("text", "line"),
    [
        ('[ui]\nsidebar = true\n\n[x]\nitems = ["a",\n  "b"\n\n[defaults]\npreset = "s"\n', 5),
        ("[x]\nitems = [1, 2\n", 2),
        ('[x]\ns = """a ] [\n"""\nitems = [[1], [2]\n\n[y]\nk = 1\n', 4),
    ],
    ids=["before-a-table", "at-the-end", "after-a-multiline-string"],
)
def test_unclosed_array_is_reported_where_it_opens(text: str, line: int) -> None:
    config_path().write_text(text)
    message = refused()
    assert f"line {line}:" in message and "Unclosed array" in message, message
    assert "never closed" in message


def test_a_line_holding_a_key_is_not_quoted() -> None:
    config_path().write_text("[providers.x]\nkey = sk-proj-a1B2c3D4e5F6g7H8i9J0kLmN\n")
    message = refused()
    assert "line 2:" in message and "a1B2c3D4" not in message and "not shown" in message


def test_problems_are_capped() -> None:
    config_path().write_text("[ui]\n" + "".join(f"unknown{i} = 1\n" for i in range(300)))
    message = refused()
    assert "`unknown49`" in message and "`unknown50`" not in message
    assert "and 250 more problems" in message


# ------------------------------------------------------------------ files next to it


def test_fifos_among_themes_and_plugins_do_not_hang() -> None:
    """The same class of problem where mmchat reads other user files: theme names are
    read to check `ui.theme`, plugins are imported."""
    os.mkfifo(paths.ensure_dir(paths.user_themes_dir()) / "pipe.toml")
    os.mkfifo(paths.ensure_dir(paths.user_plugins_dir()) / "pipe.py")
    for theme, argv, says in (
        ("not-a-theme", ["config", "validate"], "no theme named 'not-a-theme'"),
        ("mmchat-dark", ["plugins"], "✗ plugin pipe failed to load"),
    ):
        config_path().write_text(default_config_text().replace("mmchat-dark", theme))
        result = subprocess.run(
            [sys.executable, "-m", "mmchat", *argv],
            capture_output=True,
            text=True,
            cwd=ROOT,
            timeout=30,
            stdin=subprocess.DEVNULL,
        )
        assert says in result.stdout + result.stderr, result
    assert "not a regular file" in result.stdout


def test_a_fifo_among_the_apps_themes_is_skipped_not_waited_on(tmp_path: Path) -> None:
    """The app loads every theme file at start-up: a FIFO named like one must not hang
    it (it was read with Path.read_text, which waits for a writer)."""
    themes = tmp_path / "themes"
    themes.mkdir()
    os.mkfifo(themes / "pipe.toml")
    (themes / "mine.toml").write_text('name = "mine"\nprimary = "#336699"\n')
    code = (
        "import sys; from pathlib import Path; from mmchat.tui.themes import load_themes\n"
        "found, errors = load_themes(user_dir=Path(sys.argv[1]))\n"
        "print([t.name for t in found if t.name == 'mine'], errors)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code, str(themes)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=30,
        stdin=subprocess.DEVNULL,
    )
    assert "['mine']" in result.stdout, result
    assert "pipe.toml" in result.stdout and "not a regular file" in result.stdout, result
