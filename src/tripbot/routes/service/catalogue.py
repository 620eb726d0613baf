"""The catalogue of routes: adding, finding, changing and removing them."""

from __future__ import annotations

import hashlib
import math
import re
from dataclasses import asdict
from typing import Annotated

from sqlalchemy import ColumnElement, Select, delete, func, select
from sqlalchemy.exc import IntegrityError

from tripbot.platform.db import UnitOfWork, utcnow
from tripbot.platform.errors import Conflict, InvalidInput, Message, PayloadTooLarge
from tripbot.platform.operations import QUERY, Call, Upload
from tripbot.routes import OPERATIONS
from tripbot.routes.models import Plan, PlanRoute, Route, RouteTrack
from tripbot.routes.schemas import (
    RouteDetails,
    RouteOut,
    RoutePage,
    RouteQuery,
    RouteUpdate,
)
from tripbot.routes.service.rows import (
    changed,
    may_change,
    plan_events,
    require_edit,
    route_out,
    route_row,
    searchable,
    summary_of,
    track_row,
)

EARTH_RADIUS_KM = 6371.0088
KM_PER_DEGREE = 111.32


@OPERATIONS.post(
    "/routes", status=201, upload_limit="routes_max_upload_bytes", public=False
)  # the gateway's own route also takes GeoJSON as a JSON body
def import_route(call: Call, file: Upload, details: Annotated[RouteDetails, QUERY]) -> RouteOut:
    """Add a route from a GPX, KML, KMZ, TCX, FIT or GeoJSON file; any logged-in person may."""
    # Reading tracks needs NumPy and lxml (~20 MiB): loaded by the first upload, not at start.
    from tripbot.routes import analysis, repairs, tracks

    user_id = call.principal.require_user()
    content, filename = file.content, file.filename
    limit = call.settings.routes_max_upload_bytes
    if len(content) > limit:
        raise PayloadTooLarge(
            Message(
                "the upload is {size} bytes; route files may be at most {limit} bytes "
                "(TRIPBOT_ROUTES_MAX_UPLOAD_BYTES)"
            ),
            size=len(content),
            limit=limit,
        )
    track = tracks.read_track(content, filename)
    result = analysis.analyse(track)
    stats = result.stats
    name = (details.name or track.name or _stem(filename) or "Route").strip()[:120]
    description = details.description or track.description[:5000]
    digest = hashlib.sha256(content).hexdigest()
    with call.unit_of_work() as uow:
        uow.lock_for_write()
        existing = uow.session.scalar(select(Route.id).where(Route.content_sha256 == digest))
        if existing is not None:
            raise Conflict(
                Message("this file was already added as route {route_id}"), route_id=existing
            )
        route = Route(
            name=name,
            description=description,
            region=details.region,
            signage=details.signage,
            search_text=searchable(name, details.region, details.signage, description),
            mide_medio=details.mide_medio,
            mide_itinerario=details.mide_itinerario,
            mide_desplazamiento=details.mide_desplazamiento,
            effort=stats.effort,
            distance_m=stats.distance_m,
            distance_3d_m=stats.distance_3d_m,
            ascent_m=stats.ascent_m,
            descent_m=stats.descent_m,
            min_elevation_m=stats.min_elevation_m,
            max_elevation_m=stats.max_elevation_m,
            time_mide_min=stats.time_mide_min,
            time_swiss_min=stats.time_swiss_min,
            shape=stats.shape,
            suggested_type=stats.suggested_type,
            point_count=stats.point_count,
            segment_count=stats.segment_count,
            has_times=stats.has_times,
            min_lat=stats.bbox[0],
            min_lon=stats.bbox[1],
            max_lat=stats.bbox[2],
            max_lon=stats.bbox[3],
            start_lat=stats.start[0],
            start_lon=stats.start[1],
            end_lat=stats.end[0],
            end_lon=stats.end[1],
            source=track.source,
            filename=filename[:200],
            content_sha256=digest,
            created_by=user_id,
        )
        uow.session.add(route)
        try:
            uow.session.flush()
        except IntegrityError as error:  # the same file, added at the same moment
            raise Conflict(Message("this file was already added as a route")) from error
        row = RouteTrack(
            route_id=route.id,
            points=tracks.pack(track),
            geometry=result.geometry,
            profile=result.profile,
            waypoints=[asdict(w) for w in track.waypoints],
            repairs=repairs.stored(track.repairs),
        )
        uow.session.add(row)
        changed(
            uow,
            "route.created",
            None,
            {
                "route_id": route.id,
                "name": route.name,
                "by": user_id,
                "distance_km": f"{stats.distance_m / 1000:.1f}",
                "ascent_m": None if stats.ascent_m is None else f"{stats.ascent_m:.0f}",
            },
        )
        uow.commit()
        return route_out(route, row, True, 0)


