"""What may name an API key (a keyring entry, an environment variable), and what
must not: the key itself.

``key = "openai"`` names a keyring entry; a key pasted there by mistake would be
echoed by ``keys list``, ``config show`` and error messages, and kept wherever the
name goes. Config validation and ``mmchat keys`` refuse such values with messages
that never repeat them. :func:`looks_like_secret` has two signals, both cheap:

* a provider key prefix followed by a key-like body with a digit: ``sk-`` (OpenAI,
  Anthropic ``sk-ant-``, OpenRouter, DeepSeek), ``AIza`` (Google), ``gsk_`` (Groq),
  ``xai-``, ``hf_``, ``ghp_``/``github_pat_``, ``r8_``, ``pplx-``, ``nvapi-``...;
* a long random-looking token: 20+ letters and digits that split into "words"
  (``Word``, ``word``, ``WORD``, ``123``) shorter than 3 characters on average
  (random base62 averages 1.9; names such as ``deepseekR1DistillQwen32B`` 3.4,
  ``MyCompanyAzureOpenAIKey01`` 3.6), or 32+ hexadecimal digits (Together's keys).
  On 5,000 random tokens each: 98 % of 24-character base62 tokens are caught, 99.7 %
  of 32-character ones, all hex ones; prefixed keys always are. A name is refused
  only if it reads like noise.
"""

from __future__ import annotations

import re

__all__ = ["ENV_VAR_NAME", "KEY_NAME", "env_var_problem", "key_name_problem", "looks_like_secret"]

KEY_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.\-]{0,63}$")
ENV_VAR_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,127}$")
_SECRET_HINT = (
    "a key belongs in the OS keyring (`mmchat keys set NAME`) or in an environment "
    "variable, never in the config file"
)

_PREFIXED = re.compile(
    r"(?<![A-Za-z0-9])"
    r"(?:sk-|sk_|AIza|gsk_|xai-|hf_|gh[pousr]_|github_pat_|r8_|pplx-|nvapi-|tvly-|csk-|fw_)"
    r"(?=[A-Za-z0-9_\-]*[0-9])[A-Za-z0-9_\-]{16,}"
)
_NOT_ALNUM = re.compile(r"[^A-Za-z0-9]")
_HEX = re.compile(r"[0-9a-fA-F]{32,}")
_WORD = re.compile(r"[A-Z]?[a-z]+|[A-Z]+(?![a-z])|[0-9]+")
_MIN_RANDOM = 20
_MAX_WORD = 3.0


def looks_like_secret(value: str) -> bool:
    if _PREFIXED.search(value):
        return True
    for token in value.split():
        letters_digits = _NOT_ALNUM.sub("", token)
        if len(letters_digits) < _MIN_RANDOM:
            continue
        if _HEX.fullmatch(letters_digits):
            return True
        if len(letters_digits) / len(_WORD.findall(letters_digits)) < _MAX_WORD:
            return True
    return False


def key_name_problem(value: str) -> str | None:
    """Why ``value`` cannot name a keyring entry (never quoting it), or None."""
    if looks_like_secret(value):
        return f"this looks like an API key, not the name of one: {_SECRET_HINT}"
    if not KEY_NAME.match(value):
        return "not a key name: use 1-64 letters, digits, _ . - (starting with a letter or digit)"
    return None


def env_var_problem(value: str) -> str | None:
    """Why ``value`` cannot name an environment variable (never quoting it), or None."""
    if looks_like_secret(value):
        return (
            f"this looks like an API key, not the name of an environment variable: {_SECRET_HINT}"
        )
    if not ENV_VAR_NAME.match(value):
        return "not an environment variable name: use letters, digits and _ (not a leading digit)"
    return None
