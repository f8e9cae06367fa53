"""API keys: the OS keyring first, then an environment variable.

Keys live in the keyring under service ``mmchat``, one entry per key name. When no
usable keyring exists we say so (naming the backend and the fixes) instead of falling
back to a plaintext file. Key values never appear in reprs, messages or logs.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TypeVar

import keyring
import keyring.backend
import keyring.errors
from keyring.backends import chainer, fail, null

from mmchat.key_names import KEY_NAME, key_name_problem, looks_like_secret

__all__ = [
    "SERVICE",
    "KeyLookup",
    "KeyStatus",
    "SecretStoreUnavailable",
    "check_key_name",
    "default_env_var",
    "delete_key",
    "get_key",
    "keyring_status",
    "list_keys",
    "lookup_key",
    "mask",
    "set_key",
    "shown_name",
    "stored_key_names",
]

SERVICE = "mmchat"
# The keyring API cannot enumerate entries, so we keep our own list of names.
_INDEX = "__mmchat_key_names__"
_T = TypeVar("_T")


class SecretStoreUnavailable(Exception):
    """No usable OS keyring; ``str()`` explains what to do about it."""


@dataclass(frozen=True, slots=True)
class KeyLookup:
    name: str
    value: str = field(repr=False)
    source: str  # "keyring" or "env:VAR"

    def __repr__(self) -> str:
        return f"KeyLookup(name={self.name!r}, source={self.source!r}, value={mask(self.value)!r})"

    __str__ = __repr__


@dataclass(frozen=True, slots=True)
class KeyStatus:
    name: str
    source: str  # "keyring", "env:VAR", "missing" or "unavailable"
    masked: str  # "" when there is no value
    env_var: str | None = None


def default_env_var(name: str) -> str:
    """``openai`` -> ``OPENAI_API_KEY``."""
    return re.sub(r"[^A-Za-z0-9]+", "_", name).strip("_").upper() + "_API_KEY"


def mask(value: str) -> str:
    """Enough to recognise a key, too little to use it: ``sk-…a1b2``."""
    if len(value) >= 12:
        return f"{value[:3]}…{value[-4:]}"
    if len(value) >= 6:
        return f"…{value[-2:]}"
    return "…"


def shown_name(name: str) -> str:
    """A key name as messages show it: masked if it is really a key (stored as a name
    before names were checked)."""
    return f"{mask(name)} (a key used as a name)" if looks_like_secret(name) else name


def backend_name(backend: keyring.backend.KeyringBackend) -> str:
    if isinstance(backend, chainer.ChainerBackend):
        return " + ".join(backend_name(b) for b in backend.backends) or "chainer (empty)"
    return f"{backend.name} ({type(backend).__module__})"


def keyring_status() -> tuple[bool, str, str]:
    """(usable, backend name, message for the user)."""
    try:
        stored_key_names()  # a real read: a locked keyring only fails when used
    except SecretStoreUnavailable as exc:
        return False, _current_name(), str(exc)
    name = _current_name()
    return True, name, f"API keys are stored in the OS keyring ({name})."


def get_key(name: str, env_var: str | None = None) -> KeyLookup | None:
    """The key ``name`` from the keyring, else from ``env_var`` (default NAME_API_KEY).

    Raises SecretStoreUnavailable only when the keyring is unusable *and* the
    environment variable is unset, so env-only set-ups work without a keyring.
    """
    env_var = env_var or default_env_var(name)
    unavailable: SecretStoreUnavailable | None = None
    try:
        value = _call(lambda b: b.get_password(SERVICE, name), env_var)
        if value:
            return KeyLookup(name, value, "keyring")
    except SecretStoreUnavailable as exc:
        unavailable = exc
    env_value = os.environ.get(env_var, "").strip()
    if env_value:
        return KeyLookup(name, env_value, f"env:{env_var}")
    if unavailable is not None:
        raise unavailable
    return None


def lookup_key(name: str, env_var: str | None = None) -> str | None:
    """The key's value (keyring, else env var), or None when neither has it."""
    try:
        found = get_key(name, env_var)
    except SecretStoreUnavailable:  # no keyring and no env var
        return None
    return found.value if found is not None else None


def set_key(name: str, value: str) -> None:
    check_key_name(name)
    value = value.strip()
    if not value:
        raise ValueError("the key is empty")
    _call(lambda b: b.set_password(SERVICE, name, value), default_env_var(name))
    names = stored_key_names()
    if name not in names:
        _write_index([*names, name])


