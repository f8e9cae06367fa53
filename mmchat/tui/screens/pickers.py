"""Small modals: pick one of a list, typing to filter it (preset, model, conversation),
type a line (rename, search), confirm (delete)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.fuzzy import Matcher
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, OptionList
from textual.widgets.option_list import Option

__all__ = ["ConfirmScreen", "InputScreen", "PickerScreen"]

_MODAL_CSS = """
{name} {{ align: center middle; }}
{name} > Vertical {{
    width: 72; max-width: 90%; height: auto; max-height: 80%;
    background: $surface; border: round $accent; padding: 0 1;
}}
{name} .modal-title {{ text-style: bold; padding: 0 0 1 0; }}
{name} .modal-hint {{ color: $text-muted; }}
"""


class PickerScreen(ModalScreen[str | None]):
    """Choose one entry, typing to narrow the list; returns its id (None on escape).

    Filtering uses Textual's fuzzy matcher (the command palette's): "cmp" finds
    "compare", best matches first. ``details`` (by id) adds a dim second line to an
    entry, e.g. what sets one model alias apart from another on the same model; it is
    shown, not searched.
    """

    DEFAULT_CSS = (
        _MODAL_CSS.format(name="PickerScreen")
        + """
    PickerScreen Input { margin: 0 0 1 0; }
    PickerScreen OptionList { height: auto; max-height: 24; }
    """
    )
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "dismiss_none", "Close"),
        Binding("down", "move(1)", "Next", show=False),
        Binding("up", "move(-1)", "Previous", show=False),
        Binding("pagedown", "move(10)", "Page down", show=False),
        Binding("pageup", "move(-10)", "Page up", show=False),
    ]

    def __init__(
        self,
        title: str,
        choices: Sequence[tuple[str, str]],
        *,
        current: str | None = None,
        details: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__()
        self.title_text = title
        self.choices = list(choices)
        self.current = current
        self.details = dict(details or {})

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label(self.title_text, classes="modal-title")
            yield Input(placeholder="type to filter")
            yield OptionList(*self._options(""))
            yield Label("↑↓ move · enter choose · esc close", classes="modal-hint")

    def _options(self, query: str) -> list[Option]:
        if not query.strip():
            return [self._option(key, Content(label)) for key, label in self.choices]
        matcher = Matcher(query.strip())
        scored = [(matcher.match(label), key, label) for key, label in self.choices]
        best_first = sorted((s for s in scored if s[0] > 0), key=lambda s: -s[0])
        return [self._option(key, matcher.highlight(label)) for _, key, label in best_first]

    def _option(self, key: str, label: Content) -> Option:
        detail = self.details.get(key)
        if detail:
            label = Content.assemble(label, "\n", (f"  {detail}", "dim"))
        return Option(label, id=key)

    def on_mount(self) -> None:
        option_list = self.query_one(OptionList)
        keys = [key for key, _ in self.choices]
        if self.current in keys:
            option_list.highlighted = keys.index(self.current)
        self.query_one(Input).focus()

    def on_input_changed(self, message: Input.Changed) -> None:
        message.stop()
        option_list = self.query_one(OptionList)
        option_list.set_options(self._options(message.value))
        option_list.highlighted = 0 if option_list.option_count else None

    def on_input_submitted(self, message: Input.Submitted) -> None:
        message.stop()
        option_list = self.query_one(OptionList)
        if option_list.highlighted is None:
            self.app.bell()  # nothing matches what was typed
            return
        self.dismiss(option_list.get_option_at_index(option_list.highlighted).id)

    def action_move(self, step: int) -> None:
        option_list = self.query_one(OptionList)
        if option_list.option_count:
            at = option_list.highlighted if option_list.highlighted is not None else -step
            option_list.highlighted = max(0, min(option_list.option_count - 1, at + step))

    def on_option_list_option_selected(self, message: OptionList.OptionSelected) -> None:
        message.stop()
        self.dismiss(message.option.id)

    def action_dismiss_none(self) -> None:
        self.dismiss(None)


class InputScreen(ModalScreen[str | None]):
    """Type one line; returns it (or None on escape)."""

    DEFAULT_CSS = _MODAL_CSS.format(name="InputScreen")
    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "dismiss_none", "Close")]

    def __init__(self, title: str, value: str = "", *, placeholder: str = "") -> None:
        super().__init__()
        self.title_text = title
        self.value = value
        self.placeholder = placeholder

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label(self.title_text, classes="modal-title")
            yield Input(self.value, placeholder=self.placeholder)
            yield Label("enter ok · esc cancel", classes="modal-hint")

    def on_mount(self) -> None:
        self.query_one(Input).focus()

    def on_input_submitted(self, message: Input.Submitted) -> None:
        message.stop()
        self.dismiss(message.value)

    def action_dismiss_none(self) -> None:
        self.dismiss(None)


class ConfirmScreen(ModalScreen[bool]):
    DEFAULT_CSS = (
        _MODAL_CSS.format(name="ConfirmScreen")
        + """
    ConfirmScreen Horizontal { height: auto; align-horizontal: right; }
    ConfirmScreen Button { margin: 0 0 0 1; }
    """
    )
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "no", "Cancel"),
        Binding("y", "yes", "Yes"),
    ]

    def __init__(self, question: str) -> None:
        super().__init__()
        self.question = question

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label(self.question, classes="modal-title")
            with Horizontal():
                yield Button("Cancel", id="no")
                yield Button("Yes (y)", id="yes", variant="error")

    def on_mount(self) -> None:
        self.query_one("#no", Button).focus()

    def on_button_pressed(self, message: Button.Pressed) -> None:
        self.dismiss(message.button.id == "yes")

    def action_yes(self) -> None:
        self.dismiss(True)

    def action_no(self) -> None:
        self.dismiss(False)
