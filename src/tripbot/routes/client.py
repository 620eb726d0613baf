"""Typed client of the routes service, for the gateway, the bot and other services."""

from __future__ import annotations

from typing import Any

from tripbot.platform.client import ServiceClient
from tripbot.routes import OPERATIONS
from tripbot.routes import service as use_cases
from tripbot.routes.schemas import (
    PlanOut,
    PlanUpdate,
    ProfileOut,
    RouteDetails,
    RouteOut,
    RoutePage,
    RouteQuery,
    RouteUpdate,
)


class RoutesClient(ServiceClient):
    """Calls the routes service for one principal."""

    service = "routes"
    operations = OPERATIONS
    feed = use_cases.feed

    def import_route(self, filename: str, content: bytes, details: RouteDetails) -> RouteOut:
        """Add a route from a GPX, KML, KMZ, TCX, FIT or GeoJSON file."""
        fields = details.model_dump(exclude_none=True, exclude_defaults=True)
        response = self.request(
            "POST",
            "/routes",
            files={"file": (filename or "route", content, "application/octet-stream")},
            data={name: str(value) for name, value in fields.items()},
        )
        return RouteOut.model_validate(response.json())

    def search(self, query: RouteQuery) -> RoutePage:
        """Search the catalogue."""
        params = query.model_dump(mode="json", exclude_none=True, exclude_defaults=True)
        return self.get_model(RoutePage, "/routes", params=params)

    def route(self, route_id: int) -> RouteOut:
        """One route."""
        return self.get_model(RouteOut, f"/routes/{route_id}")

    def update_route(self, route_id: int, data: RouteUpdate) -> RouteOut:
        """Change a route."""
        return self.send_model("PATCH", RouteOut, f"/routes/{route_id}", data)

    def delete_route(self, route_id: int) -> None:
        """Remove a route (its creator or an administrator); plans that use it keep it."""
        self.request("DELETE", f"/routes/{route_id}")

    def gpx(self, route_id: int) -> bytes:
        """The whole track as GPX 1.1."""
        return self.request("GET", f"/routes/{route_id}/gpx").content

    def geojson(self, route_id: int) -> dict[str, Any]:
        """The whole track as GeoJSON."""
        body: dict[str, Any] = self.request("GET", f"/routes/{route_id}/geojson").json()
        return body

    def profile(self, route_id: int) -> ProfileOut:
        """The elevation profile."""
        return self.get_model(ProfileOut, f"/routes/{route_id}/profile")

    def plan(self, event_id: int) -> PlanOut:
        """An excursion's plan (members; the principal carries the event role)."""
        return self.get_model(PlanOut, f"/events/{event_id}/plan")

    def set_plan(self, event_id: int, data: PlanUpdate) -> PlanOut:
        """Set an excursion's plan (organizers)."""
        return self.send_model("PUT", PlanOut, f"/events/{event_id}/plan", data)
