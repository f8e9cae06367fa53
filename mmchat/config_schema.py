"""The shape of config.toml, declared once with pydantic.

pydantic was chosen over hand-written checks because it reports *every* problem with
its key path, rejects unknown keys (``extra="forbid"``) and gives the settings UI the
same field descriptions the validator uses. Loading, error formatting and saving live
in ``config.py``.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import (
    AnyHttpUrl,
    BaseModel,
    ConfigDict,
    Field,
    NonNegativeFloat,
    PositiveFloat,
    PositiveInt,
    model_validator,
)

NAME_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.\-]*$"
Name = Annotated[str, Field(pattern=NAME_PATTERN, max_length=64)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class HttpProviderConfig(_Strict):
    base_url: AnyHttpUrl = Field(description="Root URL of the API")
    key: str | None = Field(
        default=None,
        description="Name of the API key in the OS keyring (set with `mmchat keys set NAME`)",
    )
    key_env: str | None = Field(
        default=None, description="Environment variable to read the key from when not in keyring"
    )
    headers: dict[str, str] = Field(default_factory=dict, description="Extra HTTP headers")
    connect_timeout: PositiveFloat = Field(default=10.0, description="Seconds to connect")
    read_timeout: PositiveFloat = Field(
        default=180.0, description="Longest silence between streamed chunks, in seconds"
    )
    max_retries: Annotated[int, Field(ge=0, le=10)] = Field(
        default=2, description="Retries before any text arrives (429, 5xx, timeouts)"
    )


class OpenAIProviderConfig(HttpProviderConfig):
    kind: Literal["openai"]
    stream_usage: bool = Field(
        default=True,
        description="Send stream_options.include_usage (turn off for servers that reject it)",
    )


class AnthropicProviderConfig(HttpProviderConfig):
    kind: Literal["anthropic"]
    base_url: AnyHttpUrl = Field(
        default=AnyHttpUrl("https://api.anthropic.com/v1"), description="Root URL of the API"
    )
    version: str = Field(default="2023-06-01", description="anthropic-version header")


class OllamaProviderConfig(HttpProviderConfig):
    kind: Literal["ollama"]
    base_url: AnyHttpUrl = Field(
        default=AnyHttpUrl("http://localhost:11434"), description="Root URL of the Ollama server"
    )


class LocalProviderConfig(_Strict):
    kind: Literal["local"]
    path: str = Field(
        default="",
        description="Path to a GGUF file; empty means the embedded SmolLM2-135M-Instruct",
    )
    n_ctx: PositiveInt = Field(default=8192, description="Context size in tokens")
    threads: PositiveInt | None = Field(
        default=None,
        description="CPU threads (unset: all cores but one, so the app itself stays smooth)",
    )
    parallel: PositiveInt = Field(default=4, description="Requests served at once")
    read_timeout: PositiveFloat = Field(default=300.0, description="Longest silence, seconds")


ProviderConfig = Annotated[
    OpenAIProviderConfig | AnthropicProviderConfig | OllamaProviderConfig | LocalProviderConfig,
    Field(discriminator="kind"),
]


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
        default=None, description="USD per million input tokens (unknown when unset)"
    )
    price_out: NonNegativeFloat | None = Field(
        default=None, description="USD per million output tokens (unknown when unset)"
    )
    params: dict[str, Any] = Field(
        default_factory=dict, description="Extra request fields passed through as-is"
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


class UIConfig(_Strict):
    theme: str = Field(default="mmchat-dark", description="Theme name")
    keymap: dict[str, str] = Field(
        default_factory=dict, description='Binding id → keys, e.g. send = "ctrl+s"'
    )
    sidebar: bool = Field(default=True, description="Show the conversation list")
    markdown: Literal["lean", "stock"] = Field(
        default="lean",
        description=(
            "How answers are drawn: lean (fast; reaches into Textual's internals) or "
            "stock (Textual's own Markdown widget, slower with long answers and many "
            "panes). The MMCHAT_MARKDOWN environment variable overrides it; a change "
            "applies when mmchat starts"
        ),
    )


class Config(_Strict):
    defaults: DefaultsConfig = Field(default_factory=DefaultsConfig)
    ui: UIConfig = Field(default_factory=UIConfig)
    providers: dict[Name, ProviderConfig] = Field(default_factory=dict)
    models: dict[Name, ModelConfig] = Field(default_factory=dict)
    presets: dict[Name, PresetConfig] = Field(default_factory=dict)
    plugins_dir: str | None = Field(
        default=None, description="Extra directory of strategy plugins (.py files)"
    )

    @model_validator(mode="after")
    def _references_resolve(self) -> Config:
        for alias, model in self.models.items():
            if model.provider not in self.providers:
                known = ", ".join(sorted(self.providers)) or "none"
                raise ValueError(
                    f"models.{alias}.provider: no provider named {model.provider!r} "
                    f"(known: {known})"
                )
        if self.presets and self.defaults.preset not in self.presets:
            raise ValueError(
                f"defaults.preset: no preset named {self.defaults.preset!r} "
                f"(known: {', '.join(sorted(self.presets))})"
            )
        return self
