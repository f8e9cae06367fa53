"""Continuing from the shell and finding things again, as a user runs them (subprocesses,
a real SQLite history in the test's data dir, the loopback fake server):
`mmchat ask -c / --conversation ID / --persona`, `mmchat history list|show|search|export`."""

from __future__ import annotations

import json
import os
import select
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from mmchat.api import Usage
from mmchat.history.store import Store
from tests.fakeserver import Reply
from tests.fakeserver.server import FakeServer
from tests.test_cli_ask import CONFIG, mmchat

PERSONAS = """
[personas.pirate]
system = "You are a pirate."
description = "Talks like one"

[personas.teacher]
system = "You are a patient teacher."

[models.brief]
provider = "claude"
model = "model-brief"
system = "Be brief."
"""


@pytest.fixture
def configured(fake_server: FakeServer, isolated_dirs: Path) -> Path:
    config_dir = Path(os.environ["MMCHAT_CONFIG_DIR"])
    config_dir.mkdir(parents=True, exist_ok=True)
    (config_dir / "config.toml").write_text(CONFIG.format(url=fake_server.url) + PERSONAS)
    return config_dir


def db_path() -> Path:
    return Path(os.environ["MMCHAT_DATA_DIR"]) / "history.sqlite3"


def rows(sql: str, *params: object) -> list[tuple[object, ...]]:
    with sqlite3.connect(db_path()) as conn:
        return list(conn.execute(sql, params).fetchall())


def sent_messages(fake_server: FakeServer) -> list[tuple[str, str]]:
    """(role, content) of the last chat request the OpenAI-style fake received."""
    body = fake_server.requests_to("/chat/completions")[-1].json
    return [(m["role"], m["content"]) for m in body["messages"]]


def ok(*args: str) -> subprocess.CompletedProcess[str]:
    result = mmchat(*args)
    assert result.returncode == 0, result.stderr
    return result


# ------------------------------------------------------------------ ask -c / --conversation


def test_continue_with_an_empty_history_is_a_clear_error(configured: Path) -> None:
    result = mmchat("ask", "-c", "hello?")
    assert result.returncode == 2
    assert result.stderr == (
        "mmchat: no conversation to continue: the history is empty "
        '(start one with `mmchat ask "..."`)\n'
    )
    assert rows("SELECT count(*) FROM messages") == [(0,)]  # nothing sent, nothing stored
    no_save = mmchat("ask", "-c", "--no-save", "hello?")
    assert no_save.returncode == 2 and "history is empty" in no_save.stderr


def test_ask_c_continues_the_latest_conversation(fake_server: FakeServer, configured: Path) -> None:
    fake_server.script("model-a", Reply(text="Paris."), Reply(text="About 2.1 million."))
    ok("ask", "What is the capital of France?")
    result = ok("ask", "-c", "How many people live there?")
    assert result.stdout == "About 2.1 million.\n"
    assert sent_messages(fake_server) == [
        ("user", "What is the capital of France?"),
        ("assistant", "Paris."),
        ("user", "How many people live there?"),
    ]
    messages = rows("SELECT id, conversation_id, parent_id, role, text FROM messages ORDER BY id")
    assert [m[1] for m in messages] == [1, 1, 1, 1]  # one conversation
    assert [m[2] for m in messages] == [None, 1, 2, 3]  # a chain: the new turn follows
    assert messages[3][4] == "About 2.1 million."


def test_conversation_id_continues_that_one_and_an_unknown_id_is_an_error(
    fake_server: FakeServer, configured: Path
) -> None:
    ok("ask", "first topic")
    ok("ask", "second topic")
    ok("ask", "--conversation", "1", "back to the first")
    assert sent_messages(fake_server)[:2] == [
        ("user", "first topic"),
        ("assistant", "echo: first topic"),
    ]
    assert rows("SELECT conversation_id FROM messages WHERE text = 'back to the first'") == [(1,)]
    unknown = mmchat("ask", "--conversation", "42", "hello")
    assert unknown.returncode == 2
    assert unknown.stderr == "mmchat: no conversation 42 (`mmchat history list` shows them)\n"
    both = mmchat("ask", "-c", "--conversation", "1", "hello")
    assert both.returncode == 2 and "not allowed with" in both.stderr


