from __future__ import annotations

import argparse
import stat
import tomllib
from pathlib import Path

import pytest

from mmchat import paths
from mmchat.cli import config_cmd
from mmchat.config import (
    ConfigError,
    config_to_dict,
    default_config_text,
    load_config,
    parse_config,
    save_config,
)


@pytest.fixture(autouse=True)
def isolated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MMCHAT_CONFIG_DIR", str(tmp_path / "config"))
    monkeypatch.setenv("MMCHAT_DATA_DIR", str(tmp_path / "data"))


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def _error(text: str) -> ConfigError:
    with pytest.raises(ConfigError) as info:
        parse_config(text, Path("/x/config.toml"))
    return info.value


def test_paths_follow_env(tmp_path: Path) -> None:
    assert paths.config_file() == tmp_path / "config" / "config.toml"
    assert paths.db_file() == tmp_path / "data" / "history.sqlite3"
    assert paths.user_plugins_dir() == tmp_path / "config" / "plugins"
    assert paths.user_themes_dir() == tmp_path / "config" / "themes"
    assert paths.log_dir().parent == tmp_path / "data"


def test_default_template_is_valid() -> None:
    config = parse_config(default_config_text(), Path("default_config.toml"))
    assert config.defaults.preset == "single" and config.defaults.model == "local"
    assert config.providers["local"].kind == "local"
    assert set(config.models) >= {"local", "precise", "creative", "terse"}
    assert all(m.max_tokens for m in config.models.values())
    assert config.models["local"].max_tokens == 256  # tuned for SmolLM2 (tests/test_local_demo.py)
    # on the embedded model every alias costs $0, and says why
    from mmchat.prices import LOCAL, PriceBook

    book = PriceBook(config)
    assert {book.pricing(alias).source for alias in config.models} == {LOCAL}
    assert set(config.presets) == {
        "single",
        "compare",
        "blind",
        "vote",
        "agree",
        "pipeline",
        "route",
        "ensemble",
        "plan",
        "supervise",
        "moa",
        "council",
        "debate",
    }
    assert config.presets["pipeline"].options["stages"][1]["model"] == "precise"
    assert config.presets["agree"].options["threshold"] == 0.67
    assert config.ui.theme == "mmchat-dark"


def test_first_run_writes_template_private(tmp_path: Path) -> None:
    loaded = load_config()
    assert loaded.created
    assert loaded.path == tmp_path / "config" / "config.toml"
    assert _mode(loaded.path) == 0o600
    assert loaded.path.read_text() == default_config_text()  # comments kept
    again = load_config()
    assert not again.created and again.config == loaded.config


def test_syntax_error_names_file_and_line() -> None:
    err = _error('[ui]\ntheme = "x"\nsidebar true\n')
    text = str(err)
    assert "/x/config.toml" in text
    assert "line 3" in text and "column" in text
    assert "sidebar true" in text  # the offending line is quoted
    assert "Traceback" not in text


def test_wrong_type_names_key_path_and_line() -> None:
    text = default_config_text().replace(
        "temperature = 0.1\nmax_tokens = 512", 'temperature = "cold"\nmax_tokens = 512'
    )  # [models.precise] (local has 0.1 too, with max_tokens 256)
    line = text.splitlines().index('temperature = "cold"') + 1
    err = _error(text)
    assert len(err.problems) == 1
    problem = err.problems[0]
    assert problem.key == "models.precise.temperature"
    assert problem.line == line
    assert '"cold"' in str(err) and "number" in str(err)


def test_out_of_range_value() -> None:
    err = _error(
        '[providers.p]\nkind = "local"\n[models.m]\nprovider = "p"\nmodel = "x"\ntemperature = 5\n'
    )
    assert err.problems[0].key == "models.m.temperature"
    assert err.problems[0].line == 6
    assert "less than or equal to 2" in str(err) and "found 5" in str(err)


def test_unknown_key_reported() -> None:
    err = _error('[defaults]\npreset = "single"\n\n[ui]\ntheme = "nord"\ncolour = "red"\n')
    assert "unknown key `colour` in [ui]" in str(err)
    assert err.problems[0].line == 6


