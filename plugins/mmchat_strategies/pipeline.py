"""pipeline: stages in order, each stage's output is the next stage's input.

The seed's ``ModelPipeline.process`` made real: every stage has its own model and
instruction, each stage's output is shown as a decision, and a failed stage stops the
pipeline while keeping what the earlier stages produced.
"""

from __future__ import annotations

from mmchat.api import (
    Answer,
    Context,
    Decision,
    LaneResult,
    Message,
    ModelRef,
    Note,
    StageDetail,
    Strategy,
    StrategyError,
    StrategyOptions,
    models_option,
    option,
)

PREVIEW_CHARS = 120


class Stage(StrategyOptions):
    model: ModelRef = models_option("local", "The model that runs this stage")
    instruction: str = option("", "What this stage does with its input (e.g. 'Draft an answer')")


class PipelineOptions(StrategyOptions):
    stages: list[Stage] = option(
        [
            Stage(model="local", instruction="Draft an answer."),
            Stage(model="local", instruction="Improve the draft: fix errors, be concise."),
        ],
        "Stages in order; each gets the previous stage's output",
        min_length=1,
    )


def preview(text: str) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= PREVIEW_CHARS else flat[: PREVIEW_CHARS - 1] + "…"


def stage_messages(ctx: Context, stage: Stage, number: int, previous: str | None) -> list[Message]:
    """The conversation so far, with the user's turn rewritten for this stage."""
    history = list(ctx.messages[:-1])
    instruction = stage.instruction or "Answer the request."
    if previous is None:
        content = f"{instruction}\n\nRequest:\n{ctx.prompt}"
    else:
        content = (
            f"{instruction}\n\nOriginal request:\n{ctx.prompt}\n\n"
            f"Output of the previous stage (stage {number - 1}):\n{previous}"
        )
    return [*history, Message("user", content)]


class Pipeline(Strategy):
    name = "pipeline"
    summary = "Stages in order; each stage's output feeds the next."
    view = "single"
    Options = PipelineOptions

    async def run(self, ctx: Context, options: PipelineOptions) -> Answer:
        total = len(options.stages)
        previous: LaneResult | None = None
        for number, stage in enumerate(options.stages, start=1):
            result = await ctx.ask(
                stage.model,
                stage_messages(ctx, stage, number, previous.text if previous else None),
                role="stage",
                label=f"stage {number}: {stage.instruction or stage.model}"[:60],
            )
            produced = result.ok and bool(result.text.strip())
            why = result.error or ("returned no text" if result.ok else result.status)
            ctx.emit(
                Decision(
                    summary=(
                        f"stage {number}/{total} ({stage.model}): "
                        + (preview(result.text) if produced else f"failed — {why}")
                    ),
                    detail=StageDetail(
                        number=number,
                        of=total,
                        model=stage.model,
                        instruction=stage.instruction,
                        lane=result.lane,
                        status="done" if produced else "failed",
                        chars=len(result.text),
                        preview=preview(result.text),
                        error=None if produced else why,
                    ),
                )
            )
            if not produced:
                # Stop here: later stages would work from nothing.
                if previous is None:
                    raise StrategyError(f"pipeline stage {number} ({stage.model}) failed: {why}")
                ctx.emit(
                    Note(
                        text=f"stage {number} ({stage.model}) failed ({why}); "
                        f"showing the output of stage {number - 1}",
                        level="warning",
                    )
                )
                return Answer(previous.text, (previous.lane,))
            previous = result
        assert previous is not None  # stages has min_length=1
        return Answer(previous.text, (previous.lane,))
