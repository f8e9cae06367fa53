"""Lean mode: LeanMarkdown documents, streamed on the app's shared flush clock."""

from __future__ import annotations

from collections.abc import Callable

from mmchat.tui.markdown.lean_markdown import LeanMarkdown
from mmchat.tui.markdown.lean_stream import LeanStream
from mmchat.tui.markdown.parser import chat_parser

__all__ = ["lean_document", "lean_streamed"]


def lean_document(markdown: str = "", *, classes: str | None = None) -> LeanMarkdown:
    return LeanMarkdown(markdown, classes=classes, parser_factory=chat_parser)


def lean_streamed(
    *,
    classes: str | None = None,
    tail_lines: int | None = None,
    on_flush: Callable[[], None] | None = None,
) -> LeanStream:
    return LeanStream(
        LeanMarkdown(keep_lines=tail_lines, classes=classes, parser_factory=chat_parser), on_flush
    )
