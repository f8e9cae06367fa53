"""TurnContext: the Context a strategy sees. Each model call becomes a lane whose text
streams out as events and is accounted through the turn's shared state
(``turn_state.py``); sub-presets get a child context that emits into the same turn.
Recording is not done here: the history recorder writes what the events say.
"""

from __future__ import annotations

import asyncio
import dataclasses
import time
from collections.abc import Mapping, Sequence
from typing import Any

from mmchat.api import (
    Answer,
    Attachment,
    Choice,
    Decision,
    Event,
    LaneClosed,
    LaneOpened,
    LaneResult,
    LaneRetrying,
    LaneRole,
    LaneStatus,
    Message,
    PlanNode,
    Rating,
    ReasoningDelta,
    StrategyError,
    Usage,
)
from mmchat.choice import choice_confidence, read_choice
from mmchat.providers.base import (
    ChatRequest,
    DonePart,
    ErrorKind,
    ProviderError,
    ReasoningPart,
    RetryPart,
    TextPart,
    estimate_tokens,
)
from mmchat.turn_state import MAX_DEPTH, EventSink, LaneState, Turn

YIELD_EVERY = 0.004  # seconds a streaming lane may run before it lets others in
CHOICE_TOKENS = 32  # room for {"choice": "…"} and a little slack
CHOICE_RIVALS = 5  # log-probabilities of this many rival tokens

__all__ = ["EventSink", "Turn", "TurnContext"]


