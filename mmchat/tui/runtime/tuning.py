"""Every tuning constant of the TUI's speed machinery, and how they depend on each other.

They were measured one by one (the figures are in the comments and in the commit log),
but several only work together: a pane unmounts its hidden blocks before the
collection after a turn; a pane's text is guessed in lines before it is laid out.
Each relation is written next to the constants it ties and checked by
``tests/tui/test_tuning.py`` (the guessed line width against a real pane layout), so
changing one of them says which others to look at.
"""

from __future__ import annotations

# -- the flush clock (runtime.flush_clock) ------------------------------------------
FLUSH_EVERY = 1 / 12  # seconds between screen updates of streamed text, when idle
SLOWEST_FLUSH = 1.0  # under heavy load, never wait longer than this
# Streams one tick can redraw at the full rate; more streams stretch the interval
# (8 fan-out panes redraw 6x a second), so a frame's work stays bounded.
PANES_PER_FRAME_BUDGET = 4
# Share of a core the app used since the last tick above which it is saturated: the
# network and keystrokes then need that CPU more than another frame does.
BUSY_SHARE = 0.8
# A stream that stops with text pending is flushed this soon (LeanStream.stop_soon):
# the panes of a fan-out end within milliseconds of each other and share that frame.
# Relation: LAST_FLUSH_AFTER < FLUSH_EVERY <= SLOWEST_FLUSH (an ending stream is
# never drawn later than a streaming one).
LAST_FLUSH_AFTER = 0.03

# -- typing hold (runtime.typing_hold) -----------------------------------------------
HOLD = 0.25  # seconds of quiet after a key before streamed text is drawn again
MAX_HOLD = 1.0  # while typing non-stop, still draw streamed text this often
# Even then, no streamed text is drawn this soon after a key: the key's own frame goes
# out first (with streamed text in it, that frame also lays out the answer: +50-150 ms).
# Relation: KEY_FRAME < HOLD <= MAX_HOLD.
KEY_FRAME = 0.05

# -- the garbage collector (runtime.gc_policy) ---------------------------------------
# Seconds after a turn ends to collect: its last frames must be out first (an
# eight-pane turn still appends and lays out ~0.4 s of final text after it ends), and
# its panes must have unmounted their hidden blocks, or the collection cannot reclaim
# them. Relation: COMPACT_AFTER + (MAX_PANES - 1) * COMPACT_STAGGER < AFTER_TURN.
AFTER_TURN = 2.5
IDLE_COLLECT_EVERY = 120.0  # seconds between full collections while the app is idle
# While the user types, a due collection waits for a pause in steps of POSTPONE_STEP,
# for POSTPONE_AT_MOST seconds in all (young collections go on meanwhile). A pause is
# KEY_QUIET seconds without a key: a collection after a fan-out takes 0.36-0.7 s, and
# with the 0.25 s that counted before, it started between two words of the next
# question and held the next key for all of it.
# Relations: HOLD < KEY_QUIET (a pause in typing is longer than the typing hold);
# POSTPONE_STEP < POSTPONE_AT_MOST < IDLE_COLLECT_EVERY.
KEY_QUIET = 2.0
POSTPONE_STEP = 0.5
POSTPONE_AT_MOST = 30.0

# -- background imports (runtime.prefetch) -------------------------------------------
PREFETCH_AFTER = 0.1  # seconds after the chat controller exists (start-up is done by then)

# -- fan-out panes (widgets.lane_pane, widgets.lanes_grid) ---------------------------
MAX_PANES = 8  # the most lanes a fan-out shows side by side (2-8)
PANE_ROWS = 18  # a streaming pane's fixed height (LanePane's CSS says the same)
MIN_PANE_WIDTH = 36  # columns: the grid puts no more panes in a row than fit this wide
# Seconds after the panes settle to unmount a pane's hidden blocks, and between two
# panes (unmounting costs ~30 ms: one pane at a time). See AFTER_TURN.
COMPACT_AFTER = 0.5
COMPACT_STAGGER = 0.15
# Lines of newest text kept shown while a pane streams (it shows PANE_ROWS minus its
# border, head and "earlier text" line: ~14). Relation: TAIL_LINES > PANE_ROWS.
TAIL_LINES = 40

# -- the tail of a streaming pane, before layout (markdown.lean_markdown) -------------
# Before a new block is laid out its height is guessed: a line per CHARS_PER_LINE
# characters of source. Relations (tests/tui/test_tuning.py measures a real pane):
# - the narrowest pane (MIN_PANE_WIDTH columns) has at most CHARS_PER_LINE columns of
#   text, so there the guess never counts more lines than are drawn: it keeps a
#   little more than TAIL_LINES, never less (what is dropped is out of sight);
# - in a wider pane the guess over-counts by width / CHARS_PER_LINE, so TAIL_LINES
#   guessed lines still fill the pane's text rows up to
#   TAIL_LINES * CHARS_PER_LINE / (text rows) columns of text: two panes side by side
#   on a 200-column terminal.
CHARS_PER_LINE = 50
