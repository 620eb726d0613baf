"""Web pages: gear: inventory, reservations, loans and packing lists."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("gear", __name__)
