"""Every output path of the command line, fed hostile text, writes no control byte.

Text mmchat did not write reaches the terminal through many paths: model ids and
error text from a server, keys and lines of the user's config file, plugin errors,
key names in the keyring, a model's answer as JSON. Each case below plants the same
hostile string (a window-title change, an OSC 52 clipboard write, clear-screen, C1
CSI/OSC/NEL, BEL, a lone CR) in one of those places, runs one subcommand in-process
through :func:`mmchat.cli.main` with stdout and stderr made to look like a terminal,
and checks both streams: no C0 control but newline and tab, no DEL, no C1 — and the
planted text is there, made visible (``^[]52;c;…``), so the case is not vacuous.
"""

from __future__ import annotations

import io
import json
import os
import re
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from mmchat.cli import main
from tests.fakeserver import Reply
from tests.fakeserver.server import FakeServer
from tests.reliability.common import captured

HOSTILE = (
    "title \x1b]0;pwned\x07 clip \x1b]52;c;cm0gLXJmIH4v\x07 clear \x1b[2J"
    " c1 \x9b31m \x9d0;t\x9c nel\x85 bell\x07 cr\rX"
)
SEEN = ("^[]52;c;cm0gLXJmIH4v^G", "<U+009B>31m")  # what the user sees instead
CONTROL = {chr(c) for c in [*range(0x20), 0x7F, *range(0x80, 0xA0)]} - {"\n", "\t"}
# mmchat's own sequences on stderr: `ask` dims its progress lines; `eval`'s progress bar
# (rich) hides the cursor, colours, clears and redraws its line. Only these exact forms
# are allowed: the planted ones (clear screen, OSC, C1 CSI) are none of them.
OWN_STYLE = re.compile(r"\x1b\[(?:\?25[lh]|[0-9]*[AK]|[0-9;]*m)|\r(?=\x1b\[)")


def toml_str(text: str) -> str:
    """A TOML basic string (JSON's escapes are TOML's)."""
    return json.dumps(text)


BASE = """
[defaults]
preset = "one"

[providers.fake]
kind = "openai"
base_url = "{url}/v1"
key = "hostile-test"
max_retries = 0

[models.m]
provider = "fake"
model = {model}

[presets.one]
strategy = "single"
options = {{ model = "m" }}
"""


class TerminalBuffer(io.StringIO):
    """What the CLI writes, collected; it says it is a terminal."""

    def isatty(self) -> bool:
        return True


@dataclass
class Case:
    argv: list[str]
    model: str = "model-plain"  # the config's model id
    extra: str = ""  # more TOML appended to the config
    raw_file: str | None = None  # the whole config file instead
    plugins: dict[str, str] = field(default_factory=dict)  # user plugin files
    setup: Callable[[FakeServer], None] | None = None
    seen: tuple[str, ...] = SEEN  # at least one of these must be in the output
    styled: bool = False  # stdout carries mmchat's own highlighting (search matches)


def _server_lists_hostile_models(server: FakeServer) -> None:
    server.models = [f"id{HOSTILE}", "plain-id"]


def _server_fails_listing(server: FakeServer) -> None:
    server.models_error = Reply(status=500, error_message=f"down {HOSTILE}")


def _server_fails_answer(server: FakeServer) -> None:
    server.script("model-plain", Reply(status=400, error_message=f"refused {HOSTILE}"))


def _server_answers_hostile(server: FakeServer) -> None:
    server.script("model-plain", Reply(text=f"answer {HOSTILE}", chunk_chars=5))


def _hostile_key_names(server: FakeServer) -> None:
    import keyring

    keyring.set_password("mmchat", "__mmchat_key_names__", json.dumps([f"k{HOSTILE}"]))
    os.environ["HOSTILE_TEST_API_KEY"] = f"\x1b[2J{HOSTILE}-0123456789\x9b\x07"


