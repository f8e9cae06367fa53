"""What a strategy is and what it may do: the Context, options, results.

A strategy receives a :class:`Context` that can call models by alias (each call a
*lane*: streamed, accounted, cancellable, recorded), run another preset as a step,
and emit events; it returns the turn's final :class:`Answer`.
"""

from __future__ import annotations

import abc
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar, Protocol, TypeAlias

from pydantic import BaseModel, ConfigDict, Field

from mmchat.api.attachment import Attachment
from mmchat.api.events import Event, LaneRole, LaneStatus, Message, Usage, View
from mmchat.api.ratings import Rating

__all__ = [
    "Answer",
    "Choice",
    "Context",
    "LaneResult",
    "ModelRef",
    "PlannedCall",
    "ReviewCallback",
    "Strategy",
    "StrategyError",
    "StrategyOptions",
    "models_option",
    "option",
    "preset_option",
]


# ------------------------------------------------------------------ model calls


@dataclass(frozen=True, slots=True)
class LaneResult:
    """What a finished model call produced. Failures are values, not exceptions."""

    lane: str
    model: str
    text: str
    status: LaneStatus
    usage: Usage = field(default_factory=Usage)
    cost: float | None = None
    error: str | None = None
    finish_reason: str | None = None

    @property
    def ok(self) -> bool:
        return self.status == "done"


@dataclass(frozen=True, slots=True)
class PlannedCall:
    """One model call a turn may make, for the cost estimate checked against a budget
    before anything is sent: the alias called, and the aliases whose answers its prompt
    holds (an aggregator reads the proposers': each up to that model's max_tokens)."""

    model: str
    reads: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Choice:
    """A model's pick among fixed options (:meth:`Context.classify`)."""

    value: str | None  # one of the options; None when the reply named none
    confidence: float | None  # 0-1 from token log-probabilities; None: not available
    lane: LaneResult
    constrained: bool  # the provider held the reply to the options (schema, tool…)


@dataclass(frozen=True, slots=True)
class Answer:
    """A strategy's final answer and the lanes it came from."""

    text: str
    sources: tuple[str, ...] = ()


class StrategyError(Exception):
    """Raised by a strategy to fail the turn with a message for the user."""


class Context(Protocol):
    """What a strategy may do during a turn. Implemented by the engine."""

    @property
    def messages(self) -> Sequence[Message]:
        """The conversation so far, ending with the user's new message."""

    @property
    def prompt(self) -> str:
        """The user's new message."""

    @property
    def attachments(self) -> Sequence[Attachment]:
        """The files the user attached to the new message (text files and images).

        Nothing needs doing to pass them on: every lane gets them (see :meth:`ask`)."""

    @property
    def hints(self) -> Mapping[str, str]:
        """Choices the user made for this turn, e.g. ``{"route": "math"}``."""

    def learned(self, kind: str) -> list[tuple[str, str]]:
        """What the user taught by correcting earlier turns: ``(request, choice)`` pairs
        of ``kind`` (e.g. requests re-routed by hand), newest first."""

    def ratings(self) -> Mapping[str, Rating]:
        """The user's ratings of models (alias → :class:`Rating`), learned from their
        picks (Bradley–Terry); empty without history. Models never compared are absent."""

    def model_names(self) -> list[str]:
        """Every configured model alias."""

    def has_model(self, alias: str) -> bool: ...

    async def ask(
        self,
        model: str,
        messages: Sequence[Message] | None = None,
        *,
        system: str | None = None,
        role: LaneRole = "answer",
        label: str = "",
        parent: str | None = None,
        max_tokens: int | None = None,
        temperature: float | None = None,
    ) -> LaneResult:
        """Call ``model`` (an alias) in a new lane and stream its text as events.

        ``messages`` defaults to the conversation. Never raises for provider
        errors: the result's ``status``/``error`` say what happened. Cancelling the
        awaiting task cancels the request and keeps the partial text.

        The user's files (:attr:`attachments`) go with every call: when no message of
        ``messages`` carries them, they are added to its last user message, so a prompt
        built from :attr:`prompt` still shows the model the files. A message that
        carries them (``Message(..., attachments=ctx.attachments)``) places them itself.
        """

    async def run_preset(
        self, preset: str, messages: Sequence[Message] | None = None, *, parent: str | None = None
    ) -> Answer:
        """Run another strategy preset as one step of this one (depth-limited)."""

    async def classify(
        self,
        model: str,
        choices: Sequence[str],
        messages: Sequence[Message] | None = None,
        *,
        role: LaneRole = "classifier",
        label: str = "",
        parent: str | None = None,
    ) -> Choice:
        """Ask ``model`` to pick one of ``choices`` (a lane like :meth:`ask`).

        The reply is held to the choices wherever the provider can (OpenAI and
        llama.cpp JSON schema, Ollama ``format``, Anthropic forced tool use) and read
        leniently where it cannot; ``confidence`` comes from the chosen token's
        log-probability against the other choices' where the provider reports them.
        """

    async def embed(self, model: str, texts: Sequence[str]) -> list[list[float]]:
        """Embeddings of ``texts`` from ``model`` (an alias) through its provider's
        embeddings endpoint, one vector per text, cached for the session. Raises
        :class:`StrategyError` with a message for the user when the model's provider
        has no embeddings (or the call fails)."""

    def emit(self, event: Event) -> None:
        """Publish a Decision, PlanNode or Note."""

    async def review(self, kind: str, payload: Any) -> Any:
        """Let the user approve or edit ``payload`` (e.g. a plan) before going on.

        Returns the (possibly edited) payload, or None if the user rejected it. With
        nobody to ask (the CLI), the payload comes back unchanged.
        """


