"""Typed client of the gear service, for the gateway, the bot and other services."""

from __future__ import annotations

from tripbot.platform.client import ServiceClient


class GearClient(ServiceClient):
    """Calls the gear service for one principal."""