def _stem(filename: str) -> str:
    base = re.split(r"[\\/]", filename)[-1]
    return base.rsplit(".", 1)[0].replace("_", " ").strip()


def _distance_km(lat: float, lon: float) -> ColumnElement[float]:
    """Haversine km from a point to each route's start, in SQL both databases understand."""
    rad = math.pi / 180
    dlat = (Route.start_lat - lat) * (rad / 2)
    dlon = (Route.start_lon - lon) * (rad / 2)
    a = func.sin(dlat) * func.sin(dlat) + math.cos(lat * rad) * func.cos(
        Route.start_lat * rad
    ) * func.sin(dlon) * func.sin(dlon)
    return 2 * EARTH_RADIUS_KM * func.asin(func.sqrt(a))


def _filtered(query: RouteQuery) -> tuple[Select[Route, int], ColumnElement[float] | None]:
    """The search as one SELECT with a window count; the indexed columns narrow it first."""
    total = func.count().over().label("total")
    statement = select(Route, total).where(Route.removed_at.is_(None))
    for term in searchable(query.q).split():
        escaped = term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        statement = statement.where(Route.search_text.like(f"%{escaped}%", escape="\\"))
    if query.min_distance_km is not None:
        statement = statement.where(Route.distance_m >= query.min_distance_km * 1000)
    if query.max_distance_km is not None:
        statement = statement.where(Route.distance_m <= query.max_distance_km * 1000)
    if query.max_ascent_m is not None:
        statement = statement.where(Route.ascent_m <= query.max_ascent_m)
    if query.min_effort is not None:
        statement = statement.where(Route.effort >= query.min_effort)
    if query.max_effort is not None:
        statement = statement.where(Route.effort <= query.max_effort)
    if query.type is not None:
        statement = statement.where(Route.suggested_type == query.type)
    if query.shape is not None:
        statement = statement.where(Route.shape == query.shape)
    box = query.box()
    if box is not None:
        west, south, east, north = box
        statement = statement.where(
            Route.max_lat >= south,
            Route.min_lat <= north,
            Route.max_lon >= west,
            Route.min_lon <= east,
        )
    distance = None
    point = query.point()
    if point is not None:
        lat, lon = point
        # A box around the circle uses the start index; the haversine then trims its corners.
        dlat = query.radius_km / KM_PER_DEGREE
        statement = statement.where(Route.start_lat.between(lat - dlat, lat + dlat))
        cos_lat = math.cos(math.radians(lat))
        if cos_lat > 0.01:
            dlon = query.radius_km / (KM_PER_DEGREE * cos_lat)
            if dlon < 180:
                statement = statement.where(Route.start_lon.between(lon - dlon, lon + dlon))
        distance = _distance_km(lat, lon)
        statement = statement.where(distance <= query.radius_km)
    return statement, distance


_ORDER = {
    "name": (Route.name, Route.id),
    "distance": (Route.distance_m, Route.id),
    "-distance": (Route.distance_m.desc(), Route.id),
    "ascent": (Route.ascent_m, Route.id),
    "-ascent": (Route.ascent_m.desc(), Route.id),
    "time": (Route.time_mide_min, Route.id),
    "newest": (Route.created_at.desc(), Route.id.desc()),
}


