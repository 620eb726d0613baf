"""Every service's client, for one principal: how the gateway and the bot reach TripBot."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from tripbot.agenda.client import AgendaClient
from tripbot.events.client import EventsClient
from tripbot.gear.client import GearClient
from tripbot.ledger.client import LedgerClient
from tripbot.platform.client import ServiceClient, ServiceConnection
from tripbot.platform.identity import ANONYMOUS, SYSTEM, Principal, TokenSigner
from tripbot.routes.client import RoutesClient


class Services:
    """Clients of every service, built per call for the principal being served."""

    def __init__(self, connections: dict[str, ServiceConnection], signer: TokenSigner) -> None:
        self.connections = connections
        self._signer = signer

    def events(self, principal: Principal = ANONYMOUS) -> EventsClient:
        """The events service, acting for a principal."""
        return EventsClient(self.connections["events"], self._signer, principal)

    def routes(self, principal: Principal = ANONYMOUS) -> RoutesClient:
        """The routes service, acting for a principal."""
        return RoutesClient(self.connections["routes"], self._signer, principal)

    def gear(self, principal: Principal = ANONYMOUS) -> GearClient:
        """The gear service, acting for a principal."""
        return GearClient(self.connections["gear"], self._signer, principal)

    def ledger(self, principal: Principal = ANONYMOUS) -> LedgerClient:
        """The ledger service, acting for a principal."""
        return LedgerClient(self.connections["ledger"], self._signer, principal)

    def agenda(self, principal: Principal = ANONYMOUS) -> AgendaClient:
        """The agenda service, acting for a principal."""
        return AgendaClient(self.connections["agenda"], self._signer, principal)

    def system_client(self, service: str) -> ServiceClient:
        """A plain client of a service acting as TripBot itself (feeds, bot lookups)."""
        return ServiceClient(self.connections[service], self._signer, SYSTEM)

    def readiness(self) -> dict[str, bool]:
        """Which services answer their readiness check, asked concurrently."""
        clients = {
            name: ServiceClient(connection, self._signer)
            for name, connection in self.connections.items()
        }
        with ThreadPoolExecutor(max_workers=max(1, len(clients))) as pool:
            answers = pool.map(lambda client: client.ready(), clients.values())
            return dict(zip(clients, answers, strict=True))

    def close(self) -> None:
        """Close every connection."""
        for connection in self.connections.values():
            connection.close()
