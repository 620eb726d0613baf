"""A form's fields drawn from the schema it fills: the web says what each field is called and
how wide it is; whether it is required, a number, and its limits come from the schema."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from flask_babel.speaklater import LazyString
from pydantic import BaseModel


@dataclass(frozen=True)
class Widget:
    """How the web shows one field: its label, its width in the grid, a text area or a line."""

    label: LazyString
    width: str = "s12"
    textarea: bool = False
    help: LazyString | None = None


@dataclass(frozen=True)
class FormField:
    """One field as the form template draws it (see ``_forms.html``'s ``field``)."""

    name: str
    label: LazyString
    width: str
    textarea: bool
    help: LazyString | None
    required: bool
    type: str = "text"
    attrs: dict[str, str] = field(default_factory=dict)


def form_fields(
    schema: type[BaseModel], names: tuple[str, ...], widgets: Mapping[str, Widget]
) -> list[FormField]:
    """The fields ``names`` of ``schema`` as a form shows them, in that order, read from its
    JSON schema (as the API document says them); a field with no widget is a KeyError at
    once, not a field missing from the page."""
    described = schema.model_json_schema()
    required = set(described.get("required", ()))
    drawn = []
    for name in names:
        widget, said = widgets[name], described["properties"][name]
        number = said.get("type") == "integer"
        limits = {"min": said.get("minimum"), "max": said.get("maximum")} if number else {}
        drawn.append(
            FormField(
                name,
                widget.label,
                widget.width,
                widget.textarea,
                widget.help,
                name in required,
                "number" if number else "text",
                {key: str(value) for key, value in limits.items() if value is not None},
            )
        )
    return drawn
