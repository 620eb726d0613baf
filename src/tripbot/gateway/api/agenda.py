"""The public REST API's route of an event's agenda that adds to the agenda service's
operations: the calendar feed, reachable with a feed token instead of a login, answered as a
file with its ETag and cache headers. The others come from the operations' declarations
(``tripbot.agenda.service``)."""

from __future__ import annotations

from typing import Any

from apiflask import APIBlueprint
from flask import Response, request

from tripbot.agenda.schemas import CalendarFile, CalendarQuery
from tripbot.gateway import auth

bp = APIBlueprint("api_agenda_calendar", __name__, url_prefix="/api/v1", tag="Agenda")
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


def calendar_response(event_id: int, feed: CalendarFile) -> Response:
    """The HTTP answer for a rendered calendar, or a 304 when only its ETag came back."""
    response = Response(feed.body or "", status=200 if feed.body is not None else 304)
    response.content_type = "text/calendar; charset=utf-8"
    response.set_etag(feed.etag)
    response.headers["Cache-Control"] = "private, no-cache"
    response.headers["Content-Disposition"] = f'inline; filename="agenda-{event_id}.ics"'
    return response


@bp.get(f"{EVENT}/agenda.ics")
@bp.input(CalendarQuery, location="query", arg_name="query")
@bp.doc(responses=CALENDAR_RESPONSES)
def calendar(event_id: int, query: CalendarQuery) -> Response:
    """The agenda as iCalendar: with ``?token=`` (your feed token) calendar apps need no login;
    without it, authenticate as usual. Send If-None-Match to get 304 when nothing changed."""
    if query.token is not None:
        client = auth.services().agenda()
    else:
        auth.require_user()
        client = auth.services().agenda(auth.event_principal(event_id))
    feed = client.calendar(event_id, query, request.headers.get("If-None-Match"))
    return calendar_response(event_id, feed)
