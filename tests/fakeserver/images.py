"""Images in requests, as each real API checks them, and what the echo reply says of them.

What is copied from the real services (their API references and error texts):

* OpenAI: a user message's ``content`` may be a list of parts, ``{"type": "text",
  "text"}`` and ``{"type": "image_url", "image_url": {"url"}}``; the URL an https URL or
  ``data:image/{png,jpeg,gif,webp};base64,...``. Image parts only in user messages
  (400 "Image URLs are only allowed for messages with role 'user'..."), a data URL
  that does not decode to an image of those formats is 400 "You uploaded an unsupported
  image..." (``invalid_request_error``).
* Anthropic: ``{"type": "image", "source": {"type": "base64", "media_type", "data"}}``
  blocks; media_type one of the four; the bytes must be that type ("Image does not
  match the provided media type"); text blocks must be non-empty.
* Ollama: ``images``: a list of bare base64 strings on the message; one that does not
  decode is 400 ``{"error": "illegal base64 data at input byte N"}``.
* Gemini: ``{"inline_data": {"mime_type", "data"}}`` parts (camelCase ``inlineData`` /
  ``mimeType`` also accepted, as Google's JSON parser does); undecodable data is
  400 INVALID_ARGUMENT.

The default (echo) reply names every image of the last user message as
``[image image/png, 68 bytes]``: a test sees that the model was sent the picture.
"""

from __future__ import annotations

import base64
import binascii
import re
from typing import Any

TYPES = ("image/png", "image/jpeg", "image/gif", "image/webp")
_DATA_URL = re.compile(r"^data:(?P<type>[\w.+-]+/[\w.+-]+);base64,(?P<data>.*)$", re.S)


def _sniff(data: bytes) -> str | None:
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if data.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if data.startswith((b"GIF87a", b"GIF89a")):
        return "image/gif"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    return None


def _decode(data: Any) -> bytes | None:
    if not isinstance(data, str):
        return None
    try:
        return base64.b64decode(data, validate=True)
    except (binascii.Error, ValueError):
        return None


def problem(protocol: str, body: dict[str, Any]) -> str | None:
    """The error a real server gives for the request's images, or None."""
    check = {"openai": _openai, "anthropic": _anthropic, "ollama": _ollama, "gemini": _gemini}
    fn = check.get(protocol)
    return fn(body) if fn is not None else None


def _openai(body: dict[str, Any]) -> str | None:
    for i, message in enumerate(body.get("messages") or []):
        content = message.get("content")
        if not isinstance(content, list):
            continue
        for j, part in enumerate(content):
            kind = part.get("type") if isinstance(part, dict) else None
            if kind == "text" and isinstance(part.get("text"), str):
                continue
            if kind != "image_url":
                return f"Invalid value: '{kind}'. Supported values are: 'text' and 'image_url'."
            if message.get("role") != "user":
                return (
                    "Invalid 'messages[{i}]'. Image URLs are only allowed for messages with "
                    "role 'user', but this message with role '{role}' contains an image URL."
                ).format(i=i, role=message.get("role"))
            url = (part.get("image_url") or {}).get("url")
            match = _DATA_URL.match(url) if isinstance(url, str) else None
            if match is None:
                return f"Invalid 'messages[{i}].content[{j}].image_url.url'. Expected a URL."
            data = _decode(match.group("data"))
            if data is None or _sniff(data) is None or match.group("type") not in TYPES:
                return (
                    "You uploaded an unsupported image. Please make sure your image has of "
                    "one the following formats: ['png', 'jpeg', 'gif', 'webp']."
                )
    return None


def _anthropic(body: dict[str, Any]) -> str | None:
    for i, message in enumerate(body.get("messages") or []):
        content = message.get("content")
        if not isinstance(content, list):
            continue
        for j, block in enumerate(content):
            where = f"messages.{i}.content.{j}"
            kind = block.get("type") if isinstance(block, dict) else None
            if kind == "text":
                if not block.get("text"):
                    return "messages: text content blocks must be non-empty"
                continue
            if kind != "image":
                return f"{where}: Input tag '{kind}' found using 'type' does not match"
            source = block.get("source") or {}
            if source.get("type") != "base64":
                return f"{where}.image.source: Input tag '{source.get('type')}' is not expected"
            declared = source.get("media_type")
            if declared not in TYPES:
                return (
                    f"{where}.image.source.base64.media_type: Input should be 'image/jpeg', "
                    "'image/png', 'image/gif' or 'image/webp'"
                )
            data = _decode(source.get("data"))
            if data is None:
                return f"{where}.image.source.base64.data: invalid base64 data"
            if _sniff(data) != declared:
                return (
                    f"{where}.image.source.base64: Image does not match the provided media "
                    f"type {declared}"
                )
    return None


def _ollama(body: dict[str, Any]) -> str | None:
    for message in body.get("messages") or []:
        for image in message.get("images") or []:
            data = _decode(image)
            if data is None:
                return "illegal base64 data at input byte 0"
            if _sniff(data) is None:
                return "image: unknown format"
    return None


def _inline(part: dict[str, Any]) -> dict[str, Any] | None:
    inline = part.get("inline_data", part.get("inlineData"))
    return inline if isinstance(inline, dict) else None


def _gemini(body: dict[str, Any]) -> str | None:
    for i, content in enumerate(body.get("contents") or []):
        for j, part in enumerate(content.get("parts") or []):
            inline = _inline(part) if isinstance(part, dict) else None
            if inline is None:
                continue
            where = f"contents[{i}].parts[{j}].inline_data"
            if _decode(inline.get("data")) is None:
                return f"Invalid value at '{where}.data' (TYPE_BYTES), Base64 decoding failed"
            if not inline.get("mime_type", inline.get("mimeType")):
                return f"* GenerateContentRequest.{where}.mime_type: must not be empty"
    return None


def described(body: dict[str, Any]) -> str:
    """`` [image image/png, 68 bytes]`` for each image of the last user message."""
    found: list[tuple[str, int]] = []
    contents = body.get("contents")
    if isinstance(contents, list):  # Gemini
        users = [c for c in contents if isinstance(c, dict) and c.get("role") == "user"]
        for part in (users[-1].get("parts") or []) if users else []:
            inline = _inline(part) if isinstance(part, dict) else None
            if inline is not None:
                data = _decode(inline.get("data")) or b""
                found.append((str(inline.get("mime_type", inline.get("mimeType"))), len(data)))
    else:
        users = [m for m in body.get("messages") or [] if m.get("role") == "user"]
        last = users[-1] if users else {}
        for image in last.get("images") or []:  # Ollama
            data = _decode(image) or b""
            found.append((_sniff(data) or "?", len(data)))
        content = last.get("content")
        for part in content if isinstance(content, list) else []:
            if part.get("type") == "image_url":  # OpenAI
                match = _DATA_URL.match(part["image_url"]["url"])
                if match:
                    found.append((match.group("type"), len(_decode(match.group("data")) or b"")))
            elif part.get("type") == "image":  # Anthropic
                source = part["source"]
                found.append((source["media_type"], len(_decode(source["data"]) or b"")))
    return "".join(f" [image {kind}, {size} bytes]" for kind, size in found)