def _hostile_history(server: FakeServer) -> None:
    """A stored conversation whose title, question, answer and model name are hostile,
    and a pick between two models, one with a hostile name."""
    from mmchat import paths
    from mmchat.api import Usage
    from mmchat.history.store import Store

    with Store.open(paths.db_file()) as store:
        chat = store.create_conversation(f"chat {HOSTILE}", "one")
        asked = store.add_user_message(chat, f"hostile question {HOSTILE}", None)
        answer = store.start_assistant(chat, asked, "one", "single")
        store.finish_assistant(
            answer, text=f"hostile answer {HOSTILE}", status="complete",
            models=[f"m{HOSTILE}"], usage=Usage(1, 1), cost=None, duration=1.0,
        )  # fmt: skip
        store.replace_comparisons(answer, [(f"m{HOSTILE}", "plain")], "pick")


HOSTILE_PLUGIN = f"""
from mmchat.api import Strategy, StrategyOptions, option, field_validator


class Options(StrategyOptions):
    boom: bool = option(False, {toml_str("describes " + HOSTILE)})

    @field_validator("boom")
    @classmethod
    def _boom(cls, value: bool) -> bool:
        if value:
            raise ValueError({toml_str("option says " + HOSTILE)})
        return value


class Hostile(Strategy):
    name = "hostile"
    summary = {toml_str("summary " + HOSTILE)}
    Options = Options

    async def run(self, ctx, options):
        return "x"
"""

BROKEN_PLUGIN = f"raise RuntimeError({toml_str('plugin error ' + HOSTILE)})\n"
BAD_PRESET = '\n[presets.bad]\nstrategy = "hostile"\noptions = { boom = true }\n'

CASES: dict[str, Case] = {
    # A server's model list and its error text.
    "models: ids from the server": Case(["models"], setup=_server_lists_hostile_models),
    "models: server error text": Case(["models"], setup=_server_fails_listing),
    # The user's file: values, keys, lines.
    "models --offline: model id in config": Case(["models", "--offline"], model=HOSTILE),
    "config show: values in config": Case(
        ["config", "show"], model=HOSTILE, extra=f"\n[models.m.params]\n{toml_str(HOSTILE)} = 1\n"
    ),
    "config show --raw: the file on a terminal": Case(
        ["config", "show", "--raw"], extra="# C1 in a comment: \x9b31m \x9d0;t\x9c\n"
    ),
    "config validate: unknown key": Case(
        ["config", "validate"], extra=f"\n[ui]\n{toml_str(HOSTILE)} = 1\n"
    ),
    "config validate: wrong type, value quoted": Case(
        ["config", "validate"], extra=f"\n[ui]\nsidebar = {toml_str(HOSTILE)}\n"
    ),
    "config validate: syntax error quotes the line": Case(
        ["config", "validate"], extra=f"\nbroken = 1 {HOSTILE}\n"
    ),
    "ask: config error": Case(["ask", "hi"], extra=f"\n[ui]\n{toml_str(HOSTILE)} = 1\n"),
    "keys list: config error": Case(["keys", "list"], extra=f"\n[ui]\n{toml_str(HOSTILE)} = 1\n"),
    "models: config error": Case(["models"], extra=f"\n[ui]\n{toml_str(HOSTILE)} = 1\n"),
    # Plugins: load errors, summaries, option descriptions, option errors.
    "plugins: plugin errors and summaries": Case(
        ["plugins"], plugins={"broken.py": BROKEN_PLUGIN, "hostile.py": HOSTILE_PLUGIN}
    ),
    "plugins NAME: option descriptions": Case(
        ["plugins", "hostile"], plugins={"hostile.py": HOSTILE_PLUGIN}
    ),
    "plugins: preset problem text": Case(
        ["plugins"], plugins={"hostile.py": HOSTILE_PLUGIN}, extra=BAD_PRESET
    ),
    "config validate: preset problem text": Case(
        ["config", "validate"], plugins={"hostile.py": HOSTILE_PLUGIN}, extra=BAD_PRESET
    ),
    "ask: preset problem text": Case(
        ["ask", "-s", "bad", "hi"], plugins={"hostile.py": HOSTILE_PLUGIN}, extra=BAD_PRESET
    ),
    # A turn: the server's error text, the answer as JSON.
    "ask: server error text": Case(["ask", "hi"], setup=_server_fails_answer),
    "ask --json: server error text": Case(
        ["ask", "--json", "hi"], setup=_server_fails_answer, seen=("\\u001b]52;c;",)
    ),
    "ask --json: the answer": Case(
        ["ask", "--json", "hi"], setup=_server_answers_hostile, seen=("\\u009b31m",)
    ),
    # An evaluation: the server's error text and answers, in the table and as JSON.
    "eval: server error text": Case(
        ["eval", "builtin:arithmetic", "--presets", "one", "--limit", "1"],
        setup=_server_fails_answer,
    ),
    "eval --json: the answers": Case(
        ["eval", "builtin:arithmetic", "--presets", "one", "--limit", "1", "--json"],
        setup=_server_answers_hostile,
        seen=("\\u009b31m",),
    ),
    # The history: titles, questions, answers, model names, search snippets.
    "history list: titles": Case(["history", "list"], setup=_hostile_history),
    "history list --json: titles": Case(
        ["history", "list", "--json"], setup=_hostile_history, seen=("\\u009b31m",)
    ),
    "history show: the transcript": Case(["history", "show", "1"], setup=_hostile_history),
    "history search: snippets": Case(
        ["history", "search", "hostile"], setup=_hostile_history, styled=True
    ),
    "history export: Markdown to the terminal": Case(
        ["history", "export", "1"], setup=_hostile_history
    ),
    # Ratings: model names from the user's picks.
    "leaderboard: model names": Case(["leaderboard"], setup=_hostile_history),
    "leaderboard --json: model names": Case(
        ["leaderboard", "--json"], setup=_hostile_history, seen=("\\u009b31m",)
    ),
    # The keyring: names stored there, a key's value (masked) from the environment.
    "keys list: names and masked values": Case(
        ["keys", "list"],
        extra='\n[providers.other]\nkind = "openai"\nbase_url = "http://127.0.0.1:9/v1"\n'
        'key = "hostile-test"\nkey_env = "HOSTILE_TEST_API_KEY"\n',
        setup=_hostile_key_names,
    ),
}


