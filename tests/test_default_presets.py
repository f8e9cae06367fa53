"""Every preset in the shipped default config validates against its strategy's options."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from mmchat.config import default_config_text
from mmchat.config_schema import Config
from mmchat.engine import Engine
from mmchat.plugins import discover

BUILT_IN = {
    "single", "pipeline", "router", "fanout", "voting",
    "consensus", "ensemble", "planner", "supervisor",
    "moa", "council", "debate",
}  # fmt: skip


def test_every_default_preset_validates() -> None:
    config = Config.model_validate(tomllib.loads(default_config_text()))
    engine = Engine(config, discover())
    assert engine.validate_presets() == []


def test_default_presets_cover_every_built_in_strategy() -> None:
    config = Config.model_validate(tomllib.loads(default_config_text()))
    assert {preset.strategy for preset in config.presets.values()} == BUILT_IN


def test_every_strategy_declares_view_summary_and_described_options() -> None:
    registry = discover()
    assert set(registry.names()) >= BUILT_IN, registry.failures
    for name in BUILT_IN:
        cls = registry.get(name)
        assert cls is not None and cls.summary and cls.view in {"single", "lanes", "tally", "tree"}
        for field_name, info in cls.Options.model_fields.items():
            assert info.description, f"{name}.{field_name} has no description"
        cls.Options()  # the defaults alone are valid


def test_strategy_files_stay_small() -> None:
    package = Path(__file__).parents[1] / "plugins" / "mmchat_strategies"
    for path in package.glob("*.py"):
        assert len(path.read_text().splitlines()) < 300, path.name


def test_default_presets_need_no_advice() -> None:
    """Escalation and judging go to a model that is not one of the members."""
    config = Config.model_validate(tomllib.loads(default_config_text()))
    assert Engine(config, discover()).preset_warnings() == []


def test_config_validate_warns_when_escalation_goes_to_a_member(
    capsys: pytest.CaptureFixture[str],
) -> None:
    from mmchat import paths
    from mmchat.cli import main

    text = default_config_text().replace('escalate_to = "precise"', 'escalate_to = "local"')
    path = paths.config_file()
    path.parent.mkdir(parents=True)
    path.write_text(text, "utf-8")
    assert main(["config", "validate"]) == 0  # valid: advice, not a refusal
    err = capsys.readouterr().err
    assert "warning: preset 'agree': escalate_to 'local' is also one of the models" in err