def test_continuing_follows_the_current_branch_and_the_picked_answer(
    fake_server: FakeServer, configured: Path
) -> None:
    with Store.open(db_path()) as store:  # a regenerated answer and a picked lane
        conv = store.create_conversation("branches", "single")
        question = store.add_user_message(conv, "Name a colour", None)
        for text in ("red (the old branch)", "blue (regenerated)"):
            answer = store.start_assistant(conv, question, "single", "single")
            store.finish_assistant(
                answer, text=text, status="complete", models=["a"], usage=Usage(),
                cost=None, duration=0.1,
            )  # fmt: skip
        store.set_chosen_lane(answer, "L2", "green (the lane picked)")
    ok("ask", "-c", "--no-save", "and another?")
    assert sent_messages(fake_server) == [
        ("user", "Name a colour"),
        ("assistant", "green (the lane picked)"),
        ("user", "and another?"),
    ]
    assert rows("SELECT count(*) FROM messages") == [(3,)]  # --no-save: nothing added


def test_a_conversation_remembers_its_preset_and_persona(
    fake_server: FakeServer, configured: Path
) -> None:
    ok("ask", "--strategy", "both", "--persona", "pirate", "compare")
    assert rows("SELECT preset, persona FROM conversations") == [("both", "pirate")]
    fake_server.requests.clear()
    result = ok("ask", "-c", "--json", "again")
    data = json.loads(result.stdout)
    assert (data["preset"], data["strategy"], data["persona"]) == ("both", "fanout", "pirate")
    assert {r.model for r in fake_server.requests} == {"model-a", "model-b"}
    # overridden on the command line: remembered as the new choice
    ok("ask", "-c", "--strategy", "single", "--persona", "teacher", "once more")
    assert rows("SELECT preset, persona FROM conversations") == [("single", "teacher")]
    ok("ask", "-c", "--no-persona", "--model", "a", "plain")
    assert rows("SELECT preset, persona FROM conversations") == [("single:a", "")]
    assert ("system", "You are a patient teacher.") not in sent_messages(fake_server)
    fake_server.requests.clear()
    ok("ask", "-c", "and the model?")  # the model picked alone is remembered too
    assert [r.model for r in fake_server.requests] == ["model-a"]


def test_a_remembered_preset_gone_from_config_falls_back_with_a_warning(
    fake_server: FakeServer, configured: Path
) -> None:
    ok("ask", "--strategy", "both", "--persona", "pirate", "hello")
    config = configured / "config.toml"
    text = config.read_text().replace("[presets.both]", "[presets.renamed]")
    config.write_text(text.replace("[personas.pirate]", "[personas.corsair]"))
    result = mmchat("ask", "-c", "still there?")
    assert result.returncode == 0, result.stderr
    assert "conversation 1: its preset 'both' is no longer configured" in result.stderr
    assert "its persona 'pirate' is no longer configured" in result.stderr
    assert result.stdout == "echo: still there?\n"  # the default preset, single on a


def test_persona_goes_to_every_lane_after_the_models_own_system_prompt(
    fake_server: FakeServer, configured: Path
) -> None:
    config = configured / "config.toml"
    config.write_text(
        config.read_text()
        + '\n[presets.two]\nstrategy = "fanout"\noptions = { models = ["a", "brief"] }\n'
    )
    ok("ask", "--strategy", "two", "--persona", "pirate", "--system", "Use metric.", "hi")
    openai = fake_server.requests_to("/chat/completions")[-1].json["messages"]
    assert openai[0] == {"role": "system", "content": "You are a pirate.\n\nUse metric."}
    anthropic = fake_server.requests_to("/messages")[-1].json
    assert anthropic["system"] == "Be brief.\n\nYou are a pirate.\n\nUse metric."


def test_an_unknown_persona_is_an_error_naming_the_known_ones(configured: Path) -> None:
    result = mmchat("ask", "--persona", "wizard", "hello")
    assert result.returncode == 2
    assert result.stderr == "mmchat: no persona named 'wizard' (known: pirate, teacher)\n"
    assert not db_path().exists() or rows("SELECT count(*) FROM messages") == [(0,)]


