"""Use cases of the routes service. Each runs in one unit of work and raises domain errors."""

from __future__ import annotations

import hashlib
import math
import re
import unicodedata
from dataclasses import asdict
from typing import Any, Protocol

from sqlalchemy import ColumnElement, Select, delete, func, insert, select
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import IntegrityError

from tripbot.events.schemas import EventOut, MembershipOut
from tripbot.platform.db import UnitOfWork, utcnow
from tripbot.platform.errors import Conflict, InvalidInput, Message, NotFound, PermissionDenied
from tripbot.platform.identity import Principal
from tripbot.platform.outbox import declare_feed, record_change
from tripbot.routes import OPERATIONS, analysis, repairs, tracks
from tripbot.routes.models import Plan, PlanRoute, Route, RouteTrack, outbox
from tripbot.routes.schemas import (
    Method,
    Mide,
    PlanOut,
    PlanRouteOut,
    PlanUpdate,
    ProfileOut,
    RouteDetails,
    RouteOut,
    RoutePage,
    RouteQuery,
    RouteStats,
    RouteSummary,
    RouteUpdate,
    Waypoint,
)

EDITING_ROLES = ("organizer", "owner")
EARTH_RADIUS_KM = 6371.0088
KM_PER_DEGREE = 111.32
METHOD = Method(
    resample_m=analysis.METHOD.resample_m,
    smoothing_sigma_m=analysis.METHOD.smoothing_sigma_m,
    hysteresis_m=analysis.METHOD.hysteresis_m,
    elevation=analysis.METHOD.describe(),
    time=(
        "MIDE (FEDME): per climb or descent, the larger of the horizontal time (4 km/h) and "
        "the vertical time (400 m/h up, 600 m/h down) plus half the smaller, summed; breaks "
        "not included. Swiss: the Schweizer Wanderwege polynomial of the slope."
    ),
    distance="sum of the steps between points on the WGS84 ellipsoid",
)


class Events(Protocol):
    """What the routes service asks the events service, acting for the current person."""

    def membership(self, event_id: int) -> MembershipOut:
        """The person's role in an event (NotFound when not a member)."""
        ...

    def event(self, event_id: int) -> EventOut:
        """One event the person belongs to."""
        ...


def _changed(uow: UnitOfWork, topic: str, event_id: int | None, payload: dict[str, object]) -> None:
    record_change(uow.session, outbox, topic, event_id, payload)


def searchable(*texts: str) -> str:
    """Text in lower case without accents, so that 'canon' finds 'Cañón'."""
    joined = " ".join(texts)
    plain = unicodedata.normalize("NFKD", joined)
    return "".join(c for c in plain if not unicodedata.combining(c)).casefold()


# ---- reading rows into schemas ---------------------------------------------------------------


def _stats(route: Route) -> RouteStats:
    return RouteStats(
        distance_m=route.distance_m,
        distance_3d_m=route.distance_3d_m,
        ascent_m=route.ascent_m,
        descent_m=route.descent_m,
        min_elevation_m=route.min_elevation_m,
        max_elevation_m=route.max_elevation_m,
        time_mide_min=route.time_mide_min,
        time_swiss_min=route.time_swiss_min,
        shape=route.shape,
        suggested_type=route.suggested_type,
        point_count=route.point_count,
        segment_count=route.segment_count,
        has_elevation=route.ascent_m is not None,
        has_times=route.has_times,
        bbox=[route.min_lon, route.min_lat, route.max_lon, route.max_lat],
        start=[route.start_lat, route.start_lon],
        end=[route.end_lat, route.end_lon],
    )


def _summary(route: Route) -> RouteSummary:
    return RouteSummary(
        id=route.id,
        name=route.name,
        region=route.region,
        signage=route.signage,
        mide=Mide(
            esfuerzo=route.effort,
            medio=route.mide_medio,
            itinerario=route.mide_itinerario,
            desplazamiento=route.mide_desplazamiento,
        ),
        stats=_stats(route),
        created_by=route.created_by,
        created_at=route.created_at,
        updated_at=route.updated_at,
        removed_at=route.removed_at,
    )


def _route_out(route: Route, track: RouteTrack, may_edit: bool, plan_count: int) -> RouteOut:
    return RouteOut(
        **_summary(route).model_dump(),
        description=route.description,
        source=route.source,
        filename=route.filename,
        geometry=track.geometry,
        waypoints=[Waypoint.model_validate(w) for w in track.waypoints],
        method=METHOD,
        may_edit=may_edit,
        plan_count=plan_count,
        repairs=repairs.told(track.repairs),
    )


