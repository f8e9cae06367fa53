"""Render the config reference (docs/config-reference.md) from the schema itself.

The descriptions live once, in ``config_schema.py``, in each provider kind's config
model (``mmchat.provider_kinds``) and in each strategy's Options; this turns them into
Markdown so the docs cannot drift from the validator
(``tests/test_docs.py`` checks the committed file is current).
"""

from __future__ import annotations

import types
import typing
from typing import Any

from pydantic import BaseModel
from pydantic.fields import FieldInfo
from pydantic_core import PydanticUndefined

from mmchat import config_schema as cs
from mmchat import provider_kinds

LONG_DEFAULT = 120  # characters: a longer default is described, not printed

SECTIONS: list[tuple[str, type[BaseModel], str]] = [
    ("[defaults]", cs.DefaultsConfig, "What a new conversation uses."),
    ("[ui]", cs.UIConfig, "Appearance and keys."),
    ("[attachments]", cs.AttachmentsConfig, "Files attached to a message (`ask -a`, alt+a)."),
]
AFTER_PROVIDERS: list[tuple[str, type[BaseModel], str]] = [
    (
        "[models.ALIAS]",
        cs.ModelConfig,
        "A model alias: provider + model id + parameters. Presets name aliases.",
    ),
    ("[presets.NAME]", cs.PresetConfig, "A strategy with its options."),
    (
        "[personas.NAME]",
        cs.PersonaConfig,
        "A named system prompt, picked per conversation (the TUI's persona picker, "
        "`mmchat ask --persona NAME`); it goes to every model of every strategy, after "
        "the model's own system prompt.",
    ),
    ("[local]", cs.LocalFilesConfig, "GGUF model files on this machine."),
]


def provider_sections() -> list[tuple[str, type[BaseModel], str]]:
    """One section per installed provider kind (built-ins first), from the registry."""
    sections: list[tuple[str, type[BaseModel], str]] = []
    for kind in provider_kinds.kinds():
        blurb = kind.summary
        if kind.key_env:
            blurb += (
                " With neither `key` nor `key_env`, the key is the keyring entry named after"
                f" the provider, else `{kind.key_env}`."
            )
        sections.append((f'[providers.NAME] kind = "{kind.name}"', kind.config, blurb))
    return sections


def type_name(annotation: Any) -> str:
    origin = typing.get_origin(annotation)
    if origin is typing.Annotated:
        return type_name(typing.get_args(annotation)[0])
    if origin is typing.Literal:
        return " | ".join(repr(a) for a in typing.get_args(annotation))
    if origin in (typing.Union, types.UnionType):
        return " | ".join(type_name(a) for a in typing.get_args(annotation))
    if origin in (list, dict):
        args = ", ".join(type_name(a) for a in typing.get_args(annotation))
        return f"{origin.__name__}[{args}]"
    if annotation is type(None):
        return "none"
    return getattr(annotation, "__name__", str(annotation))


def default_text(info: FieldInfo) -> str:
    if info.default is PydanticUndefined and info.default_factory is None:
        return "required"
    value = info.get_default(call_default_factory=True)
    if isinstance(value, BaseModel):
        return "(table)"
    if value is None:
        return "unset"
    if value == "":
        return '`""`'
    if isinstance(value, (dict, list)) and len(str(value)) > LONG_DEFAULT:
        # the router's rules and examples: pages of data, described not dumped
        return f"built in ({len(value)} {'routes' if isinstance(value, dict) else 'items'})"
    return f"`{value!s}`"


def field_rows(model: type[BaseModel]) -> list[str]:
    rows = ["| key | type | default | meaning |", "|---|---|---|---|"]
    for name, info in model.model_fields.items():
        if name == "kind":
            continue
        kind = type_name(info.annotation).replace("|", "\\|")
        rows.append(f"| `{name}` | {kind} | {default_text(info)} | {info.description or ''} |")
    return rows


def render(strategies: dict[str, Any] | None = None) -> str:
    out = [
        "# Configuration reference",
        "",
        "Generated from the schema by `python -m mmchat.config_reference`; do not edit.",
        "The file lives at `mmchat config path` (override the folder with",
        "`MMCHAT_CONFIG_DIR`; history goes to `MMCHAT_DATA_DIR`). API keys never go in it.",
        "",
    ]
    for title, model, blurb in [*SECTIONS, *provider_sections(), *AFTER_PROVIDERS]:
        out += [f"## `{title}`", "", blurb, "", *field_rows(model), ""]
    if strategies:
        out += ["## Strategy options (`[presets.NAME] options = {...}`)", ""]
        for name in sorted(strategies):
            cls = strategies[name]
            out += [f"### `{name}` — {cls.summary}", "", *field_rows(cls.Options), ""]
    return "\n".join(out)


def main() -> None:
    from mmchat.plugins import discover

    registry = discover([])
    print(render({n: registry.strategies[n] for n in registry.names()}))


if __name__ == "__main__":
    main()
