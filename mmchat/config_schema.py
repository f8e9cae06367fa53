"""The shape of config.toml, declared once with pydantic.

pydantic was chosen over hand-written checks because it reports *every* problem with
its key path, rejects unknown keys (``extra="forbid"``) and gives the settings UI the
same field descriptions the validator uses. Loading, error formatting and saving live
in ``config.py``.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    NonNegativeFloat,
    PositiveFloat,
    PositiveInt,
    ValidationInfo,
    model_validator,
)

from mmchat import provider_kinds
from mmchat.builtin_kinds import (
    AnthropicProviderConfig,
    LocalProviderConfig,
    OllamaProviderConfig,
    OpenAIProviderConfig,
)
from mmchat.config_refs import reference_problems
from mmchat.personas import PersonaConfig
from mmchat.provider_kinds import HttpProviderConfig, ProviderConfigBase, by_kind

__all__ = [
    "NAME_PATTERN",
    "AnthropicProviderConfig",
    "AttachmentsConfig",
    "Config",
    "DefaultsConfig",
    "HttpProviderConfig",
    "LocalProviderConfig",
    "ModelConfig",
    "Name",
    "OllamaProviderConfig",
    "OpenAIProviderConfig",
    "PersonaConfig",
    "PresetConfig",
    "ProviderConfig",
    "ProviderConfigBase",
    "UIConfig",
    "reload_kinds",
]

NAME_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.\-]*$"
Name = Annotated[str, Field(pattern=NAME_PATTERN, max_length=64)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


# The provider tables: one config model per kind, declared with the kind itself
# (mmchat/builtin_kinds.py; packages add kinds by entry point). Re-exported here.
ProviderConfig = Annotated[ProviderConfigBase, by_kind]


class ModelConfig(_Strict):
    provider: Name = Field(description="Name of a provider in [providers]")
    model: str = Field(min_length=1, description="The provider's model id")
    temperature: Annotated[float, Field(ge=0, le=2)] | None = Field(
        default=None, description="Sampling temperature"
    )
    max_tokens: PositiveInt | None = Field(default=None, description="Cap on answer length")
    top_p: Annotated[float, Field(gt=0, le=1)] | None = None
    system: str | None = Field(default=None, description="System prompt for this alias")
    price_in: NonNegativeFloat | None = Field(
        default=None,
        description="USD per million input tokens (unset: the genai-prices table's, "
        "$0 for a local model, else unknown)",
    )
    price_out: NonNegativeFloat | None = Field(
        default=None,
        description="USD per million output tokens (unset: the genai-prices table's, "
        "$0 for a local model, else unknown)",
    )
    price_as: Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9_.\-]*(:.+)?$")] | None = Field(
        default=None,
        description=(
            "Price it by the genai-prices table as this provider, or provider:model "
            '(e.g. "openai" or "openai:gpt-4o-mini"), for a proxy or gateway whose URL '
            "the table does not know; price_in/price_out still win"
        ),
    )
    params: dict[str, Any] = Field(
        default_factory=dict, description="Extra request fields passed through as-is"
    )
    vision: bool = Field(
        default=False,
        description=(
            "The model takes images (PNG, JPEG, GIF, WebP): attached images are sent to "
            "it; a model without it is refused images before any request"
        ),
    )


class PresetConfig(_Strict):
    strategy: str = Field(min_length=1, description="Strategy plugin name")
    description: str = ""
    options: dict[str, Any] = Field(
        default_factory=dict, description="The strategy's options (see `mmchat plugins`)"
    )
    budget: NonNegativeFloat | None = Field(
        default=None, description="Most USD one turn may spend; refused or stopped beyond it"
    )
    time_limit: PositiveFloat = Field(default=600.0, description="Most seconds one turn may take")


class DefaultsConfig(_Strict):
    preset: str = Field(default="single", description="Preset used for new conversations")
    model: str = Field(default="local", description="Model used by the `single` preset")
    persona: str = Field(
        default="", description="Persona (a name in [personas]) of new conversations; empty: none"
    )


class UIConfig(_Strict):
    theme: str = Field(
        default="mmchat-dark",
        description="Theme name (the palette's Theme command saves its choice here)",
    )
    keymap: dict[str, str] = Field(
        default_factory=dict, description='Binding id → keys, e.g. send = "ctrl+s"'
    )
    sidebar: bool = Field(
        default=True,
        description="Show the conversation list (hidden while the window is under 100 columns)",
    )
    markdown: Literal["lean", "stock"] = Field(
        default="lean",
        description=(
            "How answers are drawn: lean (fast; reaches into Textual's internals) or "
            "stock (Textual's own Markdown widget, slower with long answers and many "
            "panes). The MMCHAT_MARKDOWN environment variable overrides it; a change "
            "applies when mmchat starts"
        ),
    )


class AttachmentsConfig(_Strict):
    max_file_mb: PositiveFloat = Field(
        default=5.0, description="Largest file that can be attached, in MB (1 MB = 1024² bytes)"
    )
    max_message_mb: PositiveFloat = Field(
        default=20.0, description="Most MB of attachments one message may carry"
    )


class LocalFilesConfig(_Strict):
    model_dirs: list[str] = Field(
        default_factory=list,
        description=(
            "Folders searched for .gguf model files (`mmchat models` lists them, "
            "`mmchat models use NAME` runs one), besides Ollama's store, LM Studio's "
            "models folder and the Hugging Face cache"
        ),
    )


class Config(_Strict):
    # Built on first validation: the provider union reads the installed kinds then.
    model_config = ConfigDict(extra="forbid", defer_build=True)

    defaults: DefaultsConfig = Field(default_factory=DefaultsConfig)
    ui: UIConfig = Field(default_factory=UIConfig)
    attachments: AttachmentsConfig = Field(default_factory=AttachmentsConfig)
    providers: dict[Name, ProviderConfig] = Field(default_factory=dict)
    models: dict[Name, ModelConfig] = Field(default_factory=dict)
    presets: dict[Name, PresetConfig] = Field(default_factory=dict)
    personas: dict[Name, PersonaConfig] = Field(
        default_factory=dict, description="Named system prompts, picked per conversation"
    )
    local: LocalFilesConfig = Field(default_factory=LocalFilesConfig)
    plugins_dir: str | None = Field(
        default=None, description="Extra directory of strategy plugins (.py files)"
    )

    @model_validator(mode="after")
    def _references_resolve(self, info: ValidationInfo) -> Config:
        # config.parse_config runs these on the raw TOML itself, to report them all
        # alongside the other problems of the file; configs built in code get them here,
        # but for defaults.model (forms fill in its default, "local", which may name no
        # alias; config_to_dict leaves such a default out of the file).
        if info.context and info.context.get(REFERENCES_CHECKED_BY_CALLER):
            return self
        view = {
            "providers": self.providers,
            "models": {alias: {"provider": m.provider} for alias, m in self.models.items()},
            "presets": self.presets,
            "personas": self.personas,
            "defaults": {"preset": self.defaults.preset, "persona": self.defaults.persona},
            "ui": {"theme": self.ui.theme},
        }
        problems = reference_problems(view)
        if problems:
            raise ValueError("; ".join(f"{'.'.join(k)}: {m}" for k, m in problems))
        return self


# Validation context key: the caller checks cross-references itself (config.py).
REFERENCES_CHECKED_BY_CALLER = "references_checked_by_caller"


def reload_kinds() -> None:
    """Read the provider kinds' entry points again and rebuild ``Config`` so validation
    follows them (for a process that installed or removed a package)."""
    provider_kinds.reload()
    Config.model_rebuild(force=True)
