"""Ratings of models learned from the user's own comparisons (issue 15, "learn from
picks"): what counts as a comparison (``comparisons``), the Bradley–Terry fit with its
intervals (``bradley_terry``), the history database (``history``) and the leaderboard
(``leaderboard``). No Textual, no engine: the TUI, the CLI and the engine use it."""
