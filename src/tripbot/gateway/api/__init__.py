"""The public REST API, ``/api/v1``: each service's public operations behind authentication,
and the gateway's own routes where it adds something (accounts, the overview, Telegram)."""

from __future__ import annotations

from typing import Any

from apiflask import APIBlueprint

from tripbot.agenda.client import AgendaClient
from tripbot.events.client import EventsClient
from tripbot.gateway import auth
from tripbot.gateway.api import agenda, events, overview, routes, telegram
from tripbot.gear.client import GearClient
from tripbot.ledger.client import LedgerClient
from tripbot.platform.client import ServiceClient
from tripbot.platform.operations import Operation
from tripbot.platform.routing import operations_blueprint
from tripbot.routes.client import RoutesClient

PUBLIC_URL_PREFIX = "/api/v1"
DECLARED: tuple[type[ServiceClient], ...] = (
    GearClient,
    LedgerClient,
    RoutesClient,
    AgendaClient,
    EventsClient,
)
"""The services whose public routes come from their operations' declarations."""


def call_as_asker(operation: Operation[Any, Any], arguments: dict[str, Any]) -> Any:
    """Run a public operation for the person asking (authenticated as its declaration says)."""
    principal = auth.principal_for(operation, arguments)
    return auth.services().client(operation.service, principal).call(operation, **arguments)


def _public(client: type[ServiceClient]) -> APIBlueprint:
    return operations_blueprint(
        f"api_{client.service}",
        client.operations,
        call_as_asker,
        url_prefix=PUBLIC_URL_PREFIX,
        public=True,
    )


BLUEPRINTS: tuple[APIBlueprint, ...] = (
    events.bp,
    routes.bp,
    *(_public(client) for client in DECLARED),
    agenda.bp,
    overview.bp,
    telegram.bp,
)
