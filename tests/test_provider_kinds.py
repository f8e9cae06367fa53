"""Provider kinds come from one registry: built-ins in code, others by entry point.

The third-party tests install a throwaway distribution (tests/third_party_kind.py) on
sys.path and check that everything that lists kinds follows it: config validation and
its errors, the generated reference, the factory (through a real turn against the fake
server), the key's default environment variable and `mmchat plugins`; and that a broken
kind is reported without breaking anything else.
"""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
from pathlib import Path
from typing import Any, Literal

import pytest

from mmchat import provider_kinds
from mmchat.api import Event, LaneClosed
from mmchat.config import ConfigError, parse_config
from mmchat.config_reference import render
from mmchat.config_schema import Config
from mmchat.engine import Engine, TurnRequest
from mmchat.plugins import discover
from mmchat.provider_kinds import HttpProviderConfig, KindRegistry, ProviderKind
from tests.fakeserver import Reply
from tests.fakeserver.server import FakeServer

ACME_KEY = "sk-acme-5Kd9Lq2Wx7Ce4Vr6Bt0Yn"


def test_every_builtin_kind_has_a_config_a_summary_and_an_importable_factory() -> None:
    found = provider_kinds.registry()
    assert found.failures == []
    assert {"openai", "anthropic", "ollama", "local", "gemini"} <= set(found.kinds)
    for kind in found.kinds.values():
        assert found.origins[kind.name] == "built-in"
        assert kind.summary.strip()
        assert callable(kind.load_factory())
        assert kind.config.model_fields["kind"].annotation == Literal[kind.name]


