"""Tables of the gear service."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    Numeric,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from tripbot.platform.db import UTCDateTime, new_metadata, utcnow
from tripbot.platform.follow import feed_cursor_table
from tripbot.platform.idempotency import idempotency_table
from tripbot.platform.outbox import outbox_table

metadata = new_metadata()
outbox = outbox_table(metadata)
"""Changes the gear service records for the bot and the web's activity stream."""
idempotency_keys = idempotency_table(metadata)
"""Answers to retried reservations (the bot retries), by Idempotency-Key."""
feed_cursors = feed_cursor_table(metadata)
"""How far gear has followed the events service's feed (deleted events free their gear)."""

ACTIVE = ("reserved", "out")
"""Reservation states that hold gear: booked, or checked out and not yet back."""


class Base(DeclarativeBase):
    """Tables of the gear service share this metadata and no other service's."""

    metadata = metadata


class Item(Base):
    """A kind of gear: tracked as numbered units (tents) or as a quantity (carabiners).

    ``event_id`` is None for the club's own gear; otherwise the item belongs to that event.
    Items are retired, never deleted: their history stays.
    """

    __tablename__ = "items"
    __table_args__ = (
        CheckConstraint("weight_grams >= 0", name="weight"),
        CheckConstraint("quantity >= 0", name="quantity"),
        CheckConstraint("out_of_service >= 0 AND out_of_service <= quantity", name="broken"),
        CheckConstraint("tracking IN ('units', 'quantity')", name="tracking"),
        Index("ix_items_event_id_category", "event_id", "category"),
        {"sqlite_autoincrement": True},
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    name: Mapped[str] = mapped_column(String(120))
    category: Mapped[str] = mapped_column(String(60))
    description: Mapped[str] = mapped_column(Text, default="")
    weight_grams: Mapped[int] = mapped_column(Integer, default=0)
    tracking: Mapped[str] = mapped_column(String(10))
    quantity: Mapped[int] = mapped_column(Integer, default=0)
    """Stock of a quantity item (units are counted from their own rows)."""
    out_of_service: Mapped[int] = mapped_column(Integer, default=0)
    """How many of a quantity item are broken or lost."""
    created_by: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    retired_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


class Photo(Base):
    """An item's photo, kept apart so that lists of items never load the bytes."""

    __tablename__ = "photos"

    item_id: Mapped[int] = mapped_column(ForeignKey("items.id"), primary_key=True)
    content_type: Mapped[str] = mapped_column(String(20))
    data: Mapped[bytes] = mapped_column(LargeBinary)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Unit(Base):
    """One individually tracked piece of an item, with its label and condition."""

    __tablename__ = "units"
    __table_args__ = (
        UniqueConstraint("item_id", "label"),
        CheckConstraint("condition IN ('new', 'good', 'worn', 'out_of_service')", name="cond"),
        {"sqlite_autoincrement": True},
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("items.id"), index=True)
    label: Mapped[str] = mapped_column(String(60))
    condition: Mapped[str] = mapped_column(String(20), default="good")
    notes: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    retired_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


class Reservation(Base):
    """Gear booked for whole days, both ends included, in the club's time zone.

    ``status`` goes reserved → out → returned, or reserved → cancelled. ``flag`` says why a
    reservation can no longer be served (a unit went out of service), for its owner to see.
    """

    __tablename__ = "reservations"
    __table_args__ = (
        CheckConstraint("quantity > 0", name="quantity"),
        CheckConstraint("end_date >= start_date", name="dates"),
        CheckConstraint("status IN ('reserved', 'out', 'returned', 'cancelled')", name="status"),
        Index("ix_reservations_item_id_end_date", "item_id", "end_date"),
        # Covers the availability query: what ends on or after a window's first day (the
        # past is never read) and starts before its last, without reading the table.
        Index("ix_reservations_window", "end_date", "start_date", "item_id", "quantity", "status"),
        {"sqlite_autoincrement": True},
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("items.id"))
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"), nullable=True)
    quantity: Mapped[int] = mapped_column(Integer)
    start_date: Mapped[date] = mapped_column(Date)
    end_date: Mapped[date] = mapped_column(Date)
    user_id: Mapped[int] = mapped_column(Integer, index=True)
    user_name: Mapped[str] = mapped_column(String(80), default="")
    event_id: Mapped[int | None] = mapped_column(Integer, nullable=True, index=True)
    event_name: Mapped[str] = mapped_column(String(120), default="")
    status: Mapped[str] = mapped_column(String(12), default="reserved")
    flag: Mapped[str | None] = mapped_column(String(200), nullable=True)
    note: Mapped[str] = mapped_column(String(500), default="")
    created_by: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


class Loan(Base):
    """Gear handed out: one row per unit, or one per quantity, until it is checked back in."""

    __tablename__ = "loans"
    __table_args__ = (
        CheckConstraint("quantity > 0", name="quantity"),
        CheckConstraint("out_of_service >= 0 AND out_of_service <= quantity", name="broken"),
        Index("ix_loans_returned_at_due_date", "returned_at", "due_date"),
        {"sqlite_autoincrement": True},
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    reservation_id: Mapped[int] = mapped_column(ForeignKey("reservations.id"), index=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("items.id"), index=True)
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"), nullable=True, index=True)
    quantity: Mapped[int] = mapped_column(Integer, default=1)
    due_date: Mapped[date] = mapped_column(Date)
    checked_out_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    checked_out_by: Mapped[int] = mapped_column(Integer)
    condition_out: Mapped[str | None] = mapped_column(String(20), nullable=True)
    note_out: Mapped[str] = mapped_column(String(500), default="")
    returned_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    returned_by: Mapped[int | None] = mapped_column(Integer, nullable=True)
    condition_in: Mapped[str | None] = mapped_column(String(20), nullable=True)
    note_in: Mapped[str] = mapped_column(String(500), default="")
    out_of_service: Mapped[int] = mapped_column(Integer, default=0)
    """How many of a quantity loan came back unusable."""


class HistoryEntry(Base):
    """What happened to an item or unit, by whom and when. Rows are only ever inserted
    (a database trigger refuses updates)."""

    __tablename__ = "history"
    __table_args__ = (
        Index("ix_history_item_id_id", "item_id", "id"),
        {"sqlite_autoincrement": True},
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    item_id: Mapped[int] = mapped_column(ForeignKey("items.id"))
    unit_id: Mapped[int | None] = mapped_column(Integer, nullable=True, index=True)
    reservation_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    loan_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    action: Mapped[str] = mapped_column(String(40))
    actor_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    user_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    user_name: Mapped[str] = mapped_column(String(80), default="")
    quantity: Mapped[int | None] = mapped_column(Integer, nullable=True)
    condition: Mapped[str | None] = mapped_column(String(20), nullable=True)
    note: Mapped[str] = mapped_column(Text, default="")


class PackingEntry(Base):
    """A line of an event's packing list: what each participant brings, or what the club lends."""

    __tablename__ = "packing_entries"
    __table_args__ = (
        CheckConstraint("quantity > 0", name="quantity"),
        CheckConstraint("weight_grams >= 0", name="weight"),
        CheckConstraint("provided_by IN ('participant', 'club')", name="provider"),
        Index("ix_packing_entries_event_id_position", "event_id", "position"),
        {"sqlite_autoincrement": True},
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(Integer)
    position: Mapped[int] = mapped_column(Integer)
    name: Mapped[str] = mapped_column(String(120))
    category: Mapped[str] = mapped_column(String(60), default="")
    description: Mapped[str] = mapped_column(String(500), default="")
    quantity: Mapped[int] = mapped_column(Integer, default=1)
    weight_grams: Mapped[int] = mapped_column(Integer, default=0)
    worn: Mapped[bool] = mapped_column(Boolean, default=False)
    consumable: Mapped[bool] = mapped_column(Boolean, default=False)
    url: Mapped[str] = mapped_column(String(500), default="")
    price: Mapped[Decimal | None] = mapped_column(Numeric(10, 2), nullable=True)
    provided_by: Mapped[str] = mapped_column(String(12), default="participant")
    item_id: Mapped[int | None] = mapped_column(ForeignKey("items.id"), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class PackingTick(Base):
    """Someone packed a line: a line each participant brings is ticked by each of them for
    their own bag; a line the club lends is packed once, by whichever organizer ticks it."""

    __tablename__ = "packing_ticks"

    entry_id: Mapped[int] = mapped_column(
        ForeignKey("packing_entries.id", ondelete="CASCADE"), primary_key=True
    )
    user_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    ticked_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
