"""Config checks that used to pass and fail later: headers, key names, themes, the
default model, preset cycles; all of a file's problems reported in one pass."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from mmchat import paths
from mmchat.cli import main
from mmchat.config import ConfigError, default_config_text, load_config, parse_config, save_config
from mmchat.key_names import looks_like_secret
from mmchat.theme_names import TEXTUAL_THEMES
from tests.fakeserver.server import FakeServer

PASTED_KEY = "sk-proj-9fXq2LmZ7vR4tK8wB1nC6yH3pD5sJ0gA"

PROVIDER = """
[defaults]
preset = "one"

[providers.p]
kind = "{kind}"
base_url = "http://127.0.0.1:9/v1"
{line}

[models.m]
provider = "p"
model = "x"

[presets.one]
strategy = "single"
options = {{ model = "m" }}
"""


def problems_of(text: str) -> ConfigError:
    with pytest.raises(ConfigError) as info:
        parse_config(text, Path("/x/config.toml"))
    return info.value


def write(text: str) -> Path:
    path = paths.ensure_dir(paths.config_dir()) / "config.toml"
    path.write_text(text)
    return path


def cli(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str]:
    code = main(list(argv))
    out = capsys.readouterr()
    return code, out.out + out.err


# ------------------------------------------------------------------ headers


@pytest.mark.parametrize(
    ("line", "says"),
    [
        ('headers = { "X-Token" = "Bearer sk-abc\\r\\nX-Evil: 1" }', "line break (CR or LF)"),
        ('headers = { "X-Token" = "v\\u0000" }', "control character (U+0000)"),
        ('headers = { "X-Name" = "café" }', "non-ASCII character (U+00E9)"),
        ('headers = { "X Token" = "v" }', "not a valid header name"),
        ('headers = { "X-Token:" = "v" }', "not a valid header name"),
        ('headers = { "" = "v" }', "not a valid header name"),
    ],
)
def test_bad_headers_are_located_and_values_not_quoted(line: str, says: str) -> None:
    err = problems_of(PROVIDER.format(kind="openai", line=line))
    assert len(err.problems) == 1, str(err)
    problem = err.problems[0]
    assert problem.key == "providers.p.headers" and problem.line == 8
    assert says in problem.message
    assert "Bearer" not in str(err) and "café" not in str(err) and "Value error" not in str(err)


def test_good_headers_pass() -> None:
    line = 'headers = { "X-Title" = "mmchat (dev)", "HTTP-Referer" = "https://x.y/z?a=1\tb" }'
    config = parse_config(PROVIDER.format(kind="openai", line=line), Path("c.toml"))
    assert config.providers["p"].headers["X-Title"] == "mmchat (dev)"  # type: ignore[union-attr]


def test_anthropic_version_is_a_header_value() -> None:
    err = problems_of(PROVIDER.format(kind="anthropic", line='version = "2023-06-01\\n"'))
    assert err.problems[0].key == "providers.p.version"
    assert "line break" in err.problems[0].message


# ------------------------------------------------------------------ key names


@pytest.mark.parametrize("field", ["key", "key_env"])
def test_a_pasted_key_is_refused_and_never_repeated(
    field: str, capsys: pytest.CaptureFixture[str]
) -> None:
    write(PROVIDER.format(kind="openai", line=f'{field} = "{PASTED_KEY}"'))
    for argv in (["config", "validate"], ["ask", "hi"], ["keys", "list"], ["config", "show"]):
        code, output = cli(capsys, *argv)
        assert code != 0 or argv == ["keys", "list"], output
        assert "looks like an API key" in output, (argv, output)
        assert PASTED_KEY[8:20] not in output, (argv, output)


@pytest.mark.parametrize(
    ("line", "says"),
    [
        ('key = "my key"', "not a key name"),
        ('key_env = "OPENAI-KEY"', "not an environment variable name"),
        ('key_env = "1KEY"', "not an environment variable name"),
    ],
)
def test_bad_key_names_are_refused(line: str, says: str) -> None:
    err = problems_of(PROVIDER.format(kind="openai", line=line))
    assert err.problems[0].line == 8 and says in err.problems[0].message


def test_key_names_that_are_names_pass() -> None:
    for line in ('key = "openai"', 'key = "work.openrouter-2"', 'key_env = "OPENAI_API_KEY"'):
        parse_config(PROVIDER.format(kind="openai", line=line), Path("c.toml"))


def test_keys_set_refuses_a_key_as_the_name(capsys: pytest.CaptureFixture[str]) -> None:
    code, output = cli(capsys, "keys", "set", "--stdin", PASTED_KEY)
    assert code == 1 and "looks like an API key" in output
    assert PASTED_KEY[8:20] not in output


@pytest.mark.parametrize(
    "value",
    [
        PASTED_KEY,
        "sk-ant-api03-Abc123def456GHI789jkl012MNO",
        "AIzaSyA1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q",
        "gsk_8fK2mN5pQ7rT9vX1zB3dF6hJ8kL0nP2r",
        "3f9a1c7e5b2d8046f1a3c5e7b9d0f2a4",
        "Kq7Xz2Lm9Np4Rt6Vw8Yb3Cd5",
    ],
)
def test_key_shapes_are_recognised(value: str) -> None:
    assert looks_like_secret(value)


@pytest.mark.parametrize(
    "value",
    [
        "openai",
        "anthropic-work",
        "OPENAI_API_KEY",
        "my.openrouter.key",
        "deepseekR1DistillQwen32B",
        "MyCompanyAzureOpenAIKey01",
        "claude-3-5-haiku-20241022",
        "sk-test",
    ],
)
def test_names_are_not_mistaken_for_keys(value: str) -> None:
    assert not looks_like_secret(value)


# ------------------------------------------------------------------ names that must exist


def test_unknown_theme_is_reported_with_its_line() -> None:
    err = problems_of(default_config_text().replace('theme = "mmchat-dark"', 'theme = "drakula"'))
    problem = err.problems[0]
    assert problem.key == "ui.theme" and "no theme named 'drakula'" in problem.message
    assert "dracula" in problem.message  # the known names are listed
    lines = default_config_text().splitlines()
    assert problem.line == next(i for i, s in enumerate(lines, 1) if s.startswith("theme ="))


def test_themes_from_textual_mmchat_and_the_user_are_known() -> None:
    for theme in ("gruvbox", "solarized-dusk", "mmchat-light"):
        parse_config(default_config_text().replace("mmchat-dark", theme), Path("c.toml"))
    user = paths.ensure_dir(paths.user_themes_dir())
    (user / "mine.toml").write_text('name = "my-own"\nprimary = "#336699"\n')
    parse_config(default_config_text().replace("mmchat-dark", "my-own"), Path("c.toml"))


def test_builtin_theme_files_are_named_after_their_themes() -> None:
    """theme_names finds a built-in theme by its file name without reading it."""
    import tomllib

    from mmchat.theme_names import builtin_themes_dir

    directory = builtin_themes_dir()
    assert directory is not None
    files = sorted(directory.glob("*.toml"))
    assert len(files) >= 3
    for path in files:
        assert tomllib.loads(path.read_text()).get("name", path.stem) == path.stem


def test_the_list_of_textual_themes_matches_textual() -> None:
    from textual.theme import BUILTIN_THEMES

    assert set(BUILTIN_THEMES) == TEXTUAL_THEMES


def test_unknown_default_model_is_reported() -> None:
    text = default_config_text().replace('model = "local"            #', 'model = "loacl"  #')
    err = problems_of(text)
    assert [p.key for p in err.problems] == ["defaults.model"]
    assert "no model alias 'loacl'" in err.problems[0].message


def test_an_unset_default_model_naming_no_alias_is_not_written_on_save() -> None:
    config = parse_config(PROVIDER.format(kind="openai", line=""), Path("c.toml"))
    assert config.defaults.model == "local" and "local" not in config.models
    path = save_config(config)
    assert "local" not in path.read_text()
    assert load_config(path).config.models.keys() == {"m"}


# ------------------------------------------------------------------ preset cycles

PRESETS = """
[defaults]
preset = "{default}"