def _route(uow: UnitOfWork, route_id: int, *, for_update: bool = False) -> Route:
    query = select(Route).where(Route.id == route_id)
    route = uow.session.scalar(query.with_for_update() if for_update else query)
    if route is None:
        raise NotFound(Message("there is no route {route_id}"), route_id=route_id)
    return route


def _track(uow: UnitOfWork, route_id: int) -> RouteTrack:
    track = uow.session.get(RouteTrack, route_id)
    if track is None:  # pragma: no cover - written with its route, deleted with it
        raise NotFound(Message("there is no route {route_id}"), route_id=route_id)
    return track


def _plan_events(uow: UnitOfWork, route_id: int) -> list[int]:
    return list(
        uow.session.scalars(
            select(PlanRoute.event_id)
            .where(PlanRoute.route_id == route_id)
            .distinct()
            .order_by(PlanRoute.event_id)
        )
    )


def _may_edit(principal: Principal, route: Route) -> bool:
    """Its creator or an administrator. Using a route in a plan gives no right over it: a plan
    is another event's, and a route is shared by every excursion that uses it."""
    return principal.user_id == route.created_by or principal.instance_role == "admin"


_EDIT_REFUSALS: dict[str, Message] = {
    "change": Message(
        "only the person who added route {route_id}, or an administrator, may change it"
    ),
    "delete": Message(
        "only the person who added route {route_id}, or an administrator, may delete it"
    ),
}
"""What ``_require_edit`` says to someone who may not change or delete a route, by action."""


def _require_edit(uow: UnitOfWork, principal: Principal, route: Route, action: str) -> list[int]:
    """The excursions whose plans use the route, once the asker may ``action`` it."""
    if not _may_edit(principal, route):
        raise PermissionDenied(_EDIT_REFUSALS[action], route_id=route.id)
    if route.removed_at is not None:
        raise Conflict(
            Message("route {route_id} was removed from the catalogue"), route_id=route.id
        )
    return _plan_events(uow, route.id)


# ---- the catalogue ---------------------------------------------------------------------------


def import_route(
    uow: UnitOfWork, principal: Principal, content: bytes, filename: str, details: RouteDetails
) -> RouteOut:
    """Add a route from a GPX, KML, KMZ, TCX, FIT or GeoJSON file; any logged-in person may."""
    user_id = principal.require_user()
    track = tracks.read_track(content, filename)
    result = analysis.analyse(track)
    stats = result.stats
    name = (details.name or track.name or _stem(filename) or "Route").strip()[:120]
    description = details.description or track.description[:5000]
    digest = hashlib.sha256(content).hexdigest()
    with uow:
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
        _changed(
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
        return _route_out(route, row, True, 0)


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


def search_routes(uow: UnitOfWork, principal: Principal, query: RouteQuery) -> RoutePage:
    """The catalogue, filtered and sorted, a page at a time, in one SQL query."""
    principal.require_user()
    statement, distance = _filtered(query)
    if query.sort == "nearest" and distance is not None:
        statement = statement.order_by(distance, Route.id)
    else:
        statement = statement.order_by(*_ORDER[query.sort])
    with uow:
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
            items=[_summary(row.Route) for row in rows],
            total=total,
            limit=query.limit,
            offset=query.offset,
        )


def get_route(uow: UnitOfWork, principal: Principal, route_id: int) -> RouteOut:
    """One route with its map line and points of interest."""
    principal.require_user()
    with uow:
        route = _route(uow, route_id)
        event_ids = _plan_events(uow, route_id)
        may_edit = _may_edit(principal, route) and route.removed_at is None
        return _route_out(route, _track(uow, route_id), may_edit, len(event_ids))


def update_route(
    uow: UnitOfWork, principal: Principal, route_id: int, data: RouteUpdate
) -> RouteOut:
    """Change what people say about a route (its creator or an administrator)."""
    user_id = principal.require_user()
    with uow:
        uow.lock_for_write()
        route = _route(uow, route_id, for_update=True)
        event_ids = _require_edit(uow, principal, route, "change")
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
        _changed(uow, "route.updated", None, {**payload, "changed": sorted(changes)})
        for event_id in event_ids:
            _changed(uow, "plan.route_updated", event_id, {**payload, "event_id": event_id})
        uow.commit()
        return _route_out(route, _track(uow, route_id), True, len(event_ids))


