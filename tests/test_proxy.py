"""Proxies and trust, through a real forwarding proxy (tinyproxy) on loopback.

The target servers listen on 127.0.0.2: loopback, but not one of the hosts mmchat
never proxies (localhost, 127.0.0.1, ::1), so a request to them goes through the
proxy exactly as one to a cloud API would. The HTTPS target has a certificate from a
throwaway CA (trustme); tinyproxy's own log shows what went through it.
"""

from __future__ import annotations

import asyncio
import os
import ssl
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import trustme

from mmchat.builtin_kinds import AnthropicProviderConfig, GeminiProviderConfig
from mmchat.config_schema import OpenAIProviderConfig
from mmchat.providers import make_provider
from mmchat.providers.base import ErrorKind, ProviderError
from mmchat.providers.network import Clients, ProxyRoute, environment_proxies
from tests.fakeserver import Reply
from tests.fakeserver.clients import collect, req, text_of
from tests.fakeserver.server import FakeServer
from tests.tinyproxy import Tinyproxy, free_port, running_tinyproxy

PROXY_VARS = ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "NO_PROXY", "SSL_CERT_FILE", "SSL_CERT_DIR")
TEXT = "".join(f"word{n} " for n in range(40))
SECRET = "s3cr3t-pw"


@pytest.fixture(autouse=True)
def no_proxy_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in PROXY_VARS:
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(name.lower(), raising=False)


@pytest.fixture(scope="module")
def ca() -> trustme.CA:
    return trustme.CA()


@pytest.fixture(scope="module")
def ca_pem(ca: trustme.CA, tmp_path_factory: pytest.TempPathFactory) -> str:
    path = tmp_path_factory.mktemp("ca") / "test-ca.pem"
    ca.cert_pem.write_to_path(str(path))
    return str(path)


@pytest.fixture(scope="module")
def plain_target() -> Iterator[FakeServer]:
    with FakeServer(host="127.0.0.2") as server:
        yield server


@pytest.fixture(scope="module")
def tls_target(ca: trustme.CA) -> Iterator[FakeServer]:
    ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("127.0.0.2", "127.0.0.1").configure_cert(ctx)
    with FakeServer(host="127.0.0.2", tls=ctx) as server:
        yield server


@pytest.fixture
def proxy(tmp_path: Path) -> Iterator[Tinyproxy]:
    with running_tinyproxy(tmp_path) as p:
        yield p


@pytest.fixture
def auth_proxy(tmp_path: Path) -> Iterator[Tinyproxy]:
    with running_tinyproxy(tmp_path, auth=("alice", SECRET)) as p:
        yield p


async def ask(server: FakeServer, **cfg_fields: object) -> tuple[str, ProviderError | None]:
    """One streamed answer from ``server``, with the client the engine would pick."""
    server.script("test-model", Reply(text=TEXT, chunk_chars=5))
    cfg = OpenAIProviderConfig(kind="openai", base_url=server.openai_url, **cfg_fields)
    clients = Clients()
    try:
        provider = make_provider("p", cfg, clients.for_provider(cfg), "sk-test-key")
        parts, err = await collect(provider.stream(req("hi")))
    finally:
        await clients.aclose()
    return text_of(parts), err


def assert_clean(err: ProviderError | None) -> str:
    """The one-line message a user sees (no password, user name or key in it)."""
    assert err is not None
    message = err.message
    assert SECRET not in str(err) and "alice" not in str(err) and "sk-test-key" not in str(err)
    assert "\n" not in message and "Error(" not in message
    return message


# ------------------------------------------------------------------ reading the environment


def test_the_environment_read_as_curl_and_httpx_read_it() -> None:
    routes, bypass = environment_proxies(
        {
            "https_proxy": "http://lower-wins:3128",
            "HTTPS_PROXY": "http://corp:3128",
            "HTTP_PROXY": "proxy.example:8080",  # no scheme: http://
            "NO_PROXY": " example.com, .internal, 10.1.2.3, ::1, localhost, intra:8080 ,",
        }
    )
    assert routes == {
        "http://": ProxyRoute("http://proxy.example:8080", "HTTP_PROXY"),
        "https://": ProxyRoute("http://lower-wins:3128", "https_proxy"),
    }
    assert bypass == [
        "all://*example.com",
        "all://*.internal",
        "all://10.1.2.3",
        "all://[::1]",
        "all://localhost",
        "all://*intra:8080",
    ]
    assert environment_proxies({"ALL_PROXY": "http://corp:3128", "no_proxy": "*"}) == ({}, [])


def test_the_proxy_shown_in_messages_has_no_password() -> None:
    route = ProxyRoute(f"http://alice:{SECRET}@corp:3128", "HTTPS_PROXY")
    assert route.shown == "http://corp:3128 (HTTPS_PROXY)"


