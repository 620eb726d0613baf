"""Web pages: the route catalogue, a route with its map and profile, and excursion plans."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import format_decimal
from flask_babel import lazy_gettext as _l
from flask_babel.speaklater import LazyString

from tripbot.events.schemas import EventOut
from tripbot.gateway import auth
from tripbot.gateway.api.routes import attachment
from tripbot.gateway.web import forms, maps
from tripbot.gateway.web.forms import INVALID, FormErrors, _
from tripbot.platform.errors import Conflict, InvalidInput, Message, NotFound, PermissionDenied
from tripbot.platform.operations import Upload
from tripbot.platform.uploads import allows_upload
from tripbot.platform.web import current_settings
from tripbot.routes.client import RoutesClient
from tripbot.routes.schemas import (
    PlanOut,
    PlanUpdate,
    RouteDetails,
    RouteOut,
    RouteQuery,
    RouteUpdate,
)

bp = Blueprint("routes", __name__)
forms.install(bp)

DETAIL_FIELDS = ("name", "description", "region", "signage")
MIDE_FIELDS = ("mide_medio", "mide_itinerario", "mide_desplazamiento")
QUERY_FIELDS = (
    "q",
    "min_distance_km",
    "max_distance_km",
    "max_ascent_m",
    "max_effort",
    "near",
    "radius_km",
    "sort",
)
PLAN_FIELDS = ("meeting_point", "meeting_lat", "meeting_lon", "capacity", "notes")

SHAPE_LABELS: dict[str, LazyString] = {
    "circular": _l("circular"),
    "out-and-back": _l("out and back"),
    "one-way": _l("one way"),
}
MIDE_LABELS: dict[str, LazyString] = {
    "esfuerzo": _l("Effort"),
    "medio": _l("Environment"),
    "itinerario": _l("Orientation"),
    "desplazamiento": _l("Terrain"),
}
SORT_LABELS: dict[str, LazyString] = {
    "newest": _l("Newest first"),
    "name": _l("Name"),
    "distance": _l("Shortest first"),
    "-distance": _l("Longest first"),
    "ascent": _l("Least ascent first"),
    "time": _l("Quickest first"),
    "nearest": _l("Nearest first"),
}


def _km(metres: float | None) -> str:
    return "—" if metres is None else f"{format_decimal(metres / 1000, '#,##0.0')} km"


def _metres(metres: float | None) -> str:
    return "—" if metres is None else f"{format_decimal(round(metres), '#,##0')} m"


def _duration(minutes: int | None) -> str:
    return "—" if minutes is None else f"{minutes // 60} h {minutes % 60:02d} min"


def _shape(shape: str) -> str:
    return str(SHAPE_LABELS.get(shape, shape))


for _name, _function in (
    ("route_km", _km),
    ("route_m", _metres),
    ("route_duration", _duration),
    ("route_shape", _shape),
):
    bp.add_app_template_filter(_function, _name)


def _routes() -> RoutesClient:
    return auth.services().routes(auth.principal())


# ---- the catalogue -------------------------------------------------------------------------


def _plan_event(raw: str | None) -> EventOut | None:
    """The excursion a search is adding routes to (``?plan=ID``), if the asker organizes it."""
    if not raw or not raw.isdigit():
        return None
    try:
        event = auth.events().event(int(raw))
    except NotFound:
        return None
    return event if forms.at_least(event.my_role, "organizer") else None


@bp.get("/routes")
@auth.login_required
def index() -> ResponseReturnValue:
    """The route catalogue, with its search filters."""
    form = {name: request.args.get(name, "").strip() for name in QUERY_FIELDS}
    page = request.args.get("page", "1")
    offset = (int(page) - 1) * 20 if page.isdigit() and int(page) > 0 else 0
    query = forms.validate(RouteQuery, {**forms.filled(form, *QUERY_FIELDS), "offset": offset})
    errors: FormErrors = query if isinstance(query, dict) else {}
    result = None if isinstance(query, dict) else _routes().search(query)
    return render_template(
        "routes/index.html",
        form=form,
        errors=errors,
        result=result,
        page=offset // 20 + 1,
        sorts=SORT_LABELS,
        plan_event=_plan_event(request.args.get("plan")),
    ), (INVALID if errors else 200)


@bp.route("/routes/new", methods=["GET", "POST"])
@auth.login_required
@allows_upload("routes_max_upload_bytes")
def create() -> ResponseReturnValue:
    """Upload a GPX, KML, KMZ, TCX, FIT or GeoJSON file as a new route."""
    if request.method == "GET":
        return render_template("routes/new.html", form={}, errors={})
    upload = request.files.get("file")
    details = forms.validate(RouteDetails, forms.filled(request.form, *DETAIL_FIELDS))
    errors: FormErrors = dict(details) if isinstance(details, dict) else {}
    if upload is None or not upload.filename:
        errors["file"] = _("Choose a GPX, KML, KMZ, TCX, FIT or GeoJSON file.")
    if errors or isinstance(details, dict) or upload is None:
        return render_template("routes/new.html", form=request.form, errors=errors), INVALID
    content = upload.read()
    upload.close()  # a large upload is spooled to a temporary file
    try:
        route = _routes().import_route(Upload(upload.filename or "route", content), details)
    except InvalidInput as error:
        reason = error.told_in(forms.get_locale_language())
        message = _("The file could not be used: %(reason)s", reason=reason)
        errors = {str(error.extensions.get("field") or "file"): message}
        return render_template("routes/new.html", form=request.form, errors=errors), INVALID
    except Conflict as error:
        existing = error.extensions.get("route_id")
        if isinstance(existing, int):
            flash(_("This file is already in the catalogue."), "error")
            return redirect(url_for("routes.show", route_id=existing))
        raise
    if route.repairs:
        flash(
            _(
                "The route was added; some points of the file were left out or repaired "
                "(see below)."
            ),
            "success",
        )
    else:
        flash(_("The route was added to the catalogue."), "success")
    return redirect(url_for("routes.show", route_id=route.id))


# ---- one route -----------------------------------------------------------------------------


def _organized_excursions() -> list[EventOut]:
    return [
        e
        for e in auth.events().events()
        if e.kind == "excursion" and forms.at_least(e.my_role, "organizer")
    ]


def _edit_form(route: RouteOut) -> dict[str, str]:
    form = {name: str(getattr(route, name)) for name in DETAIL_FIELDS}
    for name in MIDE_FIELDS:
        value = getattr(route.mide, name.removeprefix("mide_"))
        form[name] = "" if value is None else str(value)
    return form


def _route_page(
    route_id: int, form: Mapping[str, str] | None = None, errors: FormErrors | None = None
) -> str:
    client = _routes()
    route = client.route(route_id)
    profile = client.profile(route_id)
    return render_template(
        "routes/show.html",
        route=route,
        map_data={
            "geometry": route.geometry,
            "waypoints": [w.model_dump() for w in route.waypoints],
            "start": route.stats.start,
            "end": route.stats.end,
        },
        profile=profile.points,
        form=form or _edit_form(route),
        errors=errors or {},
        excursions=[(str(e.id), e.name) for e in _organized_excursions()],
        mide_labels=MIDE_LABELS,
        map_layers=maps.layers_for_page(current_settings()),
    )


@bp.get("/routes/<int:route_id>")
@auth.login_required
def show(route_id: int) -> ResponseReturnValue:
    """A route: map, elevation profile, statistics, downloads, and its edit form."""
    return _route_page(route_id)


@bp.post("/routes/<int:route_id>")
@auth.login_required
def update(route_id: int) -> ResponseReturnValue:
    """Save what people say about a route (its creator or an organizer that uses it)."""
    data: dict[str, Any] = {name: request.form.get(name, "").strip() for name in DETAIL_FIELDS}
    data.update({name: request.form.get(name, "").strip() or None for name in MIDE_FIELDS})
    result = forms.validate(RouteUpdate, data)
    if isinstance(result, dict):
        return _route_page(route_id, request.form, result), INVALID
    try:
        _routes().update_route(route_id, result)
    except InvalidInput as error:
        return _route_page(route_id, request.form, forms.invalid_input_errors(error)), INVALID
    flash(_("The route was saved."), "success")
    return redirect(url_for("routes.show", route_id=route_id))


@bp.post("/routes/<int:route_id>/delete")
@auth.login_required
def delete(route_id: int) -> ResponseReturnValue:
    """Remove a route (its creator or an administrator); plans that use it keep it."""
    try:
        _routes().delete_route(route_id)
    except Conflict:
        flash(_("An excursion plan uses this route; take it out of the plan first."), "error")
        return redirect(url_for("routes.show", route_id=route_id))
    flash(_("The route was removed from the catalogue."), "success")
    return redirect(url_for("routes.index"))


@bp.get("/routes/<int:route_id>/download.<kind>")
@auth.login_required
def download(route_id: int, kind: str) -> ResponseReturnValue:
    """The whole track as a GPX or GeoJSON file."""
    client = _routes()
    if kind == "gpx":
        content, mimetype = client.gpx(route_id).content, "application/gpx+xml"
    elif kind == "geojson":
        geojson = client.geojson(route_id).model_dump(mode="json")
        content, mimetype = json.dumps(geojson).encode(), "application/geo+json"
    else:
        raise NotFound(Message("no download as {kind}"), kind=kind)
    return attachment(content, mimetype, client.route(route_id).name, kind)


# ---- excursion plans -----------------------------------------------------------------------


def _event_client(event_id: int) -> tuple[EventOut, RoutesClient]:
    event = auth.events().event(event_id)
    principal = replace(auth.principal(), event_id=event_id, event_role=event.my_role)
    return event, auth.services().routes(principal)


def _plan_form(plan: PlanOut, event: EventOut) -> dict[str, str]:
    form = {
        name: "" if getattr(plan, name) is None else str(getattr(plan, name))
        for name in PLAN_FIELDS
    }
    form["meeting_at"] = (
        forms.local_input(plan.meeting_at, event.timezone) if plan.meeting_at else ""
    )
    return form


def _plan_page(
    event_id: int, form: Mapping[str, str] | None = None, errors: FormErrors | None = None
) -> str:
    event, client = _event_client(event_id)
    plan = client.plan(event_id)
    return render_template(
        "routes/plan.html",
        event=event,
        plan=plan,
        form=form or _plan_form(plan, event),
        errors=errors or {},
        map_data=maps.plan_map(plan),
        map_layers=maps.layers_for_page(current_settings()),
    )


@bp.get("/events/<int:event_id>/plan")
@auth.login_required
def plan(event_id: int) -> ResponseReturnValue:
    """An excursion's plan: routes in order, meeting point on a map, time and capacity."""
    return _plan_page(event_id)


