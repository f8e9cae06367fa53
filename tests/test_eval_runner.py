"""`mmchat eval`'s runner over the fake server: checks, figures, budget, resume, slots.

Models are scripted per prompt (``script_fn``) so that every item has a known reply,
token count, price and delay; requests are counted at the server.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from mmchat.eval.dataset import Dataset, parse_dataset
from mmchat.eval.runner import EvalError, EvalReport, EvalRunner, Finished
from mmchat.eval.stats import wilson_interval
from mmchat.eval.summary import figures, report_figures, report_json, table
from mmchat.history.store import Store
from tests.fakeserver import Reply
from tests.fakeserver.server import FakeServer, RequestRecord
from tests.harness import make_engine, user_text

PRESETS: dict[str, dict[str, Any]] = {
    "single": {"strategy": "single", "options": {"model": "a"}},
    "vote": {"strategy": "voting", "options": {"models": ["a", "b", "c"]}},
    "pair": {"strategy": "voting", "options": {"models": ["a", "b"]}},
}
PRICED = {
    alias: {"provider": "fake", "model": f"model-{alias}", "price_in": 1.0, "price_out": 2.0}
    for alias in ("a", "b", "c")
}
ITEM_COST = (100 * 1.0 + 10 * 2.0) / 1e6  # 100 prompt + 10 completion tokens


def make_dataset(*items: dict[str, Any]) -> Dataset:
    return parse_dataset("\n".join(json.dumps(i) for i in items).encode(), "test.jsonl")


def numbers(count: int) -> Dataset:
    """``count`` items "What is N + 1?" (id q1…), answered by :func:`adder`."""
    return make_dataset(
        *(
            {"id": f"q{n}", "prompt": f"What is {n} + 1?", "answer": str(n + 1), "check": "number"}
            for n in range(1, count + 1)
        )
    )


def adder(delay: float = 0.0) -> Callable[[dict[str, Any]], Reply]:
    """A model that answers "What is N + 1?" right, with 100 + 10 tokens."""

    def reply(body: dict[str, Any]) -> Reply:
        n = int(user_text(body).split()[2])
        return Reply(text=str(n + 1), first_delay=delay, prompt_tokens=100, completion_tokens=10)

    return reply


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    with Store.open(tmp_path / "history.sqlite3") as opened:
        yield opened


def runner(
    server: FakeServer, store: Store, dataset: Dataset, presets: list[str], **options: Any
) -> EvalRunner:
    models = options.pop("models", PRICED)
    engine = make_engine(server, PRESETS, models=models)
    return EvalRunner(engine, store, dataset, presets, **options)


async def run(eval_runner: EvalRunner) -> EvalReport:
    try:
        return await eval_runner.run()
    finally:
        await eval_runner.engine.aclose()


def chats(server: FakeServer) -> list[RequestRecord]:
    return server.requests_to("/chat/completions")


# ------------------------------------------------------------------ checks


async def test_every_check_kind_over_the_wire(fake_server: FakeServer, store: Store) -> None:
    replies = {
        "What is 7 + 5?": "7 + 5 = 12",
        "What is 8 × 7?": "8 × 7 = 54",
        "Rings?\nA) Mars\nB) Venus\nC) Mercury\nD) Saturn": "The answer is D) Saturn.",
        "Symbol of iron?": "That is safe to say.",
        "Say OK.": "ok.",
        "When did the Berlin Wall fall?": "In 1989.",
        "Capital of France?": "It is Paris, of course.",
        "Capital of Peru?": "Quito.",
        "Capital of Chile?": "Santiago.",
    }
    fake_server.script_fn("model-a", lambda body: replies[user_text(body)])
    fake_server.script_fn(
        "model-judge",
        lambda body: {"It is Paris, of course.": "Yes, it matches.", "Quito.": "No."}.get(
            user_text(body).split("Reply to grade:\n")[1].split("\n\n")[0], "Hmm, hard to say."
        ),
    )
    dataset = make_dataset(
        {"id": "n1", "prompt": "What is 7 + 5?", "answer": "12", "check": "number"},
        {"id": "n2", "prompt": "What is 8 × 7?", "answer": "56", "check": "number"},
        {"id": "c1", "prompt": list(replies)[2], "answer": "D", "check": "choice"},
        {"id": "k1", "prompt": "Symbol of iron?", "answer": "Fe", "check": "contains"},
        {"id": "e1", "prompt": "Say OK.", "answer": "OK", "check": "exact"},
        {"id": "r1", "prompt": "When did the Berlin Wall fall?", "answer": r"\b1989\b",
         "check": "regex"},
        {"id": "j1", "prompt": "Capital of France?", "answer": "Paris", "check": "judge"},
        {"id": "j2", "prompt": "Capital of Peru?", "answer": "Lima", "check": "judge"},
        {"id": "j3", "prompt": "Capital of Chile?", "answer": "Santiago", "check": "judge"},
    )  # fmt: skip
    report = await run(runner(fake_server, store, dataset, ["single"], judge="judge"))
    got = {r.item_id: (r.status, r.correct, r.extracted) for r in report.results["single"]}
    assert got == {
        "n1": ("ok", True, "12"),
        "n2": ("ok", False, "54"),  # what was read, so the user sees why it is wrong
        "c1": ("ok", True, "D"),
        "k1": ("ok", False, "safe to say"),  # "Fe" is not inside "safe"
        "e1": ("ok", True, "ok."),
        "r1": ("ok", True, "1989"),
        "j1": ("ok", True, "judge: yes"),
        "j2": ("ok", False, "judge: no"),
        "j3": ("failed", False, ""),
    }
    by_id = {r.item_id: r for r in report.results["single"]}
    assert by_id["j1"].judge_verdict == "Yes, it matches."  # the verdict is kept and shown
    assert by_id["j3"].error == "the judge's verdict is unclear: 'Hmm, hard to say.'"
    judge_prompts = [user_text(r.json) for r in chats(fake_server) if r.model == "model-judge"]
    assert len(judge_prompts) == 3
    assert any("Question:\nCapital of Peru?\n\nReference answer:\nLima" in p for p in judge_prompts)
    assert store.list_conversations() == []  # eval turns are not conversations
    assert report_json(report)["items"][0]["extracted"] == "12"


async def test_judge_needed_and_self_judging_warned(fake_server: FakeServer, store: Store) -> None:
    judged = make_dataset({"prompt": "Capital of Peru?", "answer": "Lima", "check": "judge"})
    with pytest.raises(EvalError, match="--judge ALIAS"):
        runner(fake_server, store, judged, ["single"])
    with pytest.raises(EvalError, match="--judge nobody: no model alias"):
        runner(fake_server, store, judged, ["single"], judge="nobody")
    with pytest.raises(EvalError, match="no preset named 'nope'"):
        runner(fake_server, store, judged, ["single", "nope"], judge="a")
    warned = runner(fake_server, store, judged, ["vote"], judge="a")
    assert warned.warnings == [
        "the judge a also answers in preset vote: models tend to prefer their own answers"
    ]
    unused = runner(fake_server, store, numbers(1), ["single"], judge="a")
    assert unused.warnings == ['--judge a is not used: no item has check "judge"']
    await warned.engine.aclose()
    await unused.engine.aclose()


# ------------------------------------------------------------------ figures


async def test_accuracy_interval_tokens_cost_latency(fake_server: FakeServer, store: Store) -> None:
    delays = {1: 0.1, 2: 0.2, 3: 0.3, 4: 0.4}

    def model(body: dict[str, Any]) -> Reply:
        n = int(user_text(body).split()[2])
        if n == 5:
            return Reply(status=500, error_message="overloaded")
        text = "99" if n == 3 else str(n + 1)  # item 3 is wrong
        return Reply(text=text, first_delay=delays[n], prompt_tokens=100, completion_tokens=10)

    fake_server.script_fn("model-a", model)
    report = await run(runner(fake_server, store, numbers(5), ["single"], concurrency=1))
    (single,) = report_figures(report)
    results = report.results["single"]
    assert [(r.item_id, r.status, r.correct) for r in results] == [
        ("q1", "ok", True), ("q2", "ok", True), ("q3", "ok", False), ("q4", "ok", True),
        ("q5", "failed", False),
    ]  # fmt: skip
    assert "overloaded" in (results[4].error or "")
    # A failed item is not a right answer: 3 of 5.
    assert (single.done, single.correct, single.failures) == (5, 3, 1)
    assert single.accuracy == 0.6
    assert single.interval == wilson_interval(3, 5)
    assert single.interval == (pytest.approx(0.2307, abs=1e-4), pytest.approx(0.8824, abs=1e-4))
    # Tokens and cost: 4 answers × (100 + 10) tokens at $1/$2 per million, and what the
    # engine estimates the failed request cost (its prompt, estimated).
    failed = results[4].usage
    assert failed.estimated and failed.completion_tokens == 0 and failed.prompt_tokens > 0
    assert all((r.usage.prompt_tokens, r.usage.completion_tokens) == (100, 10) for r in results[:4])
    assert (single.usage.prompt_tokens, single.usage.completion_tokens) == (
        400 + failed.prompt_tokens, 40
    )  # fmt: skip
    assert single.usage.estimated
    assert single.tokens_per_item == (440 + failed.prompt_tokens) / 5
    cost = 4 * ITEM_COST + failed.prompt_tokens * 1.0 / 1e6
    assert single.cost == pytest.approx(cost) and results[4].cost is not None
    assert single.cost_per_item == pytest.approx(cost / 5)
    assert report.spent == pytest.approx(cost)
    # Latency: the completed turns only, each at least its scripted delay.
    latencies = [r.latency for r in results[:4]]
    assert all(lat >= delays[n] for n, lat in zip(range(1, 5), latencies, strict=True))
    ordered = sorted(latencies)
    p50, p95 = ordered_percentiles(ordered)
    assert (single.latency_p50, single.latency_p95) == (pytest.approx(p50), pytest.approx(p95))
    head, rule, row = table([single]).splitlines()
    shown = [cell.strip() for cell in row.strip("|").split("|")]
    p50, p95 = (f"{value:.1f} s" for value in ordered_percentiles(ordered))
    assert shown == ["single", "5/5", "60 % (23–88 %)", "~89", "$0.0005", p50, p95, "1"]
    assert head.startswith("| preset | done | accuracy (95 % CI) |") and rule.startswith("|---")
    preset_json = report_json(report)["presets"][0]
    assert preset_json["accuracy"] == 0.6 and preset_json["interval"] == [0.2307, 0.8824]
    assert preset_json["cost"]["total"] == pytest.approx(cost)


async def test_unknown_price_stays_unknown(fake_server: FakeServer, store: Store) -> None:
    for alias in "abc":
        fake_server.script_fn(f"model-{alias}", adder())
    models = {**PRICED, "c": {"provider": "fake", "model": "model-c"}}  # no price for c
    eval_runner = runner(fake_server, store, numbers(2), ["single", "vote"], models=models)
    assert eval_runner.unpriced_models() == ["c"]
    report = await run(eval_runner)
    single, vote = report_figures(report)
    assert single.cost == pytest.approx(2 * ITEM_COST)
    assert (vote.cost, vote.cost_unknown, vote.cost_per_item) == (None, 2, None)
    assert " unknown " in table([vote])
    assert report.unknown_cost == 2 and report.spent == pytest.approx(2 * ITEM_COST)
    assert report_json(report)["presets"][1]["cost"]["total"] is None
    partly = figures("vote", "voting", [*report.results["single"], *report.results["vote"]], 4)
    assert "unknown (2 of 4)" in table([partly])


# ------------------------------------------------------------------ budget


async def test_budget_stops_starting_new_items(fake_server: FakeServer, store: Store) -> None:
    fake_server.script_fn("model-a", adder())
    # Spent after each item: 1.2e-4, 2.4e-4 (under 2.5e-4, so a third starts), 3.6e-4.
    eval_runner = runner(fake_server, store, numbers(6), ["single"], budget=2.5e-4, concurrency=1)
    report = await run(eval_runner)
    assert len(chats(fake_server)) == 3
    assert (report.stopped, report.left) == ("budget", 3)
    assert report.spent == pytest.approx(3 * ITEM_COST)
    assert [r.item_id for r in report.results["single"]] == ["q1", "q2", "q3"]


# ------------------------------------------------------------------ resume


async def test_a_stopped_run_resumes_without_repeating_items(
    fake_server: FakeServer, store: Store
) -> None:
    for alias in "abc":
        fake_server.script_fn(f"model-{alias}", adder())
    dataset = numbers(5)
    first: EvalRunner | None = None

    def stop_after_four(event: Finished) -> None:
        assert first is not None
        if event.done == 4:
            first.stop()

    first = runner(
        fake_server, store, dataset, ["single", "vote"], concurrency=1,
        on_finished=stop_after_four,
    )  # fmt: skip
    report = await run(first)
    # Items run item by item, every preset in turn: q1 single, q1 vote, q2 single, q2 vote.
    done = {(p, r.item_id) for p, rows in report.results.items() for r in rows}
    assert done == {("single", "q1"), ("vote", "q1"), ("single", "q2"), ("vote", "q2")}
    assert (report.stopped, report.left) == ("interrupted", 6)
    asked = [user_text(r.json) for r in chats(fake_server)]
    assert len(asked) == 2 * (1 + 3)  # nothing of q3 was sent
    kept = {r.item_id: r.created for r in report.results["vote"]}
    fake_server.requests.clear()

    second = runner(fake_server, store, dataset, ["single", "vote"], concurrency=2)
    assert second.resumed == {"single": 2, "vote": 2} and second.total == 6
    report = await run(second)
    asked = [user_text(r.json).splitlines()[0] for r in chats(fake_server)]
    assert sorted(set(asked)) == ["What is 3 + 1?", "What is 4 + 1?", "What is 5 + 1?"]
    assert len(asked) == 3 * (1 + 3)  # finished items were not requested again
    assert report.stopped is None and report.resumed == {"single": 2, "vote": 2}
    assert {r.item_id: r.created for r in report.results["vote"]}.items() >= kept.items()
    assert [len(rows) for rows in report.results.values()] == [5, 5]
    assert report_json(report)["presets"][0]["resumed"] == 2


async def test_stop_during_an_item_keeps_only_finished_ones(
    fake_server: FakeServer, store: Store
) -> None:
    fake_server.script_fn(
        "model-a", lambda body: adder(0.0 if "1 + 1" in user_text(body) else 5.0)(body)
    )
    eval_runner = runner(fake_server, store, numbers(3), ["single"], concurrency=2)

    async def stop_once_q2_is_asked() -> None:
        await fake_server.wait_until(
            lambda: any("2 + 1" in user_text(r.json) for r in chats(fake_server))
        )
        await fake_server.wait_until(lambda: bool(store.eval_results(eval_runner.plans[0].run.id)))
        eval_runner.stop()

    import asyncio

    stopper = asyncio.create_task(stop_once_q2_is_asked())
    report = await asyncio.wait_for(run(eval_runner), 10)
    await stopper
    assert [r.item_id for r in report.results["single"]] == ["q1"]  # q2 was cut: not stored
    assert report.stopped == "interrupted"
    rerun = runner(fake_server, store, numbers(3), ["single"])
    assert rerun.resumed == {"single": 1} and rerun.total == 2
    await rerun.engine.aclose()


async def test_failed_items_are_kept_and_retried_on_request(
    fake_server: FakeServer, store: Store
) -> None:
    fake_server.script("model-a", Reply(status=500, error_message="down"))
    report = await run(runner(fake_server, store, numbers(2), ["single"]))
    assert [r.status for r in report.results["single"]] == ["failed", "failed"]
    fake_server.script_fn("model-a", adder())
    again = runner(fake_server, store, numbers(2), ["single"])
    assert again.total == 0  # a failure is a result...
    await again.engine.aclose()
    retried = await run(runner(fake_server, store, numbers(2), ["single"], retry_failed=True))
    assert [r.correct for r in retried.results["single"]] == [True, True]  # ...unless retried


async def test_a_reconfigured_preset_is_a_new_run(fake_server: FakeServer, store: Store) -> None:
    for alias in "abc":
        fake_server.script_fn(f"model-{alias}", adder())
    await run(runner(fake_server, store, numbers(2), ["single"]))
    repriced = {**PRICED, "a": {**PRICED["a"], "price_out": 5.0}}
    same = runner(fake_server, store, numbers(2), ["single"], models=repriced)
    assert same.total == 0  # a price changes the cost, not the answers
    await same.engine.aclose()
    other = {**PRICED, "a": {**PRICED["a"], "temperature": 1.5}}
    changed = runner(fake_server, store, numbers(2), ["single"], models=other)
    assert changed.total == 2 and changed.plans[0].run.id != same.plans[0].run.id
    await changed.engine.aclose()
    assert len(store.eval_runs()) == 1  # the new run has no results yet


# ------------------------------------------------------------------ concurrency


def ordered_percentiles(ordered: list[float]) -> tuple[float, float]:
    """p50 and p95 of four sorted values, by hand (linear between closest ranks)."""
    return (ordered[1] + ordered[2]) / 2, ordered[2] + 0.85 * (ordered[3] - ordered[2])


def most_at_once(records: list[RequestRecord]) -> int:
    starts = [(r.started_at, 1) for r in records]
    ends = [(r.finished_at or r.started_at, -1) for r in records]
    edges = sorted(starts + ends)  # at a tie an end comes first
    now = peak = 0
    for _, step in edges:
        now += step
        peak = max(peak, now)
    return peak


async def test_provider_slots_bound_the_requests_at_once(
    fake_server: FakeServer, store: Store
) -> None:
    for alias in "ab":
        fake_server.script_fn(f"model-{alias}", adder(0.15))
    eval_runner = runner(
        fake_server, store, numbers(4), ["single", "pair"], concurrency=4, limits={"fake": 2}
    )
    assert [plan.needs for plan in eval_runner.plans] == [{"fake": 1}, {"fake": 2}]
    await run(eval_runner)
    assert len(chats(fake_server)) == 4 * (1 + 2)
    assert most_at_once(chats(fake_server)) == 2

    fake_server.requests.clear()
    unbounded = runner(fake_server, store, numbers(4), ["single"], concurrency=3, limits={})
    unbounded.retry_failed = True
    for plan in unbounded.plans:
        plan.stored.clear()  # run them again, without a provider limit
    await run(unbounded)
    assert most_at_once(chats(fake_server)) == 3  # --concurrency alone bounds it
