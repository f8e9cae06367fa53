"""The model picker (ctrl+l) tells apart aliases that run the same model."""

from __future__ import annotations

from textual.widgets import OptionList

from mmchat.tui.screens.pickers import PickerScreen
from tests.fakeserver import FakeServer, Reply
from tests.tui.conftest import build_app, idle, send, wait_for

SAME_MODEL = {"provider": "fake", "model": "model-same", "params": {"min_p": 0.1}}
MODELS = {
    "a": {**SAME_MODEL, "temperature": 0.2, "max_tokens": 256},
    "b": {**SAME_MODEL, "temperature": 1.1, "max_tokens": 256},
    "c": {
        **SAME_MODEL,
        "temperature": 0.3,
        "system": "Answer in one short line. No preamble, no lists, nothing else at all.",
        "params": {"min_p": 0.05},
    },
}


def _entries(screen: PickerScreen) -> dict[str, str]:
    options = screen.query_one(OptionList)
    found = {}
    for index in range(options.option_count):
        option = options.get_option_at_index(index)
        found[str(option.id)] = str(option.prompt)
    return found


async def test_each_alias_says_what_sets_it_apart(fake_server: FakeServer) -> None:
    fake_server.script("model-same", Reply(text="hot answer"))
    app = build_app(fake_server, models=MODELS)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("ctrl+l")
        await pilot.pause()
        picker = app.screen
        assert isinstance(picker, PickerScreen)
        entries = _entries(picker)
        first, _, detail = entries["a"].partition("\n")
        assert first == "a — fake/model-same"
        assert detail.strip() == "temperature 0.2 · max 256 tokens · min_p 0.1"
        assert entries["b"].split("\n")[1].strip().startswith("temperature 1.1")
        c_detail = entries["c"].split("\n")[1]
        assert "min_p 0.05" in c_detail and "“Answer in one short line. No preamble" in c_detail
        assert c_detail.rstrip().endswith("…”")  # a long system prompt is clipped
        assert "\n" not in entries["d"]  # nothing set: no second line
        # typing filters on the label; the detail line comes along
        await pilot.press(*"b —")
        await pilot.pause()
        assert next(iter(_entries(picker))) == "b"  # best match first
        assert "temperature 1.1" in _entries(picker)["b"]
        await pilot.press("enter")
        await pilot.pause()
        assert not isinstance(app.screen, PickerScreen)
        await send(pilot, "hi")
        await wait_for(pilot, idle(app))
        body = fake_server.requests_to("/chat/completions")[-1].json
        assert body["temperature"] == 1.1  # the chosen alias answered
