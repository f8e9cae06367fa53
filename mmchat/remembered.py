"""What a conversation remembers (its preset and persona), read back against today's config.

The store keeps the label a turn ran with: a preset's name, or for one model picked
directly ``model:ALIAS`` (the TUI) / ``single:ALIAS`` (``mmchat ask --model``). Reopening
a conversation (the TUI, ``mmchat ask -c``) continues with them, unless the config no
longer has them: then it says so and keeps what it would use otherwise.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from mmchat.config_schema import Config

__all__ = ["Remembered", "remembered"]

_MODEL_PREFIXES = ("model:", "single:")


@dataclass(frozen=True, slots=True)
class Remembered:
    preset: str | None = None  # a configured preset's name...
    model: str | None = None  # ...or a model alias run alone (single)
    persona: str | None = None  # a configured persona ('' = none); None: not restorable
    problems: tuple[str, ...] = ()  # what could not be restored, for the user


def remembered(config: Config, preset_label: str, persona: str) -> Remembered:
    """The conversation's stored ``preset_label`` and ``persona`` as today's config has them."""
    problems: list[str] = []
    preset = model = None
    label = preset_label.strip()
    alias = next((label[len(p) :] for p in _MODEL_PREFIXES if label.startswith(p)), None)
    if alias is not None and alias in config.models:
        model = alias
    elif label in config.presets:
        preset = label
    elif label:
        what = f"model {alias!r}" if alias is not None else f"preset {label!r}"
        problems.append(f"its {what} is no longer configured")
    restored_persona: str | None = persona
    if persona and persona not in config.personas:
        problems.append(f"its persona {persona!r} is no longer configured")
        restored_persona = None
    return Remembered(preset, model, restored_persona, tuple(problems))