def test_bad_proxy_settings_in_the_config_are_refused_at_load(tmp_path: Path) -> None:
    from mmchat.config import ConfigError, parse_config

    toml = (
        '[providers.a]\nkind = "openai"\nbase_url = "https://a.example/v1"\n'
        f'proxy = "http://alice:{SECRET}@proxy.corp:3128"\n\n'
        '[providers.b]\nkind = "anthropic"\nproxy = "proxy.corp:3128"\n\n'
        '[providers.c]\nkind = "ollama"\nproxy = "socks5://proxy.corp:1080"\n'
        f'ca_bundle = "{tmp_path}/missing.pem"\n'
    )
    with pytest.raises(ConfigError) as caught:
        parse_config(toml, tmp_path / "config.toml")
    text = str(caught.value)
    assert SECRET not in text
    for expected in (
        "line 4: providers.a.proxy: a proxy password does not belong in the "
        "config file: give it in the environment instead",
        "line 8: providers.b.proxy: the proxy must be a URL like "
        "http://proxy.example.com:3128, not 'proxy.corp:3128'",
        "line 12: providers.c.proxy: SOCKS proxies are not supported",
        f"line 13: providers.c.ca_bundle: no such CA file or directory: {tmp_path}/missing.pem",
    ):
        assert expected in text, text


# ------------------------------------------------------------------ through the proxy


