"""The ledger service's HTTP application: a route for each of its operations."""

from __future__ import annotations

from apiflask import APIFlask

from tripbot.ledger import OPERATIONS, service
from tripbot.platform.operations import ServiceRuntime
from tripbot.platform.web import create_service_app

assert service.feed  # every use case module is imported, so every operation is declared


def create_app(runtime: ServiceRuntime) -> APIFlask:
    """The ledger service application over its runtime (database, settings, events peer)."""
    return create_service_app(runtime, OPERATIONS)
