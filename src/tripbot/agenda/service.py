"""Use cases of the agenda service. Each runs in one unit of work and raises domain errors.

The event itself (its dates, time zone, name and members) belongs to the events service and is
asked for through its client, acting for the person the call is made for.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import secrets
import uuid
from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import delete, func, select
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from werkzeug.http import parse_etags

from tripbot import __version__
from tripbot.agenda import OPERATIONS, conflicts, frab, ical
from tripbot.agenda.limits import check_times
from tripbot.agenda.models import Activity, ActivityPerson, Agenda, FeedToken, Place, outbox
from tripbot.agenda.schemas import (
    ActivityCreate,
    ActivityOut,
    ActivityQuery,
    ActivityUpdate,
    CalendarFile,
    ConflictOut,
    FeedTokenOut,
    NowNextOut,
    NowQuery,
    PersonOut,
    PlaceCreate,
    PlaceOut,
    PlaceUpdate,
)
from tripbot.events.client import EventsClient
from tripbot.events.schemas import EventOut
from tripbot.platform.client import peer
from tripbot.platform.db import UnitOfWork, utcnow
from tripbot.platform.errors import Conflict, InvalidInput, Message, NotFound
from tripbot.platform.identity import Principal
from tripbot.platform.outbox import declare_feed, record_change

FEED_TOKEN = re.compile(r"[A-Za-z0-9_-]{32}")
"""What a feed token looks like; anything else is unknown without asking the database."""
EDIT = Message("change the agenda")
READ = Message("see the agenda")


@dataclass(frozen=True)
class AgendaPolicy:
    """How this instance's agendas are kept: the longest activity, and the feed tokens' key."""

    feed_secret: bytes
    max_activity_hours: int = 72


def _events() -> EventsClient:
    return peer(EventsClient, "events")


def _event(event_id: int) -> EventOut:
    return _events().event(event_id)


# ---- the agenda row: revision and write lock ------------------------------------------------


def _lock_agenda(uow: UnitOfWork, event_id: int) -> Agenda:
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


def _changed(
    uow: UnitOfWork,
    agenda: Agenda,
    principal: Principal,
    topic: str,
    payload: dict[str, object],
) -> None:
    agenda.revision += 1
    agenda.updated_at = utcnow()
    record_change(
        uow.session,
        outbox,
        topic,
        agenda.event_id,
        {"event_id": agenda.event_id, "by": principal.user_id, **payload},
    )


def _writer(uow: UnitOfWork, principal: Principal, event_id: int) -> Agenda:
    uow.lock_for_write()
    principal.require_event_role(event_id, "organizer", EDIT)
    return _lock_agenda(uow, event_id)


# ---- places ---------------------------------------------------------------------------------


def _place_out(place: Place) -> PlaceOut:
    return PlaceOut.model_validate(place, from_attributes=True)


def _place(uow: UnitOfWork, event_id: int, place_id: int) -> Place:
    place = uow.session.get(Place, place_id)
    if place is None or place.event_id != event_id:
        raise NotFound(
            Message("there is no place {place_id} in event {event_id}"),
            place_id=place_id,
            event_id=event_id,
        )
    return place


def _name_taken(uow: UnitOfWork, event_id: int, name: str, but: int | None = None) -> None:
    query = select(Place.id).where(Place.event_id == event_id, Place.name == name)
    if but is not None:
        query = query.where(Place.id != but)
    if uow.session.scalar(query) is not None:
        raise Conflict(
            Message("this event already has a place called {name}"), field="name", name=repr(name)
        )


def list_places(uow: UnitOfWork, principal: Principal, event_id: int) -> list[PlaceOut]:
    """An event's places, by name."""
    with uow:
        principal.require_event_role(event_id, "participant", READ)
        places = uow.session.scalars(
            select(Place).where(Place.event_id == event_id).order_by(Place.name, Place.id)
        )
        return [_place_out(p) for p in places]


def add_place(uow: UnitOfWork, principal: Principal, event_id: int, data: PlaceCreate) -> PlaceOut:
    """Give an event a new place (organizers)."""
    with uow:
        agenda = _writer(uow, principal, event_id)
        _name_taken(uow, event_id, data.name)
        place = Place(event_id=event_id, uid=str(uuid.uuid4()), **data.model_dump())
        uow.session.add(place)
        uow.session.flush()
        _changed(uow, agenda, principal, "place.added", {"place_id": place.id, "name": place.name})
        uow.commit()
        return _place_out(place)


