"""HTTP interface of the agenda service: thin handlers over the use cases."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from apiflask import APIBlueprint, APIFlask
from flask import Response, current_app, jsonify, request

from tripbot.agenda import OPERATIONS, service
from tripbot.agenda.models import feed_cursors
from tripbot.agenda.schemas import (
    ActivityCreate,
    ActivityOut,
    ActivityQuery,
    ActivityUpdate,
    CalendarQuery,
    ConflictOut,
    FeedTokenOut,
    NowNextOut,
    NowQuery,
    PlaceCreate,
    PlaceOut,
    PlaceUpdate,
)
from tripbot.platform.client import ServiceClient, Transport
from tripbot.platform.db import Database, UnitOfWork
from tripbot.platform.follow import FeedFollower
from tripbot.platform.outbox import FeedEntry
from tripbot.platform.settings import Settings
from tripbot.platform.web import (
    create_legacy_service_app,
    current_database,
    current_principal,
    current_settings,
    list_of,
)

bp = APIBlueprint("agenda", __name__, tag="Agenda")
NO_CONTENT = ("", 204)
EVENT = "/events/<int:event_id>"
CALENDAR = "text/calendar; charset=utf-8"
CALENDAR_RESPONSES: dict[int, Any] = {
    200: {
        "description": "The agenda as iCalendar (RFC 5545), with its ETag",
        "content": {"text/calendar": {"schema": {"type": "string"}}},
        "headers": {"ETag": {"schema": {"type": "string"}}},
    },
    304: "The copy named in If-None-Match is current",
}
SCHEDULE_RESPONSES: dict[int, Any] = {
    200: {
        "description": "The frab/c3voc schedule, https://c3voc.de/schedule/schema.json",
        "content": {"application/json": {"schema": {"type": "object"}}},
    }
}


def _uow() -> UnitOfWork:
    return current_database().unit_of_work()


def _policy() -> service.AgendaPolicy:
    policy: service.AgendaPolicy = current_app.extensions["tripbot.agenda_policy"]
    return policy


@bp.get(f"{EVENT}/places")
@bp.output(list_of(PlaceOut))
def places(event_id: int) -> list[PlaceOut]:
    """An event's places."""
    return service.list_places(_uow(), current_principal(), event_id)


@bp.post(f"{EVENT}/places")
@bp.input(PlaceCreate, arg_name="data")
@bp.output(PlaceOut, status_code=201)
def add_place(event_id: int, data: PlaceCreate) -> PlaceOut:
    """Give an event a new place."""
    return service.add_place(_uow(), current_principal(), event_id, data)


@bp.patch(f"{EVENT}/places/<int:place_id>")
@bp.input(PlaceUpdate, arg_name="data")
@bp.output(PlaceOut)
def change_place(event_id: int, place_id: int, data: PlaceUpdate) -> PlaceOut:
    """Change a place."""
    return service.change_place(_uow(), current_principal(), event_id, place_id, data)


@bp.delete(f"{EVENT}/places/<int:place_id>")
@bp.output({}, status_code=204)
def remove_place(event_id: int, place_id: int) -> tuple[str, int]:
    """Remove a place no activity uses."""
    service.remove_place(_uow(), current_principal(), event_id, place_id)
    return NO_CONTENT


@bp.get(f"{EVENT}/activities")
@bp.input(ActivityQuery, location="query", arg_name="query")
@bp.output(list_of(ActivityOut))
def activities(event_id: int, query: ActivityQuery) -> list[ActivityOut]:
    """An event's activities, of one day and/or place."""
    return service.list_activities(_uow(), current_principal(), event_id, query)


@bp.post(f"{EVENT}/activities")
@bp.input(ActivityCreate, arg_name="data")
@bp.output(ActivityOut, status_code=201)
def add_activity(event_id: int, data: ActivityCreate) -> ActivityOut:
    """Put an activity on the timetable."""
    return service.add_activity(_uow(), current_principal(), _policy(), event_id, data)


@bp.get(f"{EVENT}/activities/<int:activity_id>")
@bp.output(ActivityOut)
def activity(event_id: int, activity_id: int) -> ActivityOut:
    """One activity."""
    return service.get_activity(_uow(), current_principal(), event_id, activity_id)