def _read_plan(event: EventOut) -> PlanUpdate | FormErrors:
    removed = set(request.form.getlist("remove"))
    data: dict[str, object] = dict(forms.filled(request.form, *PLAN_FIELDS))
    data["route_ids"] = [
        value for value in request.form.getlist("route_ids") if value and value not in removed
    ]
    meeting_at = request.form.get("meeting_at", "").strip()
    if meeting_at:
        data["meeting_at"] = forms.aware(meeting_at, event.timezone)
    return forms.validate(PlanUpdate, data)


def _save_plan(event_id: int, event: EventOut, data: PlanUpdate) -> ResponseReturnValue | None:
    """Save a plan; None when saved, else the page that says why not."""
    client = _event_client(event_id)[1]
    try:
        client.set_plan(event_id, data)
    except Conflict:
        flash(_("Only excursions have a plan: make this event an excursion first."), "error")
        return redirect(url_for("routes.plan", event_id=event_id))
    except InvalidInput as error:
        return _plan_page(event_id, request.form, forms.invalid_input_errors(error)), INVALID
    return None


@bp.post("/events/<int:event_id>/plan")
@auth.login_required
def save_plan(event_id: int) -> ResponseReturnValue:
    """Save an excursion's plan (its organizers)."""
    event, _client = _event_client(event_id)
    if not forms.at_least(event.my_role, "organizer"):
        raise PermissionDenied(Message("only an event organizer or above may plan the excursion"))
    result = _read_plan(event)
    if isinstance(result, dict):
        return _plan_page(event_id, request.form, result), INVALID
    refused = _save_plan(event_id, event, result)
    if refused is not None:
        return refused
    flash(_("The excursion plan was saved."), "success")
    return redirect(url_for("routes.plan", event_id=event_id))