class TurnContext:
    """The :class:`mmchat.api.Context` given to a strategy."""

    def __init__(
        self,
        turn: Turn,
        messages: Sequence[Message],
        *,
        depth: int = 0,
        scope: str = "",
        parent: str | None = None,
        hints: Mapping[str, str] | None = None,
    ) -> None:
        self._turn = turn
        self._messages = tuple(messages)
        self._hints: Mapping[str, str] = dict(hints or {})
        self._depth = depth
        self._scope = scope  # node-id prefix for a sub-preset's plan nodes
        self._parent = parent  # where a sub-preset's tree hangs

    # -- read-only views -------------------------------------------------------
    @property
    def messages(self) -> Sequence[Message]:
        return self._messages

    @property
    def prompt(self) -> str:
        for message in reversed(self._messages):
            if message.role == "user":
                return message.content
        return ""

    @property
    def attachments(self) -> Sequence[Attachment]:
        return self._turn.attachments

    @property
    def hints(self) -> Mapping[str, str]:
        return self._hints

    def learned(self, kind: str) -> list[tuple[str, str]]:
        return self._turn.engine.learned(kind)

    def ratings(self) -> Mapping[str, Rating]:
        return self._turn.engine.ratings()

    def model_names(self) -> list[str]:
        return list(self._turn.engine.config.models)

    def has_model(self, alias: str) -> bool:
        return alias in self._turn.engine.config.models

    # -- events ------------------------------------------------------------------
    def emit(self, event: Event) -> None:
        self._turn.emit(self._scoped(event))

    def _scoped(self, event: Event) -> Event:
        if not self._scope:
            return event
        if isinstance(event, PlanNode):
            parent = f"{self._scope}{event.parent}" if event.parent else self._parent
            return dataclasses.replace(event, node=f"{self._scope}{event.node}", parent=parent)
        if isinstance(event, Decision):
            return dataclasses.replace(event, scope=self._scope.rstrip("/"))
        return event

    async def review(self, kind: str, payload: Any) -> Any:
        if self._turn.review_cb is None:
            return payload
        return await self._turn.review_cb(kind, payload)

    # -- model calls ---------------------------------------------------------------
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
        return await self._lane(
            model, messages, system=system, role=role, label=label, parent=parent,
            max_tokens=max_tokens, temperature=temperature,
        )  # fmt: skip

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
        options = tuple(choices)
        constrained = True
        result = await self._lane(
            model, messages, role=role, label=label, parent=parent, max_tokens=CHOICE_TOKENS,
            temperature=0.0, choices=options, top_logprobs=CHOICE_RIVALS,
        )  # fmt: skip
        if result.status == "failed" and result.error and "bad request" in result.error:
            # A server that takes no schema (or logprobs): ask again, read it leniently.
            constrained = False
            result = await self._lane(
                model, messages, role=role, label=f"{label or model} (unconstrained)",
                parent=parent, max_tokens=CHOICE_TOKENS, temperature=0.0,
            )  # fmt: skip
        value = read_choice(result.text, options) if result.ok else None
        state = self._turn.lanes.get(result.lane)
        tokens = state.logprobs if state is not None else ()
        confidence = choice_confidence(tokens, result.text, value, options) if value else None
        return Choice(value, confidence, result, constrained)

    async def _lane(
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
        choices: tuple[str, ...] | None = None,
        top_logprobs: int = 0,
    ) -> LaneResult:
        turn = self._turn
        lane_id = turn.new_lane_id()
        state = LaneState(lane_id, model, role)
        turn.lanes[lane_id] = state
        if parent is not None and self._scope:
            parent = f"{self._scope}{parent}"
        elif parent is None:
            parent = self._parent
        turn.emit(
            LaneOpened(lane=lane_id, model=model, role=role, label=label or model, parent=parent)
        )
        task = asyncio.current_task()
        if task is not None:
            turn.lane_tasks.add(task)
        try:
            return await self._stream_lane(
                state,
                messages,
                system=system,
                max_tokens=max_tokens,
                temperature=temperature,
                choices=choices,
                top_logprobs=top_logprobs,
            )
        finally:
            if task is not None:
                turn.lane_tasks.discard(task)

    async def _stream_lane(
        self,
        state: LaneState,
        messages: Sequence[Message] | None,
        *,
        system: str | None,
        max_tokens: int | None,
        temperature: float | None,
        choices: tuple[str, ...] | None = None,
        top_logprobs: int = 0,
    ) -> LaneResult:
        turn = self._turn
        engine = turn.engine
        started = time.perf_counter()
        spec = engine.config.models.get(state.model)
        done: DonePart | None = None
        try:
            if spec is None:
                raise ProviderError(
                    ErrorKind.NOT_FOUND, f"no model alias {state.model!r} in config"
                )
            chat, conversation_system = _split_system(
                messages if messages is not None else self._messages
            )
            chat = self._files_for(state.model, chat)
            base_system = system if system is not None else spec.system
            # The model's (or the strategy's) system prompt, the persona, the turn's own.
            systems = [base_system, turn.persona, conversation_system]
            request = ChatRequest(
                model=spec.model,
                messages=chat,
                system="\n\n".join(filter(None, systems)) or None,
                temperature=temperature if temperature is not None else spec.temperature,
                max_tokens=max_tokens or spec.max_tokens,
                top_p=spec.top_p,
                extra=dict(spec.params),
                choices=choices,
                top_logprobs=top_logprobs,
            )
            # Only a budget needs the price while the text streams; without one, the
            # first lookup waits for _close, after the price table has loaded in its
            # thread (PriceBook.warm), instead of importing it here before the request.
            price_out = (
                engine.prices.pricing(state.model).price_out or 0.0
                if turn.budget is not None
                else 0.0
            )
            yielded_at = time.perf_counter()
            async for part in engine.stream(spec.provider, request):
                # A socket buffer full of events is read without ever suspending, so a
                # fast lane would starve the others, the UI and keystrokes: give the
                # loop a turn every few milliseconds.
                if (now := time.perf_counter()) - yielded_at > YIELD_EVERY:
                    await asyncio.sleep(0)
                    yielded_at = now
                if isinstance(part, TextPart):
                    state.parts.append(part.text)
                    state.chars += len(part.text)
                    turn.emit_text(state.lane, part.text)
                    if turn.budget is not None and price_out:
                        # From the running length: joining the text per token is O(n²).
                        tokens_so_far = (state.chars + 3) // 4
                        turn.check_budget(tokens_so_far * price_out / 1e6)
                elif isinstance(part, ReasoningPart):
                    turn.emit(ReasoningDelta(lane=state.lane, text=part.text))
                elif isinstance(part, RetryPart):
                    turn.emit(
                        LaneRetrying(
                            lane=state.lane,
                            attempt=part.attempt,
                            delay=part.delay,
                            reason=str(part.error),
                        )
                    )
                elif isinstance(part, DonePart):
                    done = part
                    state.logprobs = part.logprobs
        except asyncio.CancelledError:
            self._close(state, "cancelled", started, done, "cancelled")
            raise
        except ProviderError as exc:
            return self._close(state, "failed", started, done, str(exc))
        except Exception as exc:  # an unexpected bug must fail the lane, not the app
            return self._close(state, "failed", started, done, f"internal error: {exc!r}")
        return self._close(state, "done", started, done, None)

    def _files_for(self, alias: str, chat: tuple[Message, ...]) -> tuple[Message, ...]:
        """The user's files on the lane's messages; images only for a model that takes
        them (else a clear failure, before any request)."""
        from mmchat.attachments.lanes import images_for_blind_model, with_turn_files

        files = self._turn.attachments
        chat = with_turn_files(chat, files)
        config = self._turn.engine.config
        if config.models[alias].vision or not any(a.is_image for m in chat for a in m.attachments):
            return chat
        chat, refused = images_for_blind_model(chat, files)
        if refused:
            from mmchat.attachments.vision import no_images_message

            raise ProviderError(ErrorKind.BAD_REQUEST, no_images_message(config, alias, refused))
        return chat

    def _close(
        self,
        state: LaneState,
        status: LaneStatus,
        started: float,
        done: DonePart | None,
        error: str | None,
    ) -> LaneResult:
        turn = self._turn
        text = state.text
        if done is not None:
            usage = done.usage
        else:  # interrupted: estimate what was sent and what arrived
            usage = Usage(
                prompt_tokens=sum(estimate_tokens(m.content) for m in self._messages),
                completion_tokens=estimate_tokens(text),
                estimated=True,
            )
        cost, cost_source = turn.engine.prices.cost(state.model, usage)
        if cost is not None:
            turn.spent += cost
        closed = LaneClosed(
            lane=state.lane,
            status=status,
            text=text,
            usage=usage,
            cost=cost,
            cost_source=cost_source,
            ttft=done.ttft if done else None,
            duration=time.perf_counter() - started,
            finish_reason=done.finish_reason if done else None,
            error=error,
        )
        state.closed = closed
        turn.emit(closed)
        turn.check_budget(0.0)
        return LaneResult(
            lane=state.lane,
            model=state.model,
            text=text,
            status=status,
            usage=usage,
            cost=cost,
            error=error,
            finish_reason=closed.finish_reason,
        )

    async def embed(self, model: str, texts: Sequence[str]) -> list[list[float]]:
        if not self.has_model(model):
            raise StrategyError(f"no model alias {model!r} to take embeddings from")
        try:
            return await self._turn.engine.embed(model, texts)
        except ProviderError as exc:
            raise StrategyError(f"embeddings from {model}: {exc}") from None

    # -- composition ---------------------------------------------------------------
    async def run_preset(
        self, preset: str, messages: Sequence[Message] | None = None, *, parent: str | None = None
    ) -> Answer:
        if self._depth + 1 > MAX_DEPTH:
            raise RecursionError(
                f"preset {preset!r} nests deeper than {MAX_DEPTH} levels; check for a cycle"
            )
        strategy, options = self._turn.engine.resolve_preset(preset)
        scope = f"{self._scope}{preset}/"
        if parent is not None and self._scope:
            parent = f"{self._scope}{parent}"
        child = TurnContext(
            self._turn,
            messages if messages is not None else self._messages,
            depth=self._depth + 1,
            scope=scope,
            hints=self._hints,
            parent=parent if parent is not None else self._parent,
        )
        result = await strategy.run(child, options)
        return result if isinstance(result, Answer) else Answer(text=result)


def _split_system(messages: Sequence[Message]) -> tuple[tuple[Message, ...], str]:
    """Move system messages out of the list: some protocols only take a top-level system."""
    system = "\n\n".join(m.content for m in messages if m.role == "system")
    return tuple(m for m in messages if m.role != "system"), system
