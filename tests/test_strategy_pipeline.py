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
