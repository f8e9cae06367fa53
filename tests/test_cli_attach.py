"""`mmchat ask -a FILE` as a user runs it (a subprocess against the loopback fake server):
text files, images, stdin, and every way a file can be refused, each before any request."""

from __future__ import annotations

import json
import os
import sqlite3
from pathlib import Path

import pytest

from tests.fakeserver.server import FakeServer
from tests.sample_images import JPEG, png
from tests.test_cli_ask import mmchat

CONFIG = """
[defaults]
preset = "single"
model = "eye"

[attachments]
max_file_mb = 0.01
max_message_mb = 0.015

[providers.fake]
kind = "openai"
base_url = "{url}/v1"

[providers.claude]
kind = "anthropic"
base_url = "{url}/v1"

[providers.here]
kind = "local"

[models.eye]
provider = "fake"
model = "model-eye"
vision = true

[models.claude-eye]
provider = "claude"
model = "model-claude"
vision = true

[models.blind]
provider = "fake"
model = "model-blind"

[models.tiny]
provider = "here"
model = "smollm2-135m-instruct"

[presets.single]
strategy = "single"
options = {{ model = "eye" }}

[presets.both]
strategy = "fanout"
options = {{ models = ["eye", "claude-eye"] }}

[presets.mixed]
strategy = "fanout"
options = {{ models = ["eye", "blind"] }}
"""

LIMIT_TEXT = "10.2 KB per file"


@pytest.fixture
def configured(fake_server: FakeServer, isolated_dirs: Path) -> Path:
    config_dir = Path(os.environ["MMCHAT_CONFIG_DIR"])
    config_dir.mkdir(parents=True, exist_ok=True)
    (config_dir / "config.toml").write_text(CONFIG.format(url=fake_server.url))
    return config_dir


@pytest.fixture
def files(tmp_path: Path) -> Path:
    folder = tmp_path / "files"
    folder.mkdir()
    (folder / "notes.md").write_text("# Plan\n```sh\nmake\n```\n")
    (folder / "photo.png").write_bytes(png(4, 4))
    (folder / "photo.txt").write_bytes(JPEG)  # a JPEG whatever its name says
    (folder / "blob.bin").write_bytes(b"\x00\x01\x02binary\x00" * 10)
    (folder / "big.txt").write_text("x" * 11_000)
    (folder / "half.txt").write_text("y" * 8_000)
    return folder


def _db_rows(sql: str) -> list[tuple[object, ...]]:
    db = Path(os.environ["MMCHAT_DATA_DIR"]) / "history.sqlite3"
    if not db.exists():
        return []
    with sqlite3.connect(db) as conn:
        return list(conn.execute(sql).fetchall())


def test_a_text_file_goes_as_a_fenced_block_and_is_stored(
    fake_server: FakeServer, configured: Path, files: Path
) -> None:
    result = mmchat("ask", "-a", str(files / "notes.md"), "Summarize")
    assert result.returncode == 0, result.stderr
    sent = "File: notes.md\n````\n# Plan\n```sh\nmake\n```\n````\n\nSummarize"
    assert fake_server.last.json["messages"] == [{"role": "user", "content": sent}]
    assert result.stdout == f"echo: {sent}\n"
    assert _db_rows("SELECT name, media_type, size FROM attachments") == [
        ("notes.md", "text/markdown", 22)
    ]


def test_images_go_to_a_vision_model_whatever_the_file_is_called(
    fake_server: FakeServer, configured: Path, files: Path
) -> None:
    result = mmchat(
        "ask", "--json", "-a", str(files / "photo.png"), "-a", str(files / "photo.txt"), "What?"
    )
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    size = len(png(4, 4))
    assert data["answer"] == (
        f"echo: What? [image image/png, {size} bytes] [image image/jpeg, {len(JPEG)} bytes]"
    )
    assert data["attachments"] == [
        {"name": "photo.png", "media_type": "image/png", "size": size},
        {"name": "photo.txt", "media_type": "image/jpeg", "size": len(JPEG)},
    ]
    parts = fake_server.last.json["messages"][0]["content"]
    assert [p["type"] for p in parts] == ["text", "image_url", "image_url"]
    assert parts[2]["image_url"]["url"].startswith("data:image/jpeg;base64,/9j/")


