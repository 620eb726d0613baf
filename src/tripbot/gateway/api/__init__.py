"""The public REST API, ``/api/v1``: one blueprint per area; each authenticates the person,
then asks the services as them."""

from __future__ import annotations

from apiflask import APIBlueprint

from tripbot.gateway.api import agenda, events, gear, ledger, overview, routes, telegram

BLUEPRINTS: tuple[APIBlueprint, ...] = (
    events.bp,
    routes.bp,
    gear.bp,
    ledger.bp,
    agenda.bp,
    overview.bp,
    telegram.bp,
)
