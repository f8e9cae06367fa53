"""The editor of one provider, model or preset on the settings screen.

A name field plus a :class:`ModelForm` for the entry's pydantic model. Providers get a
kind picker (the form follows the kind); presets get the strategy's own option form,
generated from its ``Options`` class (plain JSON when the strategy is not installed).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel
from textual import on
from textual.containers import Horizontal, VerticalScroll
from textual.widgets import Input, Label, Select, Static

from mmchat import provider_kinds
from mmchat.config_schema import NAME_PATTERN, ModelConfig, PresetConfig
from mmchat.plugins import Registry
from mmchat.tui.forms import ModelForm

__all__ = ["EditorContext", "EntryEditor", "kind_choices", "kind_summary"]

_NAME = re.compile(NAME_PATTERN)
_VARIANT_KEY = {"providers": "kind", "presets": "strategy"}


def kind_choices() -> list[tuple[str, str]]:
    """The kind picker's (label, value) pairs: every installed kind."""
    return [(k.name, k.name) for k in provider_kinds.kinds()]


def kind_summary(name: str) -> str:
    kind = provider_kinds.get(name)
    return kind.summary if kind is not None else ""


class _UnknownKind(BaseModel):
    """A provider whose kind is not installed (any more): nothing to edit here."""


class _RawOptions(BaseModel):
    """Options of a strategy that is not installed: edited as plain JSON."""

    options: dict[str, Any] = {}


@dataclass(frozen=True, slots=True)
class EditorContext:
    """Names the pickers offer: providers, model aliases, presets."""

    providers: Sequence[str] = ()
    aliases: Sequence[str] = ()
    presets: Sequence[str] = ()


class EntryEditor(VerticalScroll):
    """Edits one entry of ``section`` ("providers", "models" or "presets")."""

    DEFAULT_CSS = """
    EntryEditor #providers-kind-summary { color: $text-muted; padding: 0 1 1 10; }
    """

    def __init__(self, section: str, registry: Registry, *, id: str | None = None) -> None:
        super().__init__(id=id, classes="editor")
        self.section = section
        self.registry = registry
        self.name_shown: str | None = None  # None: a new entry
        self.original: dict[str, Any] = {}
        self.variant = ""  # provider kind / preset strategy on screen
        self.context = EditorContext()
        self.open = False

    async def show(
        self,
        name: str | None,
        values: dict[str, Any],
        context: EditorContext,
        variant: str | None = None,
    ) -> None:
        """Show entry ``name`` (None: a new one) with ``values``."""
        self.name_shown, self.original, self.context = name, dict(values), context
        values = dict(values)
        await self.remove_children()
        rows: list[Any] = [
            self._row(
                "Name",
                Input(
                    name or "",
                    placeholder="letters, digits, _ . -",
                    id=f"{self.section}-name",
                    compact=True,
                ),
            )
        ]
        if self.section == "providers":
            self.variant = variant or values.pop("kind", "openai")
            values.pop("kind", None)
            rows.append(
                self._row(
                    "Kind",
                    Select(
                        kind_choices(),
                        value=self.variant,
                        allow_blank=False,
                        id="providers-kind",
                        compact=True,
                    ),
                )
            )
            rows.append(
                Static(kind_summary(self.variant), id="providers-kind-summary", markup=False)
            )
            rows.append(self._provider_form(values))
        elif self.section == "models":
            if not name and context.providers:
                values.setdefault("provider", context.providers[0])
            rows.append(
                ModelForm(
                    ModelConfig,
                    values,
                    id="models-form",
                    choices={"provider": list(context.providers)},
                )
            )
        else:
            self.variant = variant or values.get("strategy") or "single"
            values["strategy"] = self.variant
            rows.append(
                ModelForm(
                    PresetConfig,
                    values,
                    exclude=("options",),
                    choices={"strategy": self.registry.names()},
                    id="presets-form",
                )
            )
            rows.append(Static("Strategy options", classes="form-label"))
            rows.append(self._options_form(values.get("options") or {}))
        await self.mount_all(rows)
        self.open = True

    async def clear(self) -> None:
        await self.remove_children()
        self.open, self.name_shown = False, None

    @staticmethod
    def _row(label: str, widget: Any) -> Horizontal:
        return Horizontal(Label(f"{label} ", classes="form-label"), widget, classes="name-row")

    def _provider_form(self, values: dict[str, Any]) -> ModelForm:
        kind = provider_kinds.get(self.variant)
        cls = kind.config if kind is not None else _UnknownKind
        kept = {k: v for k, v in values.items() if k in cls.model_fields}
        return ModelForm(cls, kept, exclude=("kind",), id="providers-form")

    def _options_form(self, options: dict[str, Any]) -> ModelForm:
        cls = self.registry.get(self.variant)
        if cls is None:
            return ModelForm(_RawOptions, {"options": options}, id="presets-options")
        kept = {k: v for k, v in options.items() if k in cls.Options.model_fields}
        return ModelForm(
            cls.Options,
            kept,
            id="presets-options",
            model_aliases=self.context.aliases,
            preset_names=self.context.presets,
        )

    # ------------------------------------------------------------------ variants

    @on(Select.Changed, "#providers-kind")
    async def _kind_changed(self, event: Select.Changed) -> None:
        event.stop()
        self.query_one("#providers-kind-summary", Static).update(kind_summary(str(event.value)))
        await self._switch(str(event.value), "#providers-form")

    @on(Select.Changed, "#presets-form #field-strategy")
    async def _strategy_changed(self, event: Select.Changed) -> None:
        event.stop()
        if event.value is not Select.NULL:
            await self._switch(str(event.value), "#presets-options")

    async def _switch(self, variant: str, selector: str) -> None:
        if variant == self.variant:
            return  # also the Changed that Select posts when mounted
        self.variant = variant
        old = self.query_one(selector, ModelForm)
        values, _ = old.raw_values()
        await old.remove()
        if self.section == "providers":
            await self.mount(self._provider_form(values))
        else:
            await self.mount(self._options_form(values))

    # ------------------------------------------------------------------ reading

    def entry_name(self) -> str:
        return self.query_one(f"#{self.section}-name", Input).value.strip()

    def is_modified(self) -> bool:
        if not self.open:
            return False
        if self.name_shown is None:
            return True  # a new entry that was never applied
        key = _VARIANT_KEY.get(self.section)
        return (
            self.entry_name() != self.name_shown
            or any(form.is_modified() for form in self.query(ModelForm))
            or (key is not None and self.original.get(key) != self.variant)
        )

    def collect(self, taken: Sequence[str]) -> tuple[str, dict[str, Any]] | list[str]:
        """(name, validated value) or the problems (also shown under the fields)."""
        name = self.entry_name()
        problems: list[str] = []
        if not _NAME.match(name) or len(name) > 64:
            problems.append("name: use letters, digits, _ . - (not starting with _ . -)")
        elif name != self.name_shown and name in taken:
            problems.append(f"name: {name!r} already exists")
        extra: dict[str, Any] = {}
        if self.section == "providers":
            extra["kind"] = self.variant
        elif self.section == "presets":
            options = self.query_one("#presets-options", ModelForm).validate_model()
            if options is None:
                problems.append("strategy options are invalid (see below)")
            elif isinstance(options, _RawOptions):
                extra["options"] = options.options
            else:
                extra["options"] = options.model_dump(mode="json", exclude_none=True)
        model = self.query_one(f"#{self.section}-form", ModelForm).validate_model(extra)
        if model is None:
            problems.append("see the errors under the fields")
        if problems or model is None:
            return problems
        return name, model.model_dump(mode="json", exclude_none=True)
