"""A blind fan-out in the app: panes A, B, C hide their models (and the token counts
and costs that could tell them) until the user picks one; the pick reveals them and is
recorded as a blind comparison. Reopened: revealed if picked, still blind if not."""

from __future__ import annotations

from typing import Any

import pytest
from textual.widgets import Static

from mmchat import paths
from mmchat.history.store import Store
from mmchat.plugins import discover
from mmchat.tui.app import MMChatApp, make_app
from mmchat.tui.widgets.assistant_message import AssistantMessage
from mmchat.tui.widgets.lane_pane import LanePane
from mmchat.tui.widgets.sidebar import Sidebar
from tests.fakeserver import FakeServer, Reply
from tests.harness import make_config
from tests.tui.conftest import idle, send, wait_for

pytestmark = pytest.mark.usefixtures("markdown_mode")  # lean and stock Markdown

MODELS = ("alpha", "bravo", "charlie")
ANSWERS = {"alpha": "the first answer", "bravo": "the second answer", "charlie": "a third one"}
PRICES = {m: {"provider": "fake", "model": f"model-{m}", "price_in": 1.0, "price_out": 2.0}
          for m in MODELS}  # fmt: skip


def blind_app(server: FakeServer) -> MMChatApp:
    presets: dict[str, dict[str, Any]] = {
        "blind": {"strategy": "fanout", "options": {"models": list(MODELS), "blind": True}},
        "single": {"strategy": "single", "options": {"model": "alpha"}},
    }
    config = make_config(server, presets, aliases=MODELS, models=PRICES)
    return make_app(
        loaded=config, store=Store.open(paths.db_file()), registry=discover([]),
        onboarding=False, hide_timings=True,
    )  # fmt: skip


def shown_text(reply: AssistantMessage) -> str:
    """Every line the message draws outside the answers' Markdown (heads, decisions,
    footer): where a model's name, tokens or cost would show."""
    return "\n".join(str(s.render()) for s in reply.query(Static))


def script(server: FakeServer) -> None:
    for model, text in ANSWERS.items():
        server.script(f"model-{model}", text)


async def test_blind_panes_hide_models_until_a_pick_reveals_them(fake_server: FakeServer) -> None:
    script(fake_server)
    app = blind_app(fake_server)
    async with app.run_test(size=(150, 44)) as pilot:
        chat = app.chat_screen
        assert chat is not None
        await send(pilot, "which is better?")
        await wait_for(pilot, idle(app))
        reply = app.screen.query_one(AssistantMessage)
        panes = list(reply.query(LanePane))
        await wait_for(pilot, lambda: all(p.info.closed is not None for p in panes))
        assert sorted(p.info.name for p in panes) == ["A", "B", "C"]
        hidden = shown_text(reply)
        for model in MODELS:
            assert model not in hidden
        heads = [str(p._head.render()) for p in panes]
        # no pane's token count or cost (a tokenizer or a price tells the model); the
        # footer's totals for the whole turn tell nothing about a pane
        assert not any("tok" in head or "$" in head for head in heads), heads
        assert all(p._head.tooltip is None for p in panes)  # no cost on hover either
        assert "hidden until you pick" in hidden
        # the default answer is shown, but not as the user's choice of a model
        assert reply.chosen_lane is None
        assert sum("default" in head for head in heads) == 1

        by_text = {p.text: p for p in panes}
        picked = by_text[ANSWERS["bravo"]]
        letter = picked.info.label
        await pilot.click(picked)
        await wait_for(pilot, lambda: reply.chosen_lane == picked.lane and not reply.blind)
        revealed = shown_text(reply)
        assert f"{letter} · bravo" in revealed and "✓ chosen" in revealed
        assert all(m in revealed for m in MODELS)  # every pane's head, and the footer
        assert all("tok" in str(p._head.render()) for p in panes)  # counts are back
        # the cost, and where its price came from, on hover
        assert all(p._head.tooltip == "cost: <$0.0001 (your price)" for p in panes)
        assert chat.controller.history()[-1].content == ANSWERS["bravo"]

        store = app.store
        assert store is not None
        pairs = sorted(store.comparison_pairs(["blind-pick"]))
        assert pairs == [("bravo", "alpha"), ("bravo", "charlie")]


async def test_reopened_blind_turn_stays_blind_until_picked(fake_server: FakeServer) -> None:
    script(fake_server)
    app = blind_app(fake_server)
    async with app.run_test(size=(150, 44)) as pilot:
        chat = app.chat_screen
        assert chat is not None
        await send(pilot, "which is better?")
        await wait_for(pilot, idle(app))
        first = chat.controller.conversation_id
        assert first is not None

        async def reopen() -> AssistantMessage:
            await pilot.press("ctrl+o")
            await pilot.pause()
            chat.post_message(Sidebar.Opened(first))
            await wait_for(pilot, lambda: len(list(app.screen.query(LanePane))) == 3)
            reply = app.screen.query_one(AssistantMessage)
            await wait_for(pilot, lambda: reply.status != "streaming")
            return reply

        reply = await reopen()  # not picked: still blind
        assert reply.blind
        assert sorted(p.info.name for p in reply.query(LanePane)) == ["A", "B", "C"]
        assert not any(m in shown_text(reply) for m in MODELS)

        pane = next(p for p in reply.query(LanePane) if p.text == ANSWERS["charlie"])
        await pilot.click(pane)
        await wait_for(pilot, lambda: not reply.blind)

        reply = await reopen()  # picked: revealed, the pick marked
        await wait_for(pilot, lambda: reply.chosen_lane is not None)
        assert not reply.blind
        chosen = [p for p in reply.query(LanePane) if p.chosen]
        assert [p.info.model for p in chosen] == ["charlie"]
        assert all(m in shown_text(reply) for m in MODELS)


async def test_a_failed_blind_pane_keeps_its_error_until_the_pick(fake_server: FakeServer) -> None:
    fake_server.script("model-alpha", "the first answer")
    fake_server.script("model-bravo", "the second answer")
    fake_server.script(
        "model-charlie", Reply(status=500, error_message="model-charlie is overloaded")
    )
    app = blind_app(fake_server)
    async with app.run_test(size=(150, 44)) as pilot:
        await send(pilot, "which is better?")
        await wait_for(pilot, idle(app))
        reply = app.screen.query_one(AssistantMessage)
        await wait_for(pilot, lambda: reply.status == "complete")
        await pilot.pause()
        failed = next(p for p in reply.query(LanePane) if p.info.status == "failed")
        hidden = shown_text(reply)
        assert "charlie" not in hidden and "overloaded" not in hidden  # nor in the decision
        assert "once you pick" in str(failed._error.render())
        pane = next(p for p in reply.query(LanePane) if p.text == ANSWERS["alpha"])
        await pilot.click(pane)
        await wait_for(pilot, lambda: not reply.blind)
        assert "model-charlie is overloaded" in str(failed._error.render())
