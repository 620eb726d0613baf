"""Every service's client, for one principal: how the gateway and the bot reach TripBot."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

from tripbot.agenda.client import AgendaClient
from tripbot.events.client import EventsClient
from tripbot.gear.client import GearClient
from tripbot.ledger.client import LedgerClient
from tripbot.platform.client import ServiceClient, Transport
from tripbot.platform.identity import ANONYMOUS, SYSTEM, Principal
from tripbot.routes.client import RoutesClient

ClientT = TypeVar("ClientT", bound=ServiceClient)

CLIENTS: dict[str, type[ServiceClient]] = {
    "events": EventsClient,
    "routes": RoutesClient,
    "gear": GearClient,
    "ledger": LedgerClient,
    "agenda": AgendaClient,
}
"""Each service's client class, by service name."""


class Services:
    """Clients of every service, built per call for the principal being served."""

    def __init__(self, transports: dict[str, Transport]) -> None:
        self.transports = transports

    def _client(self, kind: type[ClientT], principal: Principal) -> ClientT:
        return kind(self.transports[kind.service], principal)

    def events(self, principal: Principal = ANONYMOUS) -> EventsClient:
        """The events service, acting for a principal."""
        return self._client(EventsClient, principal)

    def routes(self, principal: Principal = ANONYMOUS) -> RoutesClient:
        """The routes service, acting for a principal."""
        return self._client(RoutesClient, principal)

    def gear(self, principal: Principal = ANONYMOUS) -> GearClient:
        """The gear service, acting for a principal."""
        return self._client(GearClient, principal)

    def ledger(self, principal: Principal = ANONYMOUS) -> LedgerClient:
        """The ledger service, acting for a principal."""
        return self._client(LedgerClient, principal)

    def agenda(self, principal: Principal = ANONYMOUS) -> AgendaClient:
        """The agenda service, acting for a principal."""
        return self._client(AgendaClient, principal)

    def client(self, service: str, principal: Principal = ANONYMOUS) -> ServiceClient:
        """A service's client by name, acting for a principal."""
        return CLIENTS[service](self.transports[service], principal)

    def system_client(self, service: str) -> ServiceClient:
        """A service's client acting as TripBot itself (feeds, bot lookups)."""
        return self.client(service, SYSTEM)

    def readiness(self) -> dict[str, bool]:
        """Which services answer their readiness check, asked concurrently."""
        with ThreadPoolExecutor(max_workers=max(1, len(self.transports))) as pool:
            answers = pool.map(lambda transport: transport.ready(), self.transports.values())
            return dict(zip(self.transports, answers, strict=True))

    def close(self) -> None:
        """Close every transport."""
        for transport in self.transports.values():
            transport.close()
