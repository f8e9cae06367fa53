"""One dim line per model alias saying what sets it apart: several aliases often run
the same model (``local/smollm2-135m-instruct`` four times) and differ only in
temperature, answer length, system prompt or extra sampling fields."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from typing import Any

from mmchat.config_schema import ModelConfig

__all__ = ["alias_details"]

SYSTEM_CHARS = 48  # a system prompt is shown up to here, then "…"


def alias_details(models: Mapping[str, ModelConfig]) -> dict[str, str]:
    """Alias -> "temperature 0.7 · max 256 tokens · system “Be brief.”" (empty when
    nothing is set). ``params`` fields are shown only where aliases of the same model
    disagree on them: a field all of them share tells them apart from nothing."""
    groups: dict[tuple[str, str], list[ModelConfig]] = defaultdict(list)
    for model in models.values():
        groups[(model.provider, model.model)].append(model)
    details: dict[str, str] = {}
    for alias, model in models.items():
        siblings = groups[(model.provider, model.model)]
        parts = []
        if model.temperature is not None:
            parts.append(f"temperature {model.temperature:g}")
        if model.top_p is not None:
            parts.append(f"top_p {model.top_p:g}")
        if model.max_tokens is not None:
            parts.append(f"max {model.max_tokens} tokens")
        for key, value in model.params.items():
            if len(siblings) > 1 and any(s.params.get(key) != value for s in siblings):
                parts.append(f"{key} {_short(value)}")
        if model.system:
            parts.append(f"system “{_clip(' '.join(model.system.split()))}”")
        details[alias] = " · ".join(parts)
    return details


def _short(value: Any) -> str:
    return f"{value:g}" if isinstance(value, float) else _clip(str(value))


def _clip(text: str) -> str:
    return text if len(text) <= SYSTEM_CHARS else text[: SYSTEM_CHARS - 1] + "…"
