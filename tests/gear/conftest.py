"""Fixtures of the gear service tests: its database on both backends, a fixed club day, and
a small stand-in for the events service (who is called what, who is in which event)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from functools import cached_property

import pytest

from tests.standins import Town, single_database
from tripbot.gear.client import GearClient
from tripbot.gear.rules import GearPolicy
from tripbot.gear.service.access import POLICY
from tripbot.platform.client import LocalTransport
from tripbot.platform.db import Database
from tripbot.platform.identity import Principal
from tripbot.platform.operations import Call, ServiceRuntime
from tripbot.platform.settings import Settings

TODAY = date(2027, 3, 1)
"""The club's today in these tests (a Monday)."""
NOW = datetime(2027, 3, 1, 9, 30, tzinfo=UTC)  # 10:30 in Madrid, the club's zone


def day(offset: int) -> date:
    """A day counted from the club's today."""
    return TODAY + timedelta(days=offset)


@dataclass
class Clubhouse:
    """The gear service's database, its rules on a fixed day, and the people around it (the
    events service stood in for at its client boundary)."""

    database: Database
    town: Town
    policy: GearPolicy
    settings: Settings

    @cached_property
    def runtime(self) -> ServiceRuntime:
        """The gear service's runtime: its database, its rules, the town as the events service."""
        peers = {"events": self.town.seen_by}
        return ServiceRuntime("gear", self.settings, self.database, peers, {POLICY: self.policy})

    def club(self, principal: Principal) -> Call:
        """A call of a use case made by ``principal``."""
        return Call(principal, self.runtime)

    def gear(self, principal: Principal) -> GearClient:
        """The gear service's client acting for ``principal``, calling its use cases in process."""
        return GearClient(LocalTransport(self.runtime), principal)

    def on(self, today: date) -> Clubhouse:
        """The same club on another day."""
        moment = datetime.combine(today, NOW.timetz())
        policy = GearPolicy(max_reservation_days=30, clock=lambda: moment)
        return Clubhouse(self.database, self.town, policy, self.settings)


@pytest.fixture
def database(
    backend: str,
    _single_databases: dict[tuple[str, str], Database],
    tmp_path_factory: pytest.TempPathFactory,
) -> Database:
    """The gear service's own migrated, empty database on the test's backend."""
    return single_database("gear", backend, _single_databases, tmp_path_factory)


@pytest.fixture
def house(database: Database, settings: Settings) -> Clubhouse:
    """The club on TODAY, reservations of at most 30 days."""
    policy = GearPolicy(max_reservation_days=30, clock=lambda: NOW)
    return Clubhouse(database, Town(), policy, settings)