def change_place(
    uow: UnitOfWork, principal: Principal, event_id: int, place_id: int, data: PlaceUpdate
) -> PlaceOut:
    """Rename a place or change its capacity or description (organizers)."""
    with uow:
        agenda = _writer(uow, principal, event_id)
        place = _place(uow, event_id, place_id)
        changes = data.model_dump(exclude_unset=True)
        for name in ("name", "description"):
            if name in changes and changes[name] is None:
                raise InvalidInput(Message("{field} cannot be empty"), field=name)
        if "name" in changes:
            _name_taken(uow, event_id, changes["name"], but=place_id)
        for name, value in changes.items():
            setattr(place, name, value)
        place.updated_at = utcnow()
        _changed(
            uow,
            agenda,
            principal,
            "place.updated",
            {"place_id": place.id, "name": place.name, "changed": sorted(changes)},
        )
        uow.commit()
        return _place_out(place)


def remove_place(uow: UnitOfWork, principal: Principal, event_id: int, place_id: int) -> None:
    """Remove a place no activity uses (organizers)."""
    with uow:
        agenda = _writer(uow, principal, event_id)
        place = _place(uow, event_id, place_id)
        used = uow.session.scalar(
            select(func.count()).select_from(Activity).where(Activity.place_id == place_id)
        )
        if used:
            raise Conflict(
                Message("{place} is the place of {used} activities; move or delete them first"),
                place=repr(place.name),
                used=used,
            )
        _changed(
            uow, agenda, principal, "place.removed", {"place_id": place.id, "name": place.name}
        )
        uow.session.delete(place)
        uow.commit()


# ---- activities -----------------------------------------------------------------------------


def _activity_out(activity: Activity) -> ActivityOut:
    return ActivityOut(
        id=activity.id,
        event_id=activity.event_id,
        uid=activity.uid,
        title=activity.title,
        description=activity.description,
        starts_at=activity.starts_at.astimezone(UTC),
        ends_at=activity.ends_at.astimezone(UTC),
        place_id=activity.place.id if activity.place else None,
        place_name=activity.place.name if activity.place else None,
        people=[PersonOut(user_id=p.user_id, display_name=p.display_name) for p in activity.people],
        capacity=activity.capacity,
        track=activity.track,
        status=activity.status,
        sequence=activity.sequence,
        created_at=activity.created_at.astimezone(UTC),
        updated_at=activity.updated_at.astimezone(UTC),
    )


def _activity(uow: UnitOfWork, event_id: int, activity_id: int) -> Activity:
    activity = uow.session.get(Activity, activity_id)
    if activity is None or activity.event_id != event_id:
        raise NotFound(
            Message("there is no activity {activity_id} in event {event_id}"),
            activity_id=activity_id,
            event_id=event_id,
        )
    return activity


def _known_place(uow: UnitOfWork, event_id: int, place_id: int | None) -> Place | None:
    if place_id is None:
        return None
    place = uow.session.get(Place, place_id)
    if place is None or place.event_id != event_id:
        raise InvalidInput(
            Message("there is no place {place_id} in this event"),
            field="place_id",
            place_id=place_id,
        )
    return place


def _people(event_id: int, user_ids: list[int]) -> list[ActivityPerson]:
    """The people in charge, who must be members of the event (one ask to the events service)."""
    wanted = list(dict.fromkeys(user_ids))
    if not wanted:
        return []
    names = {m.user_id: m.display_name for m in _events().members(event_id)}
    unknown = [user_id for user_id in wanted if user_id not in names]
    if unknown:
        listed = ", ".join(str(u) for u in unknown)
        raise InvalidInput(
            Message("user {user_ids} is not a member of this event")
            if len(unknown) == 1
            else Message("users {user_ids} are not members of this event"),
            user_ids=listed,
            field="people",
            unknown=unknown,
        )
    return [
        ActivityPerson(user_id=user_id, display_name=names[user_id], position=n)
        for n, user_id in enumerate(wanted)
    ]


def _assign(activity: Activity, people: list[ActivityPerson]) -> None:
    """Put new people in charge, keeping the rows of those who stay (one row per person)."""
    current = {row.user_id: row for row in activity.people}
    kept = []
    for person in people:
        row = current.get(person.user_id, person)
        row.position, row.display_name = person.position, person.display_name
        kept.append(row)
    activity.people = kept


