"""Answer extraction: what voting, consensus and eval compare, and when two answers are
the same answer by value (mmchat.api.answers)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from mmchat.api.answers import extract_answer, normalize_text, same_answer

BOIL = "What is the boiling point of water at sea level?"
FISH = "Which of these is a fish?\nA) cat\nB) salmon\nC) dog\nD) crow"


@pytest.mark.parametrize(
    ("reply", "question", "kind", "value"),
    [
        ("The boiling point of water at sea level is 100 degrees Celsius.", BOIL, "number",
         "100 °C"),
        ("100°C", BOIL, "number", "100 °C"),
        ("one hundred degrees C", BOIL, "number", "100 °C"),
        ("Great question! The boiling point is 100 °C.", BOIL, "number", "100 °C"),
        ("It's forty-two.", "What is 6 × 7?", "number", "42"),
        ("The answer is 42.", "What is 6 × 7?", "number", "42"),
        ("First, 3x = 22 - 7 = 15, so x = 5.", "Solve 3x + 7 = 22", "number", "5"),
        ("17% of 240 is 40.8", "What is 17% of 240?", "number", "40.8"),
        ("It costs $12.50.", "How much is it?", "number", "$12.5"),
        ("Steps...\nAnswer: 12 km", "How far?", "number", "12 km"),
        ("About 1,500 metres.", "How far?", "number", "1500 m"),
        ("B", FISH, "choice", "b"),
        ("The correct answer is B) salmon.", FISH, "choice", "b"),
        ("Salmon.", FISH, "choice", "b"),
        ("A cat.", FISH, "choice", "a"),
        ("Yes, it is.", "Is the sky blue on a clear day?", "yesno", "yes"),
        ("No.", "Can pigs fly?", "yesno", "no"),
        ("The capital of France is Paris.", "What is the capital of France?", "entity", "paris"),
        ("Paris", "What is the capital of France?", "entity", "paris"),
        ("Paris is the answer.", "What is the capital of France?", "entity", "paris"),
        ("I think Lyon is the right answer", "What is the capital of France?", "entity",
         "lyon"),
        ("No, the capital of Australia is Canberra.", "What is the capital of Australia?",
         "entity", "canberra"),
        ("```python\nprint('hi')\n```", "Print hi in Python", "code", "print('hi')"),
        ("Python 3 is a great first language because it reads like English and has a huge "
         "community.", "Which language should I learn first?", "text",
         "python 3 is a great first language because it reads like english and has a huge "
         "community"),
        ("There are 5 in total.", "How many are there?", "number", "5"),
    ],
)  # fmt: skip
def test_extracts_the_answer(reply: str, question: str, kind: str, value: str) -> None:
    found = extract_answer(reply, question)
    assert (found.kind, found.value) == (kind, value)


def test_an_answer_line_wins_over_the_reasoning() -> None:
    reply = "Water boils at 100 °C, but at altitude less, say 90 °C.\nAnswer: 90 °C"
    found = extract_answer(reply, "At what temperature does water boil at 3,000 m?")
    assert found.from_answer_line and found.value == "90 °C"


def test_question_numbers_are_not_taken_for_the_answer() -> None:
    found = extract_answer("Multiplying 12 by 3 gives 36.", "What is 12 times 3?")
    assert found.value == "36"


@pytest.mark.parametrize(
    ("a", "b", "same"),
    [
        ("The boiling point of water at sea level is 100 degrees Celsius.",
         "The boiling point of water at sea level is 90 degrees Celsius.", False),
        ("100 °C", "212 °F", True),
        ("100 °C", "373.15 K", True),
        ("100 °C", "100", True),
        ("100 °C", "100 km", False),
        ("The answer is 42.", "It's forty-two.", True),
        ("42", "43", False),
        ("Paris", "The capital of France is Paris.", True),
        ("Paris", "Paris, France", True),
        ("Paris", "Lyon", False),
        ("42", "Paris", False),
    ],
)  # fmt: skip
def test_same_answer_by_value(a: str, b: str, same: bool) -> None:
    assert same_answer(extract_answer(a, BOIL), extract_answer(b, BOIL)) is same


def test_choices_and_yes_no_compare_exactly() -> None:
    a, b, c = (extract_answer(r, FISH) for r in ("B", "The answer is B.", "(C)"))
    assert same_answer(a, b) is True and same_answer(a, c) is False
    yes, no = extract_answer("Yes.", "Is it?"), extract_answer("No.", "Is it?")
    assert same_answer(yes, no) is False


def test_prose_is_left_to_a_similarity_backend() -> None:
    q = "Why should I close files?"
    a = extract_answer("Closing files releases the handle so other programs can use it.", q)
    b = extract_answer("An open file keeps an OS handle busy; closing it frees the handle.", q)
    assert a.kind == b.kind == "text" and same_answer(a, b) is None


@given(st.integers(-10_000, 10_000), st.integers(-10_000, 10_000))
def test_different_numbers_never_agree(x: int, y: int) -> None:
    a = extract_answer(f"The result is {x} degrees Celsius.", "What is the result?")
    b = extract_answer(f"The result is {y} degrees Celsius.", "What is the result?")
    assert same_answer(a, b) is (x == y)


@given(st.text(max_size=80))
def test_normalize_is_idempotent_and_extraction_never_raises(text: str) -> None:
    assert normalize_text(normalize_text(text)) == normalize_text(text)
    extract_answer(text, text)


def test_the_number_after_an_equals_sign_is_the_answer() -> None:
    # "=" then a space has no word boundary: the marker was missed and the first number won.
    assert extract_answer("7 + 5 = 12", "What is it?").value == "12"
    assert extract_answer("144 ÷ 12 = 12.", "What is 144 ÷ 12?").value == "12"
    assert extract_answer("π ≈ 3.14", "What is pi to two places?").value == "3.14"


def test_folding_is_idempotent_for_letters_that_decompose_to_capitals() -> None:
    # "ℙ" decomposes (NFKD) to "P": folded once it must already be lower case.
    assert normalize_text("ℙ") == normalize_text(normalize_text("ℙ")) == "p"