def test_defaults_persona_applies_to_new_conversations(
    fake_server: FakeServer, configured: Path
) -> None:
    config = configured / "config.toml"
    config.write_text(
        config.read_text().replace('model = "a"\n', 'model = "a"\npersona = "teacher"\n', 1)
    )
    ok("ask", "hello")
    assert sent_messages(fake_server)[0] == ("system", "You are a patient teacher.")
    assert rows("SELECT persona FROM conversations") == [("teacher",)]
    config.write_text(config.read_text().replace('persona = "teacher"', 'persona = "nobody"'))
    broken = mmchat("ask", "hello")
    assert broken.returncode == 2
    assert "defaults.persona" in broken.stderr and "no persona named 'nobody'" in broken.stderr


# ------------------------------------------------------------------ history


def seed(fake_server: FakeServer) -> None:
    fake_server.script(
        "model-a",
        Reply(text="Tokio is an async runtime for Rust.", prompt_tokens=10, completion_tokens=8),
        Reply(text="Use tokio::spawn."),
        Reply(text="A haiku: green leaves steep"),
    )
    ok("ask", "What is tokio?")
    ok("ask", "-c", "How do I start a task?")
    ok("ask", "--persona", "pirate", "A haiku about tea")


def test_history_list_newest_first_with_preset_and_persona(
    fake_server: FakeServer, configured: Path
) -> None:
    empty = ok("history", "list")
    assert (empty.stdout, empty.stderr) == ("", "no conversations yet\n")
    assert not db_path().exists()  # reading created nothing
    seed(fake_server)
    lines = ok("history", "list").stdout.splitlines()
    assert lines[0].split() == ["ID", "UPDATED", "PRESET", "PERSONA", "TITLE"]
    assert lines[1].split()[0] == "2" and lines[1].endswith(
        "single        pirate        A haiku about tea"
    )
    assert lines[2].split()[0] == "1" and lines[2].endswith("-             What is tokio?")
    listed = json.loads(ok("history", "list", "--json", "--limit", "1").stdout)
    assert [(c["id"], c["title"], c["preset"], c["persona"]) for c in listed] == [
        (2, "A haiku about tea", "single", "pirate")
    ]
    bad = mmchat("history", "list", "--limit", "0")
    assert (bad.returncode, bad.stderr) == (2, "mmchat: --limit must be at least 1\n")


def test_history_show_prints_the_transcript_with_strategy_model_and_cost(
    fake_server: FakeServer, configured: Path
) -> None:
    seed(fake_server)
    shown = ok("history", "show", "1").stdout
    assert shown.startswith("# What is tokio?\n(conversation 1 · ")
    assert "· preset single)" in shown
    assert "You:\nWhat is tokio?\n" in shown
    assert "Assistant: single · a · 10 in / 8 out · $0.0000 · " in shown
    assert "Tokio is an async runtime for Rust.\n" in shown
    assert shown.index("How do I start a task?") < shown.index("Use tokio::spawn.")
    missing = mmchat("history", "show", "9")
    assert (missing.returncode, missing.stderr) == (
        2,
        "mmchat: no conversation 9 (`mmchat history list` shows them)\n",
    )


def test_history_search_ranks_and_highlights(fake_server: FakeServer, configured: Path) -> None:
    seed(fake_server)
    result = ok("history", "search", "tokio")
    lines = result.stdout.splitlines()
    assert lines[0].startswith("1  ") and lines[0].endswith("What is tokio?")
    assert "\x1b" not in result.stdout  # piped: no highlight codes
    hits = json.loads(ok("history", "search", "--json", "green", "leaves").stdout)
    assert [(h["conversation_id"], h["role"]) for h in hits] == [(2, "assistant")]
    snippet = hits[0]["snippet"]
    assert snippet == "A haiku: green leaves steep"
    assert [snippet[a:b] for a, b in hits[0]["highlights"]] == ["green", "leaves"]
    none = mmchat("history", "search", "nonexistentword")
    assert (none.returncode, none.stdout) == (1, "")
    assert none.stderr == "no conversation mentions 'nonexistentword'\n"
    nothing = mmchat("history", "search", "((", "*")
    assert nothing.returncode == 2 and "give at least one word" in nothing.stderr


