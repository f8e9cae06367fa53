"""Find the GGUF files other tools already downloaded, and configured folders' ones.

Where each tool keeps them:

- Ollama (``$OLLAMA_MODELS`` or ``~/.ollama/models``): a manifest per model under
  ``manifests/HOST/NAMESPACE/NAME/TAG`` is JSON listing layers; the layer of media type
  ``application/vnd.ollama.image.model`` is ``blobs/sha256-HEX``, a GGUF file.
- LM Studio (``~/.lmstudio/models``, older ``~/.cache/lm-studio/models``):
  ``PUBLISHER/REPO/*.gguf``.
- The Hugging Face cache (``$HF_HUB_CACHE``, or ``$HF_HOME/hub``, or
  ``~/.cache/huggingface/hub``): ``models--ORG--NAME/snapshots/REV/**.gguf``.
- ``[local] model_dirs`` in the config: ``*.gguf`` anywhere below each folder.

A file that cannot be used (a broken manifest, a missing blob, a truncated header) is
listed with the reason instead of the header, never raised: one bad file must not hide
the others. Vision projectors (``mmproj``) and the later parts of split models are left
out: neither runs on its own.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from mmchat.local_models.gguf_header import GGUFError, GGUFInfo, read_gguf_info

__all__ = ["FoundModel", "discover_models", "search_roots"]

OLLAMA_MODEL_LAYER = "application/vnd.ollama.image.model"
_LATER_SHARD = re.compile(r"-0*(?:[2-9]|\d{2,})-of-\d+\.gguf$", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class FoundModel:
    source: str  # "ollama", "lm-studio", "huggingface", "folder"
    name: str  # what `mmchat models use` takes: "llama3.2:1b", "org/repo/file.gguf"
    path: Path | None  # None when the entry points at no file (a broken manifest)
    size: int = 0  # bytes
    info: GGUFInfo | None = None
    problem: str = ""  # why it cannot be used; empty when it can

    def line(self) -> str:
        """One line for a listing: name, size, header summary (or the problem)."""
        head = f"{self.name}  [{self.source}]"
        if self.problem:
            return f"{head}  ✗ {self.problem}"
        details = [_size(self.size)]
        if self.info is not None:
            details.append(self.info.summary())
        return f"{head}  {' · '.join(details)}"


def search_roots(
    env: Mapping[str, str] | None = None, home: Path | None = None
) -> dict[str, list[Path]]:
    """Source -> the folders it is looked for in (existing or not)."""
    env = os.environ if env is None else env
    home = Path.home() if home is None else home
    hf = env.get("HF_HUB_CACHE") or (
        str(Path(env["HF_HOME"]) / "hub") if env.get("HF_HOME") else ""
    )
    return {
        "ollama": [Path(env.get("OLLAMA_MODELS") or home / ".ollama" / "models")],
        "lm-studio": [home / ".lmstudio" / "models", home / ".cache" / "lm-studio" / "models"],
        "huggingface": [Path(hf) if hf else home / ".cache" / "huggingface" / "hub"],
    }


def discover_models(
    model_dirs: Sequence[str] = (),
    *,
    env: Mapping[str, str] | None = None,
    home: Path | None = None,
    read_headers: bool = True,
) -> list[FoundModel]:
    """Every GGUF model found, by source then name."""
    roots = search_roots(env, home)
    found: list[FoundModel] = []
    for root in roots["ollama"]:
        found += _ollama(root, read_headers)
    for root in roots["lm-studio"]:
        found += _files(root, "lm-studio", "*/*/*.gguf", read_headers)
    for root in roots["huggingface"]:
        found += _huggingface(root, read_headers)
    for folder in model_dirs:
        found += _files(Path(folder).expanduser(), "folder", "**/*.gguf", read_headers)
    return found


def _described(
    source: str, name: str, path: Path, read_headers: bool, problem: str = ""
) -> FoundModel:
    try:
        size = path.stat().st_size
    except OSError as exc:
        return FoundModel(source, name, path, problem=f"cannot read it: {exc.strerror or exc}")
    if problem or not read_headers:
        return FoundModel(source, name, path, size, problem=problem)
    try:
        return FoundModel(source, name, path, size, read_gguf_info(path))
    except GGUFError as exc:
        return FoundModel(source, name, path, size, problem=str(exc))


def _usable(path: Path) -> bool:
    name = path.name.lower()
    return "mmproj" not in name and not _LATER_SHARD.search(name)


def _files(root: Path, source: str, pattern: str, read_headers: bool) -> list[FoundModel]:
    if not root.is_dir():
        return []
    paths = sorted(p for p in root.glob(pattern) if p.is_file() and _usable(p))
    return [_described(source, str(p.relative_to(root)), p, read_headers) for p in paths]


def _huggingface(root: Path, read_headers: bool) -> list[FoundModel]:
    if not root.is_dir():
        return []
    found = []
    for repo in sorted(root.glob("models--*")):
        repo_name = repo.name.removeprefix("models--").replace("--", "/")
        seen: set[str] = set()  # the same file in several snapshots: the newest one
        snapshots = sorted(
            (s for s in (repo / "snapshots").glob("*") if s.is_dir()),
            key=lambda s: s.stat().st_mtime,
            reverse=True,
        )
        for snapshot in snapshots:
            for path in sorted(snapshot.glob("**/*.gguf")):
                relative = str(path.relative_to(snapshot))
                if relative in seen or not _usable(path):
                    continue
                seen.add(relative)
                if not path.exists():  # a dangling symlink: the blob was never fetched
                    found.append(
                        FoundModel("huggingface", f"{repo_name}/{relative}", path,
                                   problem="incomplete download (the blob is missing)")
                    )  # fmt: skip
                    continue
                found.append(
                    _described("huggingface", f"{repo_name}/{relative}", path, read_headers)
                )
    return found


def _ollama(root: Path, read_headers: bool) -> list[FoundModel]:
    manifests = root / "manifests"
    if not manifests.is_dir():
        return []
    return [_ollama_entry(root, m, read_headers) for m in sorted(_manifest_files(manifests))]


def _manifest_files(manifests: Path) -> Iterator[Path]:
    # manifests/HOST/NAMESPACE/NAME/TAG
    for path in manifests.glob("*/*/*/*"):
        if path.is_file():
            yield path


def _ollama_name(manifests: Path, manifest: Path) -> str:
    host, namespace, model, tag = manifest.relative_to(manifests).parts
    prefix = (
        ""
        if (host, namespace) == ("registry.ollama.ai", "library")
        else (f"{namespace}/" if host == "registry.ollama.ai" else f"{host}/{namespace}/")
    )
    return f"{prefix}{model}:{tag}"


def _ollama_entry(root: Path, manifest: Path, read_headers: bool) -> FoundModel:
    name = _ollama_name(root / "manifests", manifest)
    try:
        data = json.loads(manifest.read_text("utf-8"))
        layers = data["layers"]
        digest = next(
            str(layer["digest"]) for layer in layers if layer.get("mediaType") == OLLAMA_MODEL_LAYER
        )
    except (OSError, UnicodeDecodeError, json.JSONDecodeError):
        return FoundModel("ollama", name, None, problem="unreadable manifest (not JSON)")
    except (KeyError, TypeError, AttributeError, StopIteration):
        return FoundModel("ollama", name, None, problem="manifest names no model layer")
    if not re.fullmatch(r"sha256[:-][0-9a-f]{64}", digest):
        return FoundModel("ollama", name, None, problem=f"manifest has a bad digest {digest!r}")
    blob = root / "blobs" / digest.replace(":", "-")
    if not blob.is_file():
        return FoundModel("ollama", name, blob, problem="its model blob is missing")
    return _described("ollama", name, blob, read_headers)


def _size(size: int) -> str:
    value = float(size)
    for unit in ("B", "KB", "MB", "GB"):
        if value < 1000 or unit == "GB":
            return f"{value:.0f} {unit}" if unit in ("B", "KB") else f"{value:.1f} {unit}"
        value /= 1000
    return f"{value:.1f} TB"  # unreachable; keeps mypy sure of a str
