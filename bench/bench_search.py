"""History search at scale: 10,000 conversations, the FTS5 migration and query latency.

Builds a history database at the schema version *before* the search migration (the
tables as mmchat wrote them), fills it with N conversations (default 10,000) of 2-6
turns each — questions of 8-40 words, answers of 60-400 words, one conversation in five
a three-lane fan-out whose lanes hold their own answers — then times:

- the migration that adds the FTS5 tables, their triggers and the backfill of every
  existing row (what an upgrade costs once), and the database's growth;
- ``Store.search`` (bm25 ranking, grouping by conversation, snippets of the 50 best),
  p50/p95 over repeated runs, for rare, common and very common words, a phrase, a
  prefix, two words, a non-English word, a search-as-you-type single letter, and a word
  that is nowhere;
- the old ``LIKE`` search the TUI used before, on one query, for comparison;
- the cost of the triggers on writes: storing one more turn, with and without them;
- how much larger a ``trigram`` index of the same text is (the tokenizer not chosen).

The text is drawn from a Zipf-distributed vocabulary of made-up words (so word
frequencies look like language), with a few marker words planted at known rates.

    .venv/bin/python bench/bench_search.py                  # 10,000 conversations
    .venv/bin/python bench/bench_search.py --conversations 2000 --runs 20
"""

from __future__ import annotations

import argparse
import itertools
import random
import sqlite3
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from mmchat.api import Usage
from mmchat.history import schema
from mmchat.history.store import Store

SEARCH_MIGRATION = schema.MIGRATIONS.index(schema._SEARCH_AND_PERSONA) + 1  # its version

# Planted words: (word, share of conversations that mention it).
PLANTED = {"zeppelin": 0.0005, "sourdough": 0.01, "kubernetes": 0.1, "bonjour": 0.02}


def vocabulary(rng: random.Random, size: int = 8000) -> list[str]:
    syllables = [a + b for a in "bcdfghjklmnprstvwz" for b in ("a", "e", "i", "o", "u", "ou")]
    words: set[str] = set()
    while len(words) < size:
        words.add("".join(rng.choice(syllables) for _ in range(rng.choice((1, 2, 2, 3, 3, 4)))))
    return sorted(words, key=lambda w: (len(w), w))  # short words most frequent, as in language


class Writer:
    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.words = vocabulary(rng)
        weights = [1 / (rank + 1) for rank in range(len(self.words))]  # Zipf
        self.cumulative = list(itertools.accumulate(weights))

    def text(self, low: int, high: int, planted: list[str]) -> str:
        n = self.rng.randint(low, high)
        words = self.rng.choices(self.words, cum_weights=self.cumulative, k=n)
        for word in planted:
            words.insert(self.rng.randrange(len(words) + 1), word)
        sentences, at = [], 0
        while at < len(words):
            length = self.rng.randint(6, 18)
            sentence = " ".join(words[at : at + length])
            sentences.append(sentence[:1].upper() + sentence[1:] + ".")
            at += length
        return " ".join(sentences)


def build(path: Path, conversations: int, seed: int) -> tuple[int, int, int]:
    """The database at the version before the search migration; (messages, lanes, words)."""
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA journal_mode=WAL")
    for number, script in enumerate(schema.MIGRATIONS[: SEARCH_MIGRATION - 1], start=1):
        conn.executescript(f"BEGIN;\n{script}\nPRAGMA user_version = {number};\nCOMMIT;")
    rng = random.Random(seed)
    writer = Writer(rng)
    n_messages = n_lanes = n_words = 0
    now = time.time() - conversations * 60
    conn.execute("BEGIN")
    for c in range(conversations):
        planted = [w for w, share in PLANTED.items() if rng.random() < share]
        turns = rng.randint(2, 6)
        conv = conn.execute(
            "INSERT INTO conversations(title, created, updated, preset) VALUES (?,?,?,?)",
            (writer.text(3, 6, []).rstrip("."), now + c * 60, now + c * 60, "single"),
        ).lastrowid
        parent = None
        fanout = rng.random() < 0.2
        for t in range(turns):
            here = [w for w in planted if rng.random() < 1 / turns] if t else planted
            question = writer.text(8, 40, here)
            parent = conn.execute(
                "INSERT INTO messages(conversation_id, parent_id, role, text, created)"
                " VALUES (?,?,?,?,?)",
                (conv, parent, "user", question, now),
            ).lastrowid
            answers = [writer.text(60, 400, here) for _ in range(3 if fanout else 1)]
            parent = conn.execute(
                "INSERT INTO messages(conversation_id, parent_id, role, text, preset, strategy,"
                " created) VALUES (?,?,?,?,?,?,?)",
                (conv, parent, "assistant", answers[0], "single", "single", now),
            ).lastrowid
            n_messages += 2
            n_words += sum(len(a.split()) for a in answers) + len(question.split())
            if fanout:
                for i, answer in enumerate(answers):
                    conn.execute(
                        "INSERT INTO lanes(message_id, lane, model, text, status)"
                        " VALUES (?,?,?,?,?)",
                        (parent, f"m{i}", f"model-{i}", answer, "complete"),
                    )
                    n_lanes += 1
    conn.execute("COMMIT")
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()
    return n_messages, n_lanes, n_words


def size(path: Path) -> int:
    return sum(p.stat().st_size for p in path.parent.glob(path.name + "*"))


def percentiles(samples: list[float]) -> tuple[float, float]:
    ordered = sorted(samples)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return statistics.median(ordered), p95


