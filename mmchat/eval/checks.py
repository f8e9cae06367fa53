"""Is a reply right? One function per ``check`` kind of a dataset item.

Numbers and option letters go through the answer extraction the strategies use
(:mod:`mmchat.api.answers`: units, thousands separators, "the answer is B", option
text for its letter), so an eval scores answers the way voting compares them. Every
verdict keeps what was extracted, so a user can see why an item counted wrong.

What each check assumes is stated in ``datasets/README.md``:

- ``exact``: the reply equals the answer once both are normalised (case, accents,
  punctuation, spacing, a leading "the answer is");
- ``number``: the number a closing ``Answer:`` line gives, else the number stated on
  the reply's last line with digits (the sets ask the model to end with the number
  alone): the one after "=" or "is", and not one the question holds unless there is
  no other ("7 + 5 = 12" gives 12; "144 ÷ 12 is the answer" gives 144, not 12), else
  that line's last number. It equals the answer by value: ``12.50`` = ``12.5``,
  ``1,000`` = ``1000``, a unit or ``%`` after it does not matter (``100 °C`` against
  ``212 °F`` compares as temperatures);
- ``choice``: the option letter the reply picks (or the option it names) is the answer;
- ``contains``: the answer appears in the reply as whole words, ignoring case and
  accents ("Fe" is not found inside "safe"; "blue whale" matches "Blue  whale");
- ``regex``: ``re.search`` of the answer finds a match (flags such as ``(?i)`` are
  the user's to write);
- ``judge``: a judge model says whether the reply gives the reference answer
  (:func:`judge_prompt`, :func:`read_verdict`); the runner makes that call.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from mmchat.api.answers import Extracted, extract_answer, normalize_text, same_answer
from mmchat.eval.dataset import Item

__all__ = ["Verdict", "judge_prompt", "read_verdict", "score"]

SHOWN_CHARS = 80  # how much of a reply stands for "what was extracted" in prose

JUDGE_QUESTION = "Does the reply give the reference answer?"


@dataclass(frozen=True, slots=True)
class Verdict:
    correct: bool
    extracted: str  # what the check read in the reply: "12", "B", "Canberra", "(no number)"


def score(item: Item, reply: str) -> Verdict:
    """Score ``reply`` against ``item`` (every kind but ``judge``, which needs a model)."""
    if item.check == "number":
        return _number(item, reply)
    if item.check == "choice":
        return _choice(item, reply)
    if item.check == "contains":
        return _contains(item, reply)
    if item.check == "regex":
        return _regex(item, reply)
    if item.check == "exact":
        return Verdict(normalize_text(reply) == normalize_text(item.answer), _short(reply))
    raise ValueError(f"check {item.check!r} needs a judge model (see judge_prompt)")


# ---------------------------------------------------------------- numbers

# A number written in digits ("-5", "$12.50", "1,000"); extract_answer then reads its
# value and the unit after it.
_DIGITS = re.compile(r"(?<![\w.])[-−–]?[$€£]?\d(?:[\d,.]*\d)?")


def _last_number(text: str) -> Extracted | None:
    starts = list(_DIGITS.finditer(text))
    if not starts:
        return None
    found = extract_answer(text[starts[-1].start() :])
    return found if found.kind == "number" else None


def _number(item: Item, reply: str) -> Verdict:
    whole = extract_answer(reply, item.prompt)
    lines = [line for line in reply.splitlines() if _DIGITS.search(line)]
    if whole.kind == "number" and whole.from_answer_line:
        found: Extracted | None = whole
    elif lines:
        # The number the last line with digits states: after "=" or "is", and not one
        # the question itself holds ("144 ÷ 12 is the answer" does not answer 12),
        # else simply the line's last number (a long sentence).
        stated = extract_answer(lines[-1], item.prompt)
        found = stated if stated.kind == "number" else _last_number(lines[-1])
    else:
        found = whole if whole.kind == "number" else None  # "twelve"
    if found is None:
        return Verdict(False, "(no number)")
    expected = extract_answer(item.answer)
    return Verdict(same_answer(found, expected) is True, found.shown)


# ---------------------------------------------------------------- choices


def _choice(item: Item, reply: str) -> Verdict:
    found = extract_answer(reply, item.prompt)
    if found.kind != "choice":
        return Verdict(False, f"(no option letter) {_short(found.shown)}".rstrip())
    return Verdict(found.value == item.answer.lower(), found.shown)


# ---------------------------------------------------------------- text


def _fold(text: str) -> str:
    """Lower case without accents, one character for one (positions stay valid)."""
    return "".join(
        unicodedata.normalize("NFKD", ch)[:1].lower()[:1] if not ch.isascii() else ch
        for ch in text.lower()
    )


def _contains(item: Item, reply: str) -> Verdict:
    words = [re.escape(word) for word in _fold(item.answer).split()]
    pattern = re.compile(r"(?<!\w)" + r"\s+".join(words) + r"(?!\w)")
    match = pattern.search(_fold(reply))
    if match:
        return Verdict(True, reply[match.start() : match.end()])
    return Verdict(False, _short(extract_answer(reply, item.prompt).shown))


def _regex(item: Item, reply: str) -> Verdict:
    match = re.search(item.answer, reply)
    if match:
        return Verdict(True, _short(match.group(0)))
    return Verdict(False, f"(no match) {_short(extract_answer(reply, item.prompt).shown)}")


def _short(text: str) -> str:
    line = " ".join(text.split())
    return line if len(line) <= SHOWN_CHARS else line[: SHOWN_CHARS - 1] + "…"


# ---------------------------------------------------------------- judge


def judge_prompt(item: Item, reply: str) -> str:
    """What the judge model is asked about one reply."""
    return (
        "You grade answers against a reference answer.\n\n"
        f"Question:\n{item.prompt}\n\n"
        f"Reference answer:\n{item.answer}\n\n"
        f"Reply to grade:\n{reply}\n\n"
        f"{JUDGE_QUESTION} It is right when it gives the same answer, in any wording; "
        "it is wrong when it gives another answer or none. Reply with one word: yes or no."
    )


_VERDICT_WORD = re.compile(
    r"\b(?P<neg>not\s+|n't\s+|isn't\s+)?"
    r"(?P<word>yes|correct|right|true|matches|no|incorrect|wrong|false)\b"
)
_POSITIVE = {"yes", "correct", "right", "true", "matches"}


def read_verdict(text: str) -> bool | None:
    """The judge's yes (True) or no (False), read leniently: a leading yes/no, else the
    first verdict word ("correct", "not correct", "wrong"...); None when there is none."""
    found = extract_answer(text, JUDGE_QUESTION)
    if found.kind == "yesno":
        return found.value == "yes"
    match = _VERDICT_WORD.search(_fold(text))
    if match is None:
        return None
    positive = match.group("word") in _POSITIVE
    return positive != bool(match.group("neg"))
