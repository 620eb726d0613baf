"""An event's activities: the timetable, its changes, its conflicts, and what is on now."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import delete, select

from tripbot.agenda import OPERATIONS, conflicts
from tripbot.agenda.limits import check_times
from tripbot.agenda.models import Activity, ActivityPerson, Agenda, FeedToken, Place
from tripbot.agenda.schemas import (
    ActivityCreate,
    ActivityOut,
    ActivityQuery,
    ActivityUpdate,
    ConflictOut,
    NowNextOut,
    NowQuery,
    PersonOut,
)
from tripbot.agenda.service.access import (
    READ,
    changed,
    event_of,
    events_of,
    policy_of,
    writer,
)
from tripbot.platform.db import UnitOfWork, utcnow
from tripbot.platform.errors import InvalidInput, Message, NotFound
from tripbot.platform.operations import Access, Call

EVENT = "/events/<int:event_id>"


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


def _people(call: Call, event_id: int, user_ids: list[int]) -> list[ActivityPerson]:
    """The people in charge, who must be members of the event (one ask to the events service)."""
    wanted = list(dict.fromkeys(user_ids))
    if not wanted:
        return []
    names = {m.user_id: m.display_name for m in events_of(call).members(event_id)}
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


@OPERATIONS.post(f"{EVENT}/activities", status=201, access=Access.EVENT)
def add_activity(call: Call, event_id: int, data: ActivityCreate) -> ActivityOut:
    """Put an activity on the timetable (organizers); conflicts are warnings, see conflicts."""
    principal, policy = call.principal, policy_of(call)
    with call.unit_of_work() as uow:
        agenda = writer(uow, principal, event_id)
        event = event_of(call, event_id)
        check_times(policy.max_activity_hours, data.starts_at, data.ends_at, event)
        place = _known_place(uow, event_id, data.place_id)
        people = _people(call, event_id, data.people)
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
        changed(uow, agenda, principal, "activity.added", _summary(activity, zone))
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


@OPERATIONS.patch(f"{EVENT}/activities/<int:activity_id>", access=Access.EVENT)
def change_activity(
    call: Call, event_id: int, activity_id: int, data: ActivityUpdate
) -> ActivityOut:
    """Change an activity (organizers); a new time or place marks it moved."""
    # A new time or place of a scheduled activity marks it moved; a new time, place or status
    # raises its calendar SEQUENCE.
    principal, policy = call.principal, policy_of(call)
    with call.unit_of_work() as uow:
        agenda = writer(uow, principal, event_id)
        activity = _activity(uow, event_id, activity_id)
        changes = data.model_dump(exclude_unset=True)
        for name in ("title", "description", "starts_at", "ends_at", "track", "status", "people"):
            if name in changes and changes[name] is None:
                raise InvalidInput(Message("{field} cannot be empty"), field=name)
        starts_at = changes.get("starts_at", activity.starts_at)
        ends_at = changes.get("ends_at", activity.ends_at)
        event = event_of(call, event_id)
        moved = "starts_at" in changes or "ends_at" in changes
        check_times(policy.max_activity_hours, starts_at, ends_at, event if moved else None)
        zone = ZoneInfo(event.timezone)
        before = _summary(activity, zone)
        old_status, old_place = activity.status, activity.place
        old_times = (activity.starts_at, activity.ends_at)
        if "place_id" in changes:
            activity.place = _known_place(uow, event_id, changes["place_id"])
        if "people" in changes:
            _assign(activity, _people(call, event_id, changes["people"]))
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
        changed(uow, agenda, principal, topic, payload)
        uow.commit()
        return _activity_out(activity)


@OPERATIONS.post(f"{EVENT}/activities/<int:activity_id>/cancel", access=Access.EVENT)
def cancel_activity(call: Call, event_id: int, activity_id: int) -> ActivityOut:
    """Cancel an activity (organizers); calendars show it cancelled."""
    principal = call.principal
    with call.unit_of_work() as uow:
        agenda = writer(uow, principal, event_id)
        activity = _activity(uow, event_id, activity_id)
        if activity.status != "cancelled":
            activity.status = "cancelled"
            activity.sequence += 1
            activity.updated_at = utcnow()
            zone = ZoneInfo(event_of(call, event_id).timezone)
            changed(uow, agenda, principal, "activity.cancelled", _summary(activity, zone))
            uow.commit()
        return _activity_out(activity)


@OPERATIONS.delete(f"{EVENT}/activities/<int:activity_id>", status=204, access=Access.EVENT)
def remove_activity(call: Call, event_id: int, activity_id: int) -> None:
    """Delete an activity made by mistake (organizers); to call one off, cancel it."""
    # Calendars drop it without a notice.
    principal = call.principal
    with call.unit_of_work() as uow:
        agenda = writer(uow, principal, event_id)
        activity = _activity(uow, event_id, activity_id)
        zone = ZoneInfo(event_of(call, event_id).timezone)
        changed(uow, agenda, principal, "activity.deleted", _summary(activity, zone))
        uow.session.delete(activity)
        uow.commit()


@OPERATIONS.get(f"{EVENT}/activities/<int:activity_id>", access=Access.EVENT)
def get_activity(call: Call, event_id: int, activity_id: int) -> ActivityOut:
    """One activity (members)."""
    principal = call.principal
    with call.unit_of_work() as uow:
        principal.require_event_role(event_id, "participant", READ)
        return _activity_out(_activity(uow, event_id, activity_id))


@OPERATIONS.get(f"{EVENT}/activities", access=Access.EVENT)
def list_activities(call: Call, event_id: int, query: ActivityQuery) -> list[ActivityOut]:
    """The timetable by start; ``day`` (in the event's time zone) and ``place_id`` filter it."""
    # Cancelled ones included; of a day, those that overlap it.
    principal = call.principal
    with call.unit_of_work() as uow:
        principal.require_event_role(event_id, "participant", READ)
        statement = select(Activity).where(Activity.event_id == event_id)
        if query.place_id is not None:
            statement = statement.where(Activity.place_id == query.place_id)
        if query.day is not None:
            zone = ZoneInfo(event_of(call, event_id).timezone)
            start = datetime.combine(query.day, time(0), zone)
            end = datetime.combine(query.day + timedelta(days=1), time(0), zone)
            statement = statement.where(Activity.starts_at < end, Activity.ends_at > start)
        activities = uow.session.scalars(statement.order_by(Activity.starts_at, Activity.id))
        return [_activity_out(a) for a in activities]


@OPERATIONS.get(f"{EVENT}/agenda/conflicts", access=Access.EVENT)
def find_conflicts(call: Call, event_id: int) -> list[ConflictOut]:
    """Double-booked places and people, activities outside the event, places too small."""
    # Everything in an event's timetable that deserves a warning (members).
    principal = call.principal
    with call.unit_of_work() as uow:
        principal.require_event_role(event_id, "participant", READ)
        event = event_of(call, event_id)
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


@OPERATIONS.get(f"{EVENT}/agenda/now", access=Access.EVENT)
def now_and_next(call: Call, event_id: int, query: NowQuery) -> NowNextOut:
    """What is happening now (or ``at``) and the next ``limit`` activities."""
    principal = call.principal
    with call.unit_of_work() as uow:
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
            timezone=event_of(call, event_id).timezone,
            now=[_activity_out(a) for a in now],
            next=[_activity_out(a) for a in coming],
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


def merge_person(uow: UnitOfWork, event_id: int, guest_id: int, user_id: int, name: str) -> int:
    """A guest's place in an event was claimed by another account: the activities the guest
    was in charge of are now that person's (once, if they were in charge of it already); the
    number of activities changed. Running it twice changes nothing more."""
    with uow:
        uow.lock_for_write()
        activities = select(Activity.id).where(Activity.event_id == event_id)
        rows = list(
            uow.session.scalars(
                select(ActivityPerson).where(
                    ActivityPerson.activity_id.in_(activities), ActivityPerson.user_id == guest_id
                )
            )
        )
        for row in rows:
            already = uow.session.scalar(
                select(ActivityPerson.id).where(
                    ActivityPerson.activity_id == row.activity_id,
                    ActivityPerson.user_id == user_id,
                )
            )
            if already is not None:
                uow.session.delete(row)
            else:
                row.user_id, row.display_name = user_id, name
        uow.commit()
        return len(rows)
