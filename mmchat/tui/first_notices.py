"""What the app tells the user once the first screen is up: an unknown MMCHAT_MARKDOWN,
plugins that did not load, presets with problems, answers a crash interrupted, and
onboarding on a first run."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from mmchat.config_schema import Config
    from mmchat.tui.host import ChatHost

__all__ = ["maybe_onboard", "report_problems"]


def report_problems(app: ChatHost) -> None:
    for problem in app.runtime.problems:
        app.notify(problem, title="Markdown mode", severity="warning")
    if app.registry is not None and app.registry.failures:
        lines = [f"{f.name}: {f.error}" for f in app.registry.failures]
        app.notify("\n".join(lines), title="Some plugins did not load", severity="warning")
    if app.engine is not None:
        from mmchat.preset_check import preset_problems

        # Every preset problem config validate reports, cycles among presets included.
        problems = [str(p) for p in preset_problems(app.engine, {})]
        if problems:
            app.notify("\n".join(problems), title="Presets with problems", severity="warning")
        advice = app.engine.preset_warnings()
        if advice:
            app.notify("\n".join(advice), title="Presets worth a look", severity="information")
    if app.store is not None and app.store.interrupted_at_open:
        app.notify(
            f"{app.store.interrupted_at_open} answer(s) were interrupted by a crash; "
            "their partial text is kept."
        )


def maybe_onboard(app: ChatHost, config: Config) -> None:
    """The onboarding screen, when the config has no model that can answer."""
    try:
        from mmchat.tui.screens.onboarding import OnboardingScreen, needs_onboarding

        if needs_onboarding(config):
            assert app.loaded is not None
            app.push_screen(OnboardingScreen(app.loaded, app.apply_config))
    except Exception as exc:
        app.log.error(f"onboarding unavailable: {exc!r}")
