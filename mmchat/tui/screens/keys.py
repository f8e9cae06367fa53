"""API keys per provider: where each comes from, set / delete it, test the provider.

Keys go to the OS keyring through :mod:`mmchat.secrets` only; the Input is masked,
cleared as soon as the key is handed over, and the table shows masked values. When no
keyring is usable the screen says so (with the environment-variable alternative) and
stores nothing.
"""

from __future__ import annotations

import asyncio
from typing import Any, ClassVar

import httpx
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.screen import Screen
from textual.widgets import Button, DataTable, Input, Label, Static

from mmchat import secrets
from mmchat.config_schema import Config
from mmchat.provider_kinds import HttpProviderConfig, key_source

__all__ = ["KeysScreen", "env_var_for", "key_name_for", "needs_key", "takes_key"]

TEST_TIMEOUT = 8.0
COLUMNS = (
    ("provider", "Provider"),
    ("kind", "Kind"),
    ("key", "Key name"),
    ("status", "Status"),
    ("reach", "Reachable?"),
)


def takes_key(cfg: Any) -> bool:
    """Whether the provider's kind can send a key at all (a local model cannot)."""
    return isinstance(cfg, HttpProviderConfig)


def needs_key(name: str, cfg: Any) -> bool:
    """Whether the engine will look a key up for this provider (the same rule)."""
    return key_source(name, cfg) is not None


def key_name_for(name: str, cfg: Any) -> str:
    return str(getattr(cfg, "key", None) or name)


def env_var_for(name: str, cfg: Any) -> str:
    """The environment variable the key is (or would be) read from."""
    source = key_source(name, cfg)
    return source.env if source is not None else secrets.default_env_var(key_name_for(name, cfg))


def _status_text(name: str, cfg: Any) -> str:
    """Where the key comes from; runs in a thread (keyring calls may block)."""
    if not takes_key(cfg):
        return f"not needed ({cfg.kind})"
    key_name = key_name_for(name, cfg)
    try:
        found = secrets.get_key(key_name, env_var_for(name, cfg))
    except secrets.SecretStoreUnavailable:
        return "missing (no keyring)"
    except Exception as exc:  # a keyring backend may raise anything
        return f"error: {type(exc).__name__}"
    if found is None:
        return "missing" if needs_key(name, cfg) else "not needed (no key in config)"
    masked = secrets.mask(found.value)
    if found.source == "keyring":
        return f"in keyring ({masked})"
    return f"from env {found.source.removeprefix('env:')} ({masked})"


