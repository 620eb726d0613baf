"""Typed client of the routes service, for the gateway, the bot and other services."""

from __future__ import annotations

from tripbot.platform.client import ServiceClient


class RoutesClient(ServiceClient):
    """Calls the routes service for one principal."""
