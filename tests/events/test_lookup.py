"""The account lookup by email that `tripbot bot console --as EMAIL` uses: TripBot's own only."""

from __future__ import annotations

import pytest

from tests.events.test_telegram import _as
from tests.problems import assert_problem
from tripbot.events.client import EventsClient
from tripbot.events.schemas import UserLookup
from tripbot.platform.errors import NotFound, PermissionDenied
from tripbot.platform.identity import SYSTEM, Principal
from tripbot.system import System


def _events(system: System, principal: Principal) -> EventsClient:
    client: EventsClient = system.gateway.extensions["tripbot.services"].events(principal)
    return client


def test_the_system_finds_an_account_by_its_email_in_any_case(system: System) -> None:
    from tests.builders import a_person_in

    person = a_person_in(system)
    found = _events(system, SYSTEM).user_by_email(UserLookup(email=person.email.upper()))
    assert (found.id, found.email) == (person.id, person.email)


def test_an_unknown_email_is_not_found(system: System) -> None:
    with pytest.raises(NotFound, match=r"no account with the email nobody@club\.example"):
        _events(system, SYSTEM).user_by_email(UserLookup(email="nobody@club.example"))


def test_people_may_not_look_accounts_up(system: System) -> None:
    from tests.builders import a_person_in

    person = a_person_in(system)
    with pytest.raises(PermissionDenied):
        _events(system, Principal(user_id=person.id)).user_by_email(UserLookup(email=person.email))
    response = (
        system.services["events"]
        .test_client()
        .get("/users/lookup", query_string={"email": person.email})
    )
    assert_problem(response, 401, "not-authenticated")


@pytest.mark.parametrize("email", ["", "not-an-email", "a@" + "b" * 300 + ".example"])
def test_a_bad_email_is_refused_with_422(system: System, email: str) -> None:
    response = (
        system.services["events"]
        .test_client()
        .get(
            "/users/lookup",
            query_string={"email": email},
            headers=_as(system, SYSTEM, "GET", "/users/lookup"),
        )
    )
    assert_problem(response, 422, "invalid-input")
