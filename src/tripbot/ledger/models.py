"""Tables of the ledger service.

An entry is a chain of immutable revisions; the entry row only points at the current one. Every
revision writes double-entry legs in the book's currency that sum to zero; a correction or a
reversal first writes the negation of the legs it replaces, so the sum of all legs of a party is
its balance and nothing is ever updated or deleted in the money tables (the running totals in
``balances`` are that sum, kept up to date as legs are written).
"""

from __future__ import annotations

import datetime as dt
from datetime import datetime

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from tripbot.platform.db import UTCDateTime, new_metadata, utcnow
from tripbot.platform.follow import feed_cursor_table
from tripbot.platform.idempotency import idempotency_table
from tripbot.platform.outbox import outbox_table

metadata = new_metadata()
outbox = outbox_table(metadata)
"""Changes the ledger service records for the bot and the web's activity stream."""
idempotency = idempotency_table(metadata)
"""Idempotency keys of retried POSTs (the bot retries)."""
feed_cursors = feed_cursor_table(metadata)
"""How far the ledger has followed the events service's feed (guests' places claimed)."""


class Base(DeclarativeBase):
    """Tables of the ledger service share this metadata and no other service's."""

    metadata = metadata


class Book(Base):
    """An event's ledger: its currency (fixed at the first entry) and who may read its report."""

    __tablename__ = "books"

    event_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    currency: Mapped[str] = mapped_column(String(3))
    visibility: Mapped[str] = mapped_column(String(12), default="organizers")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Person(Base):
    """A member's name as last seen in the event, kept for people who have since left."""

    __tablename__ = "people"

    event_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    user_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    display_name: Mapped[str] = mapped_column(String(80))


