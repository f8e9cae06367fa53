"""pipeline over the fake server: stage chaining, failures, cancellation, decisions."""

from __future__ import annotations

from pathlib import Path

from mmchat.api import Note
from tests.fakeserver import Reply
from tests.fakeserver.server import FakeServer
from tests.harness import (
    assert_cancelled,
    decisions,
    lanes,
    make_engine,
    run,
    run_and_cancel,
    text_from,
)

PRESETS = {
    "pipe": {
        "strategy": "pipeline",
        "options": {
            "stages": [
                {"model": "a", "instruction": "Draft an answer."},
                {"model": "b", "instruction": "Polish the draft."},
            ]
        },
    }
}


def body_of(server: FakeServer, model: str) -> str:
    return str([r.json for r in server.requests if r.model == model][-1]["messages"])


async def test_each_stage_gets_the_previous_output(fake_server: FakeServer, tmp_path: Path) -> None:
    fake_server.script("model-a", "rough draft text")
    fake_server.script("model-b", "polished answer")
    engine = make_engine(fake_server, PRESETS, store_path=tmp_path / "h.sqlite3")
    outcome, events = await run(engine, "pipe", "explain tides")
    await engine.aclose()
    assert outcome.status == "complete" and outcome.text == "polished answer"
    assert "rough draft text" in body_of(fake_server, "model-b")
    assert "Polish the draft." in body_of(fake_server, "model-b")
    assert "explain tides" in body_of(fake_server, "model-a")
    assert [lane.role for lane in lanes(events)] == ["stage", "stage"]
    stages = decisions(events, "stage")
    assert [d.detail.number for d in stages] == [1, 2]
    assert stages[0].detail.model == "a" and stages[0].detail.status == "done"
    assert stages[0].detail.preview == "rough draft text"
    assert stages[1].detail.lane == outcome.sources[0]


async def test_failed_later_stage_keeps_earlier_text(fake_server: FakeServer) -> None:
    fake_server.script("model-a", "draft survives")
    fake_server.script("model-b", Reply(status=500, error_message="boom"))
    engine = make_engine(fake_server, PRESETS)
    outcome, events = await run(engine, "pipe")
    await engine.aclose()
    assert outcome.status == "complete" and outcome.text == "draft survives"
    notes = [e for e in events if isinstance(e, Note) and e.level == "warning"]
    assert notes and "stage 2 (b) failed" in notes[0].text
    assert decisions(events, "stage")[1].detail.status == "failed"


async def test_failed_first_stage_fails_the_turn(fake_server: FakeServer) -> None:
    fake_server.script("model-a", Reply(text="partial words here", cut_after=2))
    engine = make_engine(fake_server, PRESETS)
    outcome, events = await run(engine, "pipe")
    await engine.aclose()
    assert outcome.status == "failed"
    assert "stage 1 (a) failed" in (outcome.error or "")
    assert len(lanes(events)) == 1  # stage 2 never ran


async def test_cancel_mid_stage(fake_server: FakeServer) -> None:
    fake_server.script("model-a", "done quickly")
    fake_server.script("model-b", Reply(text="slow " * 200, chunk_chars=5, delay=0.02))
    engine = make_engine(fake_server, PRESETS)
    events = await run_and_cancel(engine, "pipe", when=text_from("b"))
    await engine.aclose()
    assert_cancelled(events)
    assert lanes(events)[0].closed is not None and lanes(events)[0].closed.status == "done"


CRITIQUE = (
    "Critique this draft. List what is wrong; if nothing needs fixing, reply only OK.\n\n"
    "Draft:\n{draft}"
)
REFINE = (
    "Rewrite the draft, fixing what the critique found.\n\nDraft:\n{draft}\n\nCritique:\n{critique}"
)


def refine_loop(max_repeats: int = 1) -> dict[str, dict[str, object]]:
    return {
        "dcr": {
            "strategy": "pipeline",
            "options": {
                "answer": "draft",
                "stages": [
                    {"name": "draft", "model": "a", "instruction": "Draft an answer to {input}"},
                    {"name": "critique", "model": "b", "instruction": CRITIQUE,
                     "stop_when": "OK"},
                    {"name": "refine", "model": "c", "instruction": REFINE, "updates": "draft",
                     "repeat_from": "critique", "max_repeats": max_repeats},
                ],
            },
        }
    }  # fmt: skip


async def test_refine_stage_sees_the_draft_and_the_critique(fake_server: FakeServer) -> None:
    fake_server.script("model-a", "Tides come from the wind.")
    fake_server.script("model-b", "Wrong cause: tides come from the Moon's gravity.", "OK")
    fake_server.script("model-c", "Tides come from the Moon's (and Sun's) gravity.")
    engine = make_engine(fake_server, refine_loop())
    outcome, events = await run(engine, "dcr", "explain tides")
    await engine.aclose()
    refine_request = body_of(fake_server, "model-c")
    assert "Tides come from the wind." in refine_request  # the draft
    assert "Wrong cause" in refine_request  # and the critique
    # refine updated the draft, went back to the critique once, which said OK: stop.
    critiques = [r for r in fake_server.requests if r.model == "model-b"]
    assert len(critiques) == 2 and "Moon's (and Sun's)" in str(critiques[1].json["messages"])
    assert outcome.text == "Tides come from the Moon's (and Sun's) gravity."
    stages = decisions(events, "stage")
    assert [(d.detail.name, d.detail.round, d.detail.stopped) for d in stages] == [
        ("draft", 1, False),
        ("critique", 1, False),
        ("refine", 1, False),
        ("critique", 1, True),
    ]
    assert stages[2].detail.saw == ("draft", "critique")
    assert "matched 'OK': stopping here" in stages[3].summary


async def test_a_critique_that_says_ok_first_time_keeps_the_draft(
    fake_server: FakeServer,
) -> None:
    fake_server.script("model-a", "A fine draft.")
    fake_server.script("model-b", "OK.")
    engine = make_engine(fake_server, refine_loop())
    outcome, _ = await run(engine, "dcr", "say something")
    await engine.aclose()
    assert outcome.text == "A fine draft."
    assert not [r for r in fake_server.requests if r.model == "model-c"]  # refine never ran


async def test_repeats_are_bounded(fake_server: FakeServer) -> None:
    fake_server.script("model-a", "draft 0")
    fake_server.script("model-b", "still wrong")
    fake_server.script("model-c", "draft 1", "draft 2", "draft 3")
    engine = make_engine(fake_server, refine_loop(max_repeats=2))
    outcome, _ = await run(engine, "dcr", "explain")
    await engine.aclose()
    assert len([r for r in fake_server.requests if r.model == "model-c"]) == 3
    assert outcome.text == "draft 3"


def test_stage_references_are_checked_when_the_preset_loads() -> None:
    import pytest
    from mmchat_strategies.pipeline import PipelineOptions
    from pydantic import ValidationError

    with pytest.raises(ValidationError, match=r"names \{critique\}, which is not an earlier"):
        PipelineOptions.model_validate(
            {"stages": [{"name": "draft"}, {"instruction": "Fix {draft} per {critique}"}]}
        )
    with pytest.raises(ValidationError, match="stage names must differ"):
        PipelineOptions.model_validate({"stages": [{"name": "x"}, {"name": "x"}]})
    with pytest.raises(ValidationError, match="updates = 'later' is not an earlier stage"):
        PipelineOptions.model_validate({"stages": [{"name": "a", "updates": "later"}]})