def test_importing_the_schema_reads_no_entry_point_and_loads_no_http_code() -> None:
    code = (
        "import sys\n"
        "import mmchat.config_schema as cs, mmchat.provider_kinds as pk\n"
        "assert pk._registry is None, 'entry points read at import'\n"
        "assert 'httpx' not in sys.modules, 'httpx imported with the schema'\n"
        "cs.Config.model_validate({'providers': {'o': {'kind': 'ollama'}}})\n"
        "assert pk._registry is not None\n"
        "assert 'httpx' not in sys.modules, 'httpx imported by validation'\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr


def test_prefetch_modules_come_from_the_kinds() -> None:
    # What the TUI imports ahead of the first turn, for the kinds in a config: a local
    # model's server speaks OpenAI's protocol, and the local module (llama.cpp) is left
    # out; an unknown kind adds nothing.
    wanted = provider_kinds.prefetch_modules(["local", "gemini", "openai", "nope"])
    assert wanted == ["mmchat.providers.gemini", "mmchat.providers.openai"]
    for kind in provider_kinds.kinds():
        for module in kind.prefetch_modules:
            assert importlib.util.find_spec(module) is not None, module


@pytest.mark.parametrize(
    ("change", "says"),
    [
        ({"name": "Bad Name"}, "invalid kind name"),
        ({"config": dict}, "not a subclass"),
        ({"name": "other"}, 'kind: Literal["other"]'),
        ({"factory": "no_colon_here"}, "module:attr"),
        ({"name": "openai"}, 'kind: Literal["openai"]'),
    ],
)
def test_a_bad_declaration_is_recorded_not_added(change: dict[str, Any], says: str) -> None:
    class GoodConfig(HttpProviderConfig):
        kind: Literal["good"]

    values: dict[str, Any] = {
        "name": "good",
        "config": GoodConfig,
        "factory": "pkg.mod:Provider",
        "summary": "A kind.",
        **change,
    }
    reg = KindRegistry()
    reg.add(ProviderKind(**values), "test")
    assert reg.kinds == {}
    assert len(reg.failures) == 1 and says in reg.failures[0].error, reg.failures


def test_a_second_kind_of_the_same_name_is_refused() -> None:
    openai = provider_kinds.get("openai")
    assert openai is not None
    reg = KindRegistry()
    reg.add(openai, "built-in")
    reg.add(openai, "entry point elsewhere:KIND")
    assert list(reg.kinds) == ["openai"]
    assert "already used by built-in" in reg.failures[0].error


# ------------------------------------------------------------------ third party

ACME_TOML = """
[providers.acme]
kind = "acme"
base_url = "{url}"
flavour = "{flavour}"
"""


def test_third_party_kind_is_validated_by_its_own_model(third_party_kinds: Path) -> None:
    config = parse_config(
        ACME_TOML.format(url="http://127.0.0.1:1/v1", flavour="spicy"), Path("c.toml")
    )
    provider = config.providers["acme"]
    assert type(provider).__name__ == "AcmeConfig"
    assert provider.kind == "acme" and getattr(provider, "flavour", None) == "spicy"

    bad = ACME_TOML.format(url="http://127.0.0.1:1/v1", flavour="x") + "colour = 3\n"
    with pytest.raises(ConfigError) as caught:
        parse_config(bad, Path("c.toml"))
    assert "line 6: unknown key `colour` in [providers.acme]" in str(caught.value)


def test_third_party_kind_is_in_the_reference_and_the_known_kinds(
    third_party_kinds: Path,
) -> None:
    reference = render()
    assert '## `[providers.NAME] kind = "acme"`' in reference
    assert "Acme's chat API: OpenAI's protocol plus a flavour header." in reference
    assert "| `flavour` | str | `plain` | Which flavour of Acme to ask for |" in reference
    assert "`ACME_API_KEY`" in reference
    with pytest.raises(ConfigError) as caught:
        parse_config('[providers.x]\nkind = "nope"\n', Path("c.toml"))
    assert "expected one of: acme, anthropic," in str(caught.value)


def test_a_broken_third_party_kind_is_reported_and_the_rest_works(
    third_party_kinds: Path,
) -> None:
    failures = {f.name: f for f in provider_kinds.registry().failures}
    assert set(failures) == {"broken", "fake"}
    assert "ModuleNotFoundError" in failures["broken"].error
    assert "does_not_exist_anywhere" in failures["broken"].error
    assert failures["fake"].error == "entry point is not a ProviderKind"
    assert provider_kinds.get("acme") is not None and provider_kinds.get("openai") is not None

    with pytest.raises(ConfigError) as caught:
        parse_config('[providers.x]\nkind = "broken"\n', Path("c.toml"))
    message = str(caught.value)
    assert 'line 2: providers.x.kind: unknown kind "broken"' in message
    assert 'kind "broken" is installed but failed to load: ModuleNotFoundError' in message


async def test_third_party_kind_is_built_by_the_factory_and_answers(
    third_party_kinds: Path, fake_server: FakeServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ACME_API_KEY", ACME_KEY)  # the kind's declared default variable
    fake_server.script("model-a", Reply(text="Hello from Acme"))
    config = Config.model_validate(
        {
            "providers": {
                "acme": {"kind": "acme", "base_url": fake_server.openai_url, "flavour": "spicy"}
            },
            "models": {"a": {"provider": "acme", "model": "model-a"}},
            "presets": {"p": {"strategy": "single", "options": {"model": "a"}}},
            "defaults": {"preset": "p"},
        }
    )
    engine = Engine(config, discover([]))
    events: list[Event] = []
    try:
        outcome = await engine.run_turn(TurnRequest(prompt="hi", preset="p"), events.append)
        provider = await engine.provider("acme")
    finally:
        await engine.aclose()
    assert outcome.status == "complete" and outcome.text == "Hello from Acme"
    assert type(provider).__name__ == "AcmeProvider"
    closed = [e for e in events if isinstance(e, LaneClosed)]
    assert [c.status for c in closed] == ["done"]
    sent = fake_server.requests_to("/chat/completions")[-1]
    assert sent.headers["authorization"] == f"Bearer {ACME_KEY}"
    assert sent.headers["x-acme-flavour"] == "spicy"


def test_mmchat_plugins_lists_third_party_kinds_and_broken_ones(third_party_kinds: Path) -> None:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(third_party_kinds), *sys.path])}
    done = subprocess.run(
        [sys.executable, "-m", "mmchat", "plugins"],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )
    assert "provider kinds: openai, anthropic, ollama, local" in done.stdout, done.stdout
    assert "acme (entry point acme_kind:KIND)" in done.stdout
    assert "✗ provider kind broken failed to load (entry point acme_broken:KIND): " in (done.stdout)
    assert "Traceback" not in done.stdout + done.stderr
    assert done.returncode == 1  # like a broken strategy plugin


def test_the_tui_prefetches_the_modules_of_the_configured_kinds() -> None:
    # The TUI's background imports ask the registry, so a new kind (Gemini, or one from
    # an entry point) is imported ahead of the first turn like the built-in ones.
    from mmchat.tui.runtime.prefetch import Prefetch

    class NoClock:
        def set_timer(self, delay: float, callback: object, *, name: str) -> object:
            return None

    prefetch = Prefetch(NoClock(), provider_kinds=lambda: {"gemini"}, views=[])
    modules = prefetch.modules({"gemini", "local"})
    assert "mmchat.providers.gemini" in modules and "mmchat.providers.openai" in modules
    assert "mmchat.providers.local" not in modules
