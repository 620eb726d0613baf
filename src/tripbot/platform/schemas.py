"""The base every service's request bodies share: they refuse the same things, in the same words."""

from __future__ import annotations

import datetime as dt
import types
import typing
from collections.abc import Callable
from functools import cache
from typing import Annotated, Any, TypeVar, cast

from pydantic import (
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    NaiveDatetime,
    ValidationInfo,
    create_model,
    field_validator,
)
from pydantic.fields import FieldInfo

M = TypeVar("M", bound=BaseModel)

_TEMPORAL: tuple[Any, ...] = (dt.date, dt.datetime, dt.time, AwareDatetime, NaiveDatetime)


def _temporal(annotation: Any) -> bool:
    """Whether a field's type is a date, a time or an instant (also optional or annotated)."""
    if annotation in _TEMPORAL or (
        isinstance(annotation, type) and issubclass(annotation, dt.date)
    ):
        return True
    origin = typing.get_origin(annotation)
    if origin in (typing.Union, types.UnionType, typing.Annotated):
        return any(_temporal(arg) for arg in typing.get_args(annotation))
    return False


class Input(BaseModel):
    """Base of every request body: unknown fields are an error, not silently dropped."""

    model_config = ConfigDict(extra="forbid")

    @field_validator("*", mode="after")
    @classmethod
    def _no_nul_characters(cls, value: object) -> object:
        # PostgreSQL cannot store U+0000 in text; refuse it here rather than fail there.
        if isinstance(value, str) and "\x00" in value:
            raise ValueError("text must not contain NUL characters")
        return value

    @field_validator("*", mode="before")
    @classmethod
    def _dates_are_text(cls, value: object, info: ValidationInfo) -> object:
        # JSON has no dates: they travel as ISO 8601 text, as the OpenAPI schema says. Pydantic
        # would also take a number as seconds since 1970, which no client means.
        if (
            isinstance(value, int | float)
            and info.field_name
            and _temporal_field(cls, info.field_name)
        ):
            raise ValueError(
                "a date or time is written as text, as in 2027-05-01 or 2027-05-01T08:00:00+02:00"
            )
        return value


@cache
def _temporal_field(model: type[BaseModel], name: str) -> bool:
    field = model.model_fields.get(name)
    return field is not None and _temporal(field.annotation)


# ---- one declaration, three shapes -----------------------------------------------------------
# A noun's fields that people write are declared once, in a request body (say ``ItemDetails``).
# The body that changes them takes each of them optional, and the answer carries each of them;
# both are derived here, so a new field is one line in one class.


def _constrained(field: FieldInfo) -> Any:
    """A field's type with its limits (length, range, stripping) kept on the type itself."""
    return Annotated[(field.annotation, *field.metadata)] if field.metadata else field.annotation


def _described(field: FieldInfo, **kwargs: Any) -> Any:
    """A copy of a field's words for the OpenAPI document (title, description, examples)."""
    words: dict[str, Any] = {
        "title": field.title,
        "description": field.description,
        "examples": field.examples,
    }
    kept: dict[str, Any] = {key: value for key, value in words.items() if value is not None}
    return Field(**kept, **kwargs)


def changes_to(details: type[BaseModel]) -> Callable[[type[M]], type[M]]:
    """A class decorator: the model also takes each field of ``details``, optional, with the
    same limits; left out (or null) it stays as it is. Type checkers see the class as written,
    so typed code fills those fields as data (``model_validate``), as requests and forms do."""

    def build(model: type[M]) -> type[M]:
        fields: dict[str, Any] = {
            name: (_constrained(field) | None, _described(field, default=None))
            for name, field in details.model_fields.items()
        }
        return create_model(
            model.__name__,
            __base__=model,
            __module__=model.__module__,
            __doc__=model.__doc__,
            **fields,
        )

    return build


def answer(after: str | None = None) -> Callable[[type[M]], type[M]]:
    """A class decorator for an answer declared on a request body's fields: the fields it takes
    from it keep their types but neither their limits nor their defaults, and come right after
    the answer's own field ``after`` (first if None); unknown fields are not refused (an answer
    is read, not checked). The answer's own fields stay as declared."""

    def build(model: type[M]) -> type[M]:
        inherited = {
            name
            for base in model.__bases__
            if issubclass(base, BaseModel)
            for name in base.model_fields
        }
        own = [name for name in model.model_fields if name not in inherited]
        cut = own.index(after) + 1 if after is not None else 0
        order = [*own[:cut], *(n for n in model.model_fields if n in inherited), *own[cut:]]
        fields: dict[str, Any] = {}
        for name in order:
            field = model.model_fields[name]
            fields[name] = (field.annotation, _described(field) if name in inherited else field)
        built = create_model(
            model.__name__, __module__=model.__module__, __doc__=model.__doc__, **fields
        )
        return cast(type[M], built)

    return build
