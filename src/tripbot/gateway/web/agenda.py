"""Web pages: an event's agenda: a day-by-day timeline per place with its conflicts, quick edits
for organizers, places, now/next, the private calendar feed link and the exports.

A new activity starts on a day of the event, chosen from a list, at a time offered after the
day's last activity; "Add on this day" (and, with JavaScript, a click on the day's timeline at
a place and an hour) fills them in, so nobody types a date in full."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from flask import Blueprint, Response, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import format_date, format_time

from tripbot.agenda.client import AgendaClient
from tripbot.agenda.schemas import (
    ActivityCreate,
    ActivityOut,
    ActivityQuery,
    ActivityUpdate,
    CalendarQuery,
    ConflictOut,
    FeedTokenOut,
    NowQuery,
    PlaceCreate,
)
from tripbot.events.schemas import MAX_EVENT_DAYS, EventOut
from tripbot.gateway import auth
from tripbot.gateway.api.agenda import calendar_response
from tripbot.gateway.web import forms
from tripbot.gateway.web.forms import FORM, INVALID, FormErrors, _, message_for
from tripbot.platform.errors import Conflict, InvalidInput, NotFound, ServiceUnavailable
from tripbot.platform.web import current_settings
from tripbot.routes.schemas import PlanOut

bp = Blueprint("agenda", __name__)
forms.install(bp)

NEW_ACTIVITY = {"duration": "60"}
MAX_DURATION_MINUTES = 60 * 24 * 366
FIRST_SLOT = time(9, 0)
"""Where a day with nothing on it yet is offered to start (after the event's own start)."""
SLOT_MINUTES = 15


@dataclass
class Day:
    """One day of the timetable, in the event's time zone."""

    date: date
    activities: list[ActivityOut] = field(default_factory=list)


def _client(event_id: int) -> AgendaClient:
    return auth.services().agenda(auth.event_principal(event_id))


def _zone(event: EventOut) -> ZoneInfo:
    return ZoneInfo(event.timezone)


def _days(event: EventOut, activities: list[ActivityOut]) -> list[Day]:
    """Every day of the event, and any other day an activity starts on, in order."""
    zone = _zone(event)
    first = event.starts_at.astimezone(zone).date()
    # No more days than an event may last, also for one stored before that bound.
    last = event.ends_at.astimezone(zone).date()
    if (last - first).days > MAX_EVENT_DAYS:
        last = first + timedelta(days=MAX_EVENT_DAYS)
    days = {
        first + timedelta(days=n): Day(first + timedelta(days=n))
        for n in range((last - first).days + 1)
    }
    for activity in activities:
        start = activity.starts_at.astimezone(zone).date()
        days.setdefault(start, Day(start)).activities.append(activity)
    return [days[key] for key in sorted(days)]


def _offered_start(event: EventOut, day: Day) -> time:
    """When a new activity on a day is offered to start: after the day's last activity (to the
    next quarter hour), or at the event's start on its first day, or at nine."""
    zone = _zone(event)
    ends = [
        a.ends_at.astimezone(zone)
        for a in day.activities
        if a.status != "cancelled" and a.ends_at.astimezone(zone).date() == day.date
    ]
    if ends:
        last = max(ends)
        minutes = -(-(last.hour * 60 + last.minute) // SLOT_MINUTES) * SLOT_MINUTES
        hour, minute = divmod(min(minutes, 24 * 60 - SLOT_MINUTES), 60)
        return time(hour, minute)
    start = event.starts_at.astimezone(zone)
    if start.date() == day.date:
        return start.time().replace(second=0, microsecond=0)
    return FIRST_SLOT


def _new_activity_form(
    event: EventOut, days: list[Day], chosen: str | None, at: str | None, place: str | None
) -> dict[str, str]:
    """The new activity form, on the day asked for (or the event's first) at the time offered
    (or asked for: a click on the timeline says it), and at the place clicked."""
    by_date = {day.date.isoformat(): day for day in days}
    day = by_date.get(chosen or "") or days[0]
    asked = _clock_text(at or "")
    offered = asked or _offered_start(event, day)
    return {
        **NEW_ACTIVITY,
        "day": day.date.isoformat(),
        "time": offered.strftime("%H:%M"),
        "place_id": place if place and place.isdigit() else "",
    }


def _clock_text(text: str) -> time | None:
    try:
        return time.fromisoformat(text)
    except ValueError:
        return None


def _conflict_text(conflict: ConflictOut, titles: Mapping[int, str], event: EventOut) -> str:
    """A conflict said in the UI language."""
    names = [titles.get(n, "?") for n in conflict.activity_ids]
    if conflict.kind == "place_double_booked":
        return _(
            "Two activities at once in the same place: %(a)s and %(b)s.", a=names[0], b=names[1]
        )
    if conflict.kind == "person_double_booked":
        return _(
            "Someone is in charge of two activities at once: %(a)s and %(b)s.",
            a=names[0],
            b=names[1],
        )
    if conflict.kind == "outside_event":
        return _("%(a)s is outside the dates of %(event)s.", a=names[0], event=event.name)
    return _("%(a)s expects more people than its place holds.", a=names[0])


def _timeline(
    event: EventOut, days: list[Day], conflicted: set[int], places: list[dict[str, str]]
) -> dict[str, Any]:
    """What the timeline script draws: per day, each activity's minutes from local midnight;
    for organizers every place, each a row to click a new activity onto."""
    zone = _zone(event)
    drawn = []
    for day in days:
        midnight = datetime.combine(day.date, datetime.min.time(), zone)
        drawn.append(
            {
                "date": day.date.isoformat(),
                "activities": [
                    {
                        "id": a.id,
                        "title": a.title,
                        "place": a.place_name or "",
                        "start": int((a.starts_at - midnight).total_seconds() // 60),
                        "end": int((a.ends_at - midnight).total_seconds() // 60),
                        "status": a.status,
                        "conflict": a.id in conflicted,
                        "time": _span(a, event),
                    }
                    for a in day.activities
                ],
            }
        )
    return {"days": drawn, "noPlace": _("No place"), "places": places}


def _clock(moment: datetime, event: EventOut) -> str:
    return str(format_time(moment.astimezone(_zone(event)), "short", rebase=False))


def _span(activity: ActivityOut, event: EventOut) -> str:
    return f"{_clock(activity.starts_at, event)}\N{EN DASH}{_clock(activity.ends_at, event)}"


def _feed_url(event_id: int, token: FeedTokenOut | None) -> str | None:
    if token is None:
        return None
    base = current_settings().public_url.rstrip("/")
    return f"{base}/api/v1/events/{event_id}/agenda.ics?token={token.token}"


def _meeting(event: EventOut) -> PlanOut | None:
    """An excursion's plan when it says where and when the group meets (shown on its day)."""
    if event.kind != "excursion":
        return None
    member = replace(auth.principal(), event_id=event.id, event_role=event.my_role)
    try:
        plan = auth.services().routes(member).plan(event.id)
    except ServiceUnavailable:
        return None  # the timetable still shows; only the meeting line is missing
    return plan if plan.meeting_at is not None else None


def _page(
    event_id: int,
    *,
    form: Mapping[str, str] | None = None,
    errors: FormErrors | None = None,
    place_form: Mapping[str, str] | None = None,
    place_errors: FormErrors | None = None,
    edit_id: int | None = None,
    edit_form: Mapping[str, str] | None = None,
    edit_errors: FormErrors | None = None,
) -> str:
    event = auth.events().event(event_id)
    client = _client(event_id)
    activities = client.activities(event_id, ActivityQuery())
    conflicts = client.conflicts(event_id)
    titles = {a.id: a.title for a in activities}
    conflicted = {n for c in conflicts for n in c.activity_ids}
    organizer = forms.at_least(event.my_role, "organizer")
    try:
        token: FeedTokenOut | None = client.feed_token(event_id)
    except NotFound:
        token = None
    days = _days(event, activities)
    meeting = _meeting(event)
    feed_url = _feed_url(event_id, token)
    places = client.places(event_id)
    members = auth.events().members(event_id) if organizer else []
    if form is None:
        asked = request.args
        form = _new_activity_form(
            event, days, asked.get("day"), asked.get("time"), asked.get("place")
        )
    return render_template(
        "agenda/show.html",
        event=event,
        organizer=organizer,
        days=days,
        places=places,
        place_options=[("", _("No place")), *((str(p.id), p.name) for p in places)],
        member_options=[(str(m.user_id), m.display_name) for m in members],
        chosen_people=request.form.getlist("people") if request.method == "POST" else [],
        conflicts=[(c, _conflict_text(c, titles, event)) for c in conflicts],
        conflicted=conflicted,
        now=client.now(event_id, NowQuery()),
        meeting=meeting,
        meeting_day=meeting.meeting_at.astimezone(ZoneInfo(event.timezone)).date()
        if meeting and meeting.meeting_at
        else None,
        timeline=_timeline(
            event,
            days,
            conflicted,
            [{"id": str(p.id), "name": p.name} for p in places] if organizer else [],
        ),
        day_options=[
            (day.date.isoformat(), str(format_date(day.date, "EEE d MMM"))) for day in days
        ],
        offered={day.date: _offered_start(event, day).strftime("%H:%M") for day in days},
        feed_url=feed_url,
        webcal_url=feed_url.replace("https://", "webcal://").replace("http://", "webcal://")
        if feed_url
        else None,
        form=form,
        errors=errors or {},
        place_form=place_form or {},
        place_errors=place_errors or {},
        edit_id=edit_id,
        edit_form=edit_form or {},
        edit_errors=edit_errors or {},
        clock=lambda moment: _clock(moment, event),
        local_input=lambda moment: forms.local_input(moment, event.timezone),
        day_label=lambda day: str(format_date(day, "full")),
        minutes=lambda a: int((a.ends_at - a.starts_at).total_seconds() // 60),
    )


def _back(event_id: int, anchor: str | None = None) -> ResponseReturnValue:
    return redirect(url_for("agenda.show", event_id=event_id, _anchor=anchor))


def _times(event: EventOut, form: Mapping[str, str]) -> tuple[dict[str, object], FormErrors]:
    """The start and end of an activity form (a local start and a duration in minutes)."""
    errors: FormErrors = {}
    values: dict[str, object] = {}
    # The new activity form says a day and a time; a quick edit says both in one field.
    where = "time" if "day" in form else "starts_at"
    if where == "time":
        day, clock = form.get("day", "").strip(), form.get("time", "").strip()
        text = f"{day}T{clock}" if day and clock else ""
    else:
        text = form.get("starts_at", "").strip()
    start = forms.aware(text, event.timezone) if text else None
    if start is None:
        errors[where] = _("This field is required.")
    elif not isinstance(start, datetime):
        errors[where] = _("Enter a date and time.")
    else:
        values["starts_at"] = start
    try:
        minutes = int(form.get("duration", "").strip())
    except ValueError:
        minutes = 0
    if not 1 <= minutes <= MAX_DURATION_MINUTES:
        errors["duration"] = _("Enter the duration in minutes.")
    elif isinstance(start, datetime):
        values["ends_at"] = start + timedelta(minutes=minutes)
    return values, errors


def _service_errors(error: InvalidInput, form: Mapping[str, str]) -> FormErrors:
    """A refusal of the agenda service on the form's fields (the end is the duration's)."""
    where = str(error.extensions.get("field") or FORM)
    start = "time" if "day" in form else "starts_at"
    where = {"ends_at": "duration", "starts_at": start}.get(where, where)
    return {where: message_for(error)}


def _activity_data(
    event: EventOut, form: Mapping[str, str], *, full: bool
) -> tuple[dict[str, object], FormErrors]:
    values, errors = _times(event, form)
    values["title"] = form.get("title", "").strip()
    place = form.get("place_id", "").strip()
    values["place_id"] = place or None
    if full:
        values["description"] = form.get("description", "").strip()
        values["track"] = form.get("track", "").strip()
        values["people"] = request.form.getlist("people")
        capacity = form.get("capacity", "").strip()
        if capacity:
            values["capacity"] = capacity
    return values, errors


@bp.get("/events/<int:event_id>/agenda")
@auth.login_required
def show(event_id: int) -> ResponseReturnValue:
    """An event's agenda: the timetable by day and place, conflicts, now/next, feed, exports."""
    return _page(event_id)


@bp.post("/events/<int:event_id>/agenda/activities")
@auth.login_required
def add_activity(event_id: int) -> ResponseReturnValue:
    """Put an activity on the timetable (organizers)."""
    event = auth.events().event(event_id)
    values, errors = _activity_data(event, request.form, full=True)
    result = forms.validate(ActivityCreate, values)
    if isinstance(result, dict) or errors:
        found = {**(result if isinstance(result, dict) else {}), **errors}
        return _page(event_id, form=request.form, errors=found), INVALID
    try:
        made = _client(event_id).add_activity(event_id, result)
    except InvalidInput as error:
        return _page(
            event_id, form=request.form, errors=_service_errors(error, request.form)
        ), INVALID
    flash(_("%(title)s is on the agenda.", title=made.title), "success")
    return _back(event_id, f"activity-{made.id}")


@bp.post("/events/<int:event_id>/agenda/activities/<int:activity_id>")
@auth.login_required
def change_activity(event_id: int, activity_id: int) -> ResponseReturnValue:
    """Quick edit of an activity: its title, start, duration and place (organizers)."""
    event = auth.events().event(event_id)
    values, errors = _activity_data(event, request.form, full=False)
    result = forms.validate(ActivityUpdate, values)
    if isinstance(result, dict) or errors:
        found = {**(result if isinstance(result, dict) else {}), **errors}
        return _page(
            event_id, edit_id=activity_id, edit_form=request.form, edit_errors=found
        ), INVALID
    try:
        changed = _client(event_id).change_activity(event_id, activity_id, result)
    except InvalidInput as error:
        return _page(
            event_id,
            edit_id=activity_id,
            edit_form=request.form,
            edit_errors=_service_errors(error, request.form),
        ), INVALID
    flash(_("%(title)s was saved.", title=changed.title), "success")
    return _back(event_id, f"activity-{activity_id}")


@bp.post("/events/<int:event_id>/agenda/activities/<int:activity_id>/cancel")
@auth.login_required
def cancel_activity(event_id: int, activity_id: int) -> ResponseReturnValue:
    """Cancel an activity; it stays on calendars, marked cancelled (organizers)."""
    cancelled = _client(event_id).cancel_activity(event_id, activity_id)
    flash(_("%(title)s was cancelled.", title=cancelled.title), "success")
    return _back(event_id, f"activity-{activity_id}")


@bp.post("/events/<int:event_id>/agenda/activities/<int:activity_id>/restore")
@auth.login_required
def restore_activity(event_id: int, activity_id: int) -> ResponseReturnValue:
    """Put a cancelled activity back on (organizers)."""
    restored = _client(event_id).change_activity(
        event_id, activity_id, ActivityUpdate(status="scheduled")
    )
    flash(_("%(title)s is on again.", title=restored.title), "success")
    return _back(event_id, f"activity-{activity_id}")


@bp.post("/events/<int:event_id>/agenda/activities/<int:activity_id>/delete")
@auth.login_required
def delete_activity(event_id: int, activity_id: int) -> ResponseReturnValue:
    """Delete an activity made by mistake (organizers)."""
    _client(event_id).remove_activity(event_id, activity_id)
    flash(_("The activity was deleted."), "success")
    return _back(event_id)


@bp.post("/events/<int:event_id>/agenda/places")
@auth.login_required
def add_place(event_id: int) -> ResponseReturnValue:
    """Give the event a new place (organizers)."""
    result = forms.validate(PlaceCreate, forms.filled(request.form, "name", "capacity"))
    if isinstance(result, dict):
        return _page(event_id, place_form=request.form, place_errors=result), INVALID
    try:
        place = _client(event_id).add_place(event_id, result)
    except Conflict:
        errors = {"name": _("The event already has a place with this name.")}
        return _page(event_id, place_form=request.form, place_errors=errors), INVALID
    flash(_("%(name)s was added to the places.", name=place.name), "success")
    return _back(event_id, "places")


@bp.post("/events/<int:event_id>/agenda/places/<int:place_id>/delete")
@auth.login_required
def delete_place(event_id: int, place_id: int) -> ResponseReturnValue:
    """Remove a place no activity uses (organizers)."""
    try:
        _client(event_id).remove_place(event_id, place_id)
    except Conflict:
        flash(_("Activities take place there; move or delete them first."), "error")
        return _back(event_id, "places")
    flash(_("The place was removed."), "success")
    return _back(event_id, "places")


@bp.post("/events/<int:event_id>/agenda/feed")
@auth.login_required
def issue_feed(event_id: int) -> ResponseReturnValue:
    """Make one's private calendar link, or a new one (the old one stops working)."""
    _client(event_id).issue_feed_token(event_id)
    flash(_("Your calendar link is ready: add it to your calendar app."), "success")
    return _back(event_id, "feed")


@bp.post("/events/<int:event_id>/agenda/feed/revoke")
@auth.login_required
def revoke_feed(event_id: int) -> ResponseReturnValue:
    """Stop one's calendar link from working."""
    _client(event_id).revoke_feed_token(event_id)
    flash(_("Your calendar link no longer works."), "success")
    return _back(event_id, "feed")


@bp.get("/events/<int:event_id>/agenda/export.ics")
@auth.login_required
def export_ics(event_id: int) -> Response:
    """The agenda as an iCalendar file, to import once."""
    response = calendar_response(event_id, _client(event_id).calendar(event_id, CalendarQuery()))
    response.headers["Content-Disposition"] = f'attachment; filename="agenda-{event_id}.ics"'
    return response


@bp.get("/events/<int:event_id>/agenda/export.json")
@auth.login_required
def export_json(event_id: int) -> Response:
    """The agenda as a frab/c3voc schedule JSON file, for conference apps."""
    response = Response(
        _json(json.loads(_client(event_id).schedule(event_id).content)),
        content_type="application/json",
    )
    response.headers["Content-Disposition"] = f'attachment; filename="schedule-{event_id}.json"'
    return response


def _json(document: dict[str, Any]) -> str:
    return json.dumps(document, ensure_ascii=False, indent=2)
