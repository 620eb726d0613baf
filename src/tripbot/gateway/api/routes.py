"""The public REST API of routes and excursion plans."""

from __future__ import annotations

from apiflask import APIBlueprint

bp = APIBlueprint("api_routes", __name__, url_prefix="/api/v1", tag="Routes")
