"""Which models take images: a turn with images is refused before any request when a
model of its preset does not.

Attachments go to every lane of a turn, so every model a preset names (through the
presets it runs as steps too) must take images. A model takes them when its alias says
``vision = true``; nothing else is guessed (a model id says too little, and a wrong
guess costs a failed request per lane). The embedded local model never does.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, Protocol

from mmchat.api import Attachment

if TYPE_CHECKING:
    from mmchat.config_schema import Config, PresetConfig

__all__ = ["PresetHost", "image_refusal", "no_images_message", "preset_models"]


class PresetHost(Protocol):
    """What the check needs of the engine: the config and presets resolved."""

    @property
    def config(self) -> Config: ...

    def resolve_preset(self, preset: Any, *, label: str = ...) -> tuple[Any, Any]: ...


def preset_models(host: PresetHost, preset: str | PresetConfig, label: str = "") -> list[str]:
    """Every model alias ``preset`` may call, through the presets it runs as steps."""
    found: list[str] = []
    seen: set[str] = set()

    def walk(target: str | PresetConfig, name: str) -> None:
        strategy, options = host.resolve_preset(target, label=name)
        cls = type(strategy)
        for alias in cls.model_refs(options):
            if alias not in found:
                found.append(alias)
        for sub in cls.preset_refs(options):
            if sub not in seen:
                seen.add(sub)
                walk(sub, sub)

    walk(preset, label or (preset if isinstance(preset, str) else preset.strategy))
    return found


def no_images_message(config: Config, alias: str, count: int = 1) -> str:
    """Why ``alias`` gets no images, and what to do, in one line."""
    files = "an image" if count == 1 else f"{count} images"
    spec = config.models.get(alias)
    provider = config.providers.get(spec.provider) if spec is not None else None
    if provider is not None and provider.kind == "local":
        return (
            f"{files} attached, but model {alias!r} (the embedded local model) takes no "
            "images: attach text files only, or pick a model that sees images (ctrl+l, "
            "or --model) with `vision = true` in its [models.NAME]"
        )
    return (
        f"{files} attached, but model {alias!r} is not marked as taking images: if it "
        f"does, set `vision = true` in [models.{alias}]; else pick a model that does "
        "(ctrl+l, or --model)"
    )


def image_refusal(
    host: PresetHost,
    preset: str | PresetConfig,
    attachments: Sequence[Attachment],
    label: str = "",
) -> str | None:
    """Why this turn cannot send its images (a model of the preset takes none), or
    None. A preset that does not resolve is left to the engine's own message."""
    images = sum(1 for a in attachments if a.is_image)
    if not images:
        return None
    try:
        aliases = preset_models(host, preset, label)
    except Exception:  # PresetError, a cycle: the engine says so in its own words
        return None
    blind = [a for a in aliases if a in host.config.models and not host.config.models[a].vision]
    if not blind:
        return None
    message = no_images_message(host.config, blind[0], images)
    if len(blind) > 1:
        others = ", ".join(repr(a) for a in blind[1:])
        message += f" (nor do {others}, in the same preset)"
    return message
