"""Checks for the network settings a user writes: proxy URLs and CA bundle paths.

Standard library only, because config.toml is validated at start-up and httpx is not
imported then. The same checks apply to ``proxy`` / ``ca_bundle`` in the config and to
``HTTP(S)_PROXY`` / ``ALL_PROXY`` / ``SSL_CERT_FILE`` / ``SSL_CERT_DIR`` in the
environment (mmchat.providers.network), so both fail with the same plain sentence.
A message never shows a proxy's password: URLs go through :func:`scrub_url`.
"""

from __future__ import annotations

import os
import re
from urllib.parse import urlsplit

DIRECT = "none"  # proxy = "none": connect directly, whatever the environment says
PROXY_SCHEMES = ("http", "https")


def is_loopback(url: str) -> bool:
    """Does ``url`` point at this machine (a local server: no key, no price)?"""
    host = urlsplit(url).hostname or ""
    return host in {"localhost", "::1"} or host.startswith("127.")


class NetworkConfigError(ValueError):
    """A proxy URL or CA path that cannot work, with what to do about it."""


def scrub_url(url: str) -> str:
    """``url`` fit for messages and logs: any ``user:password@`` part removed."""
    return re.sub(r"//[^/@]*@", "//", url)


def check_proxy_url(url: str, *, allow_password: bool = True) -> str:
    """``url`` as given if it names an HTTP(S) proxy, else NetworkConfigError.

    Messages have no subject: the caller knows which setting it checked.
    """
    shown = scrub_url(url)
    example = "a URL like http://proxy.example.com:3128"
    if "://" not in url:
        raise NetworkConfigError(f"the proxy must be {example}, not {shown!r}")
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        raise NetworkConfigError(f"{shown!r} is not a valid proxy URL ({example})") from None
    scheme = parts.scheme.lower()
    if scheme.startswith("socks"):
        raise NetworkConfigError(f"SOCKS proxies are not supported ({shown!r}): use an HTTP proxy")
    if scheme not in PROXY_SCHEMES:
        raise NetworkConfigError(f"the proxy must be an http:// or https:// URL, not {shown!r}")
    if not parts.hostname:
        raise NetworkConfigError(f"the proxy URL {shown!r} names no host ({example})")
    if parts.path not in ("", "/") or parts.query or parts.fragment:
        raise NetworkConfigError(f"the proxy URL {shown!r} must have no path ({example})")
    if port == 0:
        raise NetworkConfigError(f"the proxy URL {shown!r} has port 0")
    if parts.password is not None and not allow_password:
        raise NetworkConfigError(
            "a proxy password does not belong in the config file: give it in the "
            "environment instead (HTTPS_PROXY=http://USER:PASSWORD@HOST:PORT)"
        )
    return url


def check_config_proxy(value: str) -> str:
    """The ``proxy`` key of a provider: ``"none"`` or a proxy URL without a password."""
    if value.strip().lower() == DIRECT:
        return DIRECT
    return check_proxy_url(value.strip(), allow_password=False)


def check_ca_path(path: str) -> str:
    """``path`` (``~`` expanded) if it is a readable file or directory of certificates."""
    full = os.path.expanduser(path.strip())
    if not full:
        raise NetworkConfigError("no path given: name a PEM file of CA certificates")
    if not os.path.exists(full):
        raise NetworkConfigError(f"no such CA file or directory: {full}")
    if not os.access(full, os.R_OK):
        raise NetworkConfigError(f"cannot read the CA file {full}")
    return full