@pytest.mark.parametrize(
    ("typed", "matches"),
    [
        ('"tokio', True),
        ("(tokio)", True),
        ("tok*", True),
        ("tokio AND", False),  # "and" is a word to find, and the answer has none
        ("NEAR(tokio", False),  # the words "near" and "tokio", next to each other
        ("東京", False),
    ],
)
def test_history_search_takes_any_text(
    fake_server: FakeServer, configured: Path, typed: str, matches: bool
) -> None:
    seed(fake_server)
    result = mmchat("history", "search", typed)
    assert result.returncode == (0 if matches else 1), result.stderr
    assert "Traceback" not in result.stderr and "fts5" not in result.stderr.lower()
    assert result.stdout.startswith("1  ") == matches


def test_history_export_md_and_json_to_stdout_and_a_file(
    fake_server: FakeServer, configured: Path, tmp_path: Path
) -> None:
    seed(fake_server)
    md = ok("history", "export", "1").stdout
    assert md.startswith("# What is tokio?\n") and "Use tokio::spawn." in md
    target = tmp_path / "out.json"
    written = ok("history", "export", "1", "--format", "json", "-o", str(target))
    assert written.stderr == f"conversation 1 written to {target}\n"
    data = json.loads(target.read_text())
    assert data["conversation"]["title"] == "What is tokio?"
    assert [m["text"] for m in data["messages"]][-1] == "Use tokio::spawn."
    nowhere = mmchat("history", "export", "1", "-o", str(tmp_path / "no" / "such" / "dir.md"))
    assert nowhere.returncode == 1 and "cannot write" in nowhere.stderr
    missing = mmchat("history", "export", "7")
    assert missing.returncode == 2 and "no conversation 7" in missing.stderr


HOSTILE = "Here \x1b]52;c;aGk=\x07 and \x1b[2J\x9b31m tokio"


def test_a_models_escape_sequences_never_reach_the_terminal(
    fake_server: FakeServer, configured: Path
) -> None:
    fake_server.script("model-a", Reply(text=HOSTILE))
    ok("ask", f"title {HOSTILE}")
    for args in (("history", "list"), ("history", "show", "1"), ("history", "search", "tokio")):
        result = mmchat(*args)
        assert "\x1b" not in result.stdout and "\x9b" not in result.stdout, args
        assert "^[]52;c;aGk=^G" in result.stdout, args
    listed = mmchat("history", "list", "--json").stdout
    assert "\x1b" not in listed and "\\u001b]52" in listed and "\\u009b" in listed
    assert json.loads(listed)[0]["title"].startswith("title Here \x1b]52")  # the same data
    exported = mmchat("history", "export", "1").stdout  # piped: the bytes as stored
    assert HOSTILE in exported


def test_on_a_terminal_matches_are_highlighted_and_model_text_is_inert(
    fake_server: FakeServer, configured: Path
) -> None:
    import pty

    fake_server.script("model-a", Reply(text=HOSTILE))
    ok("ask", "tell me")
    main, secondary = pty.openpty()
    with subprocess.Popen(
        [sys.executable, "-m", "mmchat", "history", "search", "tokio"],
        stdout=secondary,
        stderr=subprocess.PIPE,
    ) as proc:
        os.close(secondary)
        seen = b""
        while True:
            ready, _, _ = select.select([main], [], [], 20)
            assert ready, "no output from the terminal for 20 s"
            try:
                chunk = os.read(main, 65536)
            except OSError:  # EIO: the other end is closed
                break
            if not chunk:
                break
            seen += chunk
        proc.wait(timeout=20)
    os.close(main)
    terminal = seen.decode()
    assert proc.returncode == 0
    assert "\x1b[1;7mtokio\x1b[0m" in terminal  # ours: the match, bold and reversed
    assert "^[]52;c;aGk=^G" in terminal and "\x1b]52" not in terminal  # the model's: inert
    assert "\x1b[2J" not in terminal and "<U+009B>31m" in terminal
