"""`mmchat leaderboard`: your models ranked by the answers you picked (Bradley–Terry)."""

from __future__ import annotations

import argparse
import json
from typing import Any

from mmchat.cli._common import err, out, warn
from mmchat.sanitize import json_for_terminal


def add_parser(sub: Any) -> None:
    p = sub.add_parser("leaderboard", help="rank models by the answers you picked")
    p.add_argument("--json", action="store_true", help="print the table as JSON")
    p.add_argument(
        "--picks-only",
        action="store_true",
        help="count only the panes you picked, not the vote/consensus/ensemble answers you kept",
    )
    p.add_argument(
        "--forget", action="store_true", help="delete every comparison (ratings start again)"
    )


def run(args: argparse.Namespace) -> int:
    from mmchat import paths
    from mmchat.history.comparison_store import SOURCES, ComparisonSource
    from mmchat.history.store import Store, StoreError
    from mmchat.ratings.history import ratings_from
    from mmchat.ratings.leaderboard import leaderboard, table_lines, to_json

    try:
        store = Store.open(paths.db_file(), recover=False)
    except StoreError as exc:
        err(str(exc))
        return 1
    with store:
        if args.forget:
            count = store.forget_comparisons()
            out(f"forgot {count} comparison{'s' if count != 1 else ''}")
            return 0
        sources: list[ComparisonSource] = (
            ["pick", "blind-pick"] if args.picks_only else list(SOURCES)
        )
        rows = leaderboard(ratings_from(store, sources))
    if args.json:
        text = json.dumps(to_json(rows, sources=list(sources)), ensure_ascii=False, indent=2)
        print(json_for_terminal(text))
        return 0
    if not rows:
        warn(
            "no comparisons yet: pick an answer in a side-by-side preset (compare), or go "
            "on from a vote, agree or ensemble answer"
        )
        return 0
    for line in table_lines(rows):
        out(line)  # model names from the database: control characters made visible
    return 0