def _local(moment: datetime, zone: ZoneInfo) -> str:
    return moment.astimezone(zone).isoformat()


def _summary(activity: Activity, zone: ZoneInfo) -> dict[str, object]:
    """What a notification about an activity needs, times in the event's time zone."""
    return {
        "activity_id": activity.id,
        "title": activity.title,
        "starts_at": _local(activity.starts_at, zone),
        "ends_at": _local(activity.ends_at, zone),
        "place": activity.place.name if activity.place else None,
        "status": activity.status,
    }


def add_activity(
    uow: UnitOfWork,
    principal: Principal,
    policy: AgendaPolicy,
    event_id: int,
    data: ActivityCreate,
) -> ActivityOut:
    """Put an activity on the timetable (organizers); conflicts are warned of, not refused."""
    with uow:
        agenda = _writer(uow, principal, event_id)
        event = _event(event_id)
        check_times(policy.max_activity_hours, data.starts_at, data.ends_at, event)
        place = _known_place(uow, event_id, data.place_id)
        people = _people(event_id, data.people)
        zone = ZoneInfo(event.timezone)
        now = utcnow()
        activity = Activity(
            event_id=event_id,
            uid=str(uuid.uuid4()),
            title=data.title,
            description=data.description,
            starts_at=data.starts_at,
            ends_at=data.ends_at,
            place=place,
            capacity=data.capacity,
            track=data.track,
            status="scheduled",
            sequence=0,
            created_by=principal.require_user(),
            created_at=now,
            updated_at=now,
            people=people,
        )
        uow.session.add(activity)
        uow.session.flush()
        _changed(uow, agenda, principal, "activity.added", _summary(activity, zone))
        uow.commit()
        return _activity_out(activity)


def _topic(old_status: str, new_status: str, moved: bool) -> str:
    if new_status == "cancelled" and old_status != "cancelled":
        return "activity.cancelled"
    if old_status == "cancelled" and new_status != "cancelled":
        return "activity.restored"
    if moved and new_status != "cancelled":
        return "activity.moved"
    return "activity.updated"


def change_activity(
    uow: UnitOfWork,
    principal: Principal,
    policy: AgendaPolicy,
    event_id: int,
    activity_id: int,
    *,
    data: ActivityUpdate,
) -> ActivityOut:
    """Change an activity (organizers). A new time or place of a scheduled activity marks it
    moved; a new time, place or status raises its calendar SEQUENCE."""
    with uow:
        agenda = _writer(uow, principal, event_id)
        activity = _activity(uow, event_id, activity_id)
        changes = data.model_dump(exclude_unset=True)
        for name in ("title", "description", "starts_at", "ends_at", "track", "status", "people"):
            if name in changes and changes[name] is None:
                raise InvalidInput(Message("{field} cannot be empty"), field=name)
        starts_at = changes.get("starts_at", activity.starts_at)
        ends_at = changes.get("ends_at", activity.ends_at)
        event = _event(event_id)
        moved = "starts_at" in changes or "ends_at" in changes
        check_times(policy.max_activity_hours, starts_at, ends_at, event if moved else None)
        zone = ZoneInfo(event.timezone)
        before = _summary(activity, zone)
        old_status, old_place = activity.status, activity.place
        old_times = (activity.starts_at, activity.ends_at)
        if "place_id" in changes:
            activity.place = _known_place(uow, event_id, changes["place_id"])
        if "people" in changes:
            _assign(activity, _people(event_id, changes["people"]))
        for name in ("title", "description", "capacity", "track"):
            if name in changes:
                setattr(activity, name, changes[name])
        activity.starts_at, activity.ends_at = starts_at, ends_at
        moved = (starts_at, ends_at) != old_times or activity.place is not old_place
        status = changes.get("status", activity.status)
        if moved and "status" not in changes and status == "scheduled":
            status = "moved"
        activity.status = status
        if moved or status != old_status:
            activity.sequence += 1
        activity.updated_at = utcnow()
        uow.session.flush()
        topic = _topic(old_status, status, moved)
        payload = _summary(activity, zone)
        if moved:
            payload["before"] = {k: before[k] for k in ("starts_at", "ends_at", "place")}
        payload["changed"] = sorted(changes)
        _changed(uow, agenda, principal, topic, payload)
        uow.commit()
        return _activity_out(activity)


