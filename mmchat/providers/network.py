"""How mmchat reaches a provider: proxies, trusted CAs, one client per set-up.

**Proxies.** ``HTTP_PROXY`` / ``HTTPS_PROXY`` / ``ALL_PROXY`` / ``NO_PROXY`` (read
with ``urllib.request.getproxies``, so also the system settings on macOS and Windows,
as httpx itself does) or a provider's ``proxy`` key. httpx ignores the environment as
soon as a client is given its own transport (the paced one), so the routes are built
here and handed to httpx as ``mounts``: each proxy is httpx's own proxy transport
(CONNECT for https, forwarding for http, ``user:password@`` as Proxy-Authorization),
wrapped by :class:`ViaProxy` only to mark requests with the proxy they took, so that
errors can name it (never its password). Loopback (``localhost``, ``127.0.0.1``,
``::1``) is never proxied: the embedded llama.cpp server and a local Ollama keep
working with ``HTTPS_PROXY`` set and no ``NO_PROXY``. Proxied connections are not
read-paced (paced_transport): pacing needs httpx's private pool attribute, and the
proxy pools stay httpx's own.

**Trust.** A provider's ``ca_bundle``, else ``SSL_CERT_FILE`` / ``SSL_CERT_DIR``, else
the OS trust store: behind a TLS-inspecting corporate proxy, IT installs its root in the
OS store (Keychain, the Windows store, /etc/ssl), never in certifi's bundle (what httpx
trusts by default), so without it no HTTPS provider can be reached. On macOS and Windows
that store is reached through ``truststore`` (the library pip uses for this: it verifies
with the OS's own API) plus certifi's bundle, so nothing trusted before stops working.
On Linux and the BSDs the OS store is a file, which OpenSSL reads itself: it is loaded
once per context (OpenSSL's default paths, else the first bundle file of the usual
distros), with certifi only when there is none. truststore was measured here and not
taken on Linux: it reloads the store for every new TLS connection (44-77 ms each on
loopback, against 5 ms), since it calls ``set_default_verify_paths`` per connection.
Building a context costs 42-59 ms here (Debian's store, 144 CAs; certifi's alone took
26-37 ms), once per set-up, when the first request goes out, not at start-up.

**Clients.** One ``httpx.AsyncClient`` per distinct (proxy, ca_bundle) set-up
(:class:`Clients`): providers with the same set-up share one connection pool.
"""

from __future__ import annotations

import ipaddress
import os
import re
import ssl
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.request import getproxies

import httpx

from mmchat.netconfig import (
    DIRECT,
    NetworkConfigError,
    check_ca_path,
    check_proxy_url,
    scrub_url,
)
from mmchat.providers.base import ErrorKind, ProviderError
from mmchat.providers.paced_transport import PacedBackend, paced_transport

USER_AGENT = "mmchat/0.1"
DEFAULT_CONNECT_TIMEOUT = 10.0
DEFAULT_READ_TIMEOUT = 180.0
LIMITS = httpx.Limits(max_connections=64, max_keepalive_connections=16)
LOOPBACK_HOSTS = ("localhost", "127.0.0.1", "[::1]")
_ROUTE_KEY = "mmchat.proxy"  # request extension: the ProxyRoute a request took


@dataclass(frozen=True, slots=True)
class NetworkSetup:
    """What decides how a provider is reached; equal set-ups share one client."""

    proxy: str | None = None  # None: the environment; "none": direct; else a proxy URL
    ca_bundle: str | None = None  # None: SSL_CERT_FILE / SSL_CERT_DIR, else the OS store

    @classmethod
    def of(cls, cfg: object) -> NetworkSetup:
        return cls(getattr(cfg, "proxy", None), getattr(cfg, "ca_bundle", None))


@dataclass(frozen=True, slots=True)
class ProxyRoute:
    """A proxy and where its URL came from (``HTTPS_PROXY``, the config...)."""

    url: str = ""
    source: str = ""

    @property
    def shown(self) -> str:
        """The proxy for messages: ``http://host:port (HTTPS_PROXY)``, no password."""
        return f"{scrub_url(self.url)} ({self.source})"


def setup_error(message: str) -> ProviderError:
    return ProviderError(ErrorKind.BAD_REQUEST, message)


# ---------------------------------------------------------------- trust

_contexts: dict[tuple[str | None, str | None, str | None], ssl.SSLContext] = {}


