"""The transactional outbox: each service records its domain changes in the same transaction as
the change, and exposes them as a feed read from a cursor (nothing is lost while a reader is down).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field
from sqlalchemy import JSON, Column, Integer, MetaData, String, Table, func, insert, select, text
from sqlalchemy.orm import Session

from tripbot.platform.db import MAX_ID, UTCDateTime, utcnow
from tripbot.platform.metrics import count_change_at_commit
from tripbot.platform.operations import Access, Call, Operation, Operations

FEED_PAGE_MAX = 500


def outbox_table(metadata: MetaData) -> Table:
    """The outbox table of a service, on that service's own metadata.

    The services' migrations create it from this declaration: a change to it needs a migration
    in every service that has one, and a first migration that creates it as it was.
    """
    return Table(
        "outbox",
        metadata,
        Column("id", Integer, primary_key=True),
        Column("topic", String(80), nullable=False),
        Column("event_id", Integer, nullable=True, index=True),
        Column("payload", JSON, nullable=False),
        Column("created_at", UTCDateTime, nullable=False),
        sqlite_autoincrement=True,
    )


def record_change(
    session: Session, outbox: Table, topic: str, event_id: int | None, payload: dict[str, Any]
) -> None:
    """Record a domain change; it becomes visible to readers when the transaction commits."""
    if session.get_bind().dialect.name == "postgresql":
        # Writers take turns until commit, so ids become visible in order and a reader's
        # cursor never skips a change committed late by a slower transaction.
        session.execute(
            text("SELECT pg_advisory_xact_lock(hashtext(:name))"), {"name": outbox.name}
        )
    session.execute(
        insert(outbox).values(topic=topic, event_id=event_id, payload=payload, created_at=utcnow())
    )
    count_change_at_commit(session, topic)


class FeedEntry(BaseModel):
    """One recorded change."""

    id: int
    topic: str
    event_id: int | None
    payload: dict[str, Any]
    created_at: datetime


class FeedQuery(BaseModel):
    """Where a reader is: the last id it has handled, and how many it wants."""

    after: int = Field(0, ge=0, le=MAX_ID)
    limit: int = Field(100, ge=1, le=FEED_PAGE_MAX)
    event_id: int | None = Field(None, le=MAX_ID)


class FeedPage(BaseModel):
    """Changes after a cursor, oldest first, and the cursor to ask from next."""

    entries: list[FeedEntry]
    cursor: int
    latest: int


def read_feed(session: Session, outbox: Table, query: FeedQuery) -> FeedPage:
    """The changes after ``query.after``, oldest first."""
    statement = select(outbox).where(outbox.c.id > query.after)
    if query.event_id is not None:
        statement = statement.where(outbox.c.event_id == query.event_id)
    rows = session.execute(statement.order_by(outbox.c.id).limit(query.limit)).mappings().all()
    entries = [FeedEntry.model_validate(dict(row)) for row in rows]
    latest = session.scalar(select(func.coalesce(func.max(outbox.c.id), 0))) or 0
    return FeedPage(
        entries=entries, cursor=entries[-1].id if entries else query.after, latest=latest
    )


def declare_feed(operations: Operations, outbox: Table) -> Operation[[FeedQuery], FeedPage]:
    """Declare a service's ``GET /feed``: its changes after a cursor, for TripBot's own readers
    only (never on the public API)."""

    @operations.get("/feed", access=Access.SYSTEM, remember=False)
    def feed(call: Call, query: FeedQuery) -> FeedPage:
        """Changes recorded after a cursor (TripBot's components only)."""
        call.principal.require_system()
        with call.unit_of_work() as uow:
            return read_feed(uow.session, outbox, query)

    return feed
