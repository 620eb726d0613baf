"""The public REST API of an event's ledger: entries, budget, balances and settlement."""

from __future__ import annotations

from apiflask import APIBlueprint

bp = APIBlueprint("api_ledger", __name__, url_prefix="/api/v1", tag="Ledger")