def _append(event_id: int, route_id: int) -> ResponseReturnValue:
    event, client = _event_client(event_id)
    plan = client.plan(event_id)
    ids = [r.route.id for r in plan.routes]
    if route_id in ids:
        flash(_("This route is already in the plan."), "success")
        return redirect(url_for("routes.plan", event_id=event_id))
    data = PlanUpdate(
        route_ids=[*ids, route_id],
        meeting_point=plan.meeting_point,
        meeting_lat=plan.meeting_lat,
        meeting_lon=plan.meeting_lon,
        meeting_at=plan.meeting_at,
        capacity=plan.capacity,
        notes=plan.notes,
    )
    refused = _save_plan(event_id, event, data)
    if refused is not None:
        return refused
    flash(_("The route was added to the plan of %(event)s.", event=event.name), "success")
    return redirect(url_for("routes.plan", event_id=event_id))


_NO_SUCH: dict[str, Message] = {
    "route_id": Message("there is no such route"),
    "event_id": Message("there is no such event"),
}
"""What ``_number`` says when a form field does not name a route or an event."""


def _number(name: str) -> int:
    raw = request.form.get(name, "")
    if not raw.isdigit() or len(raw) > 9:
        raise NotFound(_NO_SUCH[name])
    return int(raw)


@bp.post("/events/<int:event_id>/plan/routes")
@auth.login_required
def add_to_plan(event_id: int) -> ResponseReturnValue:
    """Add a route from the catalogue at the end of an excursion's plan (its organizers)."""
    return _append(event_id, _number("route_id"))


@bp.post("/routes/<int:route_id>/plan")
@auth.login_required
def add_to_event(route_id: int) -> ResponseReturnValue:
    """Add this route at the end of the plan of one of one's excursions (its organizers)."""
    return _append(_number("event_id"), route_id)