def test_unknown_key_in_provider_strips_union_tag() -> None:
    err = _error('[providers.o]\nkind = "openai"\nbase_url = "https://h/v1"\napi_key = "x"\n')
    assert "unknown key `api_key` in [providers.o]" in str(err)
    assert err.problems[0].line == 4


def test_bad_provider_kind() -> None:
    err = _error('[providers.o]\nkind = "openia"\n')
    assert err.problems[0].key == "providers.o.kind"
    assert err.problems[0].line == 2
    assert '"openia"' in str(err) and "openai" in str(err)


def test_model_names_missing_provider() -> None:
    err = _error('[models.fast]\nprovider = "nope"\nmodel = "m"\n')
    assert err.problems[0].key == "models.fast.provider"
    assert err.problems[0].line == 2
    assert "no provider named 'nope'" in str(err)


def test_several_errors_listed() -> None:
    err = _error(
        '[ui]\nthme = "x"\n\n[providers.o]\nkind = "openai"\nbase_url = "not a url"\n\n'
        '[models.m]\nprovider = "o"\ntemperature = "hot"\n'
    )
    text = str(err)
    assert len(err.problems) == 4
    assert "unknown key `thme` in [ui]" in text
    assert "line 6: providers.o.base_url" in text
    assert "missing required key `model` in [models.m]" in text
    assert "line 10: models.m.temperature" in text
    assert len(text.splitlines()) == 5  # header + one line per problem


def test_unreadable_file(tmp_path: Path) -> None:
    path = tmp_path / "bad.toml"
    path.write_bytes(b"\xff\xfe\x00")
    with pytest.raises(ConfigError) as info:
        load_config(path)
    assert str(path) in str(info.value) and "UTF-8" in str(info.value)


def test_save_load_roundtrip_atomic_private(tmp_path: Path) -> None:
    config = load_config().config
    changed = config.model_copy(update={"plugins_dir": None})
    target = tmp_path / "out" / "config.toml"
    target.parent.mkdir()
    target.write_text("old")
    target.chmod(0o644)
    save_config(changed, target)
    assert _mode(target) == 0o600
    assert load_config(target).config == config
    assert list(target.parent.iterdir()) == [target]  # no temp file left behind
    data = tomllib.loads(target.read_text())
    assert "plugins_dir" not in data  # None values are not written
    assert data["defaults"]["preset"] == "single"


def test_config_to_dict_has_no_none() -> None:
    config = load_config().config

    def walk(value: object) -> None:
        assert value is not None
        if isinstance(value, dict):
            for item in value.values():
                walk(item)
        elif isinstance(value, list):
            for item in value:
                walk(item)

    walk(config_to_dict(config))
    walk(config_to_dict(config, include_defaults=True))


def test_template_is_shipped_in_package() -> None:
    import importlib.resources

    assert importlib.resources.files("mmchat").joinpath("default_config.toml").is_file()


def test_cli_validate(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    args = argparse.Namespace(config_command="validate")
    assert config_cmd.run(args) == 0
    assert "OK" in capsys.readouterr().out
    paths.config_file().write_text("[ui]\nbogus = 1\n")
    assert config_cmd.run(args) == 1
    err = capsys.readouterr().err
    assert "unknown key `bogus` in [ui]" in err and "Traceback" not in err


def test_cli_edit_runs_editor_then_validates(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    script = tmp_path / "editor.sh"
    script.write_text('#!/bin/sh\nprintf "[ui]\\ntheme = 3\\n" > "$1"\n')
    script.chmod(0o755)
    monkeypatch.setenv("VISUAL", str(script))
    monkeypatch.setattr("sys.stdin.isatty", lambda: False)
    assert config_cmd.run(argparse.Namespace(config_command="edit")) == 1
    assert "line 2: ui.theme" in capsys.readouterr().err
    script.write_text("#!/bin/sh\ntrue\n")
    paths.config_file().write_text(default_config_text())
    assert config_cmd.run(argparse.Namespace(config_command="edit")) == 0
