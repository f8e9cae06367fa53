"""Personas: named system prompts from config (``[personas.NAME] system = "..."``).

A conversation runs with one persona or none (the TUI's persona picker, ``mmchat ask
--persona NAME``); the conversation remembers it. Its system prompt goes to every lane
of every strategy (answers, judges, classifiers, planners...), after the model alias's
own system prompt (or the one a strategy gives a call) and before the turn's own
system messages (``mmchat ask --system``): all of them are sent, joined by a blank
line, in that order (see :mod:`mmchat.turn`).

Light on purpose (pydantic only): the config schema imports it.
"""

from __future__ import annotations

from collections.abc import Mapping

from pydantic import BaseModel, ConfigDict, Field

__all__ = ["PersonaConfig", "UnknownPersona", "persona_system"]


class PersonaConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    system: str = Field(
        min_length=1,
        description=(
            "System prompt sent to every model of every strategy, after the model's own "
            "system prompt"
        ),
    )
    description: str = Field(default="", description="One line shown in the persona picker")


class UnknownPersona(LookupError):
    """A persona name that config does not define (message is for the user)."""


def persona_system(personas: Mapping[str, PersonaConfig], name: str) -> str | None:
    """The system prompt of persona ``name`` ('' = no persona: None)."""
    if not name:
        return None
    persona = personas.get(name)
    if persona is None:
        known = ", ".join(sorted(personas)) or "none configured"
        raise UnknownPersona(f"no persona named {name!r} (known: {known})")
    return persona.system
