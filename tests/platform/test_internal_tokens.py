"""An internal token is for one call: captured on its way to a service, it opens nothing else —
no other service, method or path, nor the same call again (the replays an attacker tried
between services); and only a caller's own private key makes one."""

from __future__ import annotations

import time

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from werkzeug.test import TestResponse as Response

from tests.builders import a_person, an_event
from tests.problems import assert_problem
from tripbot import SERVICES
from tripbot.platform.client import HttpTransport
from tripbot.platform.identity import (
    INTERNAL_AUTH_SCHEME,
    SYSTEM,
    Destination,
    Principal,
    TokenSigner,
)
from tripbot.platform.keys import process_key
from tripbot.system import DEFINITIONS, System, signer_for


def captured_token(
    system: System, service: str, principal: Principal, path: str, caller: str = "gateway"
) -> str:
    """The Authorization header of a real call a service client made as ``caller``."""
    seen: list[str] = []
    transport = HttpTransport(
        service, signer_for(system.settings, caller), wsgi_app=system.services[service]
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
    token = captured_token(system, service, SYSTEM, "/feed", caller="system")
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


def _send(system: System, service: str, method: str, path: str, authorization: str) -> Response:
    return (
        system.services[service]
        .test_client()
        .open(path, method=method, headers={"Authorization": authorization})
    )


def test_a_token_replayed_exactly_is_refused(system: System, http: httpx.Client) -> None:
    owner = a_person(http)
    e = an_event(http, owner)["id"]
    member = Principal(user_id=owner.id, event_id=e, event_role="owner")
    path = f"/events/{e}/ledger/balances"
    token = signer_for(system.settings, "gateway").header(
        member, Destination.of("ledger", "GET", path)
    )
    assert _send(system, "ledger", "GET", path, token).status_code == 200
    again = _send(system, "ledger", "GET", path, token)
    assert_problem(again, 401, "not-authenticated", "already used")


@pytest.mark.parametrize("service", SERVICES)
def test_a_token_signed_with_another_key_is_refused_by_every_service(
    system: System, service: str
) -> None:
    # Whatever a service holds (public keys), or any key but the caller's own, mints nothing.
    for caller in ("gateway", "system"):
        forged = TokenSigner(caller, Ed25519PrivateKey.generate())
        token = forged.header(SYSTEM, Destination.of(service, "GET", "/feed"))
        assert_problem(
            _send(system, service, "GET", "/feed", token), 401, "not-authenticated", "invalid"
        )


@pytest.mark.parametrize("service", [name for name in SERVICES if name != "events"])
def test_a_services_key_is_good_only_at_its_peer(system: System, service: str) -> None:
    # The ledger (say) signs its calls to the events service; no other service takes them.
    own = signer_for(system.settings, service)
    at_events = own.header(SYSTEM, Destination.of("events", "GET", "/feed"))
    assert _send(system, "events", "GET", "/feed", at_events).status_code == 200
    for other in SERVICES:
        if other == "events" or other in DEFINITIONS[service].follows:
            continue  # its peer, and the feeds it follows (the agenda reads the routes feed)
        token = own.header(SYSTEM, Destination.of(other, "GET", "/feed"))
        assert_problem(
            _send(system, other, "GET", "/feed", token), 401, "not-authenticated", "invalid"
        )


def test_an_expired_token_is_refused(system: System) -> None:
    now = int(time.time())
    claims = {
        "iss": "gateway",
        "aud": "events",
        "htm": "GET",
        "htu": "/feed",
        "iat": now - 20,
        "exp": now - 5,
        "jti": "expired-token",
        "who": {"system": True},
    }
    stale = jwt.encode(claims, process_key(), algorithm="EdDSA", headers={"kid": "gateway"})
    answer = _send(system, "events", "GET", "/feed", f"{INTERNAL_AUTH_SCHEME} {stale}")
    assert_problem(answer, 401, "not-authenticated", "expired")
