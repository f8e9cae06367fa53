"""The questions the README shows users asking the embedded model, and what a sensible
answer contains. tests/test_local_demo.py checks every one against the real model (and
that the README shows it); bench/bench_local_sampling.py tunes the defaults on them."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class DemoQuestion:
    question: str
    expect: str  # a regular expression a sensible answer matches (case-insensitive)


DEMO_QUESTIONS = (
    DemoQuestion("What is the capital of France?", r"\bParis\b"),
    DemoQuestion("What is the opposite of hot?", r"\bcold\b"),
    DemoQuestion("How many days are in a week?", r"\b(seven|7)\b"),
    DemoQuestion("What color is the sky on a clear day?", r"\bblue\b"),
    DemoQuestion("Write a haiku about tea.", r"\btea\b"),
)
