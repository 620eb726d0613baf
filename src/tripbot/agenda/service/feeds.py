"""Calendar feeds: each member's private feed token, the agenda as iCalendar for calendar apps,
and as a frab/c3voc schedule for conference apps."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
import secrets
from collections import defaultdict
from typing import Annotated, Any

from sqlalchemy import delete, select
from werkzeug.http import parse_etags

from tripbot import __version__
from tripbot.agenda import OPERATIONS, frab, ical
from tripbot.agenda.models import Activity, ActivityPerson, FeedToken, Place
from tripbot.agenda.schemas import CalendarFile, CalendarQuery, FeedTokenOut
from tripbot.agenda.service import meetings
from tripbot.agenda.service.access import (
    READ,
    AgendaPolicy,
    event_of,
    events_of,
    lock_agenda,
    policy_of,
    revision_of,
)
from tripbot.events.schemas import EventOut
from tripbot.platform.db import UnitOfWork, utcnow
from tripbot.platform.errors import Message, NotFound
from tripbot.platform.identity import Principal
from tripbot.platform.operations import Access, Call, Download, In

EVENT = "/events/<int:event_id>"
FEED_TOKEN = re.compile(r"[A-Za-z0-9_-]{32}")
"""What a feed token looks like; anything else is unknown without asking the database."""
SCHEDULE = "application/json"
SCHEDULE_RESPONSES: dict[int | str, Any] = {
    200: {
        "description": "The frab/c3voc schedule (https://c3voc.de/schedule/schema.json)",
        "content": {"application/json": {"schema": {"type": "object"}}},
    }
}


def _token(policy: AgendaPolicy, nonce: str) -> str:
    mac = hmac.new(policy.feed_secret, f"agenda-feed:{nonce}".encode(), hashlib.sha256)
    return base64.urlsafe_b64encode(mac.digest()[:24]).decode()


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _token_out(policy: AgendaPolicy, row: FeedToken) -> FeedTokenOut:
    return FeedTokenOut(
        event_id=row.event_id, token=_token(policy, row.nonce), created_at=row.created_at
    )


def _my_token(uow: UnitOfWork, event_id: int, user_id: int) -> FeedToken | None:
    return uow.session.scalar(
        select(FeedToken).where(FeedToken.event_id == event_id, FeedToken.user_id == user_id)
    )


@OPERATIONS.get(f"{EVENT}/agenda/feed-token", access=Access.EVENT)
def feed_token(call: Call, event_id: int) -> FeedTokenOut:
    """Your private calendar feed token for this event (404 until you make one)."""
    principal, policy = call.principal, policy_of(call)
    with call.unit_of_work() as uow:
        principal.require_event_role(event_id, "participant", READ)
        row = _my_token(uow, event_id, principal.require_user())
        if row is None:
            raise NotFound(Message("you have no calendar feed link for this event yet; make one"))
        return _token_out(policy, row)


@OPERATIONS.post(f"{EVENT}/agenda/feed-token", status=201, access=Access.EVENT)
def issue_feed_token(call: Call, event_id: int) -> FeedTokenOut:
    """Make your calendar feed token, or a new one: the previous one stops working."""
    principal, policy = call.principal, policy_of(call)
    with call.unit_of_work() as uow:
        uow.lock_for_write()
        principal.require_event_role(event_id, "participant", READ)
        user_id = principal.require_user()
        lock_agenda(uow, event_id)
        nonce = secrets.token_urlsafe(32)
        row = _my_token(uow, event_id, user_id)
        if row is None:
            row = FeedToken(event_id=event_id, user_id=user_id)
            uow.session.add(row)
        row.nonce = nonce
        row.token_hash = _token_hash(_token(policy, nonce))
        row.created_at = utcnow()
        uow.commit()
        return _token_out(policy, row)


@OPERATIONS.delete(f"{EVENT}/agenda/feed-token", status=204, access=Access.EVENT)
def revoke_feed_token(call: Call, event_id: int) -> None:
    """Revoke your calendar feed token."""
    principal = call.principal
    with call.unit_of_work() as uow:
        uow.lock_for_write()
        principal.require_event_role(event_id, "participant", READ)
        uow.session.execute(
            delete(FeedToken).where(
                FeedToken.event_id == event_id, FeedToken.user_id == principal.require_user()
            )
        )
        uow.commit()


def _feed_reader(call: Call, uow: UnitOfWork, event_id: int, token: str) -> EventOut:
    """The event a feed token opens, seen by its member; NotFound if the token is unknown or
    revoked, or its member has left the event since."""
    unknown = NotFound(Message("there is no such calendar feed; ask for a new link"))
    if not FEED_TOKEN.fullmatch(token):
        raise unknown
    user_id = uow.session.scalar(
        select(FeedToken.user_id).where(
            FeedToken.token_hash == _token_hash(token), FeedToken.event_id == event_id
        )
    )
    if user_id is None:
        raise unknown
    try:
        return events_of(call).acting_for(Principal(user_id=user_id)).event(event_id)
    except NotFound as error:
        raise unknown from error


# ---- the calendar feed and the schedule export ----------------------------------------------


def etag_of(event: EventOut, revision: int) -> str:
    """Changes with the agenda and with what the feed shows of the event (name, time zone)."""
    shown = hashlib.sha256(f"{event.name}\0{event.timezone}\0{__version__}".encode()).hexdigest()
    return f"agenda-{event.id}-{revision}-{shown[:12]}"


def _feed_events(uow: UnitOfWork, event_id: int) -> list[ical.FeedEvent]:
    people: dict[int, list[str]] = defaultdict(list)
    for activity_id, name in uow.session.execute(
        select(ActivityPerson.activity_id, ActivityPerson.display_name)
        .join(Activity, Activity.id == ActivityPerson.activity_id)
        .where(Activity.event_id == event_id)
        .order_by(ActivityPerson.activity_id, ActivityPerson.position)
    ):
        people[activity_id].append(name)
    rows = uow.session.execute(
        select(
            Activity.id,
            Activity.uid,
            Activity.title,
            Activity.description,
            Activity.starts_at,
            Activity.ends_at,
            Place.name,
            Activity.track,
            Activity.status,
            Activity.sequence,
            Activity.created_at,
            Activity.updated_at,
        )
        .outerjoin(Place, Place.id == Activity.place_id)
        .where(Activity.event_id == event_id)
        .order_by(Activity.starts_at, Activity.id)
    )
    return [
        ical.FeedEvent(
            uid,
            title,
            description,
            starts_at,
            ends_at,
            location,
            tuple(people.get(activity_id, ())),
            track,
            status == "cancelled",
            sequence,
            created_at,
            updated_at,
        )
        for (
            activity_id,
            uid,
            title,
            description,
            starts_at,
            ends_at,
            location,
            track,
            status,
            sequence,
            created_at,
            updated_at,
        ) in rows
    ]


# The gateway's own route answers the file itself: a 304, its ETag and its cache headers.
@OPERATIONS.get(f"{EVENT}/agenda.ics", access=Access.ANYONE, public=False)
def calendar_feed(
    call: Call,
    event_id: int,
    query: CalendarQuery,
    if_none_match: Annotated[str | None, In("header", "If-None-Match")] = None,
) -> CalendarFile:
    """The event's agenda as iCalendar, for a member or for whoever holds a feed token; an
    excursion's meeting point and time come with it.

    When ``if_none_match`` names the current ETag only the ETag is given back (``body`` None):
    answering a calendar app's poll of an unchanged agenda renders nothing.
    """
    principal, token = call.principal, query.token
    with call.unit_of_work() as uow:
        if token is not None:
            event = _feed_reader(call, uow, event_id, token)
        else:
            principal.require_event_role(event_id, "participant", READ)
            event = event_of(call, event_id)
        etag = etag_of(event, revision_of(uow, event_id))
        if if_none_match and parse_etags(if_none_match).contains_weak(etag):
            return CalendarFile(etag=etag, body=None)
        shown = _feed_events(uow, event_id)
        meeting = meetings.meeting_event(uow, event_id, event.name)
        if meeting is not None:
            shown = sorted([*shown, meeting], key=lambda e: e.starts_at)
        body = ical.render(event.name, event.timezone, shown)
        return CalendarFile(etag=etag, body=body)


@OPERATIONS.get(
    f"{EVENT}/agenda.json",
    access=Access.EVENT,
    produces=SCHEDULE,
    responses=SCHEDULE_RESPONSES,
)
def schedule_export(call: Call, event_id: int) -> Download:
    """The agenda as a frab/c3voc schedule JSON, for conference apps (members)."""
    # Cancelled activities are left out, as the format has no way to say they were cancelled.
    principal = call.principal
    with call.unit_of_work() as uow:
        principal.require_event_role(event_id, "participant", READ)
        event = event_of(call, event_id)
        places = uow.session.scalars(
            select(Place).where(Place.event_id == event_id).order_by(Place.name, Place.id)
        ).all()
        activities = uow.session.scalars(
            select(Activity)
            .where(Activity.event_id == event_id, Activity.status != "cancelled")
            .order_by(Activity.starts_at, Activity.id)
        )
        document = frab.schedule(
            frab.Conference(
                id=event.id,
                name=event.name,
                description=event.description,
                starts_at=event.starts_at,
                ends_at=event.ends_at,
                timezone=event.timezone,
            ),
            [frab.Room(p.uid, p.name, p.description, p.capacity) for p in places],
            [
                frab.Talk(
                    id=a.id,
                    uid=a.uid,
                    title=a.title,
                    description=a.description,
                    starts_at=a.starts_at,
                    ends_at=a.ends_at,
                    room=a.place.name if a.place else None,
                    people=tuple(p.display_name for p in a.people),
                    track=a.track,
                )
                for a in activities
            ],
            version=str(revision_of(uow, event_id)),
            base_url=call.settings.public_url,
        )
    # As Flask's own JSON answers were written: sorted keys, compact, ASCII, a final newline.
    text = json.dumps(document, sort_keys=True, separators=(",", ":"), default=str)
    return Download(f"{text}\n".encode(), SCHEDULE)
