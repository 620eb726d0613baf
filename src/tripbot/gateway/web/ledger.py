"""Web pages: an event's ledger: entries, budget, balances and settlement."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("ledger", __name__)