def trust_context(ca_bundle: str | None = None) -> ssl.SSLContext:
    """The TLS context for a set-up (built once per CA choice; see the module doc)."""
    env_file = os.environ.get("SSL_CERT_FILE") or None
    env_dir = os.environ.get("SSL_CERT_DIR") or None
    key = (ca_bundle, env_file, env_dir)
    ctx = _contexts.get(key)
    if ctx is None:
        ctx = _contexts[key] = _build_context(ca_bundle, env_file, env_dir)
    return ctx


def _build_context(
    ca_bundle: str | None, env_file: str | None, env_dir: str | None
) -> ssl.SSLContext:
    for where, path in (
        ("ca_bundle", ca_bundle),
        ("SSL_CERT_FILE", env_file),
        ("SSL_CERT_DIR", env_dir),
    ):
        if path is None:
            continue
        try:
            full = check_ca_path(path)
            if os.path.isdir(full):
                return ssl.create_default_context(capath=full)
            return ssl.create_default_context(cafile=full)
        except NetworkConfigError as exc:
            raise setup_error(f"{where}: {exc}") from exc
        except ssl.SSLError as exc:
            raise setup_error(f"{where}: no PEM certificates in {path}") from exc
    import certifi

    if sys.platform == "darwin" or sys.platform == "win32":
        import truststore

        native = truststore.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        native.load_verify_locations(cafile=certifi.where())
        return native
    ctx = ssl.create_default_context()  # OpenSSL's default paths: the distro's store
    if not ctx.cert_store_stats()["x509_ca"] and not _capath_has_certs():
        bundle = next((f for f in _OS_BUNDLES if os.path.isfile(f)), certifi.where())
        ctx.load_verify_locations(cafile=bundle)
    return ctx


# Where the distros keep their CA bundle, for a Python whose OpenSSL looks elsewhere
# (the list truststore uses, after certifi-system-store).
_OS_BUNDLES = (
    "/etc/ssl/cert.pem",  # Alpine, Arch, Fedora 34-43, OpenWRT, RHEL 9-10, BSD
    "/etc/pki/ca-trust/extracted/pem/tls-ca-bundle.pem",  # Fedora 44+, RHEL 11+
    "/etc/pki/tls/cert.pem",  # Fedora <= 34, RHEL <= 9, CentOS <= 9
    "/etc/ssl/certs/ca-certificates.crt",  # Debian, Ubuntu
    "/etc/ssl/ca-bundle.pem",  # SUSE
)


def _capath_has_certs() -> bool:
    # A hashed directory is read lazily, so its certificates are not counted above.
    capath = ssl.get_default_verify_paths().capath
    try:
        return bool(capath) and any(_HASHED_NAME.match(n) for n in os.listdir(capath or "."))
    except OSError:
        return False


_HASHED_NAME = re.compile(r"[0-9a-fA-F]{8}\.\d+$")


# ---------------------------------------------------------------- proxies


def environment_proxies(
    env: Mapping[str, str] | None = None,
) -> tuple[dict[str, ProxyRoute], list[str]]:
    """({URL pattern: proxy}, [URL patterns not to proxy]) from the environment.

    Patterns are httpx mount keys. ``NO_PROXY`` follows curl, as httpx does: ``*``
    turns every proxy off, ``example.com`` covers it and its subdomains,
    ``.example.com`` its subdomains only, IP addresses and ``localhost`` themselves.
    """
    environ = os.environ if env is None else env
    found = getproxies() if env is None else _proxies_in(env)
    routes: dict[str, ProxyRoute] = {}
    for scheme in ("http", "https", "all"):
        url = found.get(scheme)
        if not url:
            continue
        lower = f"{scheme}_proxy"  # the name urllib took it from: lower case first
        var = next(
            (n for n in (lower, lower.upper()) if environ.get(n)), "the system proxy settings"
        )
        url = url if "://" in url else f"http://{url}"
        try:
            check_proxy_url(url)
        except NetworkConfigError as exc:
            raise setup_error(f"{var}: {exc}") from exc
        routes[f"{scheme}://"] = ProxyRoute(url, var)
    bypass: list[str] = []
    for host in (h.strip() for h in found.get("no", "").split(",")):
        if host == "*":
            return {}, []
        if host:
            bypass.append(_bypass_pattern(host))
    return routes, bypass


def _bypass_pattern(host: str) -> str:
    """The httpx mount pattern for one NO_PROXY entry (as httpx maps them)."""
    if "://" in host:
        return host
    try:
        address = ipaddress.ip_address(host.split("/")[0].strip("[]"))
    except ValueError:
        address = None
    if address is not None:
        return f"all://[{address}]" if address.version == 6 else f"all://{host}"
    if host.lower() == "localhost":
        return f"all://{host}"
    return f"all://*{host}"


