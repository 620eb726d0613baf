"""Web pages: an event's agenda: places, activities, conflicts and calendar feeds."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("agenda", __name__)
