"""A route's whole track as files and its elevation profile."""

from __future__ import annotations

from typing import TYPE_CHECKING

from tripbot.platform.db import UnitOfWork
from tripbot.platform.operations import Call, Download
from tripbot.routes import OPERATIONS
from tripbot.routes.models import Route
from tripbot.routes.schemas import GeoJSON, ProfileOut
from tripbot.routes.service.rows import method, route_row, stats_of, track_row

if TYPE_CHECKING:  # tracks are read with NumPy, loaded by the first download, not at start
    from tripbot.routes import tracks

GPX = "application/gpx+xml"


def _loaded_track(uow: UnitOfWork, route_id: int) -> tuple[Route, tracks.Track]:
    from tripbot.routes import tracks

    route = route_row(uow, route_id)
    row = track_row(uow, route_id)
    waypoints = [tracks.Waypoint(**w) for w in row.waypoints]
    return route, tracks.unpack(row.points, waypoints, route.name)


# The gateway's own download routes name the file after the route.
@OPERATIONS.get("/routes/<int:route_id>/gpx", produces=GPX, public=False)
def route_gpx(call: Call, route_id: int) -> Download:
    """The whole track as GPX 1.1, with its points of interest."""
    call.principal.require_user()
    with call.unit_of_work() as uow:
        route, track = _loaded_track(uow, route_id)
        from tripbot.routes import tracks

        return Download(tracks.to_gpx(track, route.name, route.description), GPX)


@OPERATIONS.get("/routes/<int:route_id>/geojson", public=False)
def route_geojson(call: Call, route_id: int) -> GeoJSON:
    """The whole track as a GeoJSON FeatureCollection, with its points of interest."""
    call.principal.require_user()
    with call.unit_of_work() as uow:
        route, track = _loaded_track(uow, route_id)
        properties = {
            "name": route.name,
            "description": route.description,
            "region": route.region,
            "signage": route.signage,
            **stats_of(route).model_dump(include={"distance_m", "ascent_m", "descent_m"}),
        }
        from tripbot.routes import tracks

        return GeoJSON.model_validate(tracks.to_geojson(track, properties))


@OPERATIONS.get("/routes/<int:route_id>/profile")
def route_profile(call: Call, route_id: int) -> ProfileOut:
    """The elevation profile: [km, m, lat, lon] points along the track."""
    call.principal.require_user()
    with call.unit_of_work() as uow:
        route_row(uow, route_id)
        return ProfileOut(
            route_id=route_id, points=track_row(uow, route_id).profile, method=method()
        )