def test_every_lane_of_a_fanout_gets_the_image_in_its_own_protocol(
    fake_server: FakeServer, configured: Path, files: Path
) -> None:
    result = mmchat("ask", "-s", "both", "-a", str(files / "photo.png"), "Describe it")
    assert result.returncode == 0, result.stderr
    openai = fake_server.requests_to("/chat/completions")[0].json["messages"][0]["content"]
    anthropic = fake_server.requests_to("/messages")[0].json["messages"][0]["content"]
    assert openai[1]["type"] == "image_url"
    assert anthropic[0]["type"] == "image" and anthropic[0]["source"]["media_type"] == "image/png"


@pytest.mark.parametrize(
    ("content", "name", "answer"),
    [
        (png(2, 2), "stdin.png", f"echo: What is this? [image image/png, {len(png(2, 2))} bytes]"),
        (
            b"line one\nline two\n",
            "stdin.txt",
            "echo: File: stdin.txt\n```\nline one\nline two\n```\n\nWhat is this?",
        ),
    ],
)
def test_dash_attaches_standard_input(
    fake_server: FakeServer, configured: Path, content: bytes, name: str, answer: str
) -> None:
    import subprocess
    import sys

    result = subprocess.run(
        [sys.executable, "-m", "mmchat", "ask", "-a", "-", "What is this?"],
        input=content,
        capture_output=True,
        timeout=60,
        env=dict(os.environ),
    )
    assert result.returncode == 0, result.stderr
    assert _db_rows("SELECT name FROM attachments") == [(name,)]
    assert result.stdout.decode() == answer + "\n"


def test_dash_needs_the_question_as_arguments(configured: Path) -> None:
    result = mmchat("ask", "-a", "-", input="some file")
    assert result.returncode == 2
    assert "give a prompt as arguments (stdin is the attached file)" in result.stderr


@pytest.mark.parametrize(
    ("args", "said"),
    [
        (["-a", "{files}/missing.txt"], "cannot attach {files}/missing.txt: no such file"),
        (["-a", "{files}"], "{files} is a folder: attach the files in it one by one"),
        (
            ["-a", "{files}/big.txt"],
            f"big.txt is 10.7 KB, over the limit of {LIMIT_TEXT} (max_file_mb in [attachments]",
        ),
        (
            ["-a", "{files}/half.txt", "-a", "{files}/notes.md", "-a", "{files}/half.txt"],
            "half.txt (7.8 KB) would bring this message's attachments to 15.6 KB, over the "
            "limit of 15.4 KB per message",
        ),
        (["-a", "{files}/blob.bin"], "blob.bin is neither text nor a PNG, JPEG, GIF or WebP"),
        (
            ["-m", "blind", "-a", "{files}/photo.png"],
            "an image attached, but model 'blind' is not marked as taking images: if it does, "
            "set `vision = true` in [models.blind]",
        ),
        (
            ["-m", "tiny", "-a", "{files}/photo.png"],
            "model 'tiny' (the embedded local model) takes no images",
        ),
        (
            ["-s", "mixed", "-a", "{files}/photo.png"],
            "model 'blind' is not marked as taking images",
        ),
    ],
    ids=["missing", "folder", "too-big", "message-too-big", "binary", "blind", "local", "preset"],
)
def test_a_file_that_cannot_go_is_refused_before_anything_is_sent_or_saved(
    fake_server: FakeServer, configured: Path, files: Path, args: list[str], said: str
) -> None:
    result = mmchat("ask", *(a.format(files=files) for a in args), "What is this?")
    assert result.returncode == 2, result.stderr
    assert said.format(files=files) in result.stderr
    assert fake_server.requests == []
    assert _db_rows("SELECT count(*) FROM messages") in ([], [(0,)])
