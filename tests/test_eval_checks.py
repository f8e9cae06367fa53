"""Each check kind scores replies the way datasets/README.md says it does."""

from __future__ import annotations

import pytest

from mmchat.eval.checks import judge_prompt, read_verdict, score
from mmchat.eval.dataset import CheckKind, Item

OPTIONS = "Which planet has rings?\nA) Mars\nB) Venus\nC) Mercury\nD) Saturn\nAnswer: a letter."


def item(check: CheckKind, answer: str, prompt: str = "What is it?") -> Item:
    return Item("x-1", prompt, answer, check, 1)


@pytest.mark.parametrize(
    ("answer", "reply", "correct", "extracted"),
    [
        ("12", "12", True, "12"),
        ("12", "7 + 5 = 12", True, "12"),
        ("12.5", "It costs $12.50", True, "$12.5"),  # 12.50 = 12.5; a currency sign is fine
        ("1000", "1,000 people came.", True, "1000"),  # thousands separator
        ("25", "That is 25%", True, "25%"),  # a % after the number does not matter
        ("100", "Water boils at 100 °C.\n100 degrees Celsius", True, "100 °C"),
        ("-5", "9 - 14 = -5", True, "-5"),
        ("12", "twelve", True, "12"),  # no digits at all: the number the reply states
        # The last number counts (the sets ask to end with the number alone)...
        ("12", "First I thought 11.\nThen I checked: 12", True, "12"),
        ("12", "The answer is 12.\nCheck: 12 - 5 = 7", False, "7"),
        # ...unless the reply closes with an Answer: line.
        ("12", "Answer: 12\n(check: 12 - 5 = 7)", True, "12"),
        ("12", "I do not know.", False, "(no number)"),
        ("56", "8 × 7 = 54", False, "54"),
    ],
)
def test_number(answer: str, reply: str, correct: bool, extracted: str) -> None:
    verdict = score(item("number", answer, "What is it? End with the number."), reply)
    assert (verdict.correct, verdict.extracted) == (correct, extracted)


@pytest.mark.parametrize(
    ("reply", "correct", "extracted"),
    [
        ("D", True, "D"),
        ("The answer is D) Saturn", True, "D"),
        ("(d)", True, "D"),
        ("Saturn", True, "D"),  # the option's text names its letter
        ("B", False, "B"),
        ("A planet with rings is a gas giant.", False, "(no option letter) gas giant"),
    ],
)
def test_choice(reply: str, correct: bool, extracted: str) -> None:
    verdict = score(item("choice", "D", OPTIONS), reply)
    assert (verdict.correct, verdict.extracted) == (correct, extracted)


@pytest.mark.parametrize(
    ("answer", "reply", "correct", "extracted"),
    [
        ("Fe", "The symbol of iron is Fe.", True, "Fe"),
        ("Fe", "It is safe to say: iron.", False, "safe to say"),  # not inside "safe"
        ("Canberra", "the capital is CANBERRA", True, "CANBERRA"),  # case ignored
        ("blue whale", "The Blue\n whale, by far.", True, "Blue\n whale"),
        ("Dvorak", "Antonín Dvořák wrote it.", True, "Dvořák"),  # accents ignored
        ("Austen", "Jane Austen's novel", True, "Austen"),
        ("Canberra", "Sydney, of course.", False, "sydney of course"),
    ],
)
def test_contains_whole_words(answer: str, reply: str, correct: bool, extracted: str) -> None:
    verdict = score(item("contains", answer), reply)
    assert (verdict.correct, verdict.extracted) == (correct, extracted)


def test_exact_compares_normalised_text() -> None:
    assert score(item("exact", "Paris"), "  paris. ").correct
    assert score(item("exact", "New York"), "new   york").correct
    assert not score(item("exact", "Paris"), "Paris, France").correct


def test_regex_searches_as_written() -> None:
    right = score(item("regex", r"\b19(6|8)9\b"), "It happened in 1989.")
    assert right.correct and right.extracted == "1989"
    assert not score(item("regex", "paris"), "Paris").correct  # no flags unless written
    assert score(item("regex", "(?i)paris"), "Paris").correct
    wrong = score(item("regex", r"^\d+$"), "about 12")
    assert not wrong.correct and wrong.extracted.startswith("(no match)")


def test_judge_items_need_a_model() -> None:
    with pytest.raises(ValueError, match="judge"):
        score(item("judge", "Paris"), "Paris")
    prompt = judge_prompt(item("judge", "Paris", "Capital of France?"), "It is Paris.")
    assert "Capital of France?" in prompt and "Paris" in prompt and "It is Paris." in prompt


@pytest.mark.parametrize(
    ("verdict", "reading"),
    [
        ("yes", True),
        ("Yes.", True),
        ("NO", False),
        ("The reply is correct.", True),
        ("This is not correct: it says Lyon.", False),
        ("Incorrect.", False),
        ("The reply is wrong.", False),
        ("Verdict: yes, it matches.", True),
        ("I cannot tell.", None),
    ],
)
def test_judge_verdict_read_leniently(verdict: str, reading: bool | None) -> None:
    assert read_verdict(verdict) is reading


@pytest.mark.parametrize(
    ("reply", "correct", "extracted"),
    [
        ("144 ÷ 12 = 12.", True, "12"),
        ("12", True, "12"),  # only the question's numbers: then they count
        ("144 ÷ 12 is the answer, yes/no.", False, "144"),  # echoes the question: no answer
        ("Let me see.\n144 ÷ 12 = 12", True, "12"),  # the last line with digits
    ],
)
def test_number_the_question_holds_is_not_taken_for_the_answer(
    reply: str, correct: bool, extracted: str
) -> None:
    verdict = score(item("number", "12", "What is 144 ÷ 12? End with the number alone."), reply)
    assert (verdict.correct, verdict.extracted) == (correct, extracted)


def test_number_on_a_long_last_line() -> None:
    reply = "Tom had 7 apples and bought 5 more apples at the shop, so now he has 12 apples left"
    verdict = score(item("number", "12", "Tom has 7 apples and buys 5. How many?"), reply)
    assert (verdict.correct, verdict.extracted) == (True, "12")
