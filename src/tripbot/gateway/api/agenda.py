"""The public REST API of an event's agenda: places, activities, conflicts and calendar feeds."""

from __future__ import annotations

from typing import Any

from apiflask import APIBlueprint
from flask import Response, jsonify, request

from tripbot.agenda.client import AgendaClient
from tripbot.agenda.schemas import (
    ActivityCreate,
    ActivityOut,
    ActivityQuery,
    ActivityUpdate,
    CalendarFile,
    CalendarQuery,
    ConflictOut,
    FeedTokenOut,
    NowNextOut,
    NowQuery,
    PlaceCreate,
    PlaceOut,
    PlaceUpdate,
)
from tripbot.gateway import auth
from tripbot.platform.web import list_of

bp = APIBlueprint("api_agenda", __name__, url_prefix="/api/v1", tag="Agenda")
NO_CONTENT = ("", 204)
EVENT = "/events/<int:event_id>"
CALENDAR_RESPONSES: dict[int, Any] = {
    200: {
        "description": "The agenda as iCalendar (RFC 5545); subscribe to it with the feed token",
        "content": {"text/calendar": {"schema": {"type": "string"}}},
        "headers": {"ETag": {"description": "Send it back in If-None-Match", "schema": {}}},
    },
    304: "Your copy (named in If-None-Match) is current",
    404: "No such event for you, or the feed token is unknown or revoked",
}
SCHEDULE_RESPONSES: dict[int, Any] = {
    200: {
        "description": "The frab/c3voc schedule (https://c3voc.de/schedule/schema.json)",
        "content": {"application/json": {"schema": {"type": "object"}}},
    }
}


def _agenda(event_id: int) -> AgendaClient:
    """The agenda service, acting for the logged-in person with their role in the event."""
    auth.require_user()
    return auth.services().agenda(auth.event_principal(event_id))


def calendar_response(event_id: int, feed: CalendarFile) -> Response:
    """The HTTP answer for a rendered calendar, or a 304 when only its ETag came back."""
    response = Response(feed.body or "", status=200 if feed.body is not None else 304)
    response.content_type = "text/calendar; charset=utf-8"
    response.set_etag(feed.etag)
    response.headers["Cache-Control"] = "private, no-cache"
    response.headers["Content-Disposition"] = f'inline; filename="agenda-{event_id}.ics"'
    return response


@bp.get(f"{EVENT}/places")
@bp.output(list_of(PlaceOut))
def places(event_id: int) -> list[PlaceOut]:
    """An event's places (members)."""
    return _agenda(event_id).places(event_id)


@bp.post(f"{EVENT}/places")
@bp.input(PlaceCreate, arg_name="data")
@bp.output(PlaceOut, status_code=201)
def add_place(event_id: int, data: PlaceCreate) -> PlaceOut:
    """Give the event a new place, with its capacity (organizers)."""
    return _agenda(event_id).add_place(event_id, data)


@bp.patch(f"{EVENT}/places/<int:place_id>")
@bp.input(PlaceUpdate, arg_name="data")
@bp.output(PlaceOut)
def change_place(event_id: int, place_id: int, data: PlaceUpdate) -> PlaceOut:
    """Rename a place or change its capacity (organizers)."""
    return _agenda(event_id).change_place(event_id, place_id, data)


@bp.delete(f"{EVENT}/places/<int:place_id>")
@bp.output({}, status_code=204)
def remove_place(event_id: int, place_id: int) -> tuple[str, int]:
    """Remove a place no activity uses (organizers)."""
    _agenda(event_id).remove_place(event_id, place_id)
    return NO_CONTENT


@bp.get(f"{EVENT}/activities")
@bp.input(ActivityQuery, location="query", arg_name="query")
@bp.output(list_of(ActivityOut))
def activities(event_id: int, query: ActivityQuery) -> list[ActivityOut]:
    """The timetable by start; ``day`` (in the event's time zone) and ``place_id`` filter it."""
    return _agenda(event_id).activities(event_id, day=query.day, place_id=query.place_id)