class KeysScreen(Screen[None]):
    """One row per configured provider."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "close", "Close", id="keys.close"),
        Binding("ctrl+t", "test", "Test provider", id="keys.test"),
    ]
    DEFAULT_CSS = """
    KeysScreen { layout: vertical; }
    KeysScreen #keys-title { padding: 0 1; background: $panel; text-style: bold; }
    KeysScreen #keyring-status { padding: 0 1; color: $text-muted; }
    KeysScreen #keyring-status.unusable { color: $warning; border: round $warning; }
    KeysScreen DataTable { height: 1fr; margin: 1 1; }
    KeysScreen #key-panel { height: auto; padding: 0 1; border-top: solid $panel; }
    KeysScreen #key-row { height: auto; }
    KeysScreen #key-input { width: 1fr; }
    KeysScreen #key-row Button { margin-left: 1; }
    KeysScreen #key-message { color: $text-muted; }
    KeysScreen #key-message.error { color: $error; }
    """

    def __init__(self, config: Config) -> None:
        super().__init__()
        self.config = config
        self.usable = True

    def compose(self) -> ComposeResult:
        yield Static("API keys", id="keys-title")
        yield Static("Checking the keyring…", id="keyring-status", markup=False)
        yield DataTable(id="keys-table", cursor_type="row", zebra_stripes=True)
        with Vertical(id="key-panel"):
            yield Label("", id="key-selected", markup=False)
            with Horizontal(id="key-row"):
                yield Input(
                    password=True, placeholder="paste the API key, then Set", id="key-input"
                )
                yield Button("Set key", id="key-set", variant="primary")
                yield Button("Delete key", id="key-delete", variant="error")
                yield Button("Test", id="key-test")
                yield Button("Close", id="key-close")
            yield Label("", id="key-message", markup=False)

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        for key, label in COLUMNS:
            table.add_column(label, key=key)
        for name, cfg in self.config.providers.items():
            key = key_name_for(name, cfg) if takes_key(cfg) else "—"
            table.add_row(name, cfg.kind, key, "…", "", key=name)
        if not self.config.providers:
            self._message("No providers configured: add one in Settings first.")
        self._show_selected()
        self.refresh_status()

    # ------------------------------------------------------------------ helpers

    def selected(self) -> str | None:
        table = self.query_one(DataTable)
        if not table.row_count:
            return None
        row_key = table.coordinate_to_cell_key(table.cursor_coordinate).row_key
        return str(row_key.value) if row_key.value is not None else None

    def _message(self, text: str, error: bool = False) -> None:
        label = self.query_one("#key-message", Label)
        label.update(text)
        label.set_class(error, "error")

    def _show_selected(self) -> None:
        name = self.selected()
        label = self.query_one("#key-selected", Label)
        if name is None:
            label.update("")
            return
        cfg = self.config.providers[name]
        if not takes_key(cfg):
            label.update(f"{name}: a {cfg.kind} provider needs no key.")
        else:
            env = env_var_for(name, cfg)
            hint = (
                ""
                if needs_key(name, cfg)
                else f' (add key = "{name}" to [providers.{name}] to use it)'
            )
            label.update(
                f"{name}: keyring entry {key_name_for(name, cfg)!r}{hint}, or export {env}"
            )

    @on(DataTable.RowHighlighted)
    def _row(self, _: DataTable.RowHighlighted) -> None:
        self._show_selected()

    # ------------------------------------------------------------------ workers

    @work(exclusive=True, group="keys-status", exit_on_error=False)
    async def refresh_status(self) -> None:
        usable, _backend, message = await asyncio.to_thread(secrets.keyring_status)
        self.usable = usable
        status = self.query_one("#keyring-status", Static)
        status.update(
            message
            if usable
            else f"{message}\nSet the environment variable "
            "named for each provider instead; nothing is written to disk."
        )
        status.set_class(not usable, "unusable")
        self.query_one("#key-set", Button).disabled = not usable
        table = self.query_one(DataTable)
        for name, cfg in self.config.providers.items():
            text = await asyncio.to_thread(_status_text, name, cfg)
            table.update_cell(name, "status", text, update_width=True)

    @work(exclusive=True, group="keys-write", exit_on_error=False)
    async def _store(self, name: str, value: str) -> None:
        try:
            await asyncio.to_thread(secrets.set_key, name, value)
        except secrets.SecretStoreUnavailable as exc:
            self._message(str(exc), error=True)
            return
        except (ValueError, Exception) as exc:  # the message never holds the key
            self._message(f"Not stored: {type(exc).__name__}: {exc}", error=True)
            return
        self._message(f"Stored {name!r} in the keyring.")
        self.refresh_status()

    @work(exclusive=True, group="keys-write", exit_on_error=False)
    async def _remove(self, name: str) -> None:
        try:
            removed = await asyncio.to_thread(secrets.delete_key, name)
        except secrets.SecretStoreUnavailable as exc:
            self._message(str(exc), error=True)
            return
        except Exception as exc:
            self._message(f"Not deleted: {type(exc).__name__}: {exc}", error=True)
            return
        self._message(f"Deleted {name!r}." if removed else f"No {name!r} in the keyring.")
        self.refresh_status()

    @work(group="keys-test", exit_on_error=False)
    async def test_provider(self, name: str) -> None:
        table = self.query_one(DataTable)
        table.update_cell(name, "reach", "testing…")
        try:
            text = await asyncio.wait_for(self._list_models(name), TEST_TIMEOUT + 1)
        except TimeoutError:
            text = f"✗ no answer within {TEST_TIMEOUT:.0f} s"
        except Exception as exc:  # any failure is a result to show, not a crash
            text = f"✗ {exc}".splitlines()[0][:120]
        table.update_cell(name, "reach", text, update_width=True)

    async def _list_models(self, name: str) -> str:
        from mmchat.providers import make_provider

        cfg = self.config.providers[name]
        key: str | None = None
        if needs_key(name, cfg):
            try:
                found = await asyncio.to_thread(
                    secrets.get_key, key_name_for(name, cfg), env_var_for(name, cfg)
                )
            except secrets.SecretStoreUnavailable:
                found = None
            key = found.value if found else None
        async with httpx.AsyncClient(timeout=httpx.Timeout(TEST_TIMEOUT, connect=3.0)) as client:
            provider = make_provider(name, cfg, client, key)
            try:
                models = await provider.list_models()
            finally:
                await provider.aclose()
        shown = ", ".join(models[:3]) + ("…" if len(models) > 3 else "")
        return f"✓ {len(models)} models" + (f": {shown}" if shown else "")

    # ------------------------------------------------------------------ actions

    @on(Input.Submitted, "#key-input")
    @on(Button.Pressed, "#key-set")
    def action_set(self) -> None:
        field = self.query_one("#key-input", Input)
        value = field.value
        field.value = ""  # never keep the key around on screen
        name = self.selected()
        if name is None:
            return
        cfg = self.config.providers[name]
        if not takes_key(cfg):
            self._message(f"A {cfg.kind} provider needs no key.", error=True)
        elif not self.usable:
            self._message(
                f"No usable keyring: export {env_var_for(name, cfg)} "
                "instead. mmchat never writes keys to a plaintext file.",
                error=True,
            )
        elif not value.strip():
            self._message("Paste the key into the field first.", error=True)
        else:
            self._store(key_name_for(name, cfg), value)

    @on(Button.Pressed, "#key-delete")
    def action_delete(self) -> None:
        name = self.selected()
        if name is not None and takes_key(self.config.providers[name]):
            self._remove(key_name_for(name, self.config.providers[name]))

    @on(Button.Pressed, "#key-test")
    def action_test(self) -> None:
        name = self.selected()
        if name is not None:
            self.test_provider(name)

    @on(Button.Pressed, "#key-close")
    def action_close(self) -> None:
        self.dismiss()
