"""The answer in a reply: what voting, consensus, ensembles and ``mmchat eval`` compare.

Two replies can agree word for word except for the one thing that matters ("100 °C"
against "90 °C"), or say the same thing in other words ("The answer is 42." against
"It's forty-two."). So before anything is compared the answer is *extracted*
(self-consistency: vote over final answers, not over the reasoning text):

1. a closing ``Answer: …`` line wins when there is one (voters can be asked for it);
2. an option letter when the question lists options (A–D);
3. yes / no;
4. a number, with its unit normalised ("100 °C", "100 degrees Celsius", "one hundred
   degrees C" are the same value; "212 °F" is too); numbers the question itself
   contains are not taken for the answer;
5. a fenced code block;
6. a short entity ("The capital of France is Paris." → "paris");
7. otherwise the text itself (prose), which a similarity backend compares.

:func:`same_answer` decides what extraction can decide: two numbers, letters or
yes/no answers agree exactly when their values do (different numbers never agree,
whatever a similarity backend would say); it returns None when only a similarity
measure can tell (prose). Pure functions, no model calls.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal, TypeAlias

__all__ = [
    "ANSWER_LINE_INSTRUCTION",
    "AnswerKind",
    "Extracted",
    "extract_answer",
    "normalize_text",
    "same_answer",
]

AnswerKind: TypeAlias = Literal["number", "choice", "yesno", "code", "entity", "text"]

ANSWER_LINE_INSTRUCTION = (
    "Think it through if you need to, then end your reply with one line of the form "
    "'Answer: <your final answer>' (a number with its unit, a letter, yes/no, or a few "
    "words)."
)


@dataclass(frozen=True, slots=True)
class Extracted:
    """The answer found in a reply. ``value`` is what is compared (canonical)."""

    kind: AnswerKind
    value: str  # canonical: "100 °C", "b", "yes", normalised code or text
    shown: str  # how to show it: "100 °C", "B", "yes", "paris"
    number: float | None = None
    unit: str | None = None  # canonical unit symbol
    from_answer_line: bool = False

    @property
    def decisive(self) -> bool:
        """Extraction alone decides agreement for this kind (see :func:`same_answer`)."""
        return self.kind in ("number", "choice", "yesno")


# ---------------------------------------------------------------- helpers

_ANSWER_LINE = re.compile(
    r"^[\s>*_#`-]*(?:final\s+answer|answer|réponse|respuesta|resposta|risposta|antwort"
    r"|antwoord|odpowiedź|ответ|答案|答え)[\s*_`]*[:：][\s*_`]*(?P<answer>.+?)[\s*_`]*$",
    re.IGNORECASE | re.MULTILINE,
)
_FENCE = re.compile(r"```[\w+-]*[ \t]*\n(.*?)```", re.DOTALL)
_PREAMBLE = re.compile(
    r"^(?:(?:so|thus|therefore|hence|ok(?:ay)?|well|sure)[,:]?\s+)*"
    r"(?:(?:the\s+)?(?:final\s+|correct\s+|right\s+)?(?:answer|result|solution)"
    r"(?:\s+is|\s*=|\s*:)|it(?:'s|\s+is)|that(?:'s|\s+is)|i\s+think(?:\s+it's)?)\s*:?\s*",
    re.IGNORECASE,
)
_ARTICLES = re.compile(r"^(?:the|a|an|le|la|les|l'|el|los|las|die|der|das|il|lo)\s+", re.I)
_WS = re.compile(r"\s+")
_SENTENCE_END = re.compile(r"(?<=[.!?。])\s+")


def _fold(text: str) -> str:
    """Lower case without accents (Unicode NFKD), for comparing words."""
    # NFKD before and after casefold: "𝔍" only becomes "J" (then "j") once decomposed.
    decomposed = unicodedata.normalize("NFKD", unicodedata.normalize("NFKD", text).casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def normalize_text(text: str) -> str:
    """Case, accents, punctuation, a leading "the answer is" and articles removed."""
    cleaned = _WS.sub(" ", _fold(text)).strip()
    previous = None
    while previous != cleaned:
        previous = cleaned
        cleaned = _PREAMBLE.sub("", cleaned).strip()
        cleaned = re.sub(r"(?!(?<=\d)[.,](?=\d))[^\w\s'-]|_", " ", cleaned)
        cleaned = _WS.sub(" ", cleaned).strip(" -'")
        cleaned = _ARTICLES.sub("", cleaned)
    return cleaned


# ---------------------------------------------------------------- numbers

_SMALL = {
    "zero": 0, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7,
    "eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13,
    "fourteen": 14, "fifteen": 15, "sixteen": 16, "seventeen": 17, "eighteen": 18,
    "nineteen": 19, "twenty": 20, "thirty": 30, "forty": 40, "fifty": 50, "sixty": 60,
    "seventy": 70, "eighty": 80, "ninety": 90,
}  # fmt: skip
_SCALES = {"hundred": 100, "thousand": 1_000, "million": 1_000_000, "billion": 1_000_000_000}
_NUMBER_WORD = "|".join(sorted([*_SMALL, *_SCALES], key=len, reverse=True))
_WORD_NUMBER = re.compile(
    rf"\b(?:minus\s+)?(?:(?:{_NUMBER_WORD}|a)(?:[\s-]+(?:and[\s-]+)?(?:{_NUMBER_WORD}))*)\b",
    re.IGNORECASE,
)
_DIGITS = re.compile(
    r"(?<![\w.])(?P<sign>[-−–]|minus\s+)?(?P<num>\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:[.,]\d+)?)"
    r"(?:\s*(?:[eE](?P<exp>[-+]?\d+)|[x×]\s*10\^(?P<exp10>[-+]?\d+)))?"
    r"(?:\s*/\s*(?P<den>\d+)(?!\s*\d))?"
)


def _words_value(words: str) -> float | None:
    tokens = [t for t in re.split(r"[\s-]+", words.lower()) if t and t != "and"]
    negative = bool(tokens) and tokens[0] == "minus"
    tokens = tokens[1:] if negative else tokens
    if not tokens or tokens in (["a"], ["one"]):
        return None  # "a", "the one on the left": not numbers
    total, current = 0, 0
    for token in tokens:
        if token == "a":
            current = max(current, 1)
        elif token in _SMALL:
            current += _SMALL[token]
        elif token == "hundred":
            current = max(current, 1) * 100
        elif token in _SCALES:
            total += max(current, 1) * _SCALES[token]
            current = 0
        else:
            return None
    value = float(total + current)
    return -value if negative else value


# Unit aliases → (canonical symbol, family, factor to the family's base unit). A
# temperature's factor is unused: temperatures convert through kelvin.
_UNITS: dict[str, tuple[str, str, float]] = {}


def _unit(symbol: str, family: str, factor: float, *aliases: str) -> None:
    for alias in (symbol, *aliases):
        _UNITS[_fold(alias)] = (symbol, family, factor)


_unit("°C", "temperature", 1, "℃", "°c", "c", "deg c", "degc", "celsius", "degree celsius",
      "degrees celsius", "degrees c", "degree c", "centigrade", "degrés celsius", "grados celsius",
      "grad celsius")  # fmt: skip
_unit("°F", "temperature", 1, "℉", "f", "deg f", "fahrenheit", "degree fahrenheit",
      "degrees fahrenheit", "degrees f")  # fmt: skip
_unit("K", "temperature", 1, "kelvin", "kelvins")
_unit("%", "ratio", 0.01, "percent", "per cent", "pct", "pourcent", "pour cent", "por ciento",
      "prozent", "percento", "procent")  # fmt: skip
_unit("m", "length", 1, "meter", "meters", "metre", "metres", "mètres", "metros")
_unit("km", "length", 1000, "kilometer", "kilometers", "kilometre", "kilometres")
_unit("cm", "length", 0.01, "centimeter", "centimeters", "centimetre", "centimetres")
_unit("mm", "length", 0.001, "millimeter", "millimeters", "millimetre", "millimetres")
_unit("mi", "length", 1609.344, "mile", "miles")
_unit("ft", "length", 0.3048, "foot", "feet")
_unit("inch", "length", 0.0254, "inches", "″")
_unit("kg", "mass", 1, "kilogram", "kilograms", "kilo", "kilos")
_unit("g", "mass", 0.001, "gram", "grams", "gramme", "grammes")
_unit("mg", "mass", 1e-6, "milligram", "milligrams")
_unit("lb", "mass", 0.45359237, "lbs", "pound", "pounds")
_unit("t", "mass", 1000, "tonne", "tonnes", "metric ton", "metric tons")
_unit("s", "time", 1, "sec", "secs", "second", "seconds")
_unit("min", "time", 60, "mins", "minute", "minutes")
_unit("h", "time", 3600, "hr", "hrs", "hour", "hours")
_unit("day", "time", 86400, "days")
_unit("year", "time", 31_557_600, "years", "yr", "yrs")
_unit("l", "volume", 1, "liter", "liters", "litre", "litres")
_unit("ml", "volume", 0.001, "milliliter", "milliliters", "millilitre", "millilitres")
_unit("km/h", "speed", 1 / 3.6, "kph", "kmh", "kilometers per hour", "kilometres per hour")
_unit("m/s", "speed", 1, "meters per second", "metres per second")
_unit("mph", "speed", 0.44704, "miles per hour")
_unit("$", "usd", 1, "usd", "dollar", "dollars", "us dollars")
_unit("€", "eur", 1, "eur", "euro", "euros")
_unit("£", "gbp", 1, "gbp", "pound sterling", "pounds sterling")

_UNIT_AFTER = re.compile(
    "^\\s*(?P<unit>"
    + "|".join(re.escape(a) for a in sorted(_UNITS, key=len, reverse=True))
    + ")(?![\\w/])",
    re.IGNORECASE,
)
_CURRENCY_BEFORE = re.compile(r"([$€£])\s*$")


@dataclass(frozen=True, slots=True)
class _Number:
    value: float
    unit: str | None
    start: int


def _unit_at(text: str, end: int) -> tuple[str | None, int]:
    """The unit written right after a number ending at ``end``, and where it ends."""
    match = _UNIT_AFTER.match(_fold(text[end : end + 40]))
    if not match:
        return None, end
    symbol = _UNITS[match.group("unit").lower()][0]
    return symbol, end + match.end()


def _numbers(text: str) -> list[_Number]:
    found: list[_Number] = []
    taken: list[tuple[int, int]] = []
    for match in _DIGITS.finditer(text):
        raw = match.group("num")
        if re.fullmatch(r"\d{1,3}(?:,\d{3})+(?:\.\d+)?", raw):
            value = float(raw.replace(",", ""))
        else:
            value = float(raw.replace(",", "."))
        exponent = match.group("exp") or match.group("exp10")
        if exponent:
            value *= 10.0 ** int(exponent)
        if match.group("den") and float(match.group("den")) != 0:
            value /= float(match.group("den"))
        if match.group("sign"):
            value = -value
        unit, _ = _unit_at(text, match.end())
        before = _CURRENCY_BEFORE.search(text[max(0, match.start() - 3) : match.start()])
        if unit is None and before:
            unit = _UNITS[before.group(1)][0]
        found.append(_Number(value, unit, match.start()))
        taken.append(match.span())
    for match in _WORD_NUMBER.finditer(text):
        if any(s <= match.start() < e for s, e in taken):
            continue
        worded = _words_value(match.group(0))
        if worded is None:
            continue
        unit, _ = _unit_at(text, match.end())
        found.append(_Number(worded, unit, match.start()))
    found.sort(key=lambda n: n.start)
    return found


def _in_base(number: float, unit: str | None) -> tuple[str | None, float]:
    """(family, value in the family's base unit); temperatures in kelvin."""
    if unit is None:
        return None, number
    _, family, factor = _UNITS[_fold(unit)]
    if family == "temperature":
        kelvin = {"°C": number + 273.15, "°F": (number - 32) * 5 / 9 + 273.15, "K": number}
        return family, kelvin[unit]
    return family, number * factor


def _close(a: float, b: float) -> bool:
    return math.isclose(a, b, rel_tol=1e-6, abs_tol=1e-9)


def _number_text(value: float, unit: str | None) -> str:
    shown = f"{value:g}" if abs(value) < 1e15 else f"{value:.6g}"
    if unit is None:
        return shown
    if unit in ("$", "€", "£"):
        return f"{unit}{shown}"
    return f"{shown}{'' if unit == '%' else ' '}{unit}"


# ---------------------------------------------------------------- choices, yes/no

_OPTION_LINE = re.compile(r"^\s*\(?([A-H])[).:]\s+(.+?)\s*$", re.MULTILINE)
_LETTER = re.compile(
    r"^\W*(?P<said>(?:the\s+)?(?:correct\s+|right\s+|best\s+)?(?:answer|option|choice)"
    r"\s*(?:is|:)?\s*)?\(?(?P<letter>[A-H])\b(?P<mark>\)?[).:]|\)|\s*$)?",
    re.IGNORECASE,
)
_YES_NO_QUESTION = re.compile(
    r"^\W*(?:is|are|was|were|do|does|did|can|could|should|would|will|has|have|had|may"
    r"|must|est-ce|ist|sind|kann|es|son|puede|è|é)\b",
    re.IGNORECASE,
)
_YES = {"yes", "yeah", "yep", "true", "correct", "oui", "si", "sí", "ja", "sim", "tak", "да", "是"}
_NO = {"no", "nope", "false", "incorrect", "non", "nein", "nao", "não", "nie", "нет", "否"}


def _options(question: str) -> dict[str, str]:
    """Option letter → option text, when the question lists at least two options."""
    found = {m.group(1).upper(): m.group(2) for m in _OPTION_LINE.finditer(question)}
    return found if len(found) >= 2 else {}


def _choice(candidate: str, options: dict[str, str]) -> str | None:
    said = normalize_text(candidate)
    for letter, text in options.items():
        if said and said == normalize_text(text):
            return letter
    match = _LETTER.match(candidate.strip())
    # "B", "B.", "(B)", "B) Paris", "The answer is B": a letter, not the article in "A fish".
    if (
        match
        and match.group("letter").upper() in options
        and (match.group("said") or match.group("mark") is not None)
    ):
        return match.group("letter").upper()
    mentioned = [
        letter for letter in options if re.search(rf"\(\s*{letter}\s*\)|\b{letter}\)", candidate)
    ]
    return mentioned[0] if len(set(mentioned)) == 1 else None


def _yes_no(candidate: str, question: str) -> str | None:
    words = _fold(candidate).strip(" *_`\"'").split()
    if not words or (len(words) > 3 and question and not _YES_NO_QUESTION.match(question)):
        return None  # "No, it's Canberra" to "What is…?" is not a yes/no answer
    first = words[0].strip(".,!;:")
    if first in _YES:
        return "yes"
    if first in _NO:
        return "no"
    return None


# ---------------------------------------------------------------- extraction

_IS_CLAUSE = re.compile(
    r"\b(?:is|are|was|were|equals|est|es|ist|è|é|sont|son|sind)\s+(?P<rest>[^.;:!?\n]+)",
    re.IGNORECASE,
)


def _first_sentence(text: str) -> str:
    line = next((ln for ln in text.strip().splitlines() if ln.strip()), "")
    return _SENTENCE_END.split(line.strip(), maxsplit=1)[0]


_SUBJECT_ANSWER = re.compile(
    r"^\W*(?:i think\s+|so\s+)?(?P<subject>.+?)\s+(?:is|would be|must be)\s+(?:the|my)\s+"
    r"(?:final\s+|correct\s+|right\s+|best\s+)?answer\b",
    re.IGNORECASE,
)


def _entity(candidate: str) -> str | None:
    """A short answer: the candidate itself, what follows "… is" in its first sentence
    ("The capital of France is Paris." → "paris"), or what comes before "is the answer"
    ("Paris is the answer." → "paris")."""
    sentence = _first_sentence(candidate)
    subject = _SUBJECT_ANSWER.match(sentence)
    if subject:
        said = normalize_text(subject.group("subject"))
        if said and len(said.split()) <= 4:
            return said
    short = normalize_text(sentence)
    if short and len(short.split()) <= 3:
        return short
    clause = _IS_CLAUSE.search(sentence)
    if clause:
        rest = normalize_text(clause.group("rest"))
        if rest and len(rest.split()) <= 4:
            return rest
    return None


def _pick_number(candidate: str, question: str, from_line: bool) -> _Number | None:
    numbers = _numbers(candidate)
    if not numbers:
        return None
    asked = {round(n.value, 9) for n in _numbers(question)}
    fresh = [n for n in numbers if round(n.value, 9) not in asked] or numbers
    if from_line or len(fresh) == 1:
        return fresh[0]
    # "…, so the answer is 20." / "x = 5": the number after the last such marker.
    markers = list(
        re.finditer(
            # "=" and "≈" outside the \b: "7 + 5 = 12" has no word boundary after "=".
            r"(?:(?:answer|result|total|therefore|thus|so|hence|equals|is)\b|=|≈)\s*:?",
            candidate,
            re.IGNORECASE,
        )
    )
    for marker in reversed(markers):
        after = [n for n in fresh if n.start >= marker.end() - 1]
        if after:
            return after[0]
    return fresh[0]


def _code(text: str) -> str | None:
    blocks = _FENCE.findall(text)
    if not blocks:
        return None
    lines = [line.rstrip() for line in blocks[-1].strip().splitlines()]
    return "\n".join(line for line in lines if line.strip())


def extract_answer(reply: str, question: str = "") -> Extracted:
    """The answer in ``reply`` to ``question`` (see the module docstring for the order)."""
    lines = list(_ANSWER_LINE.finditer(reply))
    from_line = bool(lines)
    candidate = lines[-1].group("answer").strip() if lines else reply.strip()
    options = _options(question)
    if options:
        letter = _choice(candidate, options) or (
            _choice(_first_sentence(reply), options) if not from_line else None
        )
        if letter:
            return Extracted("choice", letter.lower(), letter, from_answer_line=from_line)
    verdict = _yes_no(candidate, question)
    if verdict:
        return Extracted("yesno", verdict, verdict, from_answer_line=from_line)
    code = None if from_line else _code(reply)
    if code is not None and len(code) >= len(reply.strip()) / 3:
        return Extracted("code", code, code.splitlines()[0][:60], from_answer_line=False)
    number = _stated_number(candidate, question, from_line)
    if number is not None:
        text = _number_text(number.value, number.unit)
        return Extracted("number", text, text, number.value, number.unit, from_line)
    entity = _entity(candidate)
    if entity:
        return Extracted("entity", entity, entity, from_answer_line=from_line)
    text = normalize_text(candidate)
    return Extracted("text", text, candidate[:80], from_answer_line=from_line)


def _stated_number(candidate: str, question: str, from_line: bool) -> _Number | None:
    """The number a reply states as its answer: on its answer line, or in one of its
    first sentences when that sentence is short or the number has a unit. "Python 3 is
    a good first language because …" states no number; "It's forty-two." does."""
    if from_line:
        return _pick_number(candidate, question, True)
    line = next((ln for ln in candidate.strip().splitlines() if ln.strip()), "")
    for sentence in _SENTENCE_END.split(line.strip())[:3]:
        number = _pick_number(sentence, question, False)
        if number is not None and (len(normalize_text(sentence).split()) <= 14 or number.unit):
            return number
    return None


def same_answer(a: Extracted, b: Extracted) -> bool | None:
    """Do two extracted answers agree? True/False when extraction can tell; None when
    only a similarity measure can (prose, or answers of different kinds that are not
    both decisive)."""
    if a.kind == "number" and b.kind == "number":
        assert a.number is not None and b.number is not None
        family_a, base_a = _in_base(a.number, a.unit)
        family_b, base_b = _in_base(b.number, b.unit)
        if family_a and family_b and family_a != family_b:
            return False
        if family_a and family_b:
            return _close(base_a, base_b)
        return _close(a.number, b.number)
    if a.kind == b.kind and a.kind in ("choice", "yesno", "entity"):
        return a.value == b.value or (a.kind == "entity" and _entity_close(a.value, b.value))
    if a.kind == b.kind == "code":
        return a.value == b.value or None
    if a.decisive and b.decisive:
        return False  # a number against a letter or a yes: not the same answer
    if a.decisive != b.decisive and "text" not in (a.kind, b.kind):
        return False  # "42" against "Paris"
    return None


def _entity_close(a: str, b: str) -> bool:
    """Entities that differ by a typo or a word of context ("paris" / "paris france")."""
    short, long = sorted((a, b), key=len)
    if short and (long.startswith(short + " ") or long.endswith(" " + short)):
        return len(short) >= 4
    from rapidfuzz import fuzz  # imported on first use

    return len(short) >= 5 and fuzz.ratio(a, b) >= 90


def numbers_in(texts: Iterable[str]) -> set[float]:
    """Every number in ``texts`` (for callers that check numbers beside a backend)."""
    return {n.value for text in texts for n in _numbers(text)}
