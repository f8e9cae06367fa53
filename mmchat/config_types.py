"""Validated value types the config classes share: HTTP headers and API key names.

Declared once here so the provider config classes (wherever they live) only name the
type. Each check runs at config validation, so a bad header or a pasted key is
reported with its file and line instead of failing at request time:

* header names are RFC 9110 tokens; header values are one line of printable ASCII
  (httpx sends header values as ASCII: anything else fails the request with an
  encoding error that names neither the provider nor the header);
* ``key`` and ``key_env`` are names (of a keyring entry, of an environment
  variable), never a key: see :mod:`mmchat.key_names`.

Messages never quote a header value (it may be a credential) nor a refused key name.
"""

from __future__ import annotations

import json
import re
from typing import Annotated

from pydantic import AfterValidator

from mmchat.key_names import env_var_problem, key_name_problem

__all__ = ["EnvVarName", "HeaderMap", "HeaderValue", "KeyName"]

_TOKEN = re.compile(r"^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$")  # RFC 9110 section 5.6.2


def header_value_problem(value: str) -> str | None:
    """Why ``value`` cannot be sent as a header value (never quoting it), or None."""
    for index, char in enumerate(value, start=1):
        code = ord(char)
        if char in "\r\n":
            return f"a line break (CR or LF) at character {index}; a header value is one line"
        if (code < 0x20 and char != "\t") or code == 0x7F:
            return f"a control character (U+{code:04X}) at character {index}"
        if code > 0x7E:
            return (
                f"a non-ASCII character (U+{code:04X}) at character {index}; "
                "header values are sent as ASCII"
            )
    return None


def _header_value(value: str) -> str:
    problem = header_value_problem(value)
    if problem:
        raise ValueError(f"the value has {problem}")
    return value


def _headers(headers: dict[str, str]) -> dict[str, str]:
    problems = []
    for name, value in headers.items():
        shown = json.dumps(name)  # escapes anything odd in the name itself
        if not _TOKEN.match(name):
            problems.append(
                f"header {shown}: not a valid header name (letters, digits and "
                "!#$%&'*+-.^_`|~ only, no spaces or colons)"
            )
        problem = header_value_problem(value)
        if problem:
            problems.append(f"header {shown}: the value has {problem}")
    if problems:
        raise ValueError("; ".join(problems))
    return headers


def _key_name(value: str) -> str:
    problem = key_name_problem(value)
    if problem:
        raise ValueError(problem)
    return value


def _env_var(value: str) -> str:
    problem = env_var_problem(value)
    if problem:
        raise ValueError(problem)
    return value


HeaderValue = Annotated[str, AfterValidator(_header_value)]
HeaderMap = Annotated[dict[str, str], AfterValidator(_headers)]
KeyName = Annotated[str, AfterValidator(_key_name)]
EnvVarName = Annotated[str, AfterValidator(_env_var)]
