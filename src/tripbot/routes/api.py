"""HTTP interface of the routes service: thin handlers over the use cases."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from apiflask import APIBlueprint, APIFlask
from flask import Response, request

from tripbot.events.client import EventsClient
from tripbot.platform.client import ServiceClient, Transport, peer
from tripbot.platform.db import Database, UnitOfWork
from tripbot.platform.errors import Message, PayloadTooLarge
from tripbot.platform.follow import FeedFollower
from tripbot.platform.outbox import FeedEntry
from tripbot.platform.settings import Settings
from tripbot.platform.web import (
    create_legacy_service_app,
    current_database,
    current_principal,
    current_settings,
)
from tripbot.routes import OPERATIONS, service
from tripbot.routes.models import feed_cursors
from tripbot.routes.schemas import (
    GeoJSON,
    PlanOut,
    PlanUpdate,
    ProfileOut,
    RouteDetails,
    RouteOut,
    RoutePage,
    RouteQuery,
    RouteUpdate,
    RouteUpload,
)

bp = APIBlueprint("routes", __name__, tag="Routes")
NO_CONTENT = ("", 204)
MULTIPART_SLACK = 1_048_576
"""Room for the form fields and boundaries around an upload of the largest allowed file."""
GPX = "application/gpx+xml"


def _uow() -> UnitOfWork:
    return current_database().unit_of_work()


def _events() -> EventsClient:
    return peer(EventsClient, "events")


def _too_large(size: int) -> PayloadTooLarge:
    limit = current_settings().routes_max_upload_bytes
    return PayloadTooLarge(
        Message(
            "the upload is {size} bytes; route files may be at most {limit} bytes "
            "(TRIPBOT_ROUTES_MAX_UPLOAD_BYTES)"
        ),
        size=size,
        limit=limit,
    )


@bp.before_request
def _upload_limit() -> None:
    # A route file may be larger than other bodies: the upload gets its own limit, set before
    # anything reads the body; the file itself is measured once read.
    if request.endpoint == "routes.import_route":
        limit = current_settings().routes_max_upload_bytes + MULTIPART_SLACK
        if request.content_length is not None and request.content_length > limit:
            raise _too_large(request.content_length)
        request.max_content_length = limit


@bp.post("/routes")
@bp.input(RouteUpload, location="form_and_files", arg_name="data")
@bp.output(RouteOut, status_code=201)
def import_route(data: RouteUpload) -> RouteOut:
    """Add a route from a GPX, KML, KMZ, TCX, FIT or GeoJSON file."""
    details = RouteDetails.model_validate(data.model_dump(exclude={"file"}))
    content = data.file.read()
    data.file.close()  # a large upload is spooled to a temporary file
    if len(content) > current_settings().routes_max_upload_bytes:
        raise _too_large(len(content))
    return service.import_route(
        _uow(), current_principal(), content, data.file.filename or "", details
    )


@bp.get("/routes")
@bp.input(RouteQuery, location="query", arg_name="query")
@bp.output(RoutePage)
def search_routes(query: RouteQuery) -> RoutePage:
    """Search the catalogue."""
    return service.search_routes(_uow(), current_principal(), query)


@bp.get("/routes/<int:route_id>")
@bp.output(RouteOut)
def route(route_id: int) -> RouteOut:
    """One route."""
    return service.get_route(_uow(), current_principal(), route_id)


@bp.patch("/routes/<int:route_id>")
@bp.input(RouteUpdate, arg_name="data")
@bp.output(RouteOut)
def update_route(route_id: int, data: RouteUpdate) -> RouteOut:
    """Change a route's name, description, region, signage or MIDE ratings."""
    return service.update_route(_uow(), current_principal(), route_id, data)


@bp.delete("/routes/<int:route_id>")
@bp.output({}, status_code=204)
def delete_route(route_id: int) -> tuple[str, int]:
    """Remove a route (its creator or an administrator); plans that use it keep it."""
    service.delete_route(_uow(), current_principal(), route_id)
    return NO_CONTENT


@bp.get("/routes/<int:route_id>/gpx")
@bp.output({}, content_type=GPX)
def route_gpx(route_id: int) -> Response:
    """The whole track as GPX 1.1."""
    return Response(service.route_gpx(_uow(), current_principal(), route_id), mimetype=GPX)


@bp.get("/routes/<int:route_id>/geojson")
@bp.output(GeoJSON)
def route_geojson(route_id: int) -> dict[str, Any]:
    """The whole track as GeoJSON."""
    return service.route_geojson(_uow(), current_principal(), route_id)


@bp.get("/routes/<int:route_id>/profile")
@bp.output(ProfileOut)
def route_profile(route_id: int) -> ProfileOut:
    """The elevation profile."""
    return service.route_profile(_uow(), current_principal(), route_id)


@bp.get("/events/<int:event_id>/plan")
@bp.output(PlanOut)
def plan(event_id: int) -> PlanOut:
    """An excursion's plan."""
    return service.get_plan(_uow(), current_principal(), event_id)


@bp.put("/events/<int:event_id>/plan")
@bp.input(PlanUpdate, arg_name="data")
@bp.output(PlanOut)
def set_plan(event_id: int, data: PlanUpdate) -> PlanOut:
    """Set an excursion's plan (organizers)."""
    return service.set_plan(_uow(), current_principal(), _events(), event_id, data)


def create_app(settings: Settings, database: Database, peers: Mapping[str, Transport]) -> APIFlask:
    """The routes service application; it reaches the events service through ``peers``."""
    return create_legacy_service_app(
        "routes", settings, database, [bp], peers, operations=OPERATIONS
    )


def deleted_events_follower(
    settings: Settings, database: Database, events: ServiceClient
) -> FeedFollower:
    """Follows the events service's feed: a deleted event's plan goes."""

    def forget(entry: FeedEntry) -> None:
        if entry.event_id is not None:
            service.forget_event(database.unit_of_work(), entry.event_id)

    return FeedFollower(events, database, feed_cursors, {"event.deleted"}, forget, reader="routes")