def cancel_activity(
    uow: UnitOfWork, principal: Principal, event_id: int, activity_id: int
) -> ActivityOut:
    """Cancel an activity (organizers): it stays in calendars, marked cancelled."""
    with uow:
        agenda = _writer(uow, principal, event_id)
        activity = _activity(uow, event_id, activity_id)
        if activity.status != "cancelled":
            activity.status = "cancelled"
            activity.sequence += 1
            activity.updated_at = utcnow()
            zone = ZoneInfo(_event(event_id).timezone)
            _changed(uow, agenda, principal, "activity.cancelled", _summary(activity, zone))
            uow.commit()
        return _activity_out(activity)


def remove_activity(uow: UnitOfWork, principal: Principal, event_id: int, activity_id: int) -> None:
    """Delete an activity made by mistake (organizers); calendars drop it without a notice."""
    with uow:
        agenda = _writer(uow, principal, event_id)
        activity = _activity(uow, event_id, activity_id)
        zone = ZoneInfo(_event(event_id).timezone)
        _changed(uow, agenda, principal, "activity.deleted", _summary(activity, zone))
        uow.session.delete(activity)
        uow.commit()


def get_activity(
    uow: UnitOfWork, principal: Principal, event_id: int, activity_id: int
) -> ActivityOut:
    """One activity (members)."""
    with uow:
        principal.require_event_role(event_id, "participant", READ)
        return _activity_out(_activity(uow, event_id, activity_id))


def list_activities(
    uow: UnitOfWork, principal: Principal, event_id: int, query: ActivityQuery
) -> list[ActivityOut]:
    """An event's activities by start, cancelled ones included; of one day (in the event's
    time zone: those that overlap it) and/or one place."""
    with uow:
        principal.require_event_role(event_id, "participant", READ)
        statement = select(Activity).where(Activity.event_id == event_id)
        if query.place_id is not None:
            statement = statement.where(Activity.place_id == query.place_id)
        if query.day is not None:
            zone = ZoneInfo(_event(event_id).timezone)
            start = datetime.combine(query.day, time(0), zone)
            end = datetime.combine(query.day + timedelta(days=1), time(0), zone)
            statement = statement.where(Activity.starts_at < end, Activity.ends_at > start)
        activities = uow.session.scalars(statement.order_by(Activity.starts_at, Activity.id))
        return [_activity_out(a) for a in activities]


def find_conflicts(uow: UnitOfWork, principal: Principal, event_id: int) -> list[ConflictOut]:
    """Everything in an event's timetable that deserves a warning (members)."""
    with uow:
        principal.require_event_role(event_id, "participant", READ)
        event = _event(event_id)
        activities = uow.session.scalars(
            select(Activity).where(Activity.event_id == event_id, Activity.status != "cancelled")
        )
        slots = [
            conflicts.Slot(
                id=a.id,
                title=a.title,
                starts_at=a.starts_at,
                ends_at=a.ends_at,
                place_id=a.place_id,
                place_name=a.place.name if a.place else None,
                place_capacity=a.place.capacity if a.place else None,
                capacity=a.capacity,
                people=tuple((p.user_id, p.display_name) for p in a.people),
            )
            for a in activities
        ]
        return conflicts.find(slots, event.starts_at, event.ends_at)


def now_and_next(
    uow: UnitOfWork, principal: Principal, event_id: int, query: NowQuery
) -> NowNextOut:
    """What is happening at an instant (now by default) and the next activities to start."""
    with uow:
        principal.require_event_role(event_id, "participant", READ)
        at = query.at or utcnow()
        live = select(Activity).where(Activity.event_id == event_id, Activity.status != "cancelled")
        now = uow.session.scalars(
            live.where(Activity.starts_at <= at, Activity.ends_at > at).order_by(
                Activity.starts_at, Activity.id
            )
        )
        coming = uow.session.scalars(
            live.where(Activity.starts_at > at)
            .order_by(Activity.starts_at, Activity.id)
            .limit(query.limit)
        )
        return NowNextOut(
            at=at,
            timezone=_event(event_id).timezone,
            now=[_activity_out(a) for a in now],
            next=[_activity_out(a) for a in coming],
        )


# ---- calendar feed tokens -------------------------------------------------------------------


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