[providers.p]
kind = "openai"
base_url = "{url}/v1"

[models.a]
provider = "p"
model = "model-a"

[models.b]
provider = "p"
model = "model-b"

[presets.single]
strategy = "single"
options = {{ model = "a" }}
{presets}
"""

AGREE_SELF = """
[presets.agree]
strategy = "consensus"
options = { models = ["a", "b"], escalate_preset = "agree" }
"""

ROUTE_AGREE = """
[presets.route]
strategy = "router"
options = { classifier = "a", routes = { general = "a" }, route_presets = { code = "agree" } }

[presets.agree]
strategy = "consensus"
options = { models = ["a", "b"], escalate_preset = "route" }
"""

CHAIN = (
    "".join(
        f'\n[presets.c{i}]\nstrategy = "consensus"\n'
        f'options = {{ models = ["a", "b"], escalate_preset = "c{i + 1}" }}\n'
        for i in range(4)
    )
    + '\n[presets.c4]\nstrategy = "single"\noptions = { model = "a" }\n'
)


@pytest.mark.parametrize(
    ("presets", "default", "key", "says"),
    [
        (AGREE_SELF, "agree", "presets.agree", "runs itself in a cycle: agree → agree"),
        (ROUTE_AGREE, "route", "presets.route", "cycle: agree → route → agree"),
        (CHAIN, "c0", "presets.c0", "more than 3 levels deep (c0 → c1 → c2 → c3 → c4)"),
    ],
    ids=["self", "two", "too-deep"],
)
def test_preset_composition_is_checked_before_running(
    presets: str,
    default: str,
    key: str,
    says: str,
    fake_server: FakeServer,
    capsys: pytest.CaptureFixture[str],
) -> None:
    write(PRESETS.format(default=default, url=fake_server.url, presets=presets))
    code, output = cli(capsys, "config", "validate")
    assert code == 1 and key in output and says in output, output
    assert output.count("cycle") <= 1  # each cycle once
    code, output = cli(capsys, "ask", "hello")
    assert code == 2 and says in output, output
    assert fake_server.requests == []  # refused before any model was asked


def test_presets_not_running_into_a_cycle_are_fine(fake_server: FakeServer) -> None:
    write(PRESETS.format(default="single", url=fake_server.url, presets=AGREE_SELF))
    assert main(["ask", "--no-save", "hi"]) == 0  # the cycle is elsewhere


# ------------------------------------------------------------------ one pass

EVERYTHING_WRONG = """[defaults]
preset = "agree"
model = "nope"

