"""The docs are part of the feature: the README example works, the reference is current."""

from __future__ import annotations

import shutil
from pathlib import Path

from mmchat.api import Decision, Event
from mmchat.config_reference import render
from mmchat.config_schema import Config
from mmchat.engine import Engine, TurnRequest
from mmchat.plugins import discover
from tests.fakeserver import Reply
from tests.fakeserver.server import FakeServer

ROOT = Path(__file__).resolve().parent.parent


def test_config_reference_is_generated_from_the_current_schema() -> None:
    registry = discover([])
    expected = render({n: registry.strategies[n] for n in registry.names()})
    committed = (ROOT / "docs" / "config-reference.md").read_text()
    assert committed.strip() == expected.strip(), (
        "docs/config-reference.md is stale: "
        "run `python -m mmchat.config_reference > docs/config-reference.md`"
    )


async def test_readme_plugin_example_runs_as_a_user_plugin(
    fake_server: FakeServer, tmp_path: Path
) -> None:
    plugins = tmp_path / "plugins"
    plugins.mkdir()
    shutil.copy(ROOT / "docs" / "examples" / "shortest.py", plugins / "shortest.py")
    readme = (ROOT / "README.md").read_text()
    assert (plugins / "shortest.py").read_text().strip() in readme  # the README shows it whole
    fake_server.script("m-precise", Reply(text="A long, careful answer about Paris."))
    fake_server.script("m-terse", Reply(text="Paris."))
    config = Config.model_validate(
        {
            "providers": {"fake": {"kind": "openai", "base_url": fake_server.openai_url}},
            "models": {
                "precise": {"provider": "fake", "model": "m-precise"},
                "terse": {"provider": "fake", "model": "m-terse"},
            },
            "presets": {"brief": {"strategy": "shortest"}},
            "defaults": {"preset": "brief"},
        }
    )
    registry = discover([plugins])
    assert "shortest" in registry.names(), registry.failures
    engine = Engine(config, registry)
    events: list[Event] = []

    outcome = await engine.run_turn(TurnRequest(prompt="Capital?", preset="brief"), events.append)
    await engine.aclose()
    assert outcome.status == "complete"
    assert outcome.text == "Paris."
    assert [e.summary for e in events if isinstance(e, Decision)] == ["terse: 6 chars"]


def test_readme_shows_the_provider_kind_example_the_entry_point_test_installs() -> None:
    """tests/test_provider_kinds.py installs docs/examples/acme_*.py as a package."""
    readme = (ROOT / "README.md").read_text()
    for name in ("acme_kind.py", "acme_provider.py"):
        assert (ROOT / "docs" / "examples" / name).read_text().strip() in readme, name
    assert '[project.entry-points."mmchat.providers"]\nacme = "acme_kind:KIND"' in readme
