"""The public REST API of routes and excursion plans."""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Callable
from functools import wraps
from typing import Any

from apiflask import APIBlueprint
from apiflask.schema_adapters.pydantic import PydanticAdapter
from flask import Response, request

from tripbot.gateway import auth
from tripbot.platform.uploads import allows_upload
from tripbot.routes.client import RoutesClient
from tripbot.routes.schemas import (
    GeoJSON,
    PlanOut,
    PlanUpdate,
    ProfileOut,
    RouteOut,
    RoutePage,
    RouteQuery,
    RouteSubmission,
    RouteUpdate,
)

bp = APIBlueprint("api_routes", __name__, url_prefix="/api/v1", tag="Routes")
NO_CONTENT = ("", 204)
GPX = "application/gpx+xml"
GEOJSON = "application/geo+json"


def _routes() -> RoutesClient:
    return auth.services().routes(auth.principal())


def _track_body(view: Callable[..., Any]) -> Callable[..., Any]:
    """A route as a multipart file upload or as a JSON body with GeoJSON (both in OpenAPI)."""
    multipart = bp.input(RouteSubmission, location="form_and_files", arg_name="data")(view)
    json_body = PydanticAdapter(RouteSubmission)

    @wraps(multipart)
    def accept(*args: Any, **kwargs: Any) -> Any:
        auth.require_user()  # before reading what may be megabytes
        if request.is_json:
            return view(*args, data=json_body.validate_input(request, "json"), **kwargs)
        return multipart(*args, **kwargs)

    accept._spec["content_type"] = ["multipart/form-data", "application/json"]  # type: ignore[attr-defined]
    return accept


def attachment(content: bytes, mimetype: str, name: str, extension: str) -> Response:
    """A file to download, named after the route in plain ASCII."""
    plain = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    stem = re.sub(r"[^A-Za-z0-9]+", "-", plain).strip("-").lower() or "route"
    response = Response(content, mimetype=mimetype)
    response.headers["Content-Disposition"] = f'attachment; filename="{stem}.{extension}"'
    return response


@bp.post("/routes")
@bp.output(RouteOut, status_code=201)
@bp.doc(responses={409: "The same file was already added", 413: "The file is too large"})
@allows_upload("routes_max_upload_bytes")
@_track_body
def create_route(data: RouteSubmission) -> RouteOut:
    """Add a route: upload a GPX, KML, KMZ, TCX, FIT or GeoJSON file, or send GeoJSON as JSON."""
    if data.file is not None:
        content, filename = data.file.read(), data.file.filename or "route"
        data.file.close()  # a large upload is spooled to a temporary file
    else:
        content, filename = json.dumps(data.geojson).encode(), "route.geojson"
    return _routes().import_route(filename, content, data.details())


@bp.get("/routes")
@bp.input(RouteQuery, location="query", arg_name="query")
@bp.output(RoutePage)
def routes(query: RouteQuery) -> RoutePage:
    """Search the catalogue: words, distance, ascent, MIDE effort, near a point, in a box."""
    auth.require_user()
    return _routes().search(query)


@bp.get("/routes/<int:route_id>")
@bp.output(RouteOut)
def route(route_id: int) -> RouteOut:
    """A route with its statistics, map line, points of interest and the method used."""
    auth.require_user()
    return _routes().route(route_id)


@bp.patch("/routes/<int:route_id>")
@bp.input(RouteUpdate, arg_name="data")
@bp.output(RouteOut)
def update_route(route_id: int, data: RouteUpdate) -> RouteOut:
    """Change a route (its creator or an administrator)."""
    auth.require_user()
    return _routes().update_route(route_id, data)


@bp.delete("/routes/<int:route_id>")
@bp.output({}, status_code=204)
@bp.doc(responses={409: "An excursion plan uses the route"})
def delete_route(route_id: int) -> tuple[str, int]:
    """Remove a route (its creator or an administrator); plans that use it keep it."""
    auth.require_user()
    _routes().delete_route(route_id)
    return NO_CONTENT


@bp.get("/routes/<int:route_id>/gpx")
@bp.output({}, content_type=GPX, description="The track as a GPX 1.1 file")
def route_gpx(route_id: int) -> Response:
    """Download the whole track as GPX."""
    auth.require_user()
    client = _routes()
    return attachment(client.gpx(route_id), GPX, client.route(route_id).name, "gpx")


@bp.get("/routes/<int:route_id>/geojson")
@bp.output(GeoJSON, content_type=GEOJSON)
def route_geojson(route_id: int) -> Response:
    """Download the whole track as GeoJSON."""
    auth.require_user()
    client = _routes()
    content = json.dumps(client.geojson(route_id)).encode()
    return attachment(content, GEOJSON, client.route(route_id).name, "geojson")


@bp.get("/routes/<int:route_id>/profile")
@bp.output(ProfileOut)
def route_profile(route_id: int) -> ProfileOut:
    """The elevation profile: [km, m, lat, lon] points along the track."""
    auth.require_user()
    return _routes().profile(route_id)


@bp.get("/events/<int:event_id>/plan")
@bp.output(PlanOut)
@bp.doc(tags=["Excursion plans"])
def plan(event_id: int) -> PlanOut:
    """An excursion's plan: its routes in order, meeting point and time, capacity (members)."""
    auth.require_user()
    return auth.services().routes(auth.event_principal(event_id)).plan(event_id)


@bp.put("/events/<int:event_id>/plan")
@bp.input(PlanUpdate, arg_name="data")
@bp.output(PlanOut)
@bp.doc(tags=["Excursion plans"], responses={409: "The event is not an excursion"})
def set_plan(event_id: int, data: PlanUpdate) -> PlanOut:
    """Set an excursion's plan as a whole (owners and organizers)."""
    auth.require_user()
    return auth.services().routes(auth.event_principal(event_id)).set_plan(event_id, data)
