"""A form widget generated from a pydantic model's fields.

Each field becomes a label, its ``description`` and an editor chosen from the type:
str → Input, int/float → Input restricted to numbers, bool → Switch, Literal → Select,
a model alias (``models_option``) → Select of the configured aliases, a list of aliases
→ SelectionList, anything else (dicts, lists, nested models) → a TextArea holding JSON.

The form never decides validity itself: :meth:`ModelForm.validate_model` runs the same
pydantic model the config loader uses and shows each error under its field.
"""

from __future__ import annotations

import json
import types
import typing
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from pydantic import BaseModel, ValidationError
from pydantic.fields import FieldInfo
from pydantic_core import PydanticUndefined
from textual.app import ComposeResult
from textual.containers import VerticalGroup
from textual.widgets import Input, Label, Select, SelectionList, Static, Switch, TextArea

__all__ = ["FieldSpec", "ModelForm", "field_specs", "format_errors"]

Kind = Literal["text", "int", "float", "bool", "choice", "model", "models", "json"]


@dataclass(frozen=True, slots=True)
class FieldSpec:
    name: str
    kind: Kind
    optional: bool
    description: str
    default: Any
    choices: tuple[str, ...] = ()


def _unwrap(annotation: Any) -> tuple[Any, bool]:
    """(the type without Optional / Annotated, whether None is allowed)."""
    optional = False
    while True:
        origin = typing.get_origin(annotation)
        if origin is typing.Annotated:
            annotation = typing.get_args(annotation)[0]
            continue
        if origin in (typing.Union, types.UnionType):
            args = [a for a in typing.get_args(annotation) if a is not type(None)]
            optional = optional or len(args) < len(typing.get_args(annotation))
            if len(args) == 1:
                annotation = args[0]
                continue
        return annotation, optional


def _extra(info: FieldInfo, key: str) -> bool:
    extra = info.json_schema_extra
    return isinstance(extra, dict) and bool(extra.get(key))


def _default(info: FieldInfo) -> Any:
    if info.default_factory is not None:
        return info.default_factory()  # type: ignore[call-arg]
    return None if info.default is PydanticUndefined else info.default


def field_specs(
    model_cls: type[BaseModel],
    *,
    model_aliases: Sequence[str] = (),
    preset_names: Sequence[str] = (),
    choices: Mapping[str, Sequence[str]] | None = None,
    exclude: Sequence[str] = (),
) -> list[FieldSpec]:
    """How each field of ``model_cls`` is edited."""
    specs: list[FieldSpec] = []
    for name, info in model_cls.model_fields.items():
        if name in exclude:
            continue
        annotation, optional = _unwrap(info.annotation)
        origin = typing.get_origin(annotation)
        kind: Kind
        options: tuple[str, ...] = ()
        if choices and name in choices:
            kind, options = "choice", tuple(choices[name])
        elif _extra(info, "model_ref") and annotation is str:
            kind, options = "model", tuple(model_aliases)
        elif _extra(info, "model_ref") and origin is list and typing.get_args(annotation) == (str,):
            kind, options = "models", tuple(model_aliases)
        elif _extra(info, "preset_ref") and annotation is str:
            kind, options = "choice", tuple(preset_names)
        elif origin is Literal:
            kind, options = "choice", tuple(str(a) for a in typing.get_args(annotation))
        elif annotation is bool:
            kind = "bool"
        elif annotation is int:
            kind = "int"
        elif annotation is float:
            kind = "float"
        elif annotation is str or (isinstance(annotation, type) and "Url" in annotation.__name__):
            kind = "text"
        else:
            kind = "json"
        description = info.description or ""
        specs.append(FieldSpec(name, kind, optional, description, _default(info), options))
    return specs


def format_errors(exc: ValidationError) -> dict[str, str]:
    """Field name (first part of the location, "" for the whole model) → messages."""
    found: dict[str, list[str]] = {}
    for err in exc.errors():
        loc = [str(p) for p in err["loc"]]
        field = loc[0] if loc else ""
        rest = ".".join(loc[1:])
        message = str(err["msg"]).removeprefix("Value error, ")
        if err["type"] == "missing":
            message = "required"
        elif err["type"] == "extra_forbidden":
            message = f"unknown option `{rest or field}`"
        elif rest:
            message = f"{rest}: {message}"
        found.setdefault(field, []).append(message)
    return {field: "; ".join(messages) for field, messages in found.items()}


def _label(name: str) -> str:
    return name.replace("_", " ").capitalize()


def _text(value: Any) -> str:
    return "" if value is None else str(value)


