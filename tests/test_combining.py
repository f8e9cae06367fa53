"""Reading rankings and confidences leniently (moa, council and debate share these)."""

from __future__ import annotations

import random

import pytest
from mmchat_strategies.combining import (
    labelled,
    members_of,
    read_confidence,
    read_ranking,
    without_confidence,
)

from mmchat.api import LaneResult

LABELS = ["A", "B", "C"]


@pytest.mark.parametrize(
    ("reply", "ranking"),
    [
        ("A is thin.\n\nFINAL RANKING:\n1. Response B\n2. Response C\n3. Response A", "BCA"),
        ("**FINAL RANKING:**\n1. **Response C**\n2. Response A\n3. Response B", "CAB"),
        ("final ranking: B > A > C", "BAC"),
        ('```json\n{"ranking": ["Response C", "Response B", "Response A"]}\n```', "CBA"),
        ('["B", "C"]', "BC"),
        ("Ranking: 1. response c 2. response a", "CA"),
        ("FINAL RANKING:\nResponse A, Response C", "AC"),
        ("1. Response B is better than Response A\n2. Response A\n3. Response C", "BAC"),
        # An evaluation names every response before the list: only the list counts.
        ("Response A and Response C are wrong.\nFINAL RANKING:\n1. Response B", "B"),
        ("FINAL RANKING:\n1. Response D\n2. Response B", "B"),  # D was never shown
        ("FINAL RANKING:\n1. Response B\n2. Response B\n3. Response A", "BA"),
        ("They are all equally good.", ""),
        ("I like A best.", ""),
        ("", ""),
    ],
)
def test_read_ranking(reply: str, ranking: str) -> None:
    assert read_ranking(reply, LABELS) == list(ranking)


@pytest.mark.parametrize(
    ("reply", "confidence"),
    [
        ("Paris.\nConfidence: 0.8", 0.8),
        ("Paris.\n**Confidence:** 85%", 0.85),
        ("confidence of 9/10", 0.9),
        ("My confidence is 7/10.", 0.7),
        ("Confidence: 40/100", 0.4),
        ("Confidence (0-1): 0.9", 0.9),
        ("Confidence: 8", 0.8),  # a bare number above 1: out of ten
        ("Confidence: 1", 1.0),
        ("Confidence: 0.3 at first… Confidence: 0.6", 0.6),  # the last one said
        ("Confidence: 250", None),
        ("I am quite sure.", None),
    ],
)
def test_read_confidence(reply: str, confidence: float | None) -> None:
    assert read_confidence(reply) == confidence


def test_the_answer_keeps_everything_but_the_confidence_line() -> None:
    reply = "Confidence intervals are wide here.\n\nSo: 42.\n\n**Confidence:** 0.9"
    assert without_confidence(reply) == "Confidence intervals are wide here.\n\nSo: 42."
    assert without_confidence("Confidence: 0.2") == ""


def test_labels_follow_a_seeded_shuffle_and_members_are_numbered() -> None:
    answers = [LaneResult(f"L{i}", m, f"text {i}", "done") for i, m in enumerate("xyz")]
    first = labelled(answers, random.Random(1))
    assert [label for label, _ in first] == LABELS
    assert sorted(a.lane for _, a in first) == ["L0", "L1", "L2"]
    assert first == labelled(answers, random.Random(1))
    members = members_of(["a", "a", "b"], ["p"])
    assert [(m.label, m.preset) for m in members] == [
        ("a", False),
        ("a #2", False),
        ("b", False),
        ("preset p", True),
    ]