# ------------------------------------------------------------------ options


class StrategyOptions(BaseModel):
    """Base for a strategy's declared options. Unknown keys are errors.

    Options are pydantic models: cross-field checks use ``model_validator`` and
    ``field_validator``, re-exported here so plugins import only this module.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)


# A model alias; the engine checks that every ModelRef names a configured model and
# the settings UI offers a picker for it.
ModelRef: TypeAlias = str


def option(default: Any, description: str, **kwargs: Any) -> Any:
    """Declare an option with its default and a one-line description."""
    if isinstance(default, (list, dict, set)):
        value = default
        return Field(default_factory=lambda: type(value)(value), description=description, **kwargs)
    return Field(default=default, description=description, **kwargs)


class Strategy(abc.ABC):
    """A turn-level orchestration of one or more models.

    Subclasses set ``name``, ``summary`` and ``Options`` and implement :meth:`run`.
    """

    name: ClassVar[str]
    summary: ClassVar[str] = ""
    # Which view the TUI uses: single, lanes (side by side), tally, tree.
    view: ClassVar[View] = "single"
    Options: ClassVar[type[StrategyOptions]] = StrategyOptions

    @abc.abstractmethod
    async def run(self, ctx: Context, options: Any) -> Answer | str:
        """Run one turn and return the final answer."""

    @classmethod
    def model_refs(cls, options: StrategyOptions) -> list[str]:
        """The model aliases these options name (for validation and the strategy bar)."""
        found: list[str] = []
        _collect_refs(options, "model_ref", found)
        return found

    @classmethod
    def planned_calls(cls, options: StrategyOptions) -> list[PlannedCall]:
        """Every model call a turn with these options may make, at most (steps run as
        presets are estimated by those presets). Default: one call per alias named;
        strategies that call a model more than once, or feed answers into later prompts,
        say so here, or a budget's estimate falls short."""
        return [PlannedCall(alias) for alias in cls.model_refs(options)]

    @classmethod
    def preset_refs(cls, options: StrategyOptions) -> list[str]:
        """The presets these options run as steps (composition)."""
        found: list[str] = []
        _collect_refs(options, "preset_ref", found)
        return found

    @classmethod
    def warnings(cls, options: StrategyOptions) -> list[str]:
        """Options that are valid but probably not what the user meant, in words
        (``mmchat config validate`` and the app show them; nothing is refused)."""
        return []


def _collect_refs(value: Any, marker: str, found: list[str]) -> None:
    """Walk options (and nested option models) for fields declared with ``marker``."""
    if isinstance(value, BaseModel):
        for name, info in type(value).model_fields.items():
            item = getattr(value, name)
            extra = info.json_schema_extra
            if isinstance(extra, dict) and extra.get(marker):
                _collect_strings(item, found)
            else:
                _collect_refs(item, marker, found)
    elif isinstance(value, (list, tuple)):
        for item in value:
            _collect_refs(item, marker, found)
    elif isinstance(value, dict):
        for item in value.values():
            _collect_refs(item, marker, found)


def _collect_strings(value: Any, found: list[str]) -> None:
    if isinstance(value, str):
        if value and value not in found:
            found.append(value)
    elif isinstance(value, (list, tuple)):
        for item in value:
            _collect_strings(item, found)
    elif isinstance(value, dict):
        for item in value.values():
            _collect_strings(item, found)


def models_option(default: Any, description: str, **kwargs: Any) -> Any:
    """Declare an option whose value is a model alias, or a list/dict of them."""
    extra = dict(kwargs.pop("json_schema_extra", None) or {})
    extra["model_ref"] = True
    return option(default, description, json_schema_extra=extra, **kwargs)


def preset_option(default: Any, description: str, **kwargs: Any) -> Any:
    """Declare an option whose value names another strategy preset (composition)."""
    extra = dict(kwargs.pop("json_schema_extra", None) or {})
    extra["preset_ref"] = True
    return option(default, description, json_schema_extra=extra, **kwargs)


# Review callbacks are how a UI plugs into Context.review.
ReviewCallback: TypeAlias = Callable[[str, Any], Awaitable[Any]]
