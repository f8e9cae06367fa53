"""The TUI's speed machinery, owned by the app: ``app.runtime``.

One :class:`Runtime` per app holds what used to be module-level state: the shared
flush clock of streamed text (:mod:`.flush_clock`), the typing hold
(:mod:`.typing_hold`), the garbage-collector policy (:mod:`.gc_policy`) and the
background imports (:mod:`.prefetch`); it also draws a typed key at once
(:mod:`.paint_now`) and keeps a pane's resize to one layout (:mod:`.quiet_resize`).
The constants all of these share are in :mod:`.tuning`, with their relations.

The Markdown mode decides how much of it runs: ``lean`` (the default) uses all of it;
``stock`` (``[ui] markdown = "stock"`` or ``MMCHAT_MARKDOWN=stock``) never imports the
modules that use Textual's private names (``PRIVATE_MODULES``), so the app runs on
any Textual that keeps its public API. Imported before the first frame: keep it tiny.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Collection
from typing import TYPE_CHECKING, Any, TypeVar

from mmchat.tui.runtime.gc_policy import Collector
from mmchat.tui.runtime.typing_hold import TypingHold

if TYPE_CHECKING:
    from textual.app import App
    from textual.widget import Widget

    from mmchat.tui.runtime.flush_clock import FlushClock
    from mmchat.tui.runtime.prefetch import Prefetch

__all__ = [
    "MARKDOWN_ENV",
    "MARKDOWN_MODES",
    "PRIVATE_MODULES",
    "PRIVATE_TEXTUAL_NAMES",
    "Runtime",
    "markdown_mode",
    "runtime_of",
]

W = TypeVar("W", bound="Widget")

MARKDOWN_MODES = ("lean", "stock")
MARKDOWN_ENV = "MMCHAT_MARKDOWN"  # overrides [ui] markdown

# Textual 8.2 private names this package uses ("module:Class.attribute"; a module
# alone when it is private). tests/tui/test_textual_privates.py checks each exists in
# the installed Textual and that no other name is used: after a Textual upgrade, a
# failing entry is what to port (or run with MMCHAT_MARKDOWN=stock meanwhile).
PRIVATE_TEXTUAL_NAMES = (
    # paint_now: paint the prompt's region from the last layout, inside a batch
    "textual.widget:Widget._layout_required",
    "textual.screen:Screen._compositor",
    "textual._compositor:Compositor._dirty_regions",
    "textual._compositor:Compositor.visible_widgets",
    "textual._compositor:Compositor.update_widgets",
    "textual._compositor:Compositor.render_update",
    "textual.app:App._background_screens",
    "textual.app:App._batch_count",
    "textual.app:App._display",
    # quiet_resize: a new size that does not ask for a second layout
    "textual.widget:Widget._size_updated",
)
# The modules that use them: never imported in stock mode.
PRIVATE_MODULES = ("mmchat.tui.runtime.paint_now", "mmchat.tui.runtime.quiet_resize")


def markdown_mode(configured: str | None) -> tuple[str, str | None]:
    """The Markdown mode and, when MMCHAT_MARKDOWN is not a mode, what to tell the user.

    The environment wins over ``configured`` (the config's ``[ui] markdown``).
    """
    fallback = configured if configured in MARKDOWN_MODES else "lean"
    asked = os.environ.get(MARKDOWN_ENV, "").strip().lower()
    if not asked:
        return fallback, None
    if asked in MARKDOWN_MODES:
        return asked, None
    return fallback, (
        f"{MARKDOWN_ENV}={asked!r} is not one of {', '.join(MARKDOWN_MODES)}: using {fallback!r}"
    )


class Runtime:
    """The speed machinery of one app (see the module docstring).

    ``busy``: is an answer streaming (no full collection then); ``provider_kinds``:
    the configured providers' kinds, for the background imports; ``problems``: what
    the app should tell the user once its first screen is up.
    """

    def __init__(
        self,
        app: App[Any],
        *,
        markdown: str = "lean",
        busy: Callable[[], bool] = lambda: False,
        provider_kinds: Callable[[], Collection[str]] = frozenset,
        problems: Collection[str] = (),
    ) -> None:
        if markdown not in MARKDOWN_MODES:
            raise ValueError(f"markdown mode {markdown!r}: expected one of {MARKDOWN_MODES}")
        self.app = app
        self.markdown = markdown
        self.problems = list(problems)
        self.typing = TypingHold()
        self.collector = Collector(app, busy=busy, since_key=self.typing.since_key)
        self._provider_kinds = provider_kinds
        self._prefetch: Prefetch | None = None
        self._clock: FlushClock | None = None

    @property
    def lean(self) -> bool:
        """Is the lean machinery on (LeanMarkdown, the flush clock, paint_now …)?"""
        return self.markdown == "lean"

    @property
    def prefetch(self) -> Prefetch:
        """The first turn's imports, in the background (built after the first frame)."""
        if self._prefetch is None:
            from mmchat.tui.runtime.prefetch import Prefetch

            self._prefetch = Prefetch(
                self.app,
                provider_kinds=self._provider_kinds,
                views=[f"mmchat.tui.markdown.{self.markdown}"],
            )
        return self._prefetch

    @property
    def clock(self) -> FlushClock:
        """The shared flush clock of streamed text (lean mode), built on first use."""
        if self._clock is None:
            from mmchat.tui.runtime.flush_clock import FlushClock

            self._clock = FlushClock(self.app, self.typing)
        return self._clock

    def key_typed(self) -> None:
        """A key reached the prompt: streamed text waits a moment (see typing_hold)."""
        self.typing.typed()

    def key_changed(self, widget: Widget) -> None:
        """A key changed ``widget`` (the prompt): lean mode draws it at once, ahead of
        the next frame (see paint_now); the flush held for it may go."""
        if self.lean:
            from mmchat.tui.runtime.paint_now import paint_now

            paint_now(widget)
        self.typing.key_shown()

    def quiet_resizing(self, cls: type[W]) -> type[W]:
        """``cls``, or in lean mode its variant whose resize costs one layout, not two
        (see quiet_resize)."""
        if not self.lean:
            return cls
        from mmchat.tui.runtime.quiet_resize import quiet_variant

        return quiet_variant(cls)


def runtime_of(app: App[Any]) -> Runtime:
    """``app.runtime``; a plain Textual app (a test's) gets one on first use, in the
    mode MMCHAT_MARKDOWN says (lean when unset)."""
    runtime = getattr(app, "runtime", None)
    if isinstance(runtime, Runtime):
        return runtime
    mode, problem = markdown_mode(None)
    runtime = Runtime(app, markdown=mode, problems=[problem] if problem else [])
    setattr(app, "runtime", runtime)  # noqa: B010 (Textual's App has no such attribute)
    return runtime