@bp.patch(f"{EVENT}/activities/<int:activity_id>")
@bp.input(ActivityUpdate, arg_name="data")
@bp.output(ActivityOut)
def change_activity(event_id: int, activity_id: int, data: ActivityUpdate) -> ActivityOut:
    """Change an activity."""
    return service.change_activity(
        _uow(), current_principal(), _policy(), event_id, activity_id, data=data
    )


@bp.post(f"{EVENT}/activities/<int:activity_id>/cancel")
@bp.output(ActivityOut)
def cancel_activity(event_id: int, activity_id: int) -> ActivityOut:
    """Cancel an activity."""
    return service.cancel_activity(_uow(), current_principal(), event_id, activity_id)


@bp.delete(f"{EVENT}/activities/<int:activity_id>")
@bp.output({}, status_code=204)
def remove_activity(event_id: int, activity_id: int) -> tuple[str, int]:
    """Delete an activity."""
    service.remove_activity(_uow(), current_principal(), event_id, activity_id)
    return NO_CONTENT


@bp.get(f"{EVENT}/agenda/conflicts")
@bp.output(list_of(ConflictOut))
def conflicts(event_id: int) -> list[ConflictOut]:
    """What in the timetable deserves a warning."""
    return service.find_conflicts(_uow(), current_principal(), event_id)


@bp.get(f"{EVENT}/agenda/now")
@bp.input(NowQuery, location="query", arg_name="query")
@bp.output(NowNextOut)
def now(event_id: int, query: NowQuery) -> NowNextOut:
    """What is happening and what comes next."""
    return service.now_and_next(_uow(), current_principal(), event_id, query)


@bp.get(f"{EVENT}/agenda/feed-token")
@bp.output(FeedTokenOut)
def feed_token(event_id: int) -> FeedTokenOut:
    """The asker's calendar feed token."""
    return service.feed_token(_uow(), current_principal(), _policy(), event_id)


@bp.post(f"{EVENT}/agenda/feed-token")
@bp.output(FeedTokenOut, status_code=201)
def issue_feed_token(event_id: int) -> FeedTokenOut:
    """A new calendar feed token for the asker."""
    return service.issue_feed_token(_uow(), current_principal(), _policy(), event_id)


@bp.delete(f"{EVENT}/agenda/feed-token")
@bp.output({}, status_code=204)
def revoke_feed_token(event_id: int) -> tuple[str, int]:
    """Revoke the asker's calendar feed token."""
    service.revoke_feed_token(_uow(), current_principal(), event_id)
    return NO_CONTENT


@bp.get(f"{EVENT}/agenda.ics")
@bp.input(CalendarQuery, location="query", arg_name="query")
@bp.doc(responses=CALENDAR_RESPONSES)
def calendar(event_id: int, query: CalendarQuery) -> Response:
    """The agenda as iCalendar, for a member or with a feed token; honours If-None-Match."""
    feed = service.calendar_feed(
        _uow(),
        current_principal(),
        event_id,
        token=query.token,
        if_none_match=request.headers.get("If-None-Match"),
    )
    response = Response(feed.body or "", status=200 if feed.body is not None else 304)
    response.content_type = CALENDAR
    response.set_etag(feed.etag)
    return response


@bp.get(f"{EVENT}/agenda.json")
@bp.doc(responses=SCHEDULE_RESPONSES)
def schedule(event_id: int) -> Response:
    """The agenda as a frab/c3voc schedule document."""
    base_url = current_settings().public_url
    return jsonify(service.schedule_export(_uow(), current_principal(), event_id, base_url))


def create_app(settings: Settings, database: Database, peers: Mapping[str, Transport]) -> APIFlask:
    """The agenda service application; it reaches the events service through ``peers``."""
    app = create_legacy_service_app(
        "agenda", settings, database, [bp], peers, operations=OPERATIONS
    )
    app.extensions["tripbot.agenda_policy"] = service.AgendaPolicy(
        feed_secret=settings.internal_secret.get_secret_value().encode(),
        max_activity_hours=settings.agenda_max_activity_hours,
    )
    return app


def deleted_events_follower(
    settings: Settings, database: Database, events: ServiceClient
) -> FeedFollower:
    """Follows the events service's feed: a deleted event's timetable goes."""

    def forget(entry: FeedEntry) -> None:
        if entry.event_id is not None:
            service.forget_event(database.unit_of_work(), entry.event_id)

    return FeedFollower(events, database, feed_cursors, {"event.deleted"}, forget, reader="agenda")
