"""The public REST API of an event's agenda: places, activities, conflicts and calendar feeds."""

from __future__ import annotations

from apiflask import APIBlueprint

bp = APIBlueprint("api_agenda", __name__, url_prefix="/api/v1", tag="Agenda")
