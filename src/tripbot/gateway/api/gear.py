"""The public REST API of gear: inventory, reservations, loans and packing lists."""

from __future__ import annotations

from apiflask import APIBlueprint

bp = APIBlueprint("api_gear", __name__, url_prefix="/api/v1", tag="Gear")