async def test_http_proxy_from_the_environment_forwards_the_stream(
    plain_target: FakeServer, proxy: Tinyproxy, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HTTP_PROXY", proxy.url)
    text, err = await ask(plain_target)
    assert err is None and text == TEXT
    assert proxy.requests() == [f"POST {plain_target.openai_url}/chat/completions HTTP/1.1"]


async def test_https_through_connect_with_the_providers_proxy_and_ca_bundle(
    tls_target: FakeServer, proxy: Tinyproxy, ca_pem: str
) -> None:
    text, err = await ask(tls_target, proxy=proxy.url, ca_bundle=ca_pem)
    assert err is None and text == TEXT
    assert proxy.requests() == [f"CONNECT 127.0.0.2:{tls_target.port} HTTP/1.1"]


async def test_https_proxy_variable_with_a_password_tunnels(
    tls_target: FakeServer, auth_proxy: Tinyproxy, ca_pem: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HTTPS_PROXY", auth_proxy.url_with("alice", SECRET))
    text, err = await ask(tls_target, ca_bundle=ca_pem)
    assert err is None and text == TEXT
    assert len(auth_proxy.requests()) == 1


async def test_no_proxy_sends_the_request_direct(
    plain_target: FakeServer, proxy: Tinyproxy, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HTTP_PROXY", proxy.url)
    monkeypatch.setenv("NO_PROXY", "example.com, 127.0.0.2")
    text, err = await ask(plain_target)
    assert err is None and text == TEXT
    assert proxy.requests() == []


async def test_a_providers_proxy_none_ignores_the_environment(
    plain_target: FakeServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HTTP_PROXY", f"http://127.0.0.1:{free_port()}")  # nobody there
    text, err = await ask(plain_target, proxy="none")
    assert err is None and text == TEXT


async def test_loopback_is_never_proxied(
    fake_server: FakeServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The embedded llama.cpp server and a local Ollama keep working behind a proxy."""
    dead = f"http://127.0.0.1:{free_port()}"
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY"):
        monkeypatch.setenv(name, dead)
    for url in (fake_server.url, fake_server.url.replace("127.0.0.1", "localhost")):
        fake_server.script("test-model", Reply(text=TEXT))
        cfg = OpenAIProviderConfig(kind="openai", base_url=f"{url}/v1")
        clients = Clients()
        provider = make_provider("p", cfg, clients.for_provider(cfg), None)
        parts, err = await collect(provider.stream(req("hi")))
        await clients.aclose()
        assert err is None and text_of(parts) == TEXT, url


# ------------------------------------------------------------------ failures


async def test_a_dead_proxy_is_named_without_its_password(
    plain_target: FakeServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    port = free_port()
    monkeypatch.setenv("HTTP_PROXY", f"http://alice:{SECRET}@127.0.0.1:{port}")
    _, err = await ask(plain_target, max_retries=0)
    message = assert_clean(err)
    assert err is not None and err.kind is ErrorKind.CONNECTION
    assert message == (
        f"cannot reach the proxy http://127.0.0.1:{port} (HTTP_PROXY) — is it running? "
        f"(on the way to {plain_target.openai_url})"
    )


async def test_407_when_forwarding_plain_http(
    plain_target: FakeServer, auth_proxy: Tinyproxy, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A GET without credentials through tinyproxy gets its 407, named as the proxy's."""
    monkeypatch.setenv("HTTP_PROXY", auth_proxy.url)
    cfg = OpenAIProviderConfig(kind="openai", base_url=plain_target.openai_url, max_retries=0)
    clients = Clients()
    provider = make_provider("p", cfg, clients.for_provider(cfg), "sk-test-key")
    try:
        with pytest.raises(ProviderError) as listing:
            await provider.list_models()
        _, chat = await collect(provider.stream(req("hi")))
    finally:
        await clients.aclose()
    assert listing.value.kind is ErrorKind.AUTH and listing.value.status == 407
    asks = (
        f"the proxy {auth_proxy.url} (HTTP_PROXY) asks for a user and password (407): give "
        "them in the proxy URL in the environment (http://USER:PASSWORD@HOST:PORT), or check them"
    )
    assert assert_clean(listing.value) == asks
    # a POST: tinyproxy answers 407 and closes without reading the body, so the client
    # reads either the 407 or the reset that the unread body causes, whichever is first
    closed = (
        f"the proxy {auth_proxy.url} (HTTP_PROXY) closed the connection before "
        f"{plain_target.openai_url} replied"
    )
    assert assert_clean(chat) in (asks, closed)


@pytest.mark.parametrize("kind", ["anthropic", "gemini"])
async def test_every_kind_names_the_proxy_that_refused(
    kind: str, plain_target: FakeServer, auth_proxy: Tinyproxy, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Anthropic and Gemini read their own error shapes; a proxy's page is still the proxy's."""
    monkeypatch.setenv("HTTP_PROXY", auth_proxy.url)
    cfg: AnthropicProviderConfig | GeminiProviderConfig
    if kind == "anthropic":
        cfg = AnthropicProviderConfig(
            kind="anthropic", base_url=plain_target.anthropic_url, max_retries=0
        )
    else:
        cfg = GeminiProviderConfig(kind="gemini", base_url=plain_target.gemini_url, max_retries=0)
    clients = Clients()
    provider = make_provider("p", cfg, clients.for_provider(cfg), "sk-test-key")
    try:
        with pytest.raises(ProviderError) as listing:
            await provider.list_models()
    finally:
        await clients.aclose()
    assert listing.value.kind is ErrorKind.AUTH and listing.value.status == 407
    assert assert_clean(listing.value).startswith(
        f"the proxy {auth_proxy.url} (HTTP_PROXY) asks for a user and password (407)"
    )


async def test_a_wrong_proxy_password_on_connect_is_not_shown(
    tls_target: FakeServer, auth_proxy: Tinyproxy, ca_pem: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HTTPS_PROXY", auth_proxy.url_with("alice", "wrong-" + SECRET))
    _, err = await ask(tls_target, ca_bundle=ca_pem)
    assert err is not None and err.kind is ErrorKind.AUTH
    assert assert_clean(err).startswith(
        f"the proxy {auth_proxy.url} (HTTPS_PROXY) asks for a user and password (401)"
    )


async def test_407_on_connect_for_https(
    tls_target: FakeServer, auth_proxy: Tinyproxy, ca_pem: str
) -> None:
    _, err = await ask(tls_target, proxy=auth_proxy.url, ca_bundle=ca_pem)
    message = assert_clean(err)
    assert err is not None and err.kind is ErrorKind.AUTH
    assert message.startswith(
        f"the proxy {auth_proxy.url} (proxy in the config) asks for a user and password (407)"
    )


async def test_a_refused_connect_says_what_the_proxy_answered(
    tls_target: FakeServer, tmp_path: Path, ca_pem: str
) -> None:
    with running_tinyproxy(tmp_path, connect_ports=(443,)) as strict:
        _, err = await ask(tls_target, proxy=strict.url, ca_bundle=ca_pem, max_retries=0)
    message = assert_clean(err)
    assert err is not None and err.kind is ErrorKind.AUTH
    assert message == (
        f"the proxy {strict.url} (proxy in the config) would not connect to "
        f"{tls_target.openai_url}: 403 Access violation"
    )


async def test_an_untrusted_certificate_through_the_proxy_points_to_ca_bundle(
    tls_target: FakeServer, proxy: Tinyproxy
) -> None:
    _, err = await ask(tls_target, proxy=proxy.url, max_retries=0)
    message = assert_clean(err)
    assert err is not None and err.kind is ErrorKind.AUTH
    assert message.startswith(
        f"the TLS certificate of {tls_target.openai_url} is not trusted through the proxy "
        f"{proxy.url} (proxy in the config) ("
    )
    assert "set the provider's ca_bundle (or SSL_CERT_FILE) to its root CA" in message


# ------------------------------------------------------------------ trust, set-ups


async def test_ssl_cert_file_is_trusted(
    tls_target: FakeServer, ca_pem: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    _, err = await ask(tls_target, max_retries=0)
    assert err is not None and "is not trusted (" in str(err)
    monkeypatch.setenv("SSL_CERT_FILE", ca_pem)
    text, err = await ask(tls_target)
    assert err is None and text == TEXT


async def test_ssl_cert_dir_is_trusted(
    tls_target: FakeServer, ca: trustme.CA, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    certs = tmp_path / "certs"
    certs.mkdir()
    ca.cert_pem.write_to_path(str(certs / "test-ca.pem"))
    rehash = ["openssl", "rehash", str(certs)]  # the hashed names OpenSSL looks up
    await asyncio.to_thread(subprocess.run, rehash, check=True, capture_output=True)
    monkeypatch.setenv("SSL_CERT_DIR", str(certs))
    text, err = await ask(tls_target)
    assert err is None and text == TEXT


@pytest.mark.parametrize(
    ("env", "message"),
    [
        (
            {"SSL_CERT_FILE": "/no/such/ca.pem"},
            "SSL_CERT_FILE: no such CA file or directory: /no/such/ca.pem",
        ),
        (
            {"HTTPS_PROXY": f"socks5://alice:{SECRET}@127.0.0.1:1080"},
            "HTTPS_PROXY: SOCKS proxies are not supported ('socks5://127.0.0.1:1080'): "
            "use an HTTP proxy",
        ),
        (
            {"https_proxy": "ftp://proxy:21"},
            "https_proxy: the proxy must be an http:// or https:// URL, not 'ftp://proxy:21'",
        ),
    ],
)
def test_a_bad_environment_is_one_plain_sentence(
    env: dict[str, str], message: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    with pytest.raises(ProviderError) as caught:
        _ = Clients().default
    assert caught.value.message == message
    assert SECRET not in str(caught.value)


def test_a_ca_bundle_without_certificates_is_named(tmp_path: Path) -> None:
    junk = tmp_path / "ca.pem"
    junk.write_text("not a certificate\n")
    cfg = OpenAIProviderConfig(
        kind="openai", base_url="https://api.example.com/v1", ca_bundle=str(junk)
    )
    with pytest.raises(ProviderError) as caught:
        Clients().for_provider(cfg)
    assert caught.value.message == f"ca_bundle: no PEM certificates in {junk}"


async def test_providers_with_one_set_up_share_a_client(ca_pem: str) -> None:
    def cfg(**kw: object) -> OpenAIProviderConfig:
        return OpenAIProviderConfig(kind="openai", base_url="https://api.example.com/v1", **kw)

    clients = Clients()
    try:
        plain_a, plain_b = clients.for_provider(cfg()), clients.for_provider(cfg())
        via_a = clients.for_provider(cfg(proxy="http://proxy.example:3128"))
        via_b = clients.for_provider(cfg(proxy="http://proxy.example:3128"))
        other = clients.for_provider(cfg(proxy="http://proxy.example:3128", ca_bundle=ca_pem))
        assert plain_a is plain_b is clients.default
        assert via_a is via_b
        assert len({id(plain_a), id(via_a), id(other)}) == 3
    finally:
        await clients.aclose()


# ------------------------------------------------------------------ as a user runs it


def test_mmchat_ask_through_the_proxy_and_a_dead_one(
    plain_target: FakeServer, proxy: Tinyproxy, isolated_dirs: Path
) -> None:
    config_dir = Path(os.environ["MMCHAT_CONFIG_DIR"])
    config_dir.mkdir(parents=True, exist_ok=True)
    (config_dir / "config.toml").write_text(
        f'[defaults]\npreset = "single"\nmodel = "a"\n\n'
        f'[providers.corp]\nkind = "openai"\nbase_url = "{plain_target.openai_url}"\n'
        "max_retries = 0\n\n"
        '[models.a]\nprovider = "corp"\nmodel = "test-model"\n\n'
        '[presets.single]\nstrategy = "single"\noptions = { model = "a" }\n'
    )

    def ask_cli(proxy_url: str) -> subprocess.CompletedProcess[str]:
        plain_target.script("test-model", Reply(text=TEXT))
        env = {k: v for k, v in os.environ.items() if k.upper() not in PROXY_VARS}
        return subprocess.run(
            [sys.executable, "-m", "mmchat", "ask", "hi"],
            capture_output=True,
            text=True,
            env={**env, "HTTP_PROXY": proxy_url},
            timeout=60,
        )

    ok = ask_cli(proxy.url)
    assert ok.returncode == 0, ok.stderr
    assert ok.stdout == TEXT.rstrip() + "\n" or ok.stdout == TEXT + "\n"
    assert len(proxy.requests()) == 1
    dead_port = free_port()
    failed = ask_cli(f"http://alice:{SECRET}@127.0.0.1:{dead_port}")
    assert failed.returncode != 0
    assert f"cannot reach the proxy http://127.0.0.1:{dead_port} (HTTP_PROXY)" in failed.stderr
    assert SECRET not in failed.stderr + failed.stdout
