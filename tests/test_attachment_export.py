"""Exports carry the attached files: a text file inline in a fence it cannot break out
of, an image as a data URL (the export stands on its own); JSON has both by name."""

from __future__ import annotations

import base64
import json
from pathlib import Path

from mmchat.api import Attachment, Usage
from mmchat.history.export import to_json, to_markdown
from mmchat.history.store import Store
from tests.sample_images import png

README = Attachment("READ_ME.md", "text/markdown", b"# Title\n```sh\nmake\n```\n")
PHOTO = Attachment("photo.png", "image/png", png(2, 2))
PHOTO_URL = "data:image/png;base64," + base64.b64encode(PHOTO.data).decode()


def _conversation(store: Store) -> int:
    chat = store.create_conversation("With files")
    asked = store.add_user_message(chat, "What are these?", None, (README, PHOTO))
    answer = store.start_assistant(chat, asked, "single", "single")
    store.finish_assistant(
        answer, text="A plan and a photo.", status="complete", models=["m"],
        usage=Usage(3, 5), cost=None, duration=0.1, error=None,
    )  # fmt: skip
    store.add_user_message(chat, "Thanks", answer)
    return chat


def test_markdown_has_text_files_inline_and_images_as_data_urls(tmp_path: Path) -> None:
    with Store.open(tmp_path / "h.sqlite3") as store:
        md = to_markdown(store, _conversation(store))
    expected = (
        "## You\n\nWhat are these?\n\n"
        "📎 READ\\_ME.md\n\n````\n# Title\n```sh\nmake\n```\n````\n\n"
        f"![photo.png]({PHOTO_URL})\n\n"
    )
    assert expected in md
    assert md.count("📎") == 1  # the second message has none


def test_json_names_every_file_with_its_content(tmp_path: Path) -> None:
    with Store.open(tmp_path / "h.sqlite3") as store:
        data = json.loads(json.dumps(to_json(store, _conversation(store))))
    first, answer, thanks = data["messages"]
    assert first["attachments"] == [
        {
            "name": "READ_ME.md",
            "media_type": "text/markdown",
            "size": README.size,
            "text": README.text,
        },
        {"name": "photo.png", "media_type": "image/png", "size": PHOTO.size, "data_url": PHOTO_URL},
    ]
    assert thanks["attachments"] == [] and "attachments" not in answer
