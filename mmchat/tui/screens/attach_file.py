"""The attach dialog (alt+a): type a file's path with completion, pick from the folder's
entries, get the file read and checked, or a reason it cannot be attached.

The file is read here, within the limits and next to the files already attached, so a
refused file (missing, a folder, too big, binary) is said in the dialog and the user
can type another path; what the dialog returns is always attachable. Whether the
models take images is checked when the message is sent (the model may change before).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Label, OptionList
from textual.widgets.option_list import Option

from mmchat.tui.path_completion import PathSuggester, common_completion

if TYPE_CHECKING:
    from mmchat.api import Attachment
    from mmchat.attachments.files import Limits

__all__ = ["AttachFileScreen"]


class PathInput(Input):
    """The path field. Tab completes it, bound here rather than as a screen's priority
    binding: the screen's ran as the key arrived, before this input had handled the
    characters typed just ahead of it (a fast typist, a terminal's burst), and so
    completed the path as it was a few keys earlier."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("tab", "complete", "Complete", show=False),
    ]

    def __init__(self, cwd: Path, **kwargs: Any) -> None:
        self.paths = PathSuggester(cwd)  # also lists the entries under the input
        super().__init__(suggester=self.paths, **kwargs)
        self.cwd = cwd

    def action_complete(self) -> None:
        completed = common_completion(self.value, self.cwd)
        self.value = completed
        self.cursor_position = len(completed)


class AttachFileScreen(ModalScreen["Attachment | None"]):
    DEFAULT_CSS = """
    AttachFileScreen { align: center middle; }
    AttachFileScreen > Vertical {
        width: 80; max-width: 90%; height: auto; max-height: 80%;
        background: $surface; border: round $accent; padding: 0 1;
    }
    AttachFileScreen .modal-title { text-style: bold; padding: 0 0 1 0; }
    AttachFileScreen .modal-hint { color: $text-muted; }
    AttachFileScreen #attach-error { color: $error; display: none; }
    AttachFileScreen #attach-error.-shown { display: block; }
    AttachFileScreen OptionList { height: auto; max-height: 16; margin: 1 0 0 0; }
    """
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "dismiss_none", "Close"),
        Binding("down", "to_list", "Entries", show=False),
    ]

    def __init__(
        self,
        attached: Sequence[Attachment] = (),
        limits: Limits | None = None,
        cwd: Path | None = None,
    ) -> None:
        super().__init__()
        self.attached = tuple(attached)
        self.limits = limits
        self.cwd = cwd or Path.cwd()

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label("Attach a file (a text file, or a PNG, JPEG, GIF or WebP image)",
                        classes="modal-title")  # fmt: skip
            yield PathInput(self.cwd, placeholder=f"path, from {self.cwd}", id="attach-path")
            yield Label("", id="attach-error", markup=False)
            yield OptionList(id="attach-entries")
            yield Label(
                "tab complete · ↓ entries · enter attach or open folder · esc close",
                classes="modal-hint",
            )

    def on_mount(self) -> None:
        self._list("")
        self.query_one(Input).focus()

    # -- the entries under the input -------------------------------------------------
    def _list(self, value: str) -> None:
        matches = self.query_one(PathInput).paths.matches(value)
        self.query_one(OptionList).set_options(Option(m, id=m) for m in matches)

    def on_input_changed(self, event: Input.Changed) -> None:
        self._list(event.value)
        self._say("")

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        path = event.option.id or ""
        path_input = self.query_one(Input)
        path_input.value = path
        path_input.cursor_position = len(path)
        path_input.focus()
        if not path.endswith("/"):
            self._try_attach(path)

    def action_to_list(self) -> None:
        entries = self.query_one(OptionList)
        if entries.option_count:
            entries.focus()
            entries.highlighted = 0

    # -- attaching -------------------------------------------------------------------
    def on_input_submitted(self, event: Input.Submitted) -> None:
        value = event.value.strip()
        if not value:
            self._say("type the path of a file")
            return
        target = self._resolve(value)
        if target.is_dir():  # enter on a folder opens it, as in a file dialog
            opened = value if value.endswith("/") else value + "/"
            event.input.value = opened
            event.input.cursor_position = len(opened)
            return
        self._try_attach(value)

    def _resolve(self, value: str) -> Path:
        path = Path(value).expanduser()
        return path if path.is_absolute() else self.cwd / path

    def _try_attach(self, value: str) -> None:
        from mmchat.attachments.files import AttachmentError, Limits, check_added, read_file

        limits = self.limits or Limits()
        try:
            attachment = read_file(self._resolve(value), limits)
            check_added(self.attached, attachment, limits)
        except AttachmentError as exc:
            self._say(str(exc).replace(str(self.cwd) + "/", ""))
            return
        self.dismiss(attachment)

    def _say(self, problem: str) -> None:
        label = self.query_one("#attach-error", Label)
        label.update(problem)
        label.set_class(bool(problem), "-shown")

    def action_dismiss_none(self) -> None:
        self.dismiss(None)
