"""Finding conversations again in the app: ctrl+f searches the history (FTS5) with
highlighted snippets and opens the one chosen; personas are picked per conversation and
shown in the strategy bar; reopening a conversation restores its preset and persona."""

from __future__ import annotations

from typing import Any

from mmchat import paths
from mmchat.api import Usage
from mmchat.history.store import Store
from mmchat.plugins import discover
from mmchat.tui.app import MMChatApp, make_app
from mmchat.tui.screens.pickers import PickerScreen
from mmchat.tui.screens.search import MATCH_STYLE, SearchScreen
from mmchat.tui.widgets.sidebar import Sidebar
from mmchat.tui.widgets.user_message import UserMessage
from tests.fakeserver import FakeServer
from tests.harness import make_config
from tests.reliability.test_tui_faults import screen_text
from tests.tui.conftest import PRESETS, idle, send, wait_for

PIRATE = "Talk like a pirate."
TEACHER = "Explain step by step."


def build(server: FakeServer, *, persona: str = "") -> MMChatApp:
    presets = {"single": PRESETS["single"], "other": PRESETS["other"]}
    config = make_config(server, presets)
    config = config.model_validate(
        {
            **config.model_dump(),
            "personas": {
                "pirate": {"system": PIRATE, "description": "arr"},
                "teacher": {"system": TEACHER},
            },
            "defaults": {"preset": "single", "persona": persona},
        }
    )
    store = Store.open(paths.db_file())
    return make_app(
        loaded=config, store=store, registry=discover([]), onboarding=False, hide_timings=True
    )


def add_conversation(store: Store, title: str, turns: list[tuple[str, str]], **kw: Any) -> int:
    conv = store.create_conversation(title, **kw)
    parent = None
    for question, answer in turns:
        user = store.add_user_message(conv, question, parent)
        parent = store.start_assistant(conv, user, kw.get("preset", "single"), "single")
        store.finish_assistant(
            parent, text=answer, status="complete", models=["a"], usage=Usage(1, 1),
            cost=None, duration=0.1,
        )  # fmt: skip
    return conv


def bar_text(app: MMChatApp) -> str:
    return screen_text(app)[0].splitlines()[0]


async def test_ctrl_f_finds_a_conversation_shows_the_match_and_opens_it(
    fake_server: FakeServer,
) -> None:
    app = build(fake_server)
    async with app.run_test(size=(120, 40)) as pilot:
        chat = app.chat_screen
        assert chat is not None and app.store is not None
        store = app.store
        sourdough = add_conversation(
            store, "Bread", [("How long to proof dough?", "Let the sourdough rise overnight.")]
        )
        add_conversation(store, "Bikes", [("Chain oil?", "Use a dry lube in summer.")])
        chat.prompt.focus()
        await pilot.press("ctrl+f")  # with the prompt focused
        await wait_for(pilot, lambda: isinstance(app.screen, SearchScreen))
        screen = app.screen
        assert isinstance(screen, SearchScreen)
        await pilot.press(*"sourd")  # the last word is a prefix: found while typing
        await wait_for(pilot, lambda: screen.searched == "sourd")
        assert [h.conversation_id for h in screen.hits] == [sourdough]
        text = screen_text(app)[0]
        assert "Bread" in text and "Let the sourdough rise overnight." in text
        assert "Bikes" not in text
        # the matched word, and only it, is highlighted
        from mmchat.tui.screens.search import hit_content

        content = hit_content(screen.hits[0])
        marked = {content.plain[s.start : s.end] for s in content.spans if s.style == MATCH_STYLE}
        assert marked == {"sourdough"}
        assert "1 conversation" in text
        await pilot.press("enter")
        await wait_for(pilot, lambda: not isinstance(app.screen, SearchScreen))
        await wait_for(pilot, lambda: chat.controller.conversation_id == sourdough)
        await wait_for(pilot, lambda: len(list(app.screen.query(UserMessage))) == 1)
        assert app.screen.query_one(UserMessage).text == "How long to proof dough?"
        assert chat.prompt.has_focus


