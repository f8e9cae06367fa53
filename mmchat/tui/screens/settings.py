"""Settings: providers, models, presets and appearance, saved to config.toml.

Edits go to a working copy. "Apply" (or choosing another entry, or saving) checks the
entry with the same pydantic model the loader uses and shows errors under each field;
"Save" validates the whole Config before :func:`mmchat.config.save_config` writes it.
Leaving with unsaved edits asks for a second Escape: nothing is dropped silently.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from pathlib import Path
from typing import Any, ClassVar

import tomli_w
from pydantic import ValidationError
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import Screen
from textual.widgets import (
    Button,
    Input,
    Label,
    ListItem,
    ListView,
    Select,
    Static,
    TabbedContent,
    TabPane,
    TextArea,
)

from mmchat.config import LoadedConfig, config_to_dict, save_config
from mmchat.config_schema import Config, DefaultsConfig, UIConfig
from mmchat.plugins import Registry
from mmchat.tui.forms import ModelForm, format_errors
from mmchat.tui.screens.settings_entry import EditorContext, EntryEditor

__all__ = ["SettingsScreen"]

SECTIONS = ("providers", "models", "presets")


class SettingsScreen(Screen[None]):
    """Edit the config; ``on_saved`` receives every Config written to disk."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+s", "save", "Save", id="settings.save"),
        Binding("escape", "close", "Close", id="settings.close"),
    ]
    DEFAULT_CSS = """
    SettingsScreen { layout: vertical; }
    SettingsScreen #settings-title { padding: 0 1; background: $panel; text-style: bold; }
    SettingsScreen TabbedContent { height: 1fr; }
    SettingsScreen .section { height: 1fr; }
    SettingsScreen .side { width: 28; border-right: solid $panel; }
    SettingsScreen .side ListView { height: 1fr; }
    SettingsScreen .side Button { width: 100%; }
    SettingsScreen .editor { width: 1fr; }
    SettingsScreen .name-row { height: auto; padding: 0 1; margin-bottom: 1; }
    SettingsScreen .name-row Label { width: 8; }
    SettingsScreen .name-row Input, SettingsScreen .name-row Select { width: 1fr; max-width: 74; }
    SettingsScreen #preview { height: 1fr; }
    SettingsScreen #settings-bar { height: auto; dock: bottom; padding: 0 1; }
    SettingsScreen #settings-status { width: 1fr; }
    SettingsScreen #settings-status.error { color: $error; }
    SettingsScreen #settings-bar Button { margin-left: 1; }
    """

    def __init__(
        self,
        loaded_config: LoadedConfig | Config,
        registry: Registry,
        on_saved: Callable[[Config], None],
    ) -> None:
        super().__init__()
        if isinstance(loaded_config, LoadedConfig):
            self.path: Path | None = loaded_config.path
            config = loaded_config.config
        else:
            self.path, config = None, loaded_config
        self.registry = registry
        self.on_saved = on_saved
        self.config = config
        self.data: dict[str, dict[str, dict[str, Any]]] = {
            section: {
                name: item.model_dump(mode="json", exclude_none=True)
                for name, item in getattr(config, section).items()
            }
            for section in SECTIONS
        }
        self.ui_values: dict[str, Any] = config.ui.model_dump(mode="json")
        self.default_values: dict[str, Any] = config.defaults.model_dump(mode="json")
        self.current: dict[str, str | None] = dict.fromkeys(SECTIONS)
        self.dirty = False
        self._close_armed = False
        self._theme_before: str | None = None

    # ------------------------------------------------------------------ layout

    def compose(self) -> ComposeResult:
        where = f" — {self.path}" if self.path else ""
        yield Static(f"Settings{where}", id="settings-title", markup=False)
        with TabbedContent(id="settings-tabs"):
            for section in SECTIONS:
                with (
                    TabPane(section.capitalize(), id=f"tab-{section}"),
                    Horizontal(classes="section"),
                ):
                    with Vertical(classes="side"):
                        yield ListView(id=f"{section}-list")
                        yield Button("Add", id=f"{section}-add", variant="primary")
                        yield Button("Apply", id=f"{section}-apply")
                        yield Button("Delete", id=f"{section}-delete", variant="error")
                    yield EntryEditor(section, self.registry, id=f"{section}-editor")
            with TabPane("Appearance", id="tab-appearance"):
                yield VerticalScroll(id="appearance-editor")
            with TabPane("Preview", id="tab-preview"):
                yield TextArea("", id="preview", read_only=True, language="toml")
        with Horizontal(id="settings-bar"):
            yield Label("ctrl+s saves · esc closes", id="settings-status")
            yield Button("Save", id="settings-save", variant="success")
            yield Button("Close", id="settings-close")

    async def on_mount(self) -> None:
        self._theme_before = self.app.theme
        for section in SECTIONS:
            await self._refresh_list(section)
            names = list(self.data[section])
            await self._load(section, names[0] if names else None)
        await self._load_appearance()

    # ------------------------------------------------------------------ helpers

    def _status(self, text: str, error: bool = False) -> None:
        status = self.query_one("#settings-status", Label)
        status.update(text)
        status.set_class(error, "error")

    def _aliases(self) -> list[str]:
        return list(self.data["models"])

    async def _refresh_list(self, section: str) -> None:
        view = self.query_one(f"#{section}-list", ListView)
        await view.clear()
        names = list(self.data[section])
        await view.extend(ListItem(Label(n, markup=False)) for n in names)
        if self.current[section] in names:
            view.index = names.index(str(self.current[section]))

    def _editor(self, section: str) -> EntryEditor:
        return self.query_one(f"#{section}-editor", EntryEditor)

    async def _load(self, section: str, name: str | None) -> None:
        """Show entry ``name`` (None: a new entry) in the section's editor."""
        self.current[section] = name
        context = EditorContext(
            list(self.data["providers"]), self._aliases(), list(self.data["presets"])
        )
        values = self.data[section].get(name, {}) if name else {}
        await self._editor(section).show(name, values, context)

    async def _commit(self, section: str) -> bool:
        """Validate the open entry into the working copy; False (errors shown) if invalid."""
        editor = self._editor(section)
        if not editor.is_modified():
            return True
        old = self.current[section]
        result = editor.collect(list(self.data[section]))
        if isinstance(result, list):
            what = section[:-1].capitalize()
            self._status(f"{what} not applied: " + "; ".join(result), True)
            return False
        name, value = result
        entries = self.data[section]
        self.data[section] = {
            (name if key == old else key): (value if key == old else item)
            for key, item in entries.items()
        }
        if old is None or old not in entries:
            self.data[section][name] = value
        self.current[section] = name
        self.dirty, self._close_armed = True, False
        await self._refresh_list(section)
        await self._load(section, name)
        self._status(f"Applied {section[:-1]} {name!r} (not saved yet)")
        return True

    async def _load_appearance(self) -> None:
        editor = self.query_one("#appearance-editor", VerticalScroll)
        await editor.remove_children()
        themes = sorted(self.app.available_themes)
        await editor.mount_all(
            [
                Static("Appearance", classes="form-label"),
                ModelForm(UIConfig, self.ui_values, choices={"theme": themes}, id="ui-form"),
                Static("Defaults", classes="form-label"),
                ModelForm(
                    DefaultsConfig,
                    self.default_values,
                    id="defaults-form",
                    choices={"preset": list(self.data["presets"]), "model": self._aliases()},
                ),
            ]
        )

    async def _commit_appearance(self) -> bool:
        ok = True
        for form_id, attr in (("#ui-form", "ui_values"), ("#defaults-form", "default_values")):
            forms = self.query(form_id).results(ModelForm)
            for form in forms:
                if not form.is_modified():
                    continue
                model = form.validate_model()
                if model is None:
                    ok = False
                else:
                    setattr(self, attr, model.model_dump(mode="json"))
                    self.dirty = True
        return ok

    def build_config(self) -> Config:
        """The working copy as a Config (raises ValidationError)."""
        data: dict[str, Any] = {"defaults": self.default_values, "ui": self.ui_values}
        data.update(self.data)
        data["plugins_dir"] = self.config.plugins_dir
        data["local"] = self.config.local  # no form of its own: kept as it was
        return Config.model_validate(data)

    # ------------------------------------------------------------------ events

    @on(ListView.Selected)
    async def _selected(self, event: ListView.Selected) -> None:
        section = (event.list_view.id or "").removesuffix("-list")
        if section not in SECTIONS or event.list_view.index is None:
            return
        name = list(self.data[section])[event.list_view.index]
        if name == self.current[section]:
            return
        if not await self._commit(section):
            self.notify("Fix or revert this entry first (errors shown).", severity="warning")
            await self._refresh_list(section)
            return
        await self._load(section, name)

    @on(Select.Changed, "#ui-form #field-theme")
    def _preview_theme(self, event: Select.Changed) -> None:
        if event.value is not Select.NULL:
            try:
                self.app.theme = str(event.value)
            except Exception as exc:  # an unknown theme name must not crash settings
                self._status(f"Theme preview failed: {exc}", True)

    @on(TabbedContent.TabActivated)
    async def _tab(self, event: TabbedContent.TabActivated) -> None:
        if event.pane.id == "tab-preview":
            await self._show_preview()
        elif event.pane.id == "tab-appearance" and not any(
            f.is_modified() for f in self.query(ModelForm) if f.id in ("ui-form", "defaults-form")
        ):
            await self._load_appearance()  # pick up new models and presets

    async def _show_preview(self) -> None:
        preview = self.query_one("#preview", TextArea)
        try:
            for section in SECTIONS:
                await self._commit(section)
            await self._commit_appearance()
            text = tomli_w.dumps(config_to_dict(self.build_config()))
        except ValidationError as exc:
            text = "# The config is not valid yet:\n" + "\n".join(
                f"# {k or 'config'}: {v}" for k, v in format_errors(exc).items()
            )
        preview.load_text(text)

    @on(Button.Pressed)
    async def _button(self, event: Button.Pressed) -> None:
        button = event.button.id or ""
        section, _, verb = button.rpartition("-")
        if button == "settings-save":
            await self.action_save()
        elif button == "settings-close":
            await self.action_close()
        elif verb == "add" and await self._commit(section):
            await self._load(section, None)
            self.query_one(f"#{section}-name", Input).focus()
        elif verb == "apply":
            await self._commit(section)
        elif verb == "delete":
            await self._delete(section)

    async def _delete(self, section: str) -> None:
        name = self.current[section]
        if name in self.data[section]:
            del self.data[section][name]
            self.dirty = True
            self._status(f"Deleted {section[:-1]} {name!r} (not saved yet)")
        await self._refresh_list(section)
        names = list(self.data[section])
        await self._load(section, names[0] if names else None)

    # ------------------------------------------------------------------ actions

    async def action_save(self) -> None:
        for section in SECTIONS:
            if not await self._commit(section):
                self.query_one(TabbedContent).active = f"tab-{section}"
                return
        if not await self._commit_appearance():
            self.query_one(TabbedContent).active = "tab-appearance"
            self._status("Appearance not applied: see the errors under the fields", True)
            return
        try:
            config = self.build_config()
        except ValidationError as exc:
            errors = "; ".join(f"{k or 'config'}: {v}" for k, v in format_errors(exc).items())
            self._status(f"Not saved — the config is invalid: {errors}", True)
            return
        try:
            path = save_config(config, self.path)
        except OSError as exc:
            self._status(f"Not saved — cannot write the config: {exc}", True)
            return
        self.config, self.dirty, self._close_armed = config, False, False
        self._theme_before = config.ui.theme
        self._status(f"Saved {path}")
        self.notify(f"Settings saved to {path}", title="Settings")
        try:
            self.on_saved(config)
        except Exception as exc:  # the app's callback must not lose the saved state
            self.notify(f"Saved, but applying failed: {exc}", severity="error")

    async def action_close(self) -> None:
        pending = (
            self.dirty
            or any(self._editor(s).is_modified() for s in SECTIONS)
            or any(
                f.is_modified()
                for f in self.query(ModelForm)
                if f.id in ("ui-form", "defaults-form")
            )
        )
        if pending and not self._close_armed:
            self._close_armed = True
            self._status("Unsaved changes: ctrl+s saves, esc again discards them", True)
            self.notify("Unsaved changes — press Esc again to discard", severity="warning")
            return
        if self._theme_before and self.app.theme != self._theme_before:
            with contextlib.suppress(Exception):  # the theme may have gone
                self.app.theme = self._theme_before
        self.dismiss()
