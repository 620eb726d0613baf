"""A noun's fields declared once in a request body: the body of its changes takes each of them
optional with the same limits, its answer carries each of them without limits."""

from __future__ import annotations

from typing import Annotated

import pytest
from pydantic import Field, StringConstraints, ValidationError

from tripbot.platform.schemas import Input, answer, changes_to

Word = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=5)]


class Details(Input):
    """A toy noun's details."""

    word: Word
    count: Annotated[int, Field(ge=0, le=9)] = 0
    note: str = Field("", max_length=3, description="A short note.")


@changes_to(Details)
class Change(Input):
    """Changes to the toy noun."""

    stock: int | None = None


@answer(after="id")
class Out(Details):
    """The toy noun as answered."""

    id: int
    extra: list[int] = Field(default_factory=list)


def test_a_change_takes_any_detail_optional_with_its_limits() -> None:
    # Typed code sees only Change's own fields (mypy reads the class as written): the details
    # come in as data, the way request bodies and forms fill them.
    assert Change().model_dump(exclude_unset=True) == {}
    assert Change.model_validate({"word": " hi "}).model_dump(exclude_unset=True) == {"word": "hi"}
    assert Change.model_validate({"count": None, "stock": 3}).model_dump(exclude_unset=True) == {
        "count": None,
        "stock": 3,
    }
    wrong_ones = ({"word": ""}, {"word": "toolong"}, {"count": 10}, {"note": "four"})
    for wrong in (*wrong_ones, {"note": "a\x00"}):  # Input's own checks hold for them too
        with pytest.raises(ValidationError):
            Change.model_validate(wrong)
    with pytest.raises(ValidationError, match="Extra inputs"):
        Change.model_validate({"unknown": 1})


def test_a_change_is_described_as_the_details_are() -> None:
    said = Change.model_json_schema()
    assert said["title"] == "Change"
    assert said["description"] == "Changes to the toy noun."
    assert said["properties"]["word"]["anyOf"] == [
        {"maxLength": 5, "minLength": 1, "type": "string"},
        {"type": "null"},
    ]
    assert said["properties"]["note"]["description"] == "A short note."
    assert "required" not in said
    assert set(said["properties"]) == {"word", "count", "note", "stock"}


def test_an_answer_carries_every_detail_without_limits_after_its_field() -> None:
    assert list(Out.model_fields) == ["id", "word", "count", "note", "extra"]
    said = Out.model_json_schema()
    assert said["required"] == ["id", "word", "count", "note"]
    assert said["properties"]["word"] == {"title": "Word", "type": "string"}
    assert said["properties"]["count"] == {"title": "Count", "type": "integer"}
    assert "additionalProperties" not in said
    out = Out.model_validate(
        {"id": 1, "word": "a long word", "count": 42, "note": "longer", "ignored": True}
    )
    assert out.model_dump() == {
        "id": 1,
        "word": "a long word",
        "count": 42,
        "note": "longer",
        "extra": [],
    }
    with pytest.raises(ValidationError):
        Out(id=1, word="w", count=1)  # every detail is in an answer
