"""Web pages: account (being written)."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("account", __name__)
