"""Typed client of the routes service, for the gateway, the bot and other services: its
operations, reached over HTTP or in process."""

from __future__ import annotations

from tripbot.platform.client import ServiceClient
from tripbot.platform.operations import Download, Upload
from tripbot.routes import OPERATIONS
from tripbot.routes import service as routes

__all__ = ["Download", "RoutesClient", "Upload"]


class RoutesClient(ServiceClient):
    """Calls the routes service for one principal."""

    service = "routes"
    operations = OPERATIONS
    feed = routes.feed

    import_route = routes.catalogue.import_route
    search = routes.catalogue.search_routes
    route = routes.catalogue.get_route
    update_route = routes.catalogue.update_route
    delete_route = routes.catalogue.delete_route
    gpx = routes.tracks.route_gpx
    geojson = routes.tracks.route_geojson
    profile = routes.tracks.route_profile
    plan = routes.plans.get_plan
    set_plan = routes.plans.set_plan
