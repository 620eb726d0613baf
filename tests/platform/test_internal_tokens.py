"""An internal token is for one call: captured on its way to a service, it opens nothing else —
no other service, method or path (the replays an attacker tried between services)."""

from __future__ import annotations

import httpx
import pytest

from tests.builders import a_person, an_event
from tests.problems import assert_problem
from tripbot.platform.client import HttpTransport
from tripbot.platform.identity import SYSTEM, Principal
from tripbot.system import System, signer_for


def captured_token(system: System, service: str, principal: Principal, path: str) -> str:
    """The Authorization header of a real call a service client made."""
    seen: list[str] = []
    transport = HttpTransport(
        service, signer_for(system.settings), wsgi_app=system.services[service]
    )
    transport.http.event_hooks["request"].append(
        lambda request: seen.append(request.headers["Authorization"])
    )
    transport.request(principal, "GET", path)
    transport.close()
    return seen[0]


def test_a_token_captured_on_a_ledger_read_opens_nothing_else(
    system: System, http: httpx.Client
) -> None:
    owner, outsider = a_person(http), a_person(http)
    event = an_event(http, owner)
    e = event["id"]
    member = Principal(user_id=owner.id, instance_role="admin", event_id=e, event_role="owner")
    balances = f"/events/{e}/ledger/balances"
    token = captured_token(system, "ledger", member, balances)
    replays = [
        ("events", "POST", "/tokens", {}),  # a permanent personal token
        ("events", "POST", f"/events/{e}/members", {"user_id": outsider.id}),
        ("events", "GET", "/users/me", None),
        ("ledger", "GET", "/feed", None),
        ("ledger", "GET", f"/events/{e}/ledger/entries", None),
        ("ledger", "POST", balances, {}),
        ("gear", "GET", balances, None),
    ]
    for service, method, path, body in replays:
        answer = (
            system.services[service]
            .test_client()
            .open(path, method=method, json=body, headers={"Authorization": token})
        )
        assert_problem(answer, 401, "not-authenticated", "for another call")
    assert outsider.id not in [
        m["user_id"] for m in http.get(f"/api/v1/events/{e}/members", headers=owner.headers).json()
    ]


@pytest.mark.parametrize("service", ["events", "ledger", "gear"])
def test_the_system_token_of_a_feed_read_adds_nobody_to_an_event(
    system: System, http: httpx.Client, service: str
) -> None:
    owner, outsider = a_person(http), a_person(http)
    e = an_event(http, owner)["id"]
    token = captured_token(system, service, SYSTEM, "/feed")
    answer = (
        system.services["events"]
        .test_client()
        .post(
            f"/events/{e}/members", json={"user_id": outsider.id}, headers={"Authorization": token}
        )
    )
    assert_problem(answer, 401, "not-authenticated", "for another call")
    other_feed = "ledger" if service != "ledger" else "gear"
    read = system.services[other_feed].test_client().get("/feed", headers={"Authorization": token})
    assert_problem(read, 401, "not-authenticated", "for another call")
