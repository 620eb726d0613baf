"""What the routes service's use cases share: its rows read into schemas, who may change a
route, and the method its numbers are computed with."""

from __future__ import annotations

import unicodedata
from functools import cache
from typing import Protocol

from sqlalchemy import select

from tripbot.events.client import EventsClient
from tripbot.events.schemas import EventOut, MembershipOut
from tripbot.platform.db import UnitOfWork
from tripbot.platform.errors import Conflict, Message, NotFound, PermissionDenied
from tripbot.platform.identity import Principal
from tripbot.platform.operations import Call
from tripbot.platform.outbox import record_change
from tripbot.routes.models import PlanRoute, Route, RouteTrack, outbox
from tripbot.routes.schemas import (
    Method,
    Mide,
    RouteOut,
    RouteStats,
    RouteSummary,
    Waypoint,
)


@cache
def method() -> Method:
    """How a route's numbers are computed (the analysis, and with it NumPy, loads when first
    asked: a process that only searches the catalogue never needs it)."""
    from tripbot.routes import analysis

    return Method(
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


def events_of(call: Call) -> Events:
    """The events service, asked as the caller."""
    return call.peer(EventsClient, "events")


def changed(uow: UnitOfWork, topic: str, event_id: int | None, payload: dict[str, object]) -> None:
    """Record a change in the outbox, in the same transaction as the change."""
    record_change(uow.session, outbox, topic, event_id, payload)


def searchable(*texts: str) -> str:
    """Text in lower case without accents, so that 'canon' finds 'Cañón'."""
    joined = " ".join(texts)
    plain = unicodedata.normalize("NFKD", joined)
    return "".join(c for c in plain if not unicodedata.combining(c)).casefold()


# ---- reading rows into schemas ---------------------------------------------------------------


def stats_of(route: Route) -> RouteStats:
    """A route's statistics."""
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


def summary_of(route: Route) -> RouteSummary:
    """A route as the catalogue lists it."""
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
        stats=stats_of(route),
        created_by=route.created_by,
        created_at=route.created_at,
        updated_at=route.updated_at,
        removed_at=route.removed_at,
    )


def route_out(route: Route, track: RouteTrack, may_edit: bool, plan_count: int) -> RouteOut:
    """A route with its track, as one route is shown."""
    from tripbot.routes import repairs  # with NumPy: paid by the first route shown

    return RouteOut(
        **summary_of(route).model_dump(),
        description=route.description,
        source=route.source,
        filename=route.filename,
        geometry=track.geometry,
        waypoints=[Waypoint.model_validate(w) for w in track.waypoints],
        method=method(),
        may_edit=may_edit,
        plan_count=plan_count,
        repairs=repairs.told(track.repairs),
    )


def route_row(uow: UnitOfWork, route_id: int, *, for_update: bool = False) -> Route:
    """A route's row (locked for a change when asked), or NotFound."""
    query = select(Route).where(Route.id == route_id)
    route = uow.session.scalar(query.with_for_update() if for_update else query)
    if route is None:
        raise NotFound(Message("there is no route {route_id}"), route_id=route_id)
    return route


def track_row(uow: UnitOfWork, route_id: int) -> RouteTrack:
    """A route's track row."""
    track = uow.session.get(RouteTrack, route_id)
    if track is None:  # pragma: no cover - written with its route, deleted with it
        raise NotFound(Message("there is no route {route_id}"), route_id=route_id)
    return track


def plan_events(uow: UnitOfWork, route_id: int) -> list[int]:
    """The excursions whose plans use a route."""
    return list(
        uow.session.scalars(
            select(PlanRoute.event_id)
            .where(PlanRoute.route_id == route_id)
            .distinct()
            .order_by(PlanRoute.event_id)
        )
    )


def may_change(principal: Principal, route: Route) -> bool:
    """Its creator or an administrator. Using a route in a plan gives no right over it: a plan
    is another event's, and a route is shared by every excursion that uses it."""
    return principal.user_id == route.created_by or principal.instance_role == "admin"


EDIT_REFUSALS: dict[str, Message] = {
    "change": Message(
        "only the person who added route {route_id}, or an administrator, may change it"
    ),
    "delete": Message(
        "only the person who added route {route_id}, or an administrator, may delete it"
    ),
}
"""What ``require_edit`` says to someone who may not change or delete a route, by action."""


def require_edit(uow: UnitOfWork, principal: Principal, route: Route, action: str) -> list[int]:
    """The excursions whose plans use the route, once the asker may ``action`` it."""
    if not may_change(principal, route):
        raise PermissionDenied(EDIT_REFUSALS[action], route_id=route.id)
    if route.removed_at is not None:
        raise Conflict(
            Message("route {route_id} was removed from the catalogue"), route_id=route.id
        )
    return plan_events(uow, route.id)