class ModelForm(VerticalGroup):
    """Editors for the fields of ``model_cls``, filled from ``values`` (else defaults)."""

    DEFAULT_CSS = """
    ModelForm { height: auto; padding: 0 1; }
    ModelForm .form-field { height: auto; margin-bottom: 1; }
    ModelForm .form-label { text-style: bold; }
    ModelForm .form-help { color: $text-muted; }
    ModelForm .form-error { color: $error; display: none; }
    ModelForm .form-error.shown { display: block; }
    ModelForm TextArea { height: 6; }
    ModelForm Input, ModelForm Select { width: 100%; max-width: 80; }
    ModelForm SelectionList { height: auto; max-height: 10; }
    """

    def __init__(
        self,
        model_cls: type[BaseModel],
        values: Mapping[str, Any] | None = None,
        *,
        model_aliases: Sequence[str] = (),
        preset_names: Sequence[str] = (),
        choices: Mapping[str, Sequence[str]] | None = None,
        exclude: Sequence[str] = (),
        id: str | None = None,
        classes: str | None = None,
    ) -> None:
        super().__init__(id=id, classes=classes)
        self.model_cls = model_cls
        self.values = dict(values or {})
        self.specs = field_specs(
            model_cls,
            model_aliases=model_aliases,
            preset_names=preset_names,
            choices=choices,
            exclude=exclude,
        )
        self._initial: dict[str, Any] | None = None

    # ------------------------------------------------------------------ building

    def compose(self) -> ComposeResult:
        for spec in self.specs:
            value = self.values.get(spec.name, spec.default)
            with VerticalGroup(classes="form-field", id=f"row-{spec.name}"):
                required = "" if spec.optional or spec.default is not None else " *"
                yield Label(_label(spec.name) + required, classes="form-label")
                if spec.description:
                    yield Static(spec.description, classes="form-help", markup=False)
                yield self._editor(spec, value)
                yield Static("", classes="form-error", id=f"error-{spec.name}", markup=False)
        yield Static("", classes="form-error", id="error-__all__", markup=False)

    def _editor(self, spec: FieldSpec, value: Any) -> Any:
        wid = f"field-{spec.name}"
        if spec.kind == "bool":
            return Switch(bool(value), id=wid)
        if spec.kind in ("int", "float"):
            placeholder = "(unset)" if spec.optional else ""
            return Input(
                _text(value),
                type="integer" if spec.kind == "int" else "number",
                placeholder=placeholder,
                id=wid,
                compact=True,
            )
        if spec.kind in ("choice", "model"):
            options = list(spec.choices)
            if value not in (None, "") and str(value) not in options:
                options.append(str(value))  # keep a value we do not know; validation says why
            return Select(
                [(o, o) for o in options],
                allow_blank=spec.optional or value in (None, ""),
                value=str(value) if value not in (None, "") else Select.NULL,
                prompt="(unset)" if spec.optional else "Select",
                id=wid,
                compact=True,
            )
        if spec.kind == "models":
            current = [str(v) for v in value or []]
            names = list(spec.choices) + [v for v in current if v not in spec.choices]
            return SelectionList[str](*[(n, n, n in current) for n in names], id=wid)
        if spec.kind == "json":
            text = "" if value is None else json.dumps(value, indent=2, ensure_ascii=False)
            return TextArea(text, language="json", id=wid, soft_wrap=True)
        placeholder = "(unset)" if spec.optional else ""
        return Input(_text(value), placeholder=placeholder, id=wid, compact=True)

    def on_mount(self) -> None:
        self._initial = self.raw_values()[0]

    # ------------------------------------------------------------------ reading

    def raw_values(self) -> tuple[dict[str, Any], dict[str, str]]:
        """The values as typed (not yet validated) and any errors found reading them."""
        values: dict[str, Any] = {}
        errors: dict[str, str] = {}
        for spec in self.specs:
            widget = self.query_one(f"#field-{spec.name}")
            empty = object()
            result: Any = empty
            if isinstance(widget, Switch):
                result = widget.value
            elif isinstance(widget, Select):
                result = None if widget.value is Select.NULL else widget.value
            elif isinstance(widget, SelectionList):
                chosen = list(widget.selected)
                previous = [v for v in self.values.get(spec.name) or [] if v in chosen]
                result = previous + [v for v in chosen if v not in previous]
            elif isinstance(widget, TextArea):
                text = widget.text.strip()
                if text:
                    try:
                        result = json.loads(text)
                    except ValueError as exc:
                        errors[spec.name] = f"not valid JSON: {exc}"
                        continue
                else:
                    result = None
            elif isinstance(widget, Input):
                text = widget.value.strip() if spec.kind != "text" else widget.value
                result = text if text.strip() else None
            if result is None:
                if spec.optional:
                    values[spec.name] = None
                continue  # omitted: the default applies, or pydantic says "required"
            if result is not empty:
                values[spec.name] = result
        return values, errors

    def is_modified(self) -> bool:
        """True when any editor differs from what the form was opened with."""
        return self._initial is not None and self.raw_values()[0] != self._initial

    # ------------------------------------------------------------------ validating

    def validate_model(self, extra: Mapping[str, Any] | None = None) -> BaseModel | None:
        """The validated model, or None with every error shown under its field."""
        values, errors = self.raw_values()
        model: BaseModel | None = None
        try:
            model = self.model_cls.model_validate({**values, **(extra or {})})
        except ValidationError as exc:
            for name, message in format_errors(exc).items():
                errors.setdefault(name, message)
        self.show_errors(errors)
        return None if errors else model

    def show_errors(self, errors: Mapping[str, str]) -> None:
        """Show ``errors`` (field → message; unknown fields go to the bottom line)."""
        names = {spec.name for spec in self.specs}
        general = [f"{k}: {v}" if k else v for k, v in errors.items() if k not in names]
        for spec in self.specs:
            self._set_error(f"#error-{spec.name}", errors.get(spec.name, ""))
        self._set_error("#error-__all__", "\n".join(general))

    def _set_error(self, selector: str, message: str) -> None:
        label = self.query_one(selector, Static)
        label.update(f"✗ {message}" if message else "")
        label.set_class(bool(message), "shown")

    def error_text(self) -> str:
        """Every error currently shown, one per line (for tests and summaries)."""
        shown = [str(s.render()) for s in self.query(".form-error.shown").results(Static)]
        return "\n".join(shown)
