"""`mmchat models use NAME`: a found GGUF file becomes a provider + alias in the config.

The provider is of kind ``local`` (the embedded llama.cpp server runs the file: no
daemon, not even Ollama's for an Ollama blob); its context is the file's own, capped
at the embedded default so a 128k-context model does not reserve gigabytes.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from mmchat.config_schema import Config, ModelConfig
from mmchat.local_models.discovery import FoundModel

__all__ = ["alias_for", "match_model", "use_model"]

MAX_CONTEXT = 8192


def match_model(found: Sequence[FoundModel], name: str) -> FoundModel | list[FoundModel]:
    """The entry ``name`` means: an exact name, else the one name containing it
    (case-insensitive); otherwise the candidates (none, or several)."""
    for entry in found:
        if entry.name == name:
            return entry
    wanted = name.lower()
    partial = [entry for entry in found if wanted in entry.name.lower()]
    return partial[0] if len(partial) == 1 else partial


def alias_for(entry: FoundModel) -> str:
    """A config name for it: "llama3.2:1b" -> "llama3.2-1b", "org/r/Qwen-Q4.gguf" -> "qwen-q4"."""
    base = entry.name if entry.source == "ollama" else entry.name.rsplit("/", 1)[-1]
    base = base.removesuffix(".gguf").lower()
    slug = re.sub(r"[^a-z0-9_.-]+", "-", base).strip("-.")[:56]
    return slug or "gguf-model"


def use_model(config: Config, entry: FoundModel, *, make_default: bool) -> tuple[Config, str]:
    """``config`` with a provider ``gguf-ALIAS`` and an alias ``ALIAS`` running the
    file (replaced if they exist), and the alias."""
    if entry.path is None or entry.problem:
        raise ValueError(f"{entry.name} cannot be used: {entry.problem or 'no file'}")
    alias = alias_for(entry)
    provider = f"gguf-{alias}"[:64]
    context = entry.info.context_length if entry.info else None
    data = config.model_dump(mode="json", exclude_none=True)
    data["providers"][provider] = {
        "kind": "local",
        "path": str(entry.path),
        "n_ctx": min(context or MAX_CONTEXT, MAX_CONTEXT),
    }
    previous = config.models.get(alias)
    model = {"provider": provider, "model": alias, "price_in": 0.0, "price_out": 0.0}
    if previous is not None and previous.provider == provider:
        model = {**previous.model_dump(mode="json", exclude_none=True), **model}
    data["models"][alias] = ModelConfig.model_validate(model).model_dump(
        mode="json", exclude_none=True
    )
    if make_default:
        data.setdefault("defaults", {})["model"] = alias
    return Config.model_validate(data), alias
