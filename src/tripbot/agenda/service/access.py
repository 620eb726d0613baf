"""What the agenda's use cases share: who may read and change an agenda, the agenda row that
writers take turns on, and the event as the events service tells it."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from tripbot.agenda.models import Agenda, outbox
from tripbot.events.client import EventsClient
from tripbot.events.schemas import EventOut
from tripbot.platform.db import UnitOfWork, utcnow
from tripbot.platform.errors import Message
from tripbot.platform.identity import Principal
from tripbot.platform.operations import Call
from tripbot.platform.outbox import record_change

EDIT = Message("change the agenda")
READ = Message("see the agenda")
POLICY = "agenda_policy"
"""Where the agenda's policy is among the service's extras."""


@dataclass(frozen=True)
class AgendaPolicy:
    """How this instance's agendas are kept: the longest activity, and the feed tokens' key."""

    feed_secret: bytes
    max_activity_hours: int = 72


def policy_of(call: Call) -> AgendaPolicy:
    """The agenda's policy in the service the call runs in."""
    return call.extra(AgendaPolicy, POLICY)  # noqa: S610 - a service extra, not Django's


def events_of(call: Call) -> EventsClient:
    """The events service, asked as the caller."""
    return call.peer(EventsClient, "events")


def event_of(call: Call, event_id: int) -> EventOut:
    """The event, as the events service tells it to the caller."""
    return events_of(call).event(event_id)


# ---- the agenda row: revision and write lock ------------------------------------------------


def lock_agenda(uow: UnitOfWork, event_id: int) -> Agenda:
    """The event's agenda row, made if missing and locked until commit (PostgreSQL).

    Writers to one agenda take turns here, so what they checked still holds when they write.
    """
    dialect = uow.session.get_bind().dialect.name
    insert = postgresql_insert if dialect == "postgresql" else sqlite_insert
    uow.session.execute(
        insert(Agenda)
        .values(event_id=event_id, revision=0, updated_at=utcnow())
        .on_conflict_do_nothing(index_elements=["event_id"])
    )
    return uow.session.scalars(
        select(Agenda).where(Agenda.event_id == event_id).with_for_update()
    ).one()


def changed(
    uow: UnitOfWork,
    agenda: Agenda,
    principal: Principal,
    topic: str,
    payload: dict[str, object],
) -> None:
    """Count a change of the agenda and record it in the outbox, in the same transaction."""
    agenda.revision += 1
    agenda.updated_at = utcnow()
    record_change(
        uow.session,
        outbox,
        topic,
        agenda.event_id,
        {"event_id": agenda.event_id, "by": principal.user_id, **payload},
    )


def writer(uow: UnitOfWork, principal: Principal, event_id: int) -> Agenda:
    """The agenda row, locked for an organizer's change."""
    uow.lock_for_write()
    principal.require_event_role(event_id, "organizer", EDIT)
    return lock_agenda(uow, event_id)


def revision_of(uow: UnitOfWork, event_id: int) -> int:
    """How many changes the agenda has had."""
    revision = uow.session.scalar(select(Agenda.revision).where(Agenda.event_id == event_id))
    return revision or 0