[ui]
theme = "nope"
colour = "red"

[providers.p]
kind = "openai"
base_url = "http://127.0.0.1:9/v1"
read_timeout = "slow"
headers = { "X-A" = "1\\r\\n2" }

[models.a]
provider = "p"
model = "model-a"

[models.b]
provider = "ghost"
model = "model-b"

[presets.agree]
strategy = "consensus"
options = { models = ["a", "b"], escalate_preset = "agree" }

[presets.vote]
strategy = "voting"
options = { models = ["a", "b"], mode = "loudest" }

[presets.odd]
strategy = "no-such-strategy"
"""
EXPECTED = [
    (3, "defaults.model", "no model alias 'nope'"),
    (6, "ui.theme", "no theme named 'nope'"),
    (7, "", "unknown key `colour` in [ui]"),
    (12, "providers.p.read_timeout", "valid number"),
    (13, "providers.p.headers", "line break"),
    (20, "models.b.provider", "no provider named 'ghost'"),
    (25, "presets.agree", "cycle: agree → agree"),
    (29, "presets.vote", "mode"),
    (32, "presets.odd", "no-such-strategy"),
]


def test_every_problem_of_a_file_in_one_pass(capsys: pytest.CaptureFixture[str]) -> None:
    path = write(EVERYTHING_WRONG)
    with pytest.raises(ConfigError) as info:
        load_config(path)
    found = [(p.line, p.key, p.message) for p in info.value.problems]
    assert len(found) == len(EXPECTED), json.dumps(found, indent=1, ensure_ascii=False)
    for (line, key, message), (want_line, want_key, says) in zip(found, EXPECTED, strict=True):
        assert (line, key) == (want_line, want_key) and says in message, (line, key, message)
    for argv, code in ((["config", "validate"], 1), (["ask", "hi"], 2)):
        got, output = cli(capsys, *argv)
        assert got == code
        for line, key, says in EXPECTED:
            assert f"line {line}: " in output and key in output and says in output, output


# ------------------------------------------------------------------ config path


def test_config_path_help_and_output_agree(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["config", "--help"])
    help_text = capsys.readouterr().out
    assert "(and other files)" not in help_text
    assert "print the config file's path" in help_text
    code, output = cli(capsys, "config", "path")
    assert code == 0 and output == f"{paths.config_file()}\n"
    code, output = cli(capsys, "config", "path", "--all")
    rows = dict(line.split(None, 1) for line in output.splitlines())
    assert rows["config"] == str(paths.config_file())
    assert set(rows) == {"config", "data", "history", "logs", "cache", "plugins", "themes"}
