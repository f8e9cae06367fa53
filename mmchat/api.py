"""The public plugin API of mmchat.

A strategy plugin imports only this module (never Textual, never the engine). It
receives a :class:`Context` that can call models by alias, run another preset as a
step, and emit typed events; it returns the turn's final answer. Everything a user
sees of a turn (lanes, streaming text, decisions, plan trees) is derived from the
events defined here, so the TUI, the CLI and the store can never disagree.
"""

from __future__ import annotations

import abc
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar, Literal, Protocol, TypeAlias

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

__all__ = [
    "Answer",
    "Context",
    "Decision",
    "Event",
    "FinalAnswer",
    "LaneClosed",
    "LaneOpened",
    "LaneResult",
    "LaneRetrying",
    "LaneStatus",
    "Message",
    "ModelRef",
    "Note",
    "PlanNode",
    "PlanState",
    "ReasoningDelta",
    "Role",
    "Strategy",
    "StrategyError",
    "StrategyOptions",
    "TextDelta",
    "TurnFinished",
    "TurnStarted",
    "Usage",
    "field_validator",
    "model_validator",
    "models_option",
    "option",
    "preset_option",
]

Role: TypeAlias = Literal["system", "user", "assistant"]
LaneStatus: TypeAlias = Literal["done", "failed", "cancelled"]
PlanState: TypeAlias = Literal["queued", "running", "done", "failed", "skipped", "cancelled"]


@dataclass(frozen=True, slots=True)
class Message:
    """One message of a conversation, as models see it."""

    role: Role
    content: str


@dataclass(frozen=True, slots=True)
class Usage:
    """Token counts of one model call; ``estimated`` when the server sent none."""

    prompt_tokens: int = 0
    completion_tokens: int = 0
    estimated: bool = False

    def __add__(self, other: Usage) -> Usage:
        return Usage(
            self.prompt_tokens + other.prompt_tokens,
            self.completion_tokens + other.completion_tokens,
            self.estimated or other.estimated,
        )

    @property
    def total_tokens(self) -> int:
        return self.prompt_tokens + self.completion_tokens


# --------------------------------------------------------------------------- events
# Every event is a frozen dataclass. The engine stamps ``turn`` (the turn id) and
# ``at`` (seconds since the turn started) on each one before anyone sees it.


@dataclass(frozen=True, slots=True, kw_only=True)
class Event:
    turn: str = ""
    at: float = 0.0


@dataclass(frozen=True, slots=True, kw_only=True)
class TurnStarted(Event):
    strategy: str
    preset: str
    prompt: str


@dataclass(frozen=True, slots=True, kw_only=True)
class LaneOpened(Event):
    """A model call started. ``role`` says what the lane is for (voter, planner...)."""

    lane: str
    model: str
    role: str = ""
    label: str = ""
    parent: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class TextDelta(Event):
    lane: str
    text: str


@dataclass(frozen=True, slots=True, kw_only=True)
class ReasoningDelta(Event):
    """Thinking/reasoning text, kept apart from the answer."""

    lane: str
    text: str


@dataclass(frozen=True, slots=True, kw_only=True)
class LaneRetrying(Event):
    lane: str
    attempt: int
    delay: float
    reason: str


@dataclass(frozen=True, slots=True, kw_only=True)
class LaneClosed(Event):
    lane: str
    status: LaneStatus
    text: str = ""
    usage: Usage = field(default_factory=Usage)
    cost: float | None = None  # None means "unknown price", never 0
    ttft: float | None = None  # seconds to first token
    duration: float = 0.0
    finish_reason: str | None = None
    error: str | None = None  # one line a user can act on


@dataclass(frozen=True, slots=True, kw_only=True)
class Decision(Event):
    """A visible decision: a route, a tally, an escalation, a score table..."""

    kind: str
    summary: str
    detail: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True, kw_only=True)
class PlanNode(Event):
    """A node of a plan tree was added or changed state."""

    node: str
    label: str
    state: PlanState
    parent: str | None = None
    lane: str | None = None
    kind: str = ""  # step type (code, math...) or "plan" / "synthesis"


@dataclass(frozen=True, slots=True, kw_only=True)
class Note(Event):
    text: str
    level: Literal["info", "warning", "error"] = "info"


@dataclass(frozen=True, slots=True, kw_only=True)
class FinalAnswer(Event):
    text: str
    sources: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True, kw_only=True)
class TurnFinished(Event):
    status: Literal["complete", "cancelled", "failed"]
    usage: Usage = field(default_factory=Usage)
    cost: float | None = None
    duration: float = 0.0
    error: str | None = None


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

    def model_names(self) -> list[str]:
        """Every configured model alias."""

    def has_model(self, alias: str) -> bool: ...

    async def ask(
        self,
        model: str,
        messages: Sequence[Message] | None = None,
        *,
        system: str | None = None,
        role: str = "",
        label: str = "",
        parent: str | None = None,
        max_tokens: int | None = None,
        temperature: float | None = None,
    ) -> LaneResult:
        """Call ``model`` (an alias) in a new lane and stream its text as events.

        ``messages`` defaults to the conversation. Never raises for provider
        errors: the result's ``status``/``error`` say what happened. Cancelling the
        awaiting task cancels the request and keeps the partial text.
        """

    async def run_preset(
        self, preset: str, messages: Sequence[Message] | None = None, *, parent: str | None = None
    ) -> Answer:
        """Run another strategy preset as one step of this one (depth-limited)."""

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
    view: ClassVar[str] = "single"
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
    def preset_refs(cls, options: StrategyOptions) -> list[str]:
        """The presets these options run as steps (composition)."""
        found: list[str] = []
        _collect_refs(options, "preset_ref", found)
        return found


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
