"""Fixtures of the ledger tests: a club event with people of every role, reached through the
real events service, and the ledger's use cases called as each of them."""

from __future__ import annotations

import inspect
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

import httpx
import pytest
from sqlalchemy import func, select

from tests.builders import Person, a_member, a_person, an_event
from tripbot.events.client import EventsClient
from tripbot.gateway.services import Services
from tripbot.ledger import service
from tripbot.ledger.models import Balance, Leg
from tripbot.ledger.schemas import EntryCreate, EntryOut
from tripbot.platform.db import Database, UnitOfWork
from tripbot.platform.identity import Principal
from tripbot.system import System

T = TypeVar("T")


@dataclass
class Club:
    """An event with its owner, an organizer, two participants and someone from outside."""

    system: System
    http: httpx.Client
    event: dict[str, Any]
    owner: Person
    organizer: Person
    ana: Person
    bruno: Person
    outsider: Person

    @property
    def event_id(self) -> int:
        """The event's id."""
        return int(self.event["id"])

    @property
    def database(self) -> Database:
        """The ledger service's database."""
        return self.system.databases["ledger"]

    def role(self, person: Person) -> str | None:
        """A person's role in the event."""
        roles = {
            self.owner.id: "owner",
            self.organizer.id: "organizer",
            self.ana.id: "participant",
            self.bruno.id: "participant",
        }
        return roles.get(person.id)

    def principal(self, person: Person) -> Principal:
        """The principal a call is made for, with the role the gateway would put in the token."""
        role = self.role(person)
        return Principal(
            user_id=person.id,
            event_id=self.event_id if role else None,
            event_role=role,
        )

    def events(self, person: Person) -> EventsClient:
        """The real events service, acting for a person."""
        services: Services = self.system.gateway.extensions["tripbot.services"]
        return services.events(Principal(user_id=person.id))

    def uow(self) -> UnitOfWork:
        """A unit of work on the ledger's database."""
        return self.database.unit_of_work()

    def call(self, use_case: Callable[..., T], person: Person, *args: Any, **kwargs: Any) -> T:
        """Run a use case as a person (``events=`` is added when it takes it)."""
        if "events" in inspect.signature(use_case).parameters:
            kwargs.setdefault("events", self.events(person))
        return use_case(self.uow(), self.principal(person), self.event_id, *args, **kwargs)

    def record(self, person: Person, key: str | None = None, **body: Any) -> EntryOut:
        """Record an entry as a person (an expense of 23.50 unless told otherwise)."""
        data = EntryCreate.model_validate({"description": "fuel", "amount": "23.50", **body})
        return self.call(service.record_entry, person, data, key=key)

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
def club(system: System, http: httpx.Client) -> Club:
    """An event (in EUR, 1 May 2027) with people of every kind around it."""
    owner = a_person(http, display_name="Olga")
    event = an_event(http, owner)
    return Club(
        system=system,
        http=http,
        event=event,
        owner=owner,
        organizer=a_member(http, event, owner, "organizer"),
        ana=a_member(http, event, owner),
        bruno=a_member(http, event, owner),
        outsider=a_person(http),
    )
