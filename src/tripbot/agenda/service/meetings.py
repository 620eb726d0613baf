"""An excursion's meeting point and time, kept from the routes service's feed for the calendar
feed. The routes service owns the plan; the agenda keeps what its feed last said, so a calendar
app's poll shows the meeting without asking the routes service (and still works without it)."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

from tripbot.agenda import ical
from tripbot.agenda.models import Meeting
from tripbot.agenda.service.access import lock_agenda
from tripbot.platform.db import UnitOfWork, utcnow

MEETING_MINUTES = 15
"""How long the meeting lasts on a calendar: the time a group takes to gather and set off."""


def _number(value: object) -> float | None:
    return float(value) if isinstance(value, int | float) else None


def learn_meeting(uow: UnitOfWork, payload: Mapping[str, Any]) -> bool:
    """A plan changed: keep its meeting point and time and count a change of the agenda, so
    calendar apps fetch the feed again; False when nothing changed. Running it twice changes
    nothing more."""
    event_id = int(payload["event_id"])
    at = payload.get("meeting_at")
    said = (
        datetime.fromisoformat(at) if isinstance(at, str) and at else None,
        str(payload.get("meeting_point") or "")[:200],
        _number(payload.get("meeting_lat")),
        _number(payload.get("meeting_lon")),
    )
    with uow:
        uow.lock_for_write()
        row = uow.session.get(Meeting, event_id)
        if row is None and said[0] is None:
            return False  # no time yet: nothing for a calendar
        if row is not None and (row.meeting_at, row.point, row.lat, row.lon) == said:
            return False
        if row is None:
            row = Meeting(event_id=event_id, uid=str(uuid.uuid4()), sequence=0)
            uow.session.add(row)
        else:
            row.sequence += 1
        row.meeting_at, row.point, row.lat, row.lon = said
        row.updated_at = utcnow()
        agenda = lock_agenda(uow, event_id)
        agenda.revision += 1
        agenda.updated_at = utcnow()
        uow.commit()
        return True


def meeting_event(uow: UnitOfWork, event_id: int, event_name: str) -> ical.FeedEvent | None:
    """The meeting as the calendar feed shows it, if the plan says when."""
    row = uow.session.get(Meeting, event_id)
    if row is None or row.meeting_at is None:
        return None
    geo = (row.lat, row.lon) if row.lat is not None and row.lon is not None else None
    return ical.FeedEvent(
        uid=row.uid,
        # The feed speaks no one language: a flag says "meeting" as the web's agenda draws it.
        title=f"\N{TRIANGULAR FLAG ON POST} {row.point or event_name}",
        description=event_name,
        starts_at=row.meeting_at,
        ends_at=row.meeting_at + timedelta(minutes=MEETING_MINUTES),
        location=row.point or None,
        people=(),
        track="",
        cancelled=False,
        sequence=row.sequence,
        created_at=row.created_at,
        updated_at=row.updated_at,
        geo=geo,
    )