@bp.post(f"{EVENT}/activities")
@bp.input(ActivityCreate, arg_name="data")
@bp.output(ActivityOut, status_code=201)
def add_activity(event_id: int, data: ActivityCreate) -> ActivityOut:
    """Put an activity on the timetable (organizers); conflicts are warnings, see conflicts."""
    return _agenda(event_id).add_activity(event_id, data)


@bp.get(f"{EVENT}/activities/<int:activity_id>")
@bp.output(ActivityOut)
def activity(event_id: int, activity_id: int) -> ActivityOut:
    """One activity (members)."""
    return _agenda(event_id).activity(event_id, activity_id)


@bp.patch(f"{EVENT}/activities/<int:activity_id>")
@bp.input(ActivityUpdate, arg_name="data")
@bp.output(ActivityOut)
def change_activity(event_id: int, activity_id: int, data: ActivityUpdate) -> ActivityOut:
    """Change an activity (organizers); a new time or place marks it moved."""
    return _agenda(event_id).change_activity(event_id, activity_id, data)


@bp.post(f"{EVENT}/activities/<int:activity_id>/cancel")
@bp.output(ActivityOut)
def cancel_activity(event_id: int, activity_id: int) -> ActivityOut:
    """Cancel an activity (organizers); calendars show it cancelled."""
    return _agenda(event_id).cancel_activity(event_id, activity_id)


@bp.delete(f"{EVENT}/activities/<int:activity_id>")
@bp.output({}, status_code=204)
def remove_activity(event_id: int, activity_id: int) -> tuple[str, int]:
    """Delete an activity made by mistake (organizers); to call one off, cancel it."""
    _agenda(event_id).remove_activity(event_id, activity_id)
    return NO_CONTENT


@bp.get(f"{EVENT}/agenda/conflicts")
@bp.output(list_of(ConflictOut))
def conflicts(event_id: int) -> list[ConflictOut]:
    """Double-booked places and people, activities outside the event, places too small."""
    return _agenda(event_id).conflicts(event_id)


@bp.get(f"{EVENT}/agenda/now")
@bp.input(NowQuery, location="query", arg_name="query")
@bp.output(NowNextOut)
def now(event_id: int, query: NowQuery) -> NowNextOut:
    """What is happening now (or ``at``) and the next ``limit`` activities."""
    return _agenda(event_id).now(event_id, at=query.at, limit=query.limit)


@bp.get(f"{EVENT}/agenda/feed-token")
@bp.output(FeedTokenOut)
def feed_token(event_id: int) -> FeedTokenOut:
    """Your private calendar feed token for this event (404 until you make one)."""
    return _agenda(event_id).feed_token(event_id)


@bp.post(f"{EVENT}/agenda/feed-token")
@bp.output(FeedTokenOut, status_code=201)
def issue_feed_token(event_id: int) -> FeedTokenOut:
    """Make your calendar feed token, or a new one: the previous one stops working."""
    return _agenda(event_id).issue_feed_token(event_id)


@bp.delete(f"{EVENT}/agenda/feed-token")
@bp.output({}, status_code=204)
def revoke_feed_token(event_id: int) -> tuple[str, int]:
    """Revoke your calendar feed token."""
    _agenda(event_id).revoke_feed_token(event_id)
    return NO_CONTENT


@bp.get(f"{EVENT}/agenda.ics")
@bp.input(CalendarQuery, location="query", arg_name="query")
@bp.doc(responses=CALENDAR_RESPONSES)
def calendar(event_id: int, query: CalendarQuery) -> Response:
    """The agenda as iCalendar: with ``?token=`` (your feed token) calendar apps need no login;
    without it, authenticate as usual. Send If-None-Match to get 304 when nothing changed."""
    client = auth.services().agenda() if query.token is not None else _agenda(event_id)
    feed = client.calendar(
        event_id, token=query.token, if_none_match=request.headers.get("If-None-Match")
    )
    return calendar_response(event_id, feed)


@bp.get(f"{EVENT}/agenda.json")
@bp.doc(responses=SCHEDULE_RESPONSES)
def schedule(event_id: int) -> Response:
    """The agenda as a frab/c3voc schedule JSON, for conference apps (members)."""
    return jsonify(_agenda(event_id).schedule(event_id))