def one_turn(store: Store, conv: int, text: str) -> float:
    start = time.perf_counter()
    user = store.add_user_message(conv, text[:200], None)
    msg = store.start_assistant(conv, user, "single", "single")
    store.finish_assistant(
        msg, text=text, status="complete", models=["a"], usage=Usage(1, 1), cost=None,
        duration=0.1,
    )  # fmt: skip
    return time.perf_counter() - start


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--conversations", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=50, help="runs of each query")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    about = f"{args.conversations:,} conversations, seed {args.seed}"
    print(f"SQLite {sqlite3.sqlite_version}, {about}")
    with tempfile.TemporaryDirectory(prefix="mmchat-search-") as tmp:
        path = Path(tmp) / "history.db"
        start = time.perf_counter()
        messages, lanes, words = build(path, args.conversations, args.seed)
        built = time.perf_counter() - start
        before = size(path)
        print(
            f"built in {built:.1f} s: {messages:,} messages, {lanes:,} lanes, "
            f"{words / 1e6:.1f} M words, {before / 1e6:.0f} MB"
        )

        # The upgrade: Store.open runs the pending migrations (FTS5 tables + backfill).
        start = time.perf_counter()
        store = Store.open(path)
        migrated = time.perf_counter() - start
        store.close()
        with sqlite3.connect(path) as conn:
            conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        after = size(path)
        print(
            f"migration (FTS5 tables, triggers, backfill of every row): {migrated:.2f} s; "
            f"database {before / 1e6:.0f} → {after / 1e6:.0f} MB "
            f"(+{(after - before) / before:.0%})"
        )

        store = Store.open(path)
        queries = [
            ("rare word (~5 conversations)", "zeppelin", False),
            ("word in 1 % of conversations", "sourdough", False),
            ("word in 10 % of conversations", "kubernetes", False),
            ("the most common word", writer_word(args.seed, 0), False),
            ("two words", f"kubernetes {writer_word(args.seed, 50)}", False),
            ("a phrase", f'"{writer_word(args.seed, 3)} {writer_word(args.seed, 5)}"', False),
            ("prefix", "kube*", False),
            ("non-English, accent folded", "BONJOUR", False),
            ("as you type: one letter (whole)", "s", True),
            ("as you type: three letters", "sou", True),
            ("as you type: four letters", "kube", True),
            ("nowhere", "xylophonist", False),
        ]
        print(f"\nStore.search, 50 best conversations with snippets, {args.runs} runs each:")
        print(f"  {'query':<34} {'text':<22} {'hits':>5} {'p50 ms':>8} {'p95 ms':>8}")
        for label, text, prefix_last in queries:
            store.search(text, prefix_last=prefix_last)  # warm the page cache
            samples, hits = [], 0
            for _ in range(args.runs):
                start = time.perf_counter()
                hits = len(store.search(text, prefix_last=prefix_last))
                samples.append(time.perf_counter() - start)
            p50, p95 = percentiles(samples)
            print(f"  {label:<34} {text:<22} {hits:>5} {p50 * 1e3:>8.1f} {p95 * 1e3:>8.1f}")

        start = time.perf_counter()
        old = store.search_conversations("sourdough")
        print(
            f"\nthe LIKE search the TUI used before ('sourdough', {len(old)} found): "
            f"{(time.perf_counter() - start) * 1e3:.0f} ms"
        )

        # Writes: one more turn (a 300-word answer), with the triggers and without.
        text = Writer(random.Random(2)).text(300, 300, [])
        conv = store.create_conversation("writes")
        with_triggers = statistics.median(one_turn(store, conv, text) for _ in range(30))
        triggers = [
            r[0]
            for r in store._conn.execute(
                "SELECT sql FROM sqlite_master WHERE type='trigger' AND name LIKE '%fts%'"
            )
        ]
        names = [
            r[0]
            for r in store._conn.execute(
                "SELECT name FROM sqlite_master WHERE type='trigger' AND name LIKE '%fts%'"
            )
        ]
        for name in names:
            store._conn.execute(f"DROP TRIGGER {name}")
        without = statistics.median(one_turn(store, conv, text) for _ in range(30))
        for sql in triggers:
            store._conn.execute(sql)
        print(
            f"storing one turn (300-word answer): {with_triggers * 1e3:.2f} ms with the "
            f"index triggers, {without * 1e3:.2f} ms without"
        )
        store.close()

        # The tokenizer not chosen: a trigram index of the same text.
        with sqlite3.connect(path) as conn:
            conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        base = size(path)
        with sqlite3.connect(path) as conn:
            start = time.perf_counter()
            for table in ("messages", "lanes"):
                conn.execute(
                    f"CREATE VIRTUAL TABLE {table}_tri USING fts5(text, content='{table}',"
                    " content_rowid='id', tokenize='trigram')"
                )
                conn.execute(f"INSERT INTO {table}_tri(rowid, text) SELECT id, text FROM {table}")
            conn.commit()
            trigram_time = time.perf_counter() - start
            conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        trigram = size(path) - base
        print(
            f"a trigram index of the same text: +{trigram / 1e6:.0f} MB built in "
            f"{trigram_time:.1f} s (unicode61: +{(after - before) / 1e6:.0f} MB, "
            f"{migrated:.1f} s): {trigram / max(1, after - before):.1f}× larger"
        )
    return 0


def writer_word(seed: int, rank: int) -> str:
    """The vocabulary's word of a given frequency rank (0 = most common)."""
    return vocabulary(random.Random(seed))[rank]


if __name__ == "__main__":
    sys.exit(main())
