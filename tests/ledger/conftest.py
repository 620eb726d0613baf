"""Fixtures of the ledger tests: a club event with people of every role around it, the events
service stood in for at its client boundary, and the ledger's use cases called as each of them
through its client, in process."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Concatenate, ParamSpec, TypeVar

import pytest
from sqlalchemy import func, select

from tests.standins import Town, client_of, local_runtime, single_database
from tripbot.ledger.client import LedgerClient
from tripbot.ledger.models import Balance, Leg
from tripbot.ledger.schemas import EntryCreate, EntryOut
from tripbot.platform.db import Database, UnitOfWork
from tripbot.platform.identity import Principal
from tripbot.platform.operations import Call, ServiceRuntime
from tripbot.platform.settings import Settings

P = ParamSpec("P")
T = TypeVar("T")
EVENT_ID = 7


@dataclass(frozen=True)
class Person:
    """Someone around the event."""

    id: int
    name: str

    @property
    def principal(self) -> Principal:
        """Their principal, outside any event."""
        return Principal(user_id=self.id)


@dataclass
class Club:
    """An event with its owner, an organizer, two participants and someone from outside."""

    town: Town
    runtime: ServiceRuntime
    owner: Person
    organizer: Person
    ana: Person
    bruno: Person
    outsider: Person
    event_id: int = EVENT_ID

    @property
    def database(self) -> Database:
        """The ledger service's database."""
        return self.runtime.database

    def principal(self, person: Person) -> Principal:
        """The principal a call is made for, with the role the gateway would put in the token."""
        return self.town.in_event(person.principal, self.event_id)

    def ledger(self, person: Person) -> LedgerClient:
        """The ledger's client acting for a person, as the gateway calls it."""
        return client_of(LedgerClient, self.runtime, self.principal(person))

    def uow(self) -> UnitOfWork:
        """A unit of work on the ledger's database."""
        return self.database.unit_of_work()

    def call(
        self,
        use_case: Callable[Concatenate[Call, int, P], T],
        person: Person,
        *args: P.args,
        **kwargs: P.kwargs,
    ) -> T:
        """Run a use case of the event as a person."""
        return use_case(Call(self.principal(person), self.runtime), self.event_id, *args, **kwargs)

    def leave(self, person: Person) -> None:
        """A person leaves the event."""
        self.town.leave(self.event_id, person.principal)

    def record(self, person: Person, key: str | None = None, **body: Any) -> EntryOut:
        """Record an entry as a person (an expense of 23.50 unless told otherwise)."""
        data = EntryCreate.model_validate({"description": "fuel", "amount": "23.50", **body})
        return self.ledger(person).record_entry(self.event_id, data, key)

    def legs_total(self) -> int:
        """The sum of every leg ever written for the event (always zero); checks on the way that
        the running totals are exactly the sums of the legs."""
        with self.uow() as uow:
            summed = uow.session.execute(
                select(Leg.account, Leg.user_id, func.sum(Leg.amount))
                .where(Leg.event_id == self.event_id)
                .group_by(Leg.account, Leg.user_id)
            )
            from_legs = {(a, u or 0): int(t) for a, u, t in summed if int(t) != 0}
            kept = uow.session.execute(
                select(Balance.account, Balance.user_id, Balance.amount).where(
                    Balance.event_id == self.event_id
                )
            )
            totals = {(a, u): t for a, u, t in kept if t != 0}
            assert totals == from_legs
            return sum(from_legs.values())


@pytest.fixture
def database(
    backend: str,
    _single_databases: dict[tuple[str, str], Database],
    tmp_path_factory: pytest.TempPathFactory,
) -> Database:
    """The ledger's own migrated, empty database on the test's backend."""
    return single_database("ledger", backend, _single_databases, tmp_path_factory)


@pytest.fixture
def club(database: Database, settings: Settings) -> Club:
    """An event (in EUR, 1 to 3 May 2027, Madrid) with people of every kind around it."""
    town = Town()
    people = [
        Person(user_id, name)
        for user_id, name in enumerate(("Olga", "Óscar", "Ana", "Bruno", "Eva"), start=1)
    ]
    for person in people:
        town.person(person.id, person.name)
    owner, organizer, ana, bruno, outsider = people
    town.event(
        EVENT_ID,
        owner=owner.principal,
        organizer=organizer.principal,
        participant=ana.principal,
        participant_2=bruno.principal,
    )
    runtime = local_runtime("ledger", database, town, settings)
    return Club(town, runtime, owner, organizer, ana, bruno, outsider)
