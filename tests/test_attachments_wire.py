"""Attachments on the wire: each protocol's exact request body, checked against the loopback
fake server (which validates images as the real APIs do and names, in its echo, every
image it was sent)."""

from __future__ import annotations

import base64

import pytest

from mmchat.api import Attachment, Message
from mmchat.providers import make_provider
from mmchat.providers.base import ChatRequest
from tests.fakeserver.clients import (
    anthropic_cfg,
    collect,
    gemini_cfg,
    ollama_cfg,
    openai_cfg,
    text_of,
)
from tests.sample_images import GIF, png

KEY = "sk-test-0123456789abcdef"
PNG = png()
PNG_B64 = base64.b64encode(PNG).decode()
GIF_B64 = base64.b64encode(GIF).decode()
NOTES = Attachment("notes.md", "text/markdown", b"# Plan\n```py\nx = 1\n```\n")
PHOTO = Attachment("photo.png", "image/png", PNG)
ANIMATION = Attachment("wave.gif", "image/gif", GIF)
# The text a model reads: the file in a fence longer than the one inside it, then the words.
TEXT = "File: notes.md\n````\n# Plan\n```py\nx = 1\n```\n````\n\nWhat is in these?"


def request(*attachments: Attachment) -> ChatRequest:
    return ChatRequest(
        model="test-model",
        messages=[
            Message("user", "earlier"),
            Message("assistant", "noted"),
            Message("user", "What is in these?", attachments),
        ],
        max_tokens=64,
    )


async def test_openai_sends_text_files_inline_and_images_as_data_url_parts(
    fake_server, http_client
):
    p = make_provider("openai", openai_cfg(fake_server), http_client, KEY)
    parts, err = await collect(p.stream(request(NOTES, PHOTO, ANIMATION)))
    assert err is None
    assert fake_server.last.json["messages"] == [
        {"role": "user", "content": "earlier"},
        {"role": "assistant", "content": "noted"},
        {
            "role": "user",
            "content": [
                {"type": "text", "text": TEXT},
                {"type": "image_url", "image_url": {"url": f"data:image/png;base64,{PNG_B64}"}},
                {"type": "image_url", "image_url": {"url": f"data:image/gif;base64,{GIF_B64}"}},
            ],
        },
    ]
    assert text_of(parts) == (
        f"echo: {TEXT} [image image/png, {len(PNG)} bytes] [image image/gif, {len(GIF)} bytes]"
    )


async def test_openai_text_only_attachments_keep_string_content(fake_server, http_client):
    p = make_provider("openai", openai_cfg(fake_server), http_client, KEY)
    _, err = await collect(p.stream(request(NOTES)))
    assert err is None
    assert fake_server.last.json["messages"][-1] == {"role": "user", "content": TEXT}


async def test_anthropic_sends_base64_image_blocks_before_the_text(fake_server, http_client):
    p = make_provider("anthropic", anthropic_cfg(fake_server), http_client, KEY)
    parts, err = await collect(p.stream(request(NOTES, PHOTO)))
    assert err is None
    assert fake_server.last.json["messages"] == [
        {"role": "user", "content": "earlier"},
        {"role": "assistant", "content": "noted"},
        {
            "role": "user",
            "content": [
                {
                    "type": "image",
                    "source": {"type": "base64", "media_type": "image/png", "data": PNG_B64},
                },
                {"type": "text", "text": TEXT},
            ],
        },
    ]
    assert text_of(parts).endswith(f"[image image/png, {len(PNG)} bytes]")


async def test_anthropic_merges_a_user_turn_with_images_into_blocks(fake_server, http_client):
    """Roles must alternate: two user messages in a row become one, blocks kept."""
    p = make_provider("anthropic", anthropic_cfg(fake_server), http_client, KEY)
    req = ChatRequest(
        model="test-model",
        messages=[Message("user", "first"), Message("user", "look", (PHOTO,))],
    )
    _, err = await collect(p.stream(req))
    assert err is None
    assert fake_server.last.json["messages"] == [
        {
            "role": "user",
            "content": [
                {"type": "text", "text": "first"},
                {
                    "type": "image",
                    "source": {"type": "base64", "media_type": "image/png", "data": PNG_B64},
                },
                {"type": "text", "text": "look"},
            ],
        }
    ]


async def test_ollama_sends_bare_base64_images_on_the_message(fake_server, http_client):
    p = make_provider("ollama", ollama_cfg(fake_server), http_client, None)
    parts, err = await collect(p.stream(request(NOTES, PHOTO)))
    assert err is None
    assert fake_server.last.json["messages"] == [
        {"role": "user", "content": "earlier"},
        {"role": "assistant", "content": "noted"},
        {"role": "user", "content": TEXT, "images": [PNG_B64]},
    ]
    assert text_of(parts) == f"echo: {TEXT} [image image/png, {len(PNG)} bytes]"


async def test_gemini_sends_inline_data_parts(fake_server, http_client):
    p = make_provider("gemini", gemini_cfg(fake_server), http_client, KEY)
    parts, err = await collect(p.stream(request(NOTES, PHOTO)))
    assert err is None
    assert fake_server.last.json["contents"] == [
        {"role": "user", "parts": [{"text": "earlier"}]},
        {"role": "model", "parts": [{"text": "noted"}]},
        {
            "role": "user",
            "parts": [
                {"text": TEXT},
                {"inline_data": {"mime_type": "image/png", "data": PNG_B64}},
            ],
        },
    ]
    assert text_of(parts) == f"echo: {TEXT} [image image/png, {len(PNG)} bytes]"


@pytest.mark.parametrize(
    ("kind", "cfg", "data", "said"),
    [
        ("openai", openai_cfg, b"no image at all", "unsupported image"),
        ("anthropic", anthropic_cfg, GIF, "does not match the provided media type"),
        ("ollama", ollama_cfg, b"no image at all", "unknown format"),
    ],
)
async def test_the_fake_server_refuses_an_image_whose_bytes_lie(
    fake_server, http_client, kind, cfg, data, said
):
    """The checks above are worth something: the server does look at the images."""
    liar = Attachment("fake.png", "image/png", data)
    p = make_provider(kind, cfg(fake_server), http_client, KEY)
    _, err = await collect(p.stream(request(liar)))
    assert err is not None and err.status == 400 and said in str(err)
