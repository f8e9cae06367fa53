"""pipeline: stages in order, each with its own model and instruction.

The seed's ``ModelPipeline.process`` made real. A stage's instruction can name any
earlier output — ``{input}`` (the request), ``{previous}``, or a stage by its name
(``{draft}``, ``{critique}``) — so a refine stage sees the draft *and* the critique. A
stage may update an earlier one's output (``updates = "draft"``), stop the pipeline
when its output matches (``stop_when = "OK"``: the critique found nothing to fix), or
send the pipeline back to an earlier stage a bounded number of times
(``repeat_from``: refine until the critique says OK). Every stage's outcome is a
decision; a failed stage stops the pipeline and keeps what the earlier stages wrote.
"""

from __future__ import annotations

import re

from mmchat.api import (
    Answer,
    Context,
    Decision,
    LaneResult,
    Message,
    Note,
    PlannedCall,
    StageDetail,
    Strategy,
    StrategyError,
    StrategyOptions,
    model_validator,
    option,
)
from mmchat_strategies.stages import (
    RESERVED,
    Run,
    Stage,
    first_line,
    placeholders,
    preview,
    stage_prompt,
    stop_pattern,
)


class PipelineOptions(StrategyOptions):
    stages: list[Stage] = option(
        [
            Stage(model="local", instruction="Draft an answer."),
            Stage(model="local", instruction="Improve the draft: fix errors, be concise."),
        ],
        "Stages in order",
        min_length=1,
    )
    answer: str = option(
        "", "Which stage's output is the answer (default: the last stage that ran)"
    )

    @model_validator(mode="after")
    def _names_resolve(self) -> PipelineOptions:
        names = stage_names(self)
        if len(set(names)) != len(names):
            raise ValueError(f"stage names must differ: {', '.join(names)}")
        for index, stage in enumerate(self.stages):
            earlier = names[:index]
            where = f"stage {index + 1} ({names[index]})"
            for ref in placeholders(stage.instruction):
                if ref not in RESERVED and ref not in earlier:
                    raise ValueError(
                        f"{where} names {{{ref}}}, which is not an earlier stage "
                        f"(earlier: {', '.join(earlier) or 'none'}; or input, previous)"
                    )
            for key in ("updates", "repeat_from"):
                target = getattr(stage, key)
                if (
                    target
                    and target not in earlier
                    and not (key == "repeat_from" and target == names[index])
                ):
                    raise ValueError(f"{where}: {key} = {target!r} is not an earlier stage")
            if stage.stop_when:
                try:
                    stop_pattern(stage.stop_when)
                except re.error as exc:
                    raise ValueError(f"{where}: stop_when is not a valid pattern: {exc}") from None
        if self.answer and self.answer not in names:
            raise ValueError(f"answer = {self.answer!r} is not a stage ({', '.join(names)})")
        return self


def stage_names(options: PipelineOptions) -> list[str]:
    return [s.name or f"stage{i}" for i, s in enumerate(options.stages, start=1)]


class Pipeline(Strategy):
    name = "pipeline"
    summary = "Stages in order; each can use the request and any earlier stage's output."
    view = "single"
    Options = PipelineOptions

    @classmethod
    def planned_calls(cls, options: StrategyOptions) -> list[PlannedCall]:
        # Each stage once, reading every earlier stage at most; a repeat_from loop runs
        # its stages max_repeats more times.
        assert isinstance(options, PipelineOptions)
        names = stage_names(options)
        models = [stage.model for stage in options.stages]
        once = [PlannedCall(m, tuple(models[:i])) for i, m in enumerate(models)]
        calls = list(once)
        for index, stage in enumerate(options.stages):
            if stage.repeat_from:
                calls += once[names.index(stage.repeat_from) : index + 1] * stage.max_repeats
        return calls

    async def run(self, ctx: Context, options: PipelineOptions) -> Answer:
        names = stage_names(options)
        total = len(options.stages)
        run = Run(ctx.prompt)
        repeats: dict[int, int] = {}
        index = 0
        while index < total:
            stage, name = options.stages[index], names[index]
            content, used = stage_prompt(stage, run)
            result = await ctx.ask(
                stage.model,
                [*ctx.messages[:-1], Message("user", content)],
                role="stage",
                label=f"{name}: {first_line(stage.instruction) or stage.model}"[:60],
            )
            produced = result.ok and bool(result.text.strip())
            stopping = (
                produced
                and bool(stage.stop_when)
                and bool(stop_pattern(stage.stop_when).search(result.text))
            )
            round_number = repeats.get(index, 0) + 1 if stage.repeat_from else 1
            self.report(ctx, stage, name, index, total, result, used, stopping, round_number)
            if not produced:
                return self.failed(ctx, options, run, index, stage, result)
            run.outputs[name] = result
            if stage.updates:
                run.outputs[stage.updates] = result
            run.previous, run.last_name = result, name
            if stopping:
                break
            back = names.index(stage.repeat_from) if stage.repeat_from else None
            if back is not None and repeats.get(index, 0) < stage.max_repeats:
                repeats[index] = repeats.get(index, 0) + 1
                index = back
                continue
            index += 1
        return self.answer(options, run, stopped=index < total)

    @staticmethod
    def answer(options: PipelineOptions, run: Run, *, stopped: bool) -> Answer:
        """The answer output: ``options.answer``'s, else (stopped early) the output before
        the stopping stage's, else the last stage's."""
        chosen = run.outputs.get(options.answer) if options.answer else None
        if chosen is None and stopped:
            earlier = [r for n, r in run.outputs.items() if r is not run.previous]
            chosen = earlier[-1] if earlier else None
        chosen = chosen or run.previous
        assert chosen is not None  # at least one stage produced text
        return Answer(chosen.text, (chosen.lane,))

    @staticmethod
    def report(
        ctx: Context,
        stage: Stage,
        name: str,
        index: int,
        total: int,
        result: LaneResult,
        used: list[str],
        stopping: bool,
        round_number: int,
    ) -> None:
        produced = result.ok and bool(result.text.strip())
        why = result.error or ("returned no text" if result.ok else result.status)
        said = preview(result.text) if produced else f"failed — {why}"
        again = f", round {round_number}" if round_number > 1 else ""
        summary = f"{name} ({stage.model}{again}): {said}"
        if stopping:
            summary += f" — matched {stage.stop_when!r}: stopping here"
        ctx.emit(
            Decision(
                summary=summary,
                detail=StageDetail(
                    number=index + 1,
                    of=total,
                    model=stage.model,
                    instruction=stage.instruction,
                    lane=result.lane,
                    status="done" if produced else "failed",
                    chars=len(result.text),
                    preview=preview(result.text),
                    error=None if produced else why,
                    name=name,
                    saw=tuple(used),
                    round=round_number,
                    stopped=stopping,
                ),
            )
        )

    def failed(
        self,
        ctx: Context,
        options: PipelineOptions,
        run: Run,
        index: int,
        stage: Stage,
        result: LaneResult,
    ) -> Answer:
        """A stage failed: later stages would work from nothing, so stop here."""
        why = result.error or ("returned no text" if result.ok else result.status)
        if run.previous is None:
            raise StrategyError(f"pipeline stage {index + 1} ({stage.model}) failed: {why}")
        kept = self.answer(options, run, stopped=False)
        ctx.emit(
            Note(
                text=f"stage {index + 1} ({stage.model}) failed ({why}); "
                f"showing the output of {run.last_name}",
                level="warning",
            )
        )
        return kept