def run_cli(argv: list[str]) -> tuple[int, str, str]:
    out, err = TerminalBuffer(), TerminalBuffer()
    saved = sys.stdout, sys.stderr
    sys.stdout, sys.stderr = out, err
    try:
        code = main(argv)
    finally:
        sys.stdout, sys.stderr = saved
    return code, out.getvalue(), err.getvalue()


@pytest.mark.parametrize("name", sorted(CASES))
def test_output_path_writes_no_control_byte(
    name: str, fake_server: FakeServer, isolated_dirs: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    case = CASES[name]
    monkeypatch.setenv("HOSTILE_TEST_API_KEY", "plain-value-0000")
    config_dir = Path(os.environ["MMCHAT_CONFIG_DIR"])
    (config_dir / "plugins").mkdir(parents=True, exist_ok=True)
    for file_name, source in case.plugins.items():
        (config_dir / "plugins" / file_name).write_text(source)
    text = BASE.format(url=fake_server.url, model=toml_str(case.model)) + case.extra
    (config_dir / "config.toml").write_text(text, "utf-8")
    if case.setup is not None:
        case.setup(fake_server)

    code, out, err = run_cli(case.argv)

    captured(f"hostile {name}", out + err)
    err = OWN_STYLE.sub("", err)
    if case.styled:
        out = OWN_STYLE.sub("", out)
    raw = sorted({f"U+{ord(c):04X}" for c in out + err if c in CONTROL})
    at = [repr((out + err)[max(0, i - 15) : i + 15]) for i, c in enumerate(out + err)
          if c in CONTROL][:3]  # fmt: skip
    assert not raw, f"{name}: raw control characters {raw} at {at} in\n{out}\n{err}"
    assert any(seen in out + err for seen in case.seen), f"{name}: not shown:\n{out}\n{err}"
    assert "Traceback" not in out + err
    if case.argv[:2] == ["ask", "--json"]:
        answer = json.loads(out)  # still valid JSON, with the same text
        if case.setup is _server_answers_hostile:
            assert answer["answer"] == f"answer {HOSTILE}"
    del code  # the exit status is each command's business; the bytes are this test's


def test_every_subcommand_is_covered() -> None:
    from mmchat.cli import SUBCOMMANDS

    covered = {case.argv[0] for case in CASES.values()}
    assert covered == set(SUBCOMMANDS)
    assert {" ".join(c.argv[:2]) for c in CASES.values() if c.argv[0] == "config"} >= {
        "config show",
        "config validate",
    }
