"""Typed client of the agenda service, for the gateway, the bot and other services."""

from __future__ import annotations

from tripbot.platform.client import ServiceClient


class AgendaClient(ServiceClient):
    """Calls the agenda service for one principal."""
