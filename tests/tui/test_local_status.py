"""The strategy bar says when the local model is loading instead of looking stuck."""

from __future__ import annotations

from mmchat.providers import local_servers
from mmchat.providers.local_servers import LocalStatus
from tests.fakeserver import FakeServer
from tests.tui.conftest import build_app


async def test_bar_shows_loading_then_clears_with_a_notice(fake_server: FakeServer) -> None:
    app = build_app(fake_server)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        assert app.chat_screen is not None
        bar = app.chat_screen.bar
        # The same path the server registry uses to announce its state changes.
        local_servers._emit(LocalStatus("loading", "/m.gguf", "loading model m.gguf…"))
        await pilot.pause()
        assert "loading model m.gguf…" in str(bar.render())
        local_servers._emit(LocalStatus("ready", "/m.gguf", "model m.gguf ready", 1.5))
        await pilot.pause()
        assert "loading" not in str(bar.render())
        assert any("ready (1.5 s)" in str(n.message) for n in app._notifications)
    # The screen unsubscribes when it goes away.
    assert app.chat_screen.on_local_model_status not in local_servers._listeners