def delete_route(uow: UnitOfWork, principal: Principal, route_id: int) -> None:
    """Remove a route (its creator or an administrator). A route no plan uses is deleted; one
    that plans use leaves the catalogue but stays in those plans as it was, and each of those
    excursions is told."""
    user_id = principal.require_user()
    with uow:
        uow.lock_for_write()
        route = _route(uow, route_id, for_update=True)
        event_ids = _require_edit(uow, principal, route, "delete")
        payload = {"route_id": route_id, "name": route.name, "by": user_id}
        _changed(uow, "route.deleted", None, payload)
        if event_ids:
            route.removed_at = utcnow()
            # The file may come back as a new route: the removed one no longer holds its hash.
            route.content_sha256 = f"removed-{route_id}"
            planned_by = select(Plan.event_id, Plan.updated_by).where(Plan.event_id.in_(event_ids))
            planners: dict[int, int | None] = dict(uow.session.execute(planned_by).all())
            for event_id in event_ids:
                told = {**payload, "event_id": event_id, "planner": planners.get(event_id)}
                _changed(uow, "plan.route_removed", event_id, told)
        else:
            uow.session.delete(route)
        try:
            uow.session.flush()
        except IntegrityError as error:  # a plan took it in the meantime
            raise Conflict(
                Message("route {route_id} was just added to a plan; it stays"), route_id=route_id
            ) from error
        uow.commit()


def _purge_removed(uow: UnitOfWork) -> None:
    """Delete the removed routes that no plan uses any more."""
    used = select(PlanRoute.route_id)
    uow.session.execute(delete(Route).where(Route.removed_at.is_not(None), Route.id.not_in(used)))


def _loaded_track(uow: UnitOfWork, route_id: int) -> tuple[Route, tracks.Track]:
    route = _route(uow, route_id)
    row = _track(uow, route_id)
    waypoints = [tracks.Waypoint(**w) for w in row.waypoints]
    return route, tracks.unpack(row.points, waypoints, route.name)


def route_gpx(uow: UnitOfWork, principal: Principal, route_id: int) -> bytes:
    """The whole track as GPX 1.1, with its points of interest."""
    principal.require_user()
    with uow:
        route, track = _loaded_track(uow, route_id)
        return tracks.to_gpx(track, route.name, route.description)


def route_geojson(uow: UnitOfWork, principal: Principal, route_id: int) -> dict[str, Any]:
    """The whole track as a GeoJSON FeatureCollection, with its points of interest."""
    principal.require_user()
    with uow:
        route, track = _loaded_track(uow, route_id)
        properties = {
            "name": route.name,
            "description": route.description,
            "region": route.region,
            "signage": route.signage,
            **_stats(route).model_dump(include={"distance_m", "ascent_m", "descent_m"}),
        }
        return tracks.to_geojson(track, properties)


def route_profile(uow: UnitOfWork, principal: Principal, route_id: int) -> ProfileOut:
    """The elevation profile, for charts (empty without elevation)."""
    principal.require_user()
    with uow:
        _route(uow, route_id)
        return ProfileOut(route_id=route_id, points=_track(uow, route_id).profile, method=METHOD)


# ---- excursion plans -------------------------------------------------------------------------


def _plan_out(uow: UnitOfWork, event_id: int, plan: Plan | None) -> PlanOut:
    rows = uow.session.execute(
        select(PlanRoute.position, Route, RouteTrack.geometry)
        .join(Route, Route.id == PlanRoute.route_id)
        .join(RouteTrack, RouteTrack.route_id == Route.id)
        .where(PlanRoute.event_id == event_id)
        .order_by(PlanRoute.position)
    ).all()
    routes = [
        PlanRouteOut(position=position, route=_summary(route), geometry=geometry)
        for position, route, geometry in rows
    ]
    ascents = [r.route.stats.ascent_m for r in routes]
    times = [r.route.stats.time_mide_min for r in routes]
    return PlanOut(
        event_id=event_id,
        routes=routes,
        meeting_point=plan.meeting_point if plan else "",
        meeting_lat=plan.meeting_lat if plan else None,
        meeting_lon=plan.meeting_lon if plan else None,
        meeting_at=plan.meeting_at if plan else None,
        capacity=plan.capacity if plan else None,
        notes=plan.notes if plan else "",
        total_distance_m=round(sum(r.route.stats.distance_m for r in routes), 1),
        total_ascent_m=None if None in ascents else round(sum(a or 0 for a in ascents), 1),
        total_time_mide_min=None if None in times else sum(t or 0 for t in times),
        updated_at=plan.updated_at if plan else None,
        updated_by=plan.updated_by if plan else None,
    )


