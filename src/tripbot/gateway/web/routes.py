"""Web pages: routes and excursion plans."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("routes", __name__)