def delete_key(name: str) -> bool:
    """Remove ``name`` from the keyring; False if it was not there. A key stored under
    its own value as the name (before names were checked) can be deleted too."""
    check_key_name(name, refuse_key_shaped=False)
    env_var = default_env_var(name)
    present = _call(lambda b: b.get_password(SERVICE, name), env_var) is not None
    if present:
        _call(lambda b: b.delete_password(SERVICE, name), env_var)
    names = stored_key_names()
    if name in names:
        _write_index([n for n in names if n != name])
    return present


def stored_key_names() -> list[str]:
    """Names set through mmchat (the keyring itself cannot be listed)."""
    raw = _call(lambda b: b.get_password(SERVICE, _INDEX), None)
    try:
        names = json.loads(raw) if raw else []
    except ValueError:
        return []
    return [n for n in names if isinstance(n, str)] if isinstance(names, list) else []


def list_keys(names_with_env: dict[str, str | None]) -> list[KeyStatus]:
    """Status of each named key plus any other key stored through mmchat."""
    try:
        wanted = dict(names_with_env)
        for stored in stored_key_names():
            wanted.setdefault(stored, None)
        usable = True
    except SecretStoreUnavailable:
        usable = False
    result: list[KeyStatus] = []
    for name in sorted(wanted):
        env_var = wanted[name] or default_env_var(name)
        try:
            found = get_key(name, env_var)
        except SecretStoreUnavailable:
            found = None
        if found is not None:
            result.append(KeyStatus(name, found.source, mask(found.value), env_var))
        else:
            result.append(KeyStatus(name, "missing" if usable else "unavailable", "", env_var))
    return result


# ------------------------------------------------------------------ internals


def check_key_name(name: str, *, refuse_key_shaped: bool = True) -> None:
    """Refuse a name that cannot be one, or that is a key pasted in its place (the
    message then does not repeat it)."""
    problem = key_name_problem(name) if refuse_key_shaped else None
    if problem is None and (not KEY_NAME.match(name) or name == _INDEX):
        problem = "use letters, digits, _ . -"
    if problem:
        shown = "" if looks_like_secret(name) else f" {name!r}"
        raise ValueError(f"invalid key name{shown}: {problem}")


def _write_index(names: list[str]) -> None:
    _call(lambda b: b.set_password(SERVICE, _INDEX, json.dumps(sorted(set(names)))), None)


def _current_name() -> str:
    try:
        return backend_name(keyring.get_keyring())
    except Exception:  # a broken keyringrc must not crash a status line
        return "unknown"


def _backend(env_var: str | None = None) -> keyring.backend.KeyringBackend:
    backend = keyring.get_keyring()
    name = backend_name(backend)
    if isinstance(backend, (fail.Keyring, null.Keyring)) or (
        isinstance(backend, chainer.ChainerBackend) and not backend.backends
    ):
        raise _unavailable(name, "no OS keyring backend is available", env_var)
    if type(backend).__module__.startswith("keyrings.alt") and not os.environ.get(
        "PYTHON_KEYRING_BACKEND"
    ):
        # keyrings.alt stores files on disk (or prompts on the terminal): opt-in only.
        raise _unavailable(name, "only a file-based keyrings.alt backend was found", env_var)
    return backend


def _call(op: Callable[[keyring.backend.KeyringBackend], _T], env_var: str | None) -> _T:
    backend = _backend(env_var)
    try:
        return op(backend)
    except keyring.errors.KeyringError as exc:
        # The message is the backend's (e.g. "Prompt dismissed"); it never holds the key.
        raise _unavailable(backend_name(backend), f"{type(exc).__name__}: {exc}", env_var) from None


def _unavailable(backend: str, reason: str, env_var: str | None) -> SecretStoreUnavailable:
    env_hint = f"export {env_var}" if env_var else "export the key's environment variable"
    return SecretStoreUnavailable(
        f"No usable OS keyring ({reason}; backend: {backend}).\n"
        "Fix: install and unlock a Secret Service (gnome-keyring, or KeePassXC with "
        f"Secret Service enabled), or {env_hint} instead, or choose a backend with "
        "PYTHON_KEYRING_BACKEND. mmchat never stores keys in a plaintext file."
    )
