"""The headless engine: runs one turn of a conversation through a strategy preset.

It validates the preset, commits the user's message before any request goes out,
runs the strategy under a time limit and a budget, makes cancellation reach every
in-flight request (keeping partial text), turns a plugin that raises into a failure,
and records everything. The TUI and ``mmchat ask`` both drive turns through here.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from pydantic import ValidationError

from mmchat.accounting import DEFAULT_MAX_TOKENS, total_cost
from mmchat.api import (
    Answer,
    Attachment,
    Event,
    FinalAnswer,
    Message,
    Note,
    Rating,
    ReviewCallback,
    Strategy,
    StrategyError,
    StrategyOptions,
    TurnFinished,
    TurnStarted,
    Usage,
)
from mmchat.config_schema import Config, PresetConfig
from mmchat.debug_log import log
from mmchat.netconfig import is_loopback
from mmchat.plugins import Registry
from mmchat.prices import PriceBook, combine_sources
from mmchat.providers.base import (
    ChatRequest,
    ErrorKind,
    Provider,
    ProviderError,
    StreamPart,
    estimate_tokens,
)
from mmchat.turn import EventSink, Turn, TurnContext

if TYPE_CHECKING:
    import httpx

    from mmchat.history.protocol import HistoryStore
    from mmchat.history.recorder import TurnRecorder
    from mmchat.providers.network import Clients

KeyLookup = Callable[[str, str | None], str | None]


EMBEDDINGS_KEPT = 4096  # cached vectors (oldest dropped first)
LEARNED_KEPT = 200  # corrections a strategy sees (newest first)


class PresetError(Exception):
    """A preset that cannot run: unknown strategy, bad options, unknown model."""


@dataclass(frozen=True, slots=True)
class TurnRequest:
    prompt: str
    history: Sequence[Message] = ()
    preset: str = ""  # a preset name from config...
    preset_config: PresetConfig | None = None  # ...or an ad-hoc one (model switch)
    conversation_id: int | None = None
    parent_id: int | None = None  # the message this turn follows (branching)
    review: ReviewCallback | None = None
    hints: Mapping[str, str] = field(default_factory=dict)  # the user's choices (re-route)
    attachments: tuple[Attachment, ...] = ()  # the user's files: stored, sent to every lane
    persona: str = ""  # a name in config [personas] ('' = none): a system prompt for every lane


@dataclass(slots=True)
class TurnOutcome:
    turn_id: str
    status: str
    text: str
    preset: str
    strategy: str
    sources: tuple[str, ...] = ()
    usage: Usage = field(default_factory=Usage)
    cost: float | None = None
    cost_source: str = ""  # where the prices came from (see mmchat.prices)
    duration: float = 0.0
    error: str | None = None
    conversation_id: int | None = None
    user_message_id: int | None = None
    message_id: int | None = None
    models: list[str] = field(default_factory=list)


class Engine:
    def __init__(
        self,
        config: Config,
        registry: Registry,
        *,
        store: HistoryStore | None = None,
        client: httpx.AsyncClient | None = None,
        key_lookup: KeyLookup | None = None,
        retry_sleep: Callable[[float], Awaitable[None]] | None = None,
    ) -> None:
        self.config = config
        self.prices = PriceBook(config)
        self.registry = registry
        self.store = store
        self._client = client  # the default client: given, or built on first use
        self._clients: Clients | None = None  # one per network set-up (proxy, CA)
        self._key_lookup = key_lookup
        self._retry_sleep = retry_sleep
        self._providers: dict[str, Provider] = {}
        self._provider_locks: dict[str, asyncio.Lock] = {}
        self._active: dict[str, asyncio.Task[Any]] = {}
        self._embeddings: dict[tuple[str, str], list[float]] = {}

    # -- providers -------------------------------------------------------------------
    @property
    def client(self) -> httpx.AsyncClient:
        return self._clients_by_setup().default

    def _clients_by_setup(self) -> Clients:
        if self._clients is None:
            from mmchat.providers.network import Clients

            self._clients = Clients(self._client)
        return self._clients

    async def provider(self, name: str) -> Provider:
        if name in self._providers:
            return self._providers[name]
        lock = self._provider_locks.setdefault(name, asyncio.Lock())
        async with lock:
            if name not in self._providers:
                self._providers[name] = await self._make_provider(name)
        return self._providers[name]

    async def _make_provider(self, name: str) -> Provider:
        from mmchat.provider_kinds import key_source
        from mmchat.providers import make_provider

        cfg = self.config.providers.get(name)
        if cfg is None:
            raise ProviderError(ErrorKind.NOT_FOUND, f"no provider named {name!r} in config")
        key: str | None = None
        source = key_source(name, cfg)
        if source is not None:
            # keyring may block on D-Bus: keep it off the event loop.
            # Imported here: keyring loads only when some provider needs a key.
            from mmchat.secrets import lookup_key

            key = await asyncio.to_thread(self._key_lookup or lookup_key, source.name, source.env)
            if key is None and not is_loopback(str(getattr(cfg, "base_url", ""))):
                raise ProviderError(
                    ErrorKind.NO_KEY,
                    f"no API key: run `mmchat keys set {source.name}` or set {source.env}",
                    provider=name,
                )
        return make_provider(name, cfg, self._clients_by_setup().for_provider(cfg), key)

    async def stream(self, provider_name: str, request: ChatRequest) -> AsyncIterator[StreamPart]:
        from mmchat.providers.retry import RetryPolicy, stream_with_retries

        provider = await self.provider(provider_name)
        cfg = self.config.providers[provider_name]
        policy = RetryPolicy(max_retries=getattr(cfg, "max_retries", 0))
        if self._retry_sleep is not None:
            # The policy owns the sleep; stream_with_retries takes no sleep argument.
            policy = dataclasses.replace(policy, sleep=self._retry_sleep)
        async for part in stream_with_retries(provider, request, policy):
            yield part

    def learned(self, kind: str) -> list[tuple[str, str]]:
        """The user's corrections of ``kind`` (see Context.learned); none without history."""
        if self.store is None:
            return []
        return self.store.corrections(kind, LEARNED_KEPT)

    def ratings(self) -> Mapping[str, Rating]:
        """The user's ratings of models from their comparisons (see Context.ratings);
        none without history. Fitted when asked (milliseconds), never stored."""
        if self.store is None:
            return {}
        from mmchat.ratings.history import ratings_from

        return ratings_from(self.store)

    def _went_on_from(self, message_id: int | None) -> None:
        """The user sent a message after this answer: it was kept (a vote, consensus or
        ensemble outcome becomes comparisons of models; see mmchat.ratings)."""
        if self.store is None or message_id is None:
            return
        from mmchat.ratings.history import record_kept

        try:
            record_kept(self.store, message_id)
        except Exception as exc:  # ratings are a by-product: never fail the turn for them
            log.warning("could not record the kept outcome of message %s: %r", message_id, exc)

    async def embed(self, alias: str, texts: Sequence[str]) -> list[list[float]]:
        """Embeddings of ``texts`` from model ``alias``, cached per (alias, text) for the
        engine's life (a strategy compares the same answers more than once)."""
        spec = self.config.models.get(alias)
        if spec is None:
            raise ProviderError(ErrorKind.NOT_FOUND, f"no model alias {alias!r} in config")
        missing = [t for t in dict.fromkeys(texts) if (alias, t) not in self._embeddings]
        if missing:
            provider = await self.provider(spec.provider)
            vectors = await provider.embed(spec.model, missing)
            for text, vector in zip(missing, vectors, strict=True):
                self._embeddings[(alias, text)] = vector
            while len(self._embeddings) > EMBEDDINGS_KEPT:
                self._embeddings.pop(next(iter(self._embeddings)))
        return [self._embeddings[(alias, t)] for t in texts]

    async def aclose(self) -> None:
        for task in list(self._active.values()):
            task.cancel()
        for provider in self._providers.values():
            with contextlib.suppress(Exception):
                await provider.aclose()
        if self._clients is not None:
            await self._clients.aclose()  # not a client the engine was given

    # -- presets ----------------------------------------------------------------------
    def preset_config(self, name: str) -> PresetConfig:
        preset = self.config.presets.get(name)
        if preset is None:
            known = ", ".join(sorted(self.config.presets)) or "none"
            raise PresetError(f"no preset named {name!r} (known: {known})")
        return preset

    def resolve_preset(
        self, preset: str | PresetConfig, *, label: str = ""
    ) -> tuple[Strategy, StrategyOptions]:
        cfg = self.preset_config(preset) if isinstance(preset, str) else preset
        label = label or (preset if isinstance(preset, str) else cfg.strategy)
        cls = self.registry.get(cfg.strategy)
        if cls is None:
            failed = [f for f in self.registry.failures if f.name == cfg.strategy]
            why = f": it failed to load ({failed[0].error})" if failed else ""
            raise PresetError(
                f"preset {label!r} uses strategy {cfg.strategy!r}, which is not available{why}. "
                f"Available: {', '.join(self.registry.names())}"
            )
        try:
            options = cls.Options.model_validate(cfg.options)
        except ValidationError as exc:
            problems = "; ".join(
                f"{'.'.join(str(p) for p in err['loc']) or '(options)'}: {err['msg']}"
                for err in exc.errors()
            )
            raise PresetError(f"preset {label!r} ({cfg.strategy}) options: {problems}") from None
        missing = [m for m in cls.model_refs(options) if m not in self.config.models]
        if missing:
            raise PresetError(
                f"preset {label!r} names unknown model(s): {', '.join(missing)} "
                f"(configured: {', '.join(sorted(self.config.models)) or 'none'})"
            )
        unknown = [p for p in cls.preset_refs(options) if p not in self.config.presets]
        if unknown:
            raise PresetError(
                f"preset {label!r} runs unknown preset(s): {', '.join(unknown)} "
                f"(configured: {', '.join(sorted(self.config.presets)) or 'none'})"
            )
        return cls(), options

    def validate_presets(self) -> list[str]:
        problems = []
        for name in self.config.presets:
            try:
                self.resolve_preset(name)
            except PresetError as exc:
                problems.append(str(exc))
        return problems

    def preset_warnings(self) -> list[str]:
        """Advice on presets that are valid but likely wrong (see Strategy.warnings)."""
        found = []
        for name in self.config.presets:
            try:
                strategy, options = self.resolve_preset(name)
            except PresetError:
                continue  # reported as a problem by validate_presets
            found += [f"preset {name!r}: {text}" for text in type(strategy).warnings(options)]
        return found

    def _estimate(
        self,
        strategy: Strategy,
        options: StrategyOptions,
        prompt_tokens: int,
        seen: frozenset[str] = frozenset(),
    ) -> float:
        """The most a turn can cost: every call the strategy plans (a prompt that holds
        earlier answers counts them at their max_tokens), plus the presets it runs."""
        models = self.config.models
        total = 0.0
        for call in type(strategy).planned_calls(options):
            spec = models.get(call.model)
            if spec is None:
                continue
            read = sum(
                models[a].max_tokens or DEFAULT_MAX_TOKENS for a in call.reads if a in models
            )
            most_out = spec.max_tokens or DEFAULT_MAX_TOKENS
            total += self.prices.pricing(call.model).estimate(prompt_tokens + read, most_out)
        for name in type(strategy).preset_refs(options):
            if name in seen:
                continue  # a cycle: refused by the preset check, not counted twice here
            try:
                step, step_options = self.resolve_preset(name)
            except PresetError:
                continue  # reported when the step runs
            total += self._estimate(step, step_options, prompt_tokens, seen | {name})
        return total

    # -- turns ------------------------------------------------------------------------
    def cancel(self, turn_id: str | None = None) -> bool:
        """Cancel one running turn (or all). Partial text is kept."""
        targets = [self._active[turn_id]] if turn_id in self._active else []
        if turn_id is None:
            targets = list(self._active.values())
        for task in targets:
            task.cancel()
        return bool(targets)

    async def run_turn(self, request: TurnRequest, sink: EventSink) -> TurnOutcome:
        turn_id = uuid.uuid4().hex[:12]
        preset_name = request.preset or (
            request.preset_config.strategy if request.preset_config else self.config.defaults.preset
        )
        preset_cfg: PresetConfig | None = request.preset_config
        strategy_name = preset_cfg.strategy if preset_cfg else ""
        if preset_cfg is None and preset_name in self.config.presets:
            preset_cfg = self.config.presets[preset_name]
            strategy_name = preset_cfg.strategy
        outcome = TurnOutcome(turn_id, "failed", "", preset_name, strategy_name)
        recorder: TurnRecorder | None = None
        if self.store is not None:
            from mmchat.history.recorder import TurnRecorder

            # First in line: the store holds what the views are shown, and the user's
            # words are durable (at TurnStarted) before any request goes out.
            recorder = TurnRecorder(
                self.store,
                conversation_id=request.conversation_id,
                parent_id=request.parent_id,
                persona=request.persona,
            )
            sink = _tee(recorder, sink)
        budget = preset_cfg.budget if preset_cfg else None
        persona, persona_error = self._persona(request.persona)
        turn = Turn(self, turn_id, sink, budget=budget, review=request.review, persona=persona)
        turn.attachments = tuple(request.attachments)
        turn.emit(
            TurnStarted(
                strategy=strategy_name,
                preset=preset_name,
                prompt=request.prompt,
                attachments=turn.attachments,
                hints=dict(request.hints),
            )
        )
        self._went_on_from(request.parent_id)
        if recorder is not None:
            outcome.conversation_id = recorder.conversation_id
            outcome.user_message_id = recorder.user_message_id
            outcome.message_id = recorder.message_id
        messages = (*request.history, Message("user", request.prompt, turn.attachments))
        if persona_error:
            return self._finish(turn, outcome, "failed", "", (), persona_error)
        try:
            strategy, options = self.resolve_preset(preset_cfg or preset_name, label=preset_name)
        except PresetError as exc:
            return self._finish(turn, outcome, "failed", "", (), str(exc))
        if turn.attachments:
            from mmchat.attachments.vision import image_refusal

            refusal = image_refusal(self, preset_cfg or preset_name, turn.attachments, preset_name)
            if refusal:  # the UIs check first; this keeps every caller from a failed request
                return self._finish(turn, outcome, "failed", "", (), refusal)
        self.prices.warm(type(strategy).model_refs(options))
        if budget is not None:
            prompt_tokens = sum(estimate_tokens(m.content) for m in messages)
            prompt_tokens += sum(estimate_tokens(a.text) for m in messages for a in m.attachments)
            estimate = self._estimate(strategy, options, prompt_tokens)
            if estimate > budget:
                return self._finish(
                    turn,
                    outcome,
                    "failed",
                    "",
                    (),
                    f"refused: this turn could cost up to ${estimate:.4f}, over the preset's "
                    f"budget of ${budget:.4f}; raise `budget` or lower max_tokens",
                )
        ctx = TurnContext(turn, messages, hints=request.hints)
        task: asyncio.Task[Answer | str] = asyncio.create_task(strategy.run(ctx, options))
        self._active[turn_id] = task

        def stop_for_budget(_why: str) -> None:
            task.cancel()

        turn.on_budget = stop_for_budget
        limit = preset_cfg.time_limit if preset_cfg else 600.0
        outer_cancelled = False
        try:
            async with asyncio.timeout(limit):
                result = await task
            answer = result if isinstance(result, Answer) else Answer(text=str(result))
            status, text, sources, error = "complete", answer.text, answer.sources, None
        except asyncio.CancelledError:
            current = asyncio.current_task()
            outer_cancelled = current is not None and current.cancelling() > 0
            status, text, sources = "cancelled", turn.partial_answer(), ()
            error = turn.budget_hit
            if error:
                status = "failed"
        except TimeoutError:
            status, text, sources = "failed", turn.partial_answer(), ()
            error = f"stopped after {limit:g} s (the preset's time_limit)"
        except StrategyError as exc:
            status, text, sources, error = "failed", turn.partial_answer(), (), str(exc)
        except Exception as exc:  # a plugin that raises fails the turn, never the app
            status, text, sources = "failed", turn.partial_answer(), ()
            error = f"strategy {strategy_name!r} crashed: {type(exc).__name__}: {exc}"
        finally:
            self._active.pop(turn_id, None)
            await self._stop_stragglers(task, turn)
        outcome = self._finish(turn, outcome, status, text, sources, error)
        if outer_cancelled:
            raise asyncio.CancelledError
        return outcome

    def _persona(self, name: str) -> tuple[str | None, str | None]:
        """(the persona's system prompt, or why there is none to use)."""
        from mmchat.personas import UnknownPersona, persona_system

        try:
            return persona_system(self.config.personas, name), None
        except UnknownPersona as exc:
            return None, str(exc)

    async def _stop_stragglers(self, task: asyncio.Task[Any], turn: Turn) -> None:
        """Make cancellation reach every in-flight request, even detached ones."""
        if not task.done():
            task.cancel()
        pending = [t for t in turn.lane_tasks if not t.done()]
        for lane_task in pending:
            lane_task.cancel()
        with contextlib.suppress(BaseException):
            await asyncio.gather(task, *pending, return_exceptions=True)

    def _finish(
        self,
        turn: Turn,
        outcome: TurnOutcome,
        status: str,
        text: str,
        sources: tuple[str, ...],
        error: str | None,
    ) -> TurnOutcome:
        closed = [lane.closed for lane in turn.lanes.values() if lane.closed is not None]
        usage = sum((c.usage for c in closed), Usage())
        cost = total_cost(c.cost for c in closed) if closed else 0.0
        cost_source = combine_sources([c.cost_source for c in closed]) if cost is not None else ""
        duration = time.perf_counter() - turn.started
        models = list(dict.fromkeys(lane.model for lane in turn.lanes.values()))
        if error and status != "complete":
            turn.emit(Note(text=error, level="error"))
        if status == "complete":
            turn.emit(FinalAnswer(text=text, sources=sources))
        turn.emit(
            TurnFinished(
                status=status,  # type: ignore[arg-type]
                text=text,
                usage=usage,
                cost=cost,
                duration=duration,
                error=error,
                cost_source=cost_source,
            )
        )
        outcome.status, outcome.text, outcome.sources = status, text, sources
        outcome.usage, outcome.cost, outcome.duration = usage, cost, duration
        outcome.cost_source = cost_source
        outcome.error, outcome.models = error, models
        return outcome


def _tee(first: EventSink, then: EventSink) -> EventSink:
    def both(event: Event) -> None:
        first(event)
        then(event)

    return both
