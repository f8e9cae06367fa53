"""The user's files reach every lane of every built-in strategy: judges, planners' steps,
pipeline stages, debaters' revisions and aggregators build their own prompts from the
user's words, and still show the model the files. Run on the shipped default presets,
their models pointed at the loopback fake server."""

from __future__ import annotations

import base64
import tomllib
from typing import Any

import pytest

from mmchat.api import Attachment, LaneClosed, Message
from mmchat.config import default_config_text
from mmchat.config_schema import Config
from mmchat.engine import Engine, TurnRequest
from mmchat.plugins import discover
from tests.fakeserver.server import FakeServer
from tests.sample_images import png

PNG = png(3, 3)
NOTES = Attachment("notes.txt", "text/plain", b"The launch is on Tuesday.\n")
PHOTO = Attachment("chart.png", "image/png", PNG)
DEFAULT = tomllib.loads(default_config_text())


def _config(server: FakeServer, *, vision: bool = True) -> Config:
    data: dict[str, Any] = dict(DEFAULT)
    data["providers"] = {
        "fake": {"kind": "openai", "base_url": server.url + "/v1", "max_retries": 0}
    }
    data["models"] = {
        alias: {"provider": "fake", "model": f"model-{alias}", "vision": vision}
        for alias in DEFAULT["models"]
    }
    return Config.model_validate(data)


def _carries_files(body: dict[str, Any]) -> bool:
    """Does one of the request's user messages hold the text file and the image?"""
    for message in body["messages"]:
        content = message["content"]
        if message["role"] != "user" or not isinstance(content, list):
            continue
        text = "".join(p.get("text", "") for p in content)
        urls = [p["image_url"]["url"] for p in content if p["type"] == "image_url"]
        if "File: notes.txt\n```\nThe launch is on Tuesday.\n```" in text and urls == [
            f"data:image/png;base64,{base64.b64encode(PNG).decode()}"
        ]:
            return True
    return False


@pytest.mark.parametrize("preset", sorted(DEFAULT["presets"]))
async def test_every_lane_of_every_strategy_gets_the_files(
    fake_server: FakeServer, preset: str
) -> None:
    engine = Engine(_config(fake_server), discover())
    request = TurnRequest(prompt="When is the launch?", preset=preset, attachments=(NOTES, PHOTO))
    events: list[Any] = []
    try:
        outcome = await engine.run_turn(request, events.append)
    finally:
        await engine.aclose()
    lanes = [e for e in events if isinstance(e, LaneClosed)]
    bodies = [r.json for r in fake_server.requests_to("/chat/completions")]
    assert outcome.error is None or "failed" not in outcome.error, outcome.error
    assert lanes and len(bodies) == len(lanes)
    missing = [b["model"] for b in bodies if not _carries_files(b)]
    assert missing == [], f"{preset}: lanes without the files: {missing}"


async def test_a_strategy_that_places_the_files_itself_is_left_alone(
    fake_server: FakeServer,
) -> None:
    """Files already on some message are not added again to the last one."""
    from mmchat.attachments.lanes import with_turn_files

    placed = [
        Message("user", "look", (PHOTO,)),
        Message("assistant", "ok"),
        Message("user", "more"),
    ]
    assert with_turn_files(placed, (PHOTO,)) == tuple(placed)
    bare = [Message("user", "look"), Message("assistant", "ok"), Message("user", "judge this")]
    carried = with_turn_files(bare, (PHOTO,))
    assert carried[2].attachments == (PHOTO,) and carried[0].attachments == ()


async def test_a_model_without_vision_is_refused_before_any_request(
    fake_server: FakeServer,
) -> None:
    engine = Engine(_config(fake_server, vision=False), discover())
    request = TurnRequest(prompt="What is this?", preset="compare", attachments=(PHOTO,))
    try:
        outcome = await engine.run_turn(request, lambda _: None)
    finally:
        await engine.aclose()
    assert outcome.status == "failed"
    assert outcome.error is not None
    assert "model 'precise' is not marked as taking images" in outcome.error
    assert "nor do 'creative', 'terse'" in outcome.error
    assert fake_server.requests == []


async def test_earlier_images_become_a_line_for_a_model_without_vision(
    fake_server: FakeServer,
) -> None:
    """A conversation that once sent an image to a vision model goes on with a text
    model: the old image is named, not sent, and nothing fails."""
    engine = Engine(_config(fake_server, vision=False), discover())
    history = (Message("user", "What is this?", (PHOTO,)), Message("assistant", "A chart."))
    request = TurnRequest(prompt="And its title?", history=history, preset="single")
    try:
        outcome = await engine.run_turn(request, lambda _: None)
    finally:
        await engine.aclose()
    assert outcome.status == "complete", outcome.error
    first = fake_server.last.json["messages"][0]
    assert first == {
        "role": "user",
        "content": "What is this?\n\n[an image, chart.png, was attached here; this model "
        "cannot see images]",
    }