def feed_token(
    uow: UnitOfWork, principal: Principal, policy: AgendaPolicy, event_id: int
) -> FeedTokenOut:
    """The asker's calendar feed token for an event, if they made one (members)."""
    with uow:
        principal.require_event_role(event_id, "participant", READ)
        row = _my_token(uow, event_id, principal.require_user())
        if row is None:
            raise NotFound(Message("you have no calendar feed link for this event yet; make one"))
        return _token_out(policy, row)


def issue_feed_token(
    uow: UnitOfWork, principal: Principal, policy: AgendaPolicy, event_id: int
) -> FeedTokenOut:
    """A new calendar feed token for the asker; the previous one stops working (members)."""
    with uow:
        uow.lock_for_write()
        principal.require_event_role(event_id, "participant", READ)
        user_id = principal.require_user()
        _lock_agenda(uow, event_id)
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


def revoke_feed_token(uow: UnitOfWork, principal: Principal, event_id: int) -> None:
    """Stop the asker's calendar feed link from working (members)."""
    with uow:
        uow.lock_for_write()
        principal.require_event_role(event_id, "participant", READ)
        uow.session.execute(
            delete(FeedToken).where(
                FeedToken.event_id == event_id, FeedToken.user_id == principal.require_user()
            )
        )
        uow.commit()


def _feed_reader(uow: UnitOfWork, event_id: int, token: str) -> EventOut:
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
        return _events().acting_for(Principal(user_id=user_id)).event(event_id)
    except NotFound as error:
        raise unknown from error


# ---- the calendar feed and the schedule export ----------------------------------------------


def _revision(uow: UnitOfWork, event_id: int) -> int:
    revision = uow.session.scalar(select(Agenda.revision).where(Agenda.event_id == event_id))
    return revision or 0


def _etag(event: EventOut, revision: int) -> str:
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


def calendar_feed(
    uow: UnitOfWork,
    principal: Principal,
    event_id: int,
    *,
    token: str | None = None,
    if_none_match: str | None = None,
) -> CalendarFile:
    """The event's agenda as iCalendar, for a member or for whoever holds a feed token.

    When ``if_none_match`` names the current ETag only the ETag is given back (``body`` None):
    answering a calendar app's poll of an unchanged agenda renders nothing.
    """
    with uow:
        if token is not None:
            event = _feed_reader(uow, event_id, token)
        else:
            principal.require_event_role(event_id, "participant", READ)
            event = _event(event_id)
        etag = _etag(event, _revision(uow, event_id))
        if if_none_match and parse_etags(if_none_match).contains_weak(etag):
            return CalendarFile(etag=etag, body=None)
        body = ical.render(event.name, event.timezone, _feed_events(uow, event_id))
        return CalendarFile(etag=etag, body=body)


def schedule_export(
    uow: UnitOfWork, principal: Principal, event_id: int, base_url: str
) -> dict[str, object]:
    """The event's current timetable as a frab/c3voc schedule document (members); cancelled
    activities are left out, as the format has no way to say they were cancelled."""
    with uow:
        principal.require_event_role(event_id, "participant", READ)
        event = _event(event_id)
        places = uow.session.scalars(
            select(Place).where(Place.event_id == event_id).order_by(Place.name, Place.id)
        ).all()
        activities = uow.session.scalars(
            select(Activity)
            .where(Activity.event_id == event_id, Activity.status != "cancelled")
            .order_by(Activity.starts_at, Activity.id)
        )
        return frab.schedule(
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
            version=str(_revision(uow, event_id)),
            base_url=base_url,
        )


def forget_event(uow: UnitOfWork, event_id: int) -> bool:
    """An event was deleted: its timetable goes (activities, people in charge, places, calendar
    feed tokens); False when it had none. Running it twice changes nothing more."""
    with uow:
        uow.lock_for_write()
        activities = select(Activity.id).where(Activity.event_id == event_id)
        uow.session.execute(
            delete(ActivityPerson).where(ActivityPerson.activity_id.in_(activities))
        )
        for table in (Activity, FeedToken, Place):
            uow.session.execute(delete(table).where(table.event_id == event_id))
        removed = uow.session.execute(delete(Agenda).where(Agenda.event_id == event_id))
        uow.commit()
        return bool(removed.rowcount)  # type: ignore[attr-defined]


feed = declare_feed(OPERATIONS, outbox)
"""The service's changes after a cursor, for TripBot's own readers."""
