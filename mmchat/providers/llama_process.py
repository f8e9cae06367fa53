"""The child process that serves one GGUF file with llama.cpp's own HTTP server.

Run by :mod:`mmchat.providers.local` as
``python -m mmchat.providers.llama_process --model PATH ...``. It prints one JSON line
on stdout — ``{"address": "http://127.0.0.1:PORT"}`` or ``{"error": "..."}`` — then
serves until its stdin closes. The parent holds the other end of that pipe, so the
server goes away with the parent even when the parent is killed.

Why a child process rather than xllamacpp in the app's own process: loading a model
holds the GIL for seconds (the TUI would freeze on "loading model…"), llama.cpp logs
to file descriptor 2 from C threads (here it simply goes to the log file the parent
opened as our stderr), and an abort inside llama.cpp cannot take the app down.
"""

from __future__ import annotations

import argparse
import json
import os
import sys


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="mmchat-local-server")
    parser.add_argument("--model", required=True)
    parser.add_argument("--alias", required=True)
    parser.add_argument("--ctx", type=int, default=8192)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--parallel", type=int, default=4)
    parser.add_argument("--embeddings", action="store_true", help="serve /v1/embeddings")
    args = parser.parse_args(argv)
    try:
        import xllamacpp as xlc
    except ImportError:
        _say({"error": "xllamacpp is not installed"})
        return 3
    params = xlc.CommonParams()
    params.model.path = args.model
    params.model_alias = {args.alias}
    params.n_ctx = args.ctx
    params.n_parallel = args.parallel
    # One KV cache shared by all slots: each request may use up to n_ctx tokens
    # instead of n_ctx / parallel (consensus prompts quote several answers).
    params.kv_unified = True
    params.cpuparams.n_threads = args.threads
    params.cpuparams_batch.n_threads = args.threads
    if args.embeddings:
        # One vector per text: the mean of its tokens' (a chat model has no pooling).
        params.embedding = True
        params.pooling_type = xlc.llama_pooling_type.LLAMA_POOLING_TYPE_MEAN
    params.hostnames = ["127.0.0.1"]
    params.port = 0
    try:
        server = xlc.Server(params)
    except Exception as exc:  # xllamacpp raises RuntimeError("Failed to init ...")
        _say({"error": str(exc) or type(exc).__name__})
        return 1
    _say({"address": str(server.listening_address).rstrip("/")})
    sys.stdin.read()  # until the parent closes the pipe (or dies)
    # Skip interpreter teardown: llama.cpp's threads need no orderly goodbye.
    os._exit(0)


def _say(message: dict[str, str]) -> None:
    sys.stdout.write(json.dumps(message) + "\n")
    sys.stdout.flush()


if __name__ == "__main__":
    raise SystemExit(main())