async def test_search_text_that_is_fts_syntax_is_searched_as_words(
    fake_server: FakeServer,
) -> None:
    app = build(fake_server)
    async with app.run_test(size=(120, 40)) as pilot:
        chat = app.chat_screen
        assert chat is not None and app.store is not None
        add_conversation(app.store, "Logic", [("what is NEAR(a b)?", "NEAR is an operator.")])
        cafe = add_conversation(app.store, "Café", [("où est le café ?", "Rue de la Paix.")])
        add_conversation(
            app.store, "[b]Tricky[/b]", [("escape?", "Beware \x1b]0;pwned\x07 the bell.")]
        )
        chat.prompt.focus()
        await pilot.press("ctrl+f")
        await wait_for(pilot, lambda: isinstance(app.screen, SearchScreen))
        screen = app.screen
        assert isinstance(screen, SearchScreen)
        search_input = screen.query_one("Input")
        for query, found in [
            ('"(AND OR* NEAR(', 0),  # no syntax error: words, nothing matches "(AND"
            ("near(", 1),
            ("cafe", 1),  # accents folded
            ("nothing-like-this", 0),
        ]:
            search_input.value = query  # type: ignore[attr-defined]
            await wait_for(pilot, lambda q=query: screen.searched == q)
            assert len(screen.hits) == found, query
        # model text and titles are shown as they are: no markup, no control codes
        search_input.value = "beware"  # type: ignore[attr-defined]
        await wait_for(pilot, lambda: screen.searched == "beware")
        from mmchat.tui.screens.search import hit_content

        shown = hit_content(screen.hits[0]).plain
        assert "[b]Tricky[/b]" in shown and "Beware ^[]0;pwned^G the bell." in shown
        assert "[b]Tricky[/b]" in screen_text(app)[0]
        search_input.value = "nothing-like-this"  # type: ignore[attr-defined]
        await wait_for(pilot, lambda: screen.searched == "nothing-like-this")
        assert "no conversation matches" in screen_text(app)[0]
        await pilot.press("enter")  # nothing matches: stays open
        await pilot.pause()
        assert app.screen is screen
        await pilot.press("escape")
        await wait_for(pilot, lambda: not isinstance(app.screen, SearchScreen))
        assert chat.controller.conversation_id is None  # nothing was opened
        # Enter right after typing, before the results came: the best match opens
        await pilot.press("ctrl+f")
        await wait_for(pilot, lambda: isinstance(app.screen, SearchScreen))
        await pilot.press(*"paix", "enter")
        await wait_for(pilot, lambda: not isinstance(app.screen, SearchScreen))
        await wait_for(pilot, lambda: chat.controller.conversation_id == cafe)


async def test_persona_picked_in_the_app_reaches_every_request_and_is_shown(
    fake_server: FakeServer,
) -> None:
    fake_server.script("model-a", "Arr, hello.")
    app = build(fake_server)
    async with app.run_test(size=(140, 40)) as pilot:
        chat = app.chat_screen
        assert chat is not None and app.store is not None
        assert "persona" not in bar_text(app)
        chat.prompt.focus()
        await pilot.press("alt+p")
        await wait_for(pilot, lambda: isinstance(app.screen, PickerScreen))
        await pilot.press(*"pirate", "enter")
        await wait_for(pilot, lambda: not isinstance(app.screen, PickerScreen))
        assert chat.controller.persona == "pirate"
        await wait_for(pilot, lambda: "persona pirate" in bar_text(app))
        await send(pilot, "hello")
        await wait_for(pilot, idle(app))
        assert PIRATE in str(fake_server.last.body)
        conv = chat.controller.conversation_id
        assert conv is not None
        row = app.store.get_conversation(conv)
        assert row is not None and (row.preset, row.persona) == ("single", "pirate")
        # "(no persona)" turns it off again
        await pilot.press("alt+p")
        await wait_for(pilot, lambda: isinstance(app.screen, PickerScreen))
        await pilot.press(*"no persona", "enter")
        await wait_for(pilot, lambda: not isinstance(app.screen, PickerScreen))
        assert chat.controller.persona == ""
        await wait_for(pilot, lambda: "persona" not in bar_text(app))


