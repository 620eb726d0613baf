"""The base every service's request bodies share: they refuse the same things, in the same words."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, field_validator


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
