"""What the agenda service accepts and answers: the schemas its API and its client share."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Literal

from pydantic import (
    AwareDatetime,
    BaseModel,
    Field,
    StringConstraints,
    model_validator,
)

from tripbot.platform.schemas import Input

ActivityStatus = Literal["scheduled", "moved", "cancelled"]
ConflictKind = Literal[
    "place_double_booked", "person_double_booked", "outside_event", "over_capacity"
]

TITLE_MAX = 200
Title = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=TITLE_MAX)]
PlaceName = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=120)]
Track = Annotated[str, StringConstraints(strip_whitespace=True, max_length=80)]
Capacity = Annotated[int, Field(ge=1, le=1_000_000)]
Id = Annotated[int, Field(ge=1, le=2**31 - 1)]


class PlaceCreate(Input):
    """A new place of an event."""

    name: PlaceName
    description: str = Field("", max_length=2000)
    capacity: Capacity | None = None


class PlaceUpdate(Input):
    """Changes to a place; fields left out stay as they are (``capacity: null`` clears it)."""

    name: PlaceName | None = None
    description: str | None = Field(None, max_length=2000)
    capacity: Capacity | None = None


class PlaceOut(BaseModel):
    """A place of an event."""

    id: int
    event_id: int
    name: str
    description: str
    capacity: int | None


class ActivityCreate(Input):
    """A new activity; times are instants with their offset (naive times are refused)."""

    title: Title
    description: str = Field("", max_length=5000)
    starts_at: AwareDatetime
    ends_at: AwareDatetime
    place_id: Id | None = None
    people: list[Id] = Field(default_factory=list, max_length=50)
    capacity: Capacity | None = None
    track: Track = ""

    @model_validator(mode="after")
    def _ends_after_start(self) -> ActivityCreate:
        if self.ends_at <= self.starts_at:
            raise ValueError("ends_at must be after starts_at")
        return self


class ActivityUpdate(Input):
    """Changes to an activity; fields left out stay as they are.

    ``place_id`` and ``capacity`` may be null to clear them. Changing the time or the place of
    a scheduled activity marks it ``moved``.
    """

    title: Title | None = None
    description: str | None = Field(None, max_length=5000)
    starts_at: AwareDatetime | None = None
    ends_at: AwareDatetime | None = None
    place_id: Id | None = None
    people: list[Id] | None = Field(None, max_length=50)
    capacity: Capacity | None = None
    track: Track | None = None
    status: ActivityStatus | None = None


class PersonOut(BaseModel):
    """A member in charge of an activity."""

    user_id: int
    display_name: str


class ActivityOut(BaseModel):
    """An activity of an event's timetable; instants are in UTC."""

    id: int
    event_id: int
    uid: str
    title: str
    description: str
    starts_at: datetime
    ends_at: datetime
    place_id: int | None
    place_name: str | None
    people: list[PersonOut]
    capacity: int | None
    track: str
    status: ActivityStatus
    sequence: int
    created_at: datetime
    updated_at: datetime


class ActivityQuery(BaseModel):
    """Which activities to list: one day (in the event's time zone) and/or one place."""

    day: date | None = None
    place_id: Id | None = None


class ConflictOut(BaseModel):
    """Something in the timetable that deserves a look; a warning, never a refusal."""

    kind: ConflictKind
    activity_ids: list[int]
    place_id: int | None = None
    user_id: int | None = None
    detail: str


class NowQuery(BaseModel):
    """The instant to ask about (now if left out) and how many coming activities to give."""

    at: AwareDatetime | None = None
    limit: int = Field(3, ge=1, le=20)


class NowNextOut(BaseModel):
    """What is happening at an instant, and what comes next (cancelled activities left out)."""

    at: datetime
    timezone: str
    now: list[ActivityOut]
    next: list[ActivityOut]


class FeedTokenOut(BaseModel):
    """A member's private calendar feed token for one event; keep it secret."""

    event_id: int
    token: str
    created_at: datetime


class CalendarQuery(BaseModel):
    """A calendar app's request: the feed token replaces a login."""

    token: str | None = Field(None, max_length=200)


class CalendarFile(BaseModel):
    """A rendered calendar, or only its ETag when the caller's copy is current."""

    etag: str
    body: str | None