class Entry(Base):
    """One recorded movement of money; its content lives in its revisions."""

    __tablename__ = "entries"
    __table_args__ = (
        Index("ix_entries_event_state", "event_id", "state"),
        {"sqlite_autoincrement": True},
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(Integer)
    revision: Mapped[int] = mapped_column(Integer, default=1)
    state: Mapped[str] = mapped_column(String(10), default="active")
    created_by: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Dispute(Base):
    """A member charged by someone else's entry says it is wrong; open until an organizer
    confirms the entry or reverses it."""

    __tablename__ = "disputes"
    __table_args__ = (Index("ix_disputes_entry", "entry_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(Integer)
    entry_id: Mapped[int] = mapped_column(ForeignKey("entries.id"))
    raised_by: Mapped[int] = mapped_column(Integer)
    reason: Mapped[str] = mapped_column(String(200))
    raised_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    resolved_by: Mapped[int | None] = mapped_column(Integer, nullable=True)
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    outcome: Mapped[str | None] = mapped_column(String(10), nullable=True)
    """``confirmed`` (the entry stands) or ``reversed``; None while open."""


class Revision(Base):
    """One immutable version of an entry: what it said, who wrote it, when, and what changed."""

    __tablename__ = "revisions"
    __table_args__ = (
        UniqueConstraint("entry_id", "number"),
        Index("ix_revisions_event_date", "event_id", "date"),
        {"sqlite_autoincrement": True},
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    entry_id: Mapped[int] = mapped_column(ForeignKey("entries.id"))
    event_id: Mapped[int] = mapped_column(Integer)
    number: Mapped[int] = mapped_column(Integer)
    action: Mapped[str] = mapped_column(String(10))
    author_id: Mapped[int] = mapped_column(Integer)
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    reason: Mapped[str] = mapped_column(String(200), default="")
    changes: Mapped[dict[str, list[str]]] = mapped_column(JSON, default=dict)
    kind: Mapped[str] = mapped_column(String(12))
    date: Mapped[dt.date] = mapped_column(Date)
    description: Mapped[str] = mapped_column(String(200))
    code: Mapped[str | None] = mapped_column(String(20), nullable=True)
    """What the ledger itself wrote the entry for (``settle-up``), its description then empty
    and said in each reader's language; None for what people wrote."""
    counterparty: Mapped[str] = mapped_column(String(120), default="")
    category: Mapped[str] = mapped_column(String(60), default="")
    currency: Mapped[str] = mapped_column(String(3))
    amount: Mapped[int] = mapped_column(BigInteger)
    rate: Mapped[str | None] = mapped_column(String(40), nullable=True)
    book_amount: Mapped[int] = mapped_column(BigInteger)
    in_kind: Mapped[bool] = mapped_column(Boolean, default=False)
    split_method: Mapped[str | None] = mapped_column(String(10), nullable=True)


class Allocation(Base):
    """Who paid, who collected, or whose share of a revision: in its currency and the book's."""

    __tablename__ = "allocations"
    __table_args__ = (Index("ix_allocations_revision_id", "revision_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    revision_id: Mapped[int] = mapped_column(ForeignKey("revisions.id"))
    role: Mapped[str] = mapped_column(String(8))
    position: Mapped[int] = mapped_column(Integer)
    user_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    value: Mapped[str | None] = mapped_column(String(40), nullable=True)
    amount: Mapped[int] = mapped_column(BigInteger)
    book_amount: Mapped[int] = mapped_column(BigInteger)


class Leg(Base):
    """One side of the double entry, in the book's currency; a revision's legs sum to zero.

    ``account`` is ``member`` (with ``user_id``), ``treasury``, ``result`` (the event's income
    and costs) or ``capital`` (investments).
    """

    __tablename__ = "legs"
    __table_args__ = (
        Index("ix_legs_event_id", "event_id"),
        Index("ix_legs_revision_id", "revision_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(Integer)
    revision_id: Mapped[int] = mapped_column(ForeignKey("revisions.id"))
    account: Mapped[str] = mapped_column(String(10))
    user_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    amount: Mapped[int] = mapped_column(BigInteger)
    reversal: Mapped[bool] = mapped_column(Boolean, default=False)


class Balance(Base):
    """The running total of one account of an event: the sum of its legs, added to in the same
    transaction as they are written, so reading a balance never depends on how many entries
    there are. ``user_id`` is 0 for the accounts that are no member's."""

    __tablename__ = "balances"

    event_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    account: Mapped[str] = mapped_column(String(10), primary_key=True)
    user_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    amount: Mapped[int] = mapped_column(BigInteger, default=0)


class Receipt(Base):
    """A receipt (image or PDF) attached to an entry; kept, never replaced."""

    __tablename__ = "receipts"
    __table_args__ = (Index("ix_receipts_entry_id", "entry_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    entry_id: Mapped[int] = mapped_column(ForeignKey("entries.id"))
    event_id: Mapped[int] = mapped_column(Integer)
    filename: Mapped[str] = mapped_column(String(200))
    content_type: Mapped[str] = mapped_column(String(40))
    size: Mapped[int] = mapped_column(Integer)
    data: Mapped[bytes] = mapped_column(LargeBinary)
    uploaded_by: Mapped[int] = mapped_column(Integer)
    uploaded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class BudgetLine(Base):
    """The amount planned for one kind of entry in one category."""

    __tablename__ = "budget_lines"
    __table_args__ = (UniqueConstraint("event_id", "kind", "category"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(12))
    category: Mapped[str] = mapped_column(String(60))
    planned: Mapped[int] = mapped_column(BigInteger)


class AuditRecord(Base):
    """One thing someone did to an event's ledger, in the order it happened."""

    __tablename__ = "audit"
    __table_args__ = (
        Index("ix_audit_event_id", "event_id", "id"),
        {"sqlite_autoincrement": True},
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(Integer)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    actor_id: Mapped[int] = mapped_column(Integer)
    action: Mapped[str] = mapped_column(String(30))
    entry_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    revision: Mapped[int | None] = mapped_column(Integer, nullable=True)
    summary: Mapped[dict[str, object]] = mapped_column(JSON, default=dict)
