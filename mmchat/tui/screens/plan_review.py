"""Edit and approve a plan before it runs (a strategy called ``ctx.review``).

The payload is shown one step per line; the user edits the lines and approves
(ctrl+s), or rejects (esc). Lists of strings come back as lists of strings; lists of
dicts keep every field except the edited label; anything else is shown read-only.
"""

from __future__ import annotations

from typing import Any, ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Label, TextArea

__all__ = ["PlanReviewScreen", "payload_from_text", "payload_to_text"]

_LABEL_KEYS = ("title", "task", "step", "label", "description", "text", "instruction", "prompt")


def _label_key(item: dict[str, Any]) -> str | None:
    return next((key for key in _LABEL_KEYS if isinstance(item.get(key), str)), None)


def payload_to_text(payload: Any) -> str | None:
    """One line per step, or None when the payload is not a list we can edit."""
    if not isinstance(payload, list):
        return None
    lines = []
    for item in payload:
        if isinstance(item, str):
            lines.append(" ".join(item.split()))
        elif isinstance(item, dict) and _label_key(item):
            lines.append(" ".join(str(item[_label_key(item) or ""]).split()))
        else:
            return None
    return "\n".join(lines)


def payload_from_text(payload: list[Any], text: str) -> list[Any]:
    """Unchanged lines keep their original step; a new or edited line becomes a new
    step whose label (and prompt, if the steps have one) is that line."""
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    if all(isinstance(item, str) for item in payload):
        return lines
    originals: dict[str, dict[str, Any]] = {}
    for item in payload:
        key = _label_key(item)
        if key is not None:
            originals.setdefault(" ".join(str(item[key]).split()), item)
    template = next((i for i in payload if isinstance(i, dict)), {})
    result: list[Any] = []
    for line in lines:
        if line in originals:
            result.append(originals.pop(line))
            continue
        step = {k: v for k, v in template.items() if k not in ("id", "depends_on", "deps")}
        step[_label_key(step) or "title"] = line
        if "prompt" in step:
            step["prompt"] = line
        result.append(step)
    return result


class PlanReviewScreen(ModalScreen[Any]):
    DEFAULT_CSS = """
    PlanReviewScreen { align: center middle; }
    PlanReviewScreen > Vertical {
        width: 100; max-width: 95%; height: auto; max-height: 90%;
        background: $surface; border: round $accent; padding: 0 1;
    }
    PlanReviewScreen .modal-title { text-style: bold; }
    PlanReviewScreen .modal-hint { color: $text-muted; }
    PlanReviewScreen TextArea { height: 16; }
    PlanReviewScreen Horizontal { height: auto; align-horizontal: right; }
    PlanReviewScreen Button { margin: 0 0 0 1; }
    """
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+s", "approve", "Approve", id="approve_plan", priority=True),
        Binding("escape", "reject", "Reject"),
    ]

    def __init__(self, kind: str, payload: Any) -> None:
        super().__init__()
        self.kind = kind
        self.payload = payload
        self._text = payload_to_text(payload)

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label(f"Review the {self.kind} before it runs", classes="modal-title")
            hint = (
                "one step per line; edit, add or delete lines"
                if self._text is not None
                else ("this payload cannot be edited here; approve or reject it")
            )
            yield Label(hint, classes="modal-hint")
            text = self._text if self._text is not None else repr(self.payload)
            yield TextArea(text, read_only=self._text is None, soft_wrap=True)
            with Horizontal():
                yield Button("Reject (esc)", id="reject", variant="error")
                yield Button("Approve (ctrl+s)", id="approve", variant="success")

    def on_mount(self) -> None:
        self.query_one(TextArea).focus()

    def on_button_pressed(self, message: Button.Pressed) -> None:
        if message.button.id == "approve":
            self.action_approve()
        else:
            self.action_reject()

    def action_approve(self) -> None:
        if self._text is None or not isinstance(self.payload, list):
            self.dismiss(self.payload)
            return
        self.dismiss(payload_from_text(self.payload, self.query_one(TextArea).text))

    def action_reject(self) -> None:
        self.dismiss(None)
