"""Typed client of the ledger service, for the gateway, the bot and other services."""

from __future__ import annotations

from tripbot.platform.client import ServiceClient


class LedgerClient(ServiceClient):
    """Calls the ledger service for one principal."""