def get_plan(uow: UnitOfWork, principal: Principal, event_id: int) -> PlanOut:
    """An event's excursion plan (its members)."""
    principal.require_event_role(event_id, "participant", Message("see the plan"))
    with uow:
        return _plan_out(uow, event_id, uow.session.get(Plan, event_id))


def _refuse_removed(uow: UnitOfWork, event_id: int, route_ids: list[int]) -> None:
    """A removed route stays in the plans that had it, but no plan may take it anew."""
    if not route_ids:
        return
    kept = select(PlanRoute.route_id).where(PlanRoute.event_id == event_id)
    removed = uow.session.scalars(
        select(Route.id).where(
            Route.id.in_(route_ids), Route.removed_at.is_not(None), Route.id.not_in(kept)
        )
    ).all()
    if removed:
        raise InvalidInput(
            Message("route_ids: route {route_id} was removed from the catalogue"),
            field="route_ids",
            route_id=removed[0],
        )


def set_plan(
    uow: UnitOfWork, principal: Principal, events: Events, event_id: int, data: PlanUpdate
) -> PlanOut:
    """Set an excursion's routes, meeting point, time and capacity (its organizers)."""
    principal.require_event_role(event_id, "organizer", Message("plan the excursion"))
    event = events.event(event_id)
    if event.kind != "excursion":
        raise Conflict(
            Message(
                "event {event_id} is not an excursion; make its kind 'excursion' to plan routes"
            ),
            event_id=event_id,
        )
    with uow:
        uow.lock_for_write()
        found = set(
            uow.session.scalars(select(Route.id).where(Route.id.in_(data.route_ids)))
            if data.route_ids
            else []
        )
        missing = [r for r in data.route_ids if r not in found]
        if missing:
            raise InvalidInput(
                Message("route_ids: there is no route {missing}"),
                field="route_ids",
                missing=", ".join(map(str, missing)),
            )
        _refuse_removed(uow, event_id, data.route_ids)
        # Create the row if needed, then lock it: concurrent edits of one plan take turns.
        dialect = uow.session.get_bind().dialect.name
        upsert = postgresql_insert if dialect == "postgresql" else sqlite_insert
        uow.session.execute(
            upsert(Plan)
            .values(event_id=event_id)
            .on_conflict_do_nothing(index_elements=["event_id"])
        )
        plan = uow.session.scalar(select(Plan).where(Plan.event_id == event_id).with_for_update())
        assert plan is not None
        values = data.model_dump(exclude={"route_ids"})
        for name, value in values.items():
            setattr(plan, name, value)
        plan.updated_by = principal.user_id
        plan.updated_at = utcnow()
        uow.session.execute(delete(PlanRoute).where(PlanRoute.event_id == event_id))
        if data.route_ids:
            uow.session.execute(
                insert(PlanRoute),
                [
                    {"event_id": event_id, "position": i, "route_id": route_id}
                    for i, route_id in enumerate(data.route_ids, start=1)
                ],
            )
        try:
            uow.session.flush()
        except IntegrityError as error:  # a route was deleted in the meantime
            raise InvalidInput(
                Message("route_ids: a route was just deleted"), field="route_ids"
            ) from error
        _purge_removed(uow)
        out = _plan_out(uow, event_id, plan)
        _changed(
            uow,
            "plan.updated",
            event_id,
            {
                "event_id": event_id,
                "by": principal.user_id,
                "routes": [r.route.name for r in out.routes],
                "meeting_point": out.meeting_point,
                "meeting_at": out.meeting_at.isoformat() if out.meeting_at else None,
                "capacity": out.capacity,
            },
        )
        uow.commit()
        return out


def forget_event(uow: UnitOfWork, event_id: int) -> bool:
    """An event was deleted: its excursion plan goes (the routes stay in the catalogue);
    False when it had none. Running it twice changes nothing more."""
    with uow:
        uow.lock_for_write()
        uow.session.execute(delete(PlanRoute).where(PlanRoute.event_id == event_id))
        removed = uow.session.execute(delete(Plan).where(Plan.event_id == event_id))
        _purge_removed(uow)
        uow.commit()
        return bool(removed.rowcount)  # type: ignore[attr-defined]


feed = declare_feed(OPERATIONS, outbox)
"""The service's changes after a cursor, for TripBot's own readers."""