async def test_reopening_a_conversation_restores_its_preset_and_persona(
    fake_server: FakeServer,
) -> None:
    fake_server.script("model-b", "from b")
    app = build(fake_server)
    async with app.run_test(size=(140, 40)) as pilot:
        chat = app.chat_screen
        assert chat is not None and app.store is not None
        store = app.store
        kept = add_conversation(store, "Kept", [("q", "a")], preset="other", persona="teacher")
        gone = add_conversation(store, "Gone", [("q", "a")], preset="removed", persona="ghost")
        assert (chat.controller.preset, chat.controller.persona) == ("single", "")
        chat.post_message(Sidebar.Opened(kept))
        await wait_for(pilot, lambda: chat.controller.conversation_id == kept)
        assert (chat.controller.preset, chat.controller.persona) == ("other", "teacher")
        await wait_for(pilot, lambda: "persona teacher" in bar_text(app))
        assert "preset other" in bar_text(app)
        await send(pilot, "go on")
        await wait_for(pilot, lambda: idle(app)() and len(chat.controller.records) == 2)
        body = str(fake_server.last.body)
        assert "model-b" in body and TEACHER in body
        # what the config no longer has is said, and the current choice stays
        chat.post_message(Sidebar.Opened(gone))
        await wait_for(pilot, lambda: chat.controller.conversation_id == gone)
        assert (chat.controller.preset, chat.controller.persona) == ("other", "teacher")
        notes = [n.message for n in app._notifications]
        assert any("preset 'removed' is no longer configured" in n for n in notes)
        assert any("persona 'ghost' is no longer configured" in n for n in notes)


async def test_a_single_model_choice_is_restored_too(fake_server: FakeServer) -> None:
    app = build(fake_server, persona="pirate")
    async with app.run_test(size=(140, 40)) as pilot:
        await pilot.pause()
        chat = app.chat_screen
        assert chat is not None and app.store is not None
        assert chat.controller.persona == "pirate"  # defaults.persona
        conv = add_conversation(app.store, "Direct", [("q", "a")], preset="model:b")
        await chat.controller.open_conversation(conv)
        chat.refresh_bar()
        await wait_for(pilot, lambda: "preset model:b" in bar_text(app))
        assert "persona" not in bar_text(app)
        assert chat.controller.preset_label == "model:b" and chat.controller.adhoc is not None
        assert chat.controller.persona == ""  # it ran without one


async def test_alt_p_from_a_real_terminal_opens_the_picker_not_a_p_in_the_prompt(
    fake_server: FakeServer,
) -> None:
    """A terminal sends alt+p as ESC p: Textual makes it Key("alt+p", character "p"),
    which the focused prompt would type as a "p" (Pilot's press gives no character)."""
    from textual import events

    app = build(fake_server)
    async with app.run_test(size=(120, 40)) as pilot:
        chat = app.chat_screen
        assert chat is not None
        chat.prompt.focus()
        await pilot.pause()
        app.post_message(events.Key("alt+p", "p"))
        await wait_for(pilot, lambda: isinstance(app.screen, PickerScreen))
        assert chat.prompt.text == ""


def ask_from_the_shell(fake_server: FakeServer) -> None:
    """Two turns with the CLI, in the test's config and data dirs."""
    import os
    from pathlib import Path

    from tests.test_cli_ask import CONFIG, mmchat
    from tests.test_cli_history import PERSONAS

    config_dir = Path(os.environ["MMCHAT_CONFIG_DIR"])
    config_dir.mkdir(parents=True, exist_ok=True)
    (config_dir / "config.toml").write_text(CONFIG.format(url=fake_server.url) + PERSONAS)
    fake_server.script("model-a", "Paris.", "About 2.1 million.")
    for args in (("ask", "capital of France?"), ("ask", "-c", "--persona", "pirate", "people?")):
        result = mmchat(*args)
        assert result.returncode == 0, result.stderr


async def test_a_turn_added_from_the_shell_shows_when_the_app_opens_the_conversation(
    fake_server: FakeServer,
) -> None:
    """`mmchat ask` then `mmchat ask -c --persona pirate` (real subprocesses, the same
    history file): the app shows both turns and continues with the persona."""
    ask_from_the_shell(fake_server)
    app = build(fake_server)
    async with app.run_test(size=(120, 40)) as pilot:
        chat = app.chat_screen
        assert chat is not None and app.store is not None
        (row,) = app.store.list_conversations()
        chat.post_message(Sidebar.Opened(row.id))
        await wait_for(pilot, lambda: len(list(app.screen.query(UserMessage))) == 2)
        assert [u.text for u in app.screen.query(UserMessage)] == [
            "capital of France?",
            "people?",
        ]
        await wait_for(pilot, lambda: "About 2.1 million." in screen_text(app)[0])
        assert chat.controller.persona == "pirate"
        assert [m.content for m in chat.controller.history()] == [
            "capital of France?", "Paris.", "people?", "About 2.1 million.",
        ]  # fmt: skip
