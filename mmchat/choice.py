"""Reading a constrained choice and how sure the model was of it.

A classifier's reply is ``{"choice": "math"}`` when the provider held it to a schema,
or free text otherwise (read leniently). Its confidence is the probability of the
chosen option against the other options, from the log-probabilities of the token
where the option was written: the model's own rivals for that token are matched to
the options by prefix, and options it did not rank at all count as less likely than
its least likely ranked rival. Servers report log-probabilities before a grammar
masks tokens (llama.cpp does), so a choice the grammar forced shows up as unlikely —
which is what a user should see.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence

from mmchat.api.parsing import pick_category
from mmchat.providers.base import TokenLogprob

__all__ = ["choice_confidence", "read_choice"]


def read_choice(text: str, choices: Sequence[str]) -> str | None:
    """The option a reply names: the schema's JSON first, else lenient reading."""
    try:
        parsed = json.loads(text)
    except ValueError:
        parsed = None
    if isinstance(parsed, dict) and parsed.get("choice") in choices:
        return str(parsed["choice"])
    pick = pick_category(text, list(choices))
    return pick.category if pick else None


def _token_at(tokens: Sequence[TokenLogprob], offset: int) -> TokenLogprob | None:
    position = 0
    for token in tokens:
        if position + len(token.token) > offset:
            return token
        position += len(token.token)
    return None


def choice_confidence(
    tokens: Sequence[TokenLogprob], text: str, value: str, choices: Sequence[str]
) -> float | None:
    """P(value) among ``choices`` at the token that starts it; None without logprobs."""
    if not tokens or value not in choices:
        return None
    where = text.find(f'"{value}"')
    offset = where + 1 if where >= 0 else text.find(value)
    token = _token_at(tokens, max(offset, 0))
    if token is None:
        return None
    ranked = {t: lp for t, lp in token.top}
    # Options the model did not rank are taken as half as likely as its last rival.
    floor = min(ranked.values(), default=token.logprob) - math.log(2)
    ranked.setdefault(token.token, token.logprob)
    scores: dict[str, float] = {}
    for choice in choices:
        matches = [
            lp
            for t, lp in ranked.items()
            if len(cleaned := t.strip().strip('"').lower()) >= 2
            and (choice.lower().startswith(cleaned) or cleaned.startswith(choice.lower()))
        ]
        scores[choice] = max(matches) if matches else floor
    top = max(scores.values())
    total = sum(math.exp(s - top) for s in scores.values())
    return math.exp(scores[value] - top) / total