def _proxies_in(env: Mapping[str, str]) -> dict[str, str]:
    # getproxies() for a given mapping (tests): lower-case names win, as in urllib.
    found: dict[str, str] = {}
    for name, value in env.items():
        if value and name.lower().endswith("_proxy"):
            scheme = name.lower()[: -len("_proxy")]
            if name.islower() or scheme not in found:
                found[scheme] = value
    return found


class ViaProxy(httpx.AsyncBaseTransport):
    """httpx's proxy transport; each request it carries is marked with its route."""

    def __init__(self, route: ProxyRoute, ssl_context: ssl.SSLContext) -> None:
        self.route = route
        # An https:// proxy is itself verified with the same trust.
        tls = ssl_context if route.url.lower().startswith("https:") else None
        proxy = httpx.Proxy(route.url, ssl_context=tls)
        self._inner = httpx.AsyncHTTPTransport(verify=ssl_context, limits=LIMITS, proxy=proxy)

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        request.extensions[_ROUTE_KEY] = self.route
        return await self._inner.handle_async_request(request)

    async def aclose(self) -> None:
        await self._inner.aclose()


def route_of(request: httpx.Request | None) -> ProxyRoute | None:
    """The proxy ``request`` went through, if any."""
    if request is None:
        return None
    route = request.extensions.get(_ROUTE_KEY)
    return route if isinstance(route, ProxyRoute) else None


def request_of(exc: httpx.HTTPError) -> httpx.Request | None:
    try:
        return exc.request
    except RuntimeError:  # raised before httpx attached one
        return None


# ---------------------------------------------------------------- clients


def build_client(
    setup: NetworkSetup = NetworkSetup(),
    *,
    backend: PacedBackend | None = None,
    env: Mapping[str, str] | None = None,
) -> httpx.AsyncClient:
    """A client for ``setup``: direct requests paced, proxied ones through httpx's proxy.

    Problems with the set-up (a bad proxy URL in the environment, a missing CA file)
    raise ProviderError with one plain sentence.
    """
    ctx = trust_context(setup.ca_bundle)
    mounts: dict[str, httpx.AsyncBaseTransport | None] = {}
    if setup.proxy is None:
        routes, bypass = environment_proxies(env)
    elif setup.proxy == DIRECT:
        routes, bypass = {}, []
    else:
        routes, bypass = {"all://": ProxyRoute(setup.proxy, "proxy in the config")}, []
    by_url: dict[str, ViaProxy] = {}  # HTTP_PROXY = HTTPS_PROXY: one pool for both
    for pattern, route in routes.items():
        if route.url not in by_url:
            by_url[route.url] = ViaProxy(route, ctx)
        mounts[pattern] = by_url[route.url]
    for pattern in [*bypass, *(f"all://{host}" for host in LOOPBACK_HOSTS)]:
        mounts[pattern] = None  # None: the client's own (direct, paced) transport
    return httpx.AsyncClient(
        timeout=httpx.Timeout(DEFAULT_READ_TIMEOUT, connect=DEFAULT_CONNECT_TIMEOUT),
        transport=paced_transport(LIMITS, ctx, backend),
        mounts=mounts,
        trust_env=False,  # the environment was read above, once
        headers={"User-Agent": USER_AGENT},
        follow_redirects=False,  # a redirect means a wrong base_url: say so instead
    )


class Clients:
    """One client per network set-up, built on first use; ``default`` may be given."""

    def __init__(self, default: httpx.AsyncClient | None = None) -> None:
        self._given = default
        self._built: dict[NetworkSetup, httpx.AsyncClient] = {}

    @property
    def default(self) -> httpx.AsyncClient:
        return self._given or self.get(NetworkSetup())

    def for_provider(self, cfg: Any) -> httpx.AsyncClient:
        setup = NetworkSetup.of(cfg)
        return self.default if setup == NetworkSetup() else self.get(setup)

    def get(self, setup: NetworkSetup) -> httpx.AsyncClient:
        client = self._built.get(setup)
        if client is None:
            client = self._built[setup] = build_client(setup)
        return client

    async def aclose(self) -> None:
        """Close the clients built here (a given default belongs to its giver)."""
        built, self._built = list(self._built.values()), {}
        for client in built:
            await client.aclose()
