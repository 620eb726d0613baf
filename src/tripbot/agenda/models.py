"""Tables of the agenda service."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Double, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from tripbot.platform.db import UTCDateTime, new_metadata, utcnow
from tripbot.platform.follow import feed_cursor_table
from tripbot.platform.outbox import outbox_table

metadata = new_metadata()
outbox = outbox_table(metadata)
"""Changes the agenda service records for the bot and the web's activity stream."""
feed_cursors = feed_cursor_table(metadata)
"""How far agenda has followed the events service's feed (a deleted event's timetable goes) and
the routes service's (an excursion's meeting goes into the calendar feed)."""


class Base(DeclarativeBase):
    """Tables of the agenda service share this metadata and no other service's."""

    metadata = metadata


class Agenda(Base):
    """One event's timetable as a whole: its revision goes up with every change.

    The revision makes the calendar feed's ETag without rendering anything, and its row is what
    writers lock so that two changes to the same agenda take turns.
    """

    __tablename__ = "agendas"

    event_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    revision: Mapped[int] = mapped_column(Integer, default=0)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Place(Base):
    """Somewhere an event's activities happen (a room, a hut, a meeting point)."""

    __tablename__ = "places"
    __table_args__ = (UniqueConstraint("event_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("agendas.event_id", ondelete="CASCADE"))
    uid: Mapped[str] = mapped_column(String(36), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    description: Mapped[str] = mapped_column(Text, default="")
    capacity: Mapped[int | None] = mapped_column(Integer, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Activity(Base):
    """One slot of an event's timetable.

    ``uid`` is a random UUID given at creation and never changed: calendar apps recognise the
    activity by it. ``sequence`` goes up whenever its time, place or status changes (RFC 5545).
    """

    __tablename__ = "activities"
    __table_args__ = (Index("ix_activities_event_id_starts_at", "event_id", "starts_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("agendas.event_id", ondelete="CASCADE"))
    uid: Mapped[str] = mapped_column(String(36), unique=True)
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime)
    place_id: Mapped[int | None] = mapped_column(
        ForeignKey("places.id", ondelete="RESTRICT"), nullable=True, index=True
    )
    capacity: Mapped[int | None] = mapped_column(Integer, nullable=True)
    track: Mapped[str] = mapped_column(String(80), default="")
    status: Mapped[str] = mapped_column(String(20), default="scheduled")
    sequence: Mapped[int] = mapped_column(Integer, default=0)
    created_by: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    place: Mapped[Place | None] = relationship(lazy="joined")
    people: Mapped[list[ActivityPerson]] = relationship(
        cascade="all, delete-orphan",
        passive_deletes=True,
        order_by="ActivityPerson.position",
        lazy="selectin",
    )


class ActivityPerson(Base):
    """A member in charge of an activity; the name is the one they had when assigned."""

    __tablename__ = "activity_people"
    __table_args__ = (UniqueConstraint("activity_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    activity_id: Mapped[int] = mapped_column(ForeignKey("activities.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(Integer, index=True)
    display_name: Mapped[str] = mapped_column(String(80))
    position: Mapped[int] = mapped_column(Integer, default=0)


class FeedToken(Base):
    """A member's private calendar feed link for one event.

    Only a digest of the token is stored; the token itself is derived from ``nonce`` with the
    service's secret, so the member's page can show it again while a copy of the database alone
    cannot open anyone's feed. Regenerating changes the nonce; revoking deletes the row.
    """

    __tablename__ = "feed_tokens"
    __table_args__ = (UniqueConstraint("event_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("agendas.event_id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(Integer)
    nonce: Mapped[str] = mapped_column(String(64))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Meeting(Base):
    """Where and when an excursion's group meets, as the routes service's feed last said it
    (its plan): the calendar feed shows it among the activities."""

    __tablename__ = "meetings"

    event_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    uid: Mapped[str] = mapped_column(String(36), unique=True)
    meeting_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    point: Mapped[str] = mapped_column(String(200), default="")
    lat: Mapped[float | None] = mapped_column(Double, nullable=True)
    lon: Mapped[float | None] = mapped_column(Double, nullable=True)
    sequence: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
