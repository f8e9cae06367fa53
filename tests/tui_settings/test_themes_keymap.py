from __future__ import annotations

from textual.app import App
from textual.binding import Binding
from textual.widgets import Static

from mmchat import paths
from mmchat.tui.keymap import apply_keymap, check_keymap
from mmchat.tui.themes import load_themes, register_themes


def test_builtin_themes_load_with_one_light() -> None:
    themes, errors = load_themes()
    assert errors == []
    names = {t.name for t in themes}
    assert {"mmchat-dark", "mmchat-light", "solarized-dusk"} <= names
    assert any(not t.dark for t in themes)


def test_bad_user_theme_is_reported_not_fatal() -> None:
    user = paths.ensure_dir(paths.user_themes_dir())
    (user / "broken.toml").write_text('name = "broken"\nprimary = "not-a-colour"\n')
    (user / "garbage.toml").write_text("this is [not toml")
    (user / "mine.toml").write_text('name = "mine"\ndark = false\nprimary = "#336699"\n')
    themes, errors = load_themes()
    names = {t.name for t in themes}
    assert "mine" in names and "broken" not in names
    assert len(errors) == 2
    assert any("broken.toml" in e and "primary" in e for e in errors)
    assert any("garbage.toml" in e and "TOML" in e for e in errors)


async def test_register_themes_notifies_errors() -> None:
    user = paths.ensure_dir(paths.user_themes_dir())
    (user / "bad.toml").write_text('primary = "#123456"\nsparkles = true\n')
    app: App[None] = App()
    async with app.run_test():
        errors = register_themes(app)
        assert len(errors) == 1 and "sparkles" in errors[0]
        assert "mmchat-light" in app.available_themes
        app.theme = "mmchat-light"
        assert app.current_theme.dark is False


class KeyApp(App[None]):
    BINDINGS = [Binding("f5", "hello", "Hello", id="demo.hello")]  # noqa: RUF012

    def __init__(self) -> None:
        super().__init__()
        self.hellos = 0

    def compose(self):  # type: ignore[no-untyped-def]
        yield Static("keys")

    def action_hello(self) -> None:
        self.hellos += 1


async def test_keymap_override_applied_and_unknown_warned() -> None:
    app = KeyApp()
    async with app.run_test() as pilot:
        warnings = apply_keymap(app, {"demo.hello": "ctrl+y", "no.such": "f6"}, notify=False)
        assert warnings == ["no.such: no binding with this id"]
        await pilot.press("ctrl+y")
        await pilot.pause()
        assert app.hellos == 1
        await pilot.press("f5")  # the default key is replaced
        await pilot.pause()
        assert app.hellos == 1


def test_check_keymap_rejects_malformed_keys() -> None:
    usable, warnings = check_keymap({"a": "ctrl+s", "b": "ctrl s", "c": ""}, known={"a", "b"})
    assert usable == {"a": "ctrl+s"}
    assert len(warnings) == 2