@OPERATIONS.get("/routes")
def search_routes(call: Call, query: RouteQuery) -> RoutePage:
    """Search the catalogue: words, distance, ascent, MIDE effort, near a point, in a box."""
    # The catalogue, filtered and sorted, a page at a time, in one SQL query.
    call.principal.require_user()
    statement, distance = _filtered(query)
    if query.sort == "nearest" and distance is not None:
        statement = statement.order_by(distance, Route.id)
    else:
        statement = statement.order_by(*_ORDER[query.sort])
    with call.unit_of_work() as uow:
        rows = uow.session.execute(statement.limit(query.limit).offset(query.offset)).all()
        if rows:
            total = int(rows[0].total)
        elif query.offset:
            # A page past the end has no row to carry the count: ask for it alone.
            counted = select(func.count()).select_from(_filtered(query)[0].subquery())
            total = uow.session.scalar(counted) or 0
        else:
            total = 0
        return RoutePage(
            items=[summary_of(row.Route) for row in rows],
            total=total,
            limit=query.limit,
            offset=query.offset,
        )


@OPERATIONS.get("/routes/<int:route_id>")
def get_route(call: Call, route_id: int) -> RouteOut:
    """A route with its statistics, map line, points of interest and the method used."""
    principal = call.principal
    principal.require_user()
    with call.unit_of_work() as uow:
        route = route_row(uow, route_id)
        event_ids = plan_events(uow, route_id)
        may_edit = may_change(principal, route) and route.removed_at is None
        return route_out(route, track_row(uow, route_id), may_edit, len(event_ids))


@OPERATIONS.patch("/routes/<int:route_id>")
def update_route(call: Call, route_id: int, data: RouteUpdate) -> RouteOut:
    """Change a route (its creator or an administrator)."""
    principal = call.principal
    user_id = principal.require_user()
    with call.unit_of_work() as uow:
        uow.lock_for_write()
        route = route_row(uow, route_id, for_update=True)
        event_ids = require_edit(uow, principal, route, "change")
        changes = data.model_dump(exclude_unset=True)
        for name in ("name", "description", "region", "signage"):
            if name in changes and changes[name] is None:
                raise InvalidInput(
                    Message("{field} cannot be null; send an empty text"), field=name
                )
        for name, value in changes.items():
            setattr(route, name, value)
        route.search_text = searchable(route.name, route.region, route.signage, route.description)
        route.updated_at = utcnow()
        payload = {"route_id": route_id, "name": route.name, "by": user_id}
        changed(uow, "route.updated", None, {**payload, "changed": sorted(changes)})
        for event_id in event_ids:
            changed(uow, "plan.route_updated", event_id, {**payload, "event_id": event_id})
        uow.commit()
        return route_out(route, track_row(uow, route_id), True, len(event_ids))


@OPERATIONS.delete(
    "/routes/<int:route_id>", status=204, responses={409: "An excursion plan uses the route"}
)
def delete_route(call: Call, route_id: int) -> None:
    """Remove a route (its creator or an administrator); plans that use it keep it."""
    # A route no plan uses is deleted; one that plans use leaves the catalogue but stays in
    # those plans as it was, and each of those excursions is told.
    principal = call.principal
    user_id = principal.require_user()
    with call.unit_of_work() as uow:
        uow.lock_for_write()
        route = route_row(uow, route_id, for_update=True)
        event_ids = require_edit(uow, principal, route, "delete")
        payload = {"route_id": route_id, "name": route.name, "by": user_id}
        changed(uow, "route.deleted", None, payload)
        if event_ids:
            route.removed_at = utcnow()
            # The file may come back as a new route: the removed one no longer holds its hash.
            route.content_sha256 = f"removed-{route_id}"
            planned_by = select(Plan.event_id, Plan.updated_by).where(Plan.event_id.in_(event_ids))
            planners: dict[int, int | None] = dict(uow.session.execute(planned_by).all())
            for event_id in event_ids:
                told = {**payload, "event_id": event_id, "planner": planners.get(event_id)}
                changed(uow, "plan.route_removed", event_id, told)
        else:
            uow.session.delete(route)
        try:
            uow.session.flush()
        except IntegrityError as error:  # a plan took it in the meantime
            raise Conflict(
                Message("route {route_id} was just added to a plan; it stays"), route_id=route_id
            ) from error
        uow.commit()


def purge_removed(uow: UnitOfWork) -> None:
    """Delete the removed routes that no plan uses any more."""
    used = select(PlanRoute.route_id)
    uow.session.execute(delete(Route).where(Route.removed_at.is_not(None), Route.id.not_in(used)))
