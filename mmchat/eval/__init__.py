"""``mmchat eval``: run a dataset of questions with known answers through presets and
measure each preset's accuracy, tokens, cost and latency on the user's own models.

The parts, one idea each: :mod:`.dataset` (JSONL files and the built-in sets),
:mod:`.checks` (is a reply right?), :mod:`.stats` (Wilson interval, percentiles),
:mod:`.slots` (how many requests each provider may serve at once), :mod:`.runner`
(runs the items, resumable, within a budget), :mod:`.summary` (figures per preset,
the table and the JSON format). Nothing here imports Textual or the CLI.
"""
