"""The base every service's request bodies share: they refuse the same things, in the same words."""

from __future__ import annotations

import datetime as dt
import types
import typing
from functools import cache
from typing import Any

from pydantic import (
    AwareDatetime,
    BaseModel,
    ConfigDict,
    NaiveDatetime,
    ValidationInfo,
    field_validator,
)

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
