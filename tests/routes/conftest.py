"""Fixtures of the routes service tests: its database and a real events service beside it."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

import pytest

from tests.builders import a_member_of, a_user, an_event_of, as_principal
from tripbot.events.client import EventsClient
from tripbot.events.schemas import EventOut, UserOut
from tripbot.events.service import AccountPolicy
from tripbot.platform.db import Database
from tripbot.platform.identity import Principal
from tripbot.platform.operations import Call
from tripbot.platform.passwords import Passwords
from tripbot.system import System

POLICY = AccountPolicy(passwords=Passwords("fast"))


@dataclass
class World:
    """The routes database, and people and events made through the real events service."""

    system: System
    admin: UserOut | None = None

    @property
    def routes(self) -> Database:
        """The routes service's database."""
        return self.system.databases["routes"]

    @property
    def events_db(self) -> Database:
        """The events service's database."""
        return self.system.databases["events"]

    def person(self, **overrides: Any) -> UserOut:
        """A new account."""
        return a_user(self.events_db, POLICY, **overrides)

    def event(self, owner: UserOut, **overrides: Any) -> EventOut:
        """An event (an excursion unless told otherwise) owned by someone."""
        return an_event_of(self.events_db, owner, **overrides)

    def member(self, event: EventOut, owner: UserOut, role: str = "participant") -> UserOut:
        """A new account that joined an event with a role."""
        return a_member_of(self.events_db, POLICY, event, owner, role)

    def principal(self, user: UserOut, event: EventOut | None = None, role: str = "") -> Principal:
        """Who a call is made for, with their role in an event as the gateway would say it."""
        principal = replace(as_principal(user), instance_role=user.role)
        if event is None:
            return principal
        return replace(principal, event_id=event.id, event_role=role)

    def call(self, principal: Principal) -> Call:
        """A call of a routes use case for a principal, in the embedded system's routes service."""
        return Call(principal, self.system.runtimes["routes"])

    def events(self, user: UserOut) -> EventsClient:
        """The events service acting for someone, as the routes service reaches it."""
        return self.system.clients.events(self.principal(user))


@pytest.fixture
def world(system: System) -> World:
    """The embedded system on the test's backend, emptied, seen from the routes service.

    Its first account (the instance's admin) is made here, so the people tests make are members.
    """
    made = World(system)
    made.admin = made.person()
    return made
