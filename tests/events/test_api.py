"""The events service over HTTP: it answers only signed internal calls, always in problem+json."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import jwt
import pytest
from apiflask import APIFlask
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from flask.testing import FlaskClient

from tests.builders import event_payload, user_payload
from tests.conftest import make_settings
from tests.problems import assert_problem, invalid_fields
from tripbot.platform.identity import INTERNAL_AUTH_SCHEME, Destination, Principal, TokenSigner
from tripbot.platform.keys import process_key
from tripbot.platform.settings import Settings
from tripbot.platform.web import PUBLIC_SERVICE_PATHS
from tripbot.system import System, build_embedded, signer_for

Member = Callable[[str, str], dict[str, str]]
"""The headers of a registered person's call, by method and path."""

PUBLIC = set(PUBLIC_SERVICE_PATHS)


@pytest.fixture
def events(system: System) -> APIFlask:
    """The events service application of the embedded system."""
    return system.services["events"]


@pytest.fixture
def settings(system: System) -> Settings:
    """The settings the system under test was built with."""
    return system.settings


@pytest.fixture
def service(events: APIFlask) -> FlaskClient:
    """A test client of the events service, sending no credentials of its own."""
    return events.test_client()


def _signer(settings: Settings) -> TokenSigner:
    return signer_for(settings, "gateway")


def _as(settings: Settings, principal: Principal, method: str, path: str) -> dict[str, str]:
    """The headers of one call to the events service, signed for ``principal``."""
    to = Destination.of("events", method, path)
    return {"Authorization": _signer(settings).header(principal, to)}


def _protected_routes(app: APIFlask) -> list[tuple[str, str]]:
    routes = []
    for rule in app.url_map.iter_rules():
        if rule.rule in PUBLIC or rule.rule.startswith(("/docs", "/static")):
            continue
        path = rule.rule.replace("<int:", "<").replace("<code>", "abcdefgh")
        path = path.replace("<event_id>", "1").replace("<user_id>", "1")
        path = path.replace("<token_id>", "1")
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            routes.append((method, path))
    return routes


def test_every_route_but_health_and_docs_needs_an_internal_token(
    events: APIFlask, service: FlaskClient
) -> None:
    routes = _protected_routes(events)
    assert ("POST", "/users") in routes
    assert ("POST", "/invitations/abcdefgh/accept") in routes
    for method, path in routes:
        answer = service.open(path, method=method, json={})
        assert_problem(answer, 401, "not-authenticated", "only signed internal calls")


@pytest.mark.parametrize(
    "authorization",
    [
        pytest.param("", id="empty"),
        pytest.param("Bearer tb_something", id="a-personal-token"),
        pytest.param(f"{INTERNAL_AUTH_SCHEME} not-a-token", id="garbage"),
    ],
)
def test_a_missing_or_foreign_authorization_is_refused(
    service: FlaskClient, authorization: str
) -> None:
    answer = service.get("/users/me", headers={"Authorization": authorization})
    assert_problem(answer, 401, "not-authenticated")


def test_a_token_signed_with_another_key_is_refused(service: FlaskClient) -> None:
    forged = TokenSigner("gateway", Ed25519PrivateKey.generate())
    to = Destination.of("events", "GET", "/users")
    answer = service.get(
        "/users", headers={"Authorization": forged.header(Principal(user_id=1), to)}
    )
    assert_problem(answer, 401, "not-authenticated", "internal token invalid")


def test_an_expired_token_is_refused(service: FlaskClient, settings: Settings) -> None:
    now = int(time.time())
    claims = {
        "iss": "gateway",
        "aud": "events",
        "htm": "GET",
        "htu": "/users/me",
        "iat": now - settings.internal_token_ttl - 1,
        "exp": now - 1,
        "jti": "an-expired-one",
        "who": {"user_id": 1},
    }
    stale = jwt.encode(claims, process_key(), algorithm="EdDSA", headers={"kid": "gateway"})
    headers = {"Authorization": f"{INTERNAL_AUTH_SCHEME} {stale}"}
    answer = service.get("/users/me", headers=headers)
    assert_problem(answer, 401, "not-authenticated", "internal token expired")


@pytest.mark.parametrize("path", sorted(PUBLIC))
def test_health_and_the_api_description_are_public(service: FlaskClient, path: str) -> None:
    assert service.get(path).status_code == 200


def test_a_valid_token_is_served_as_its_principal(service: FlaskClient, settings: Settings) -> None:
    anonymous = _as(settings, Principal(), "POST", "/users")
    created = service.post("/users", json=user_payload(), headers=anonymous)
    assert created.status_code == 201
    user_id = created.get_json()["id"]
    me = service.get(
        "/users/me", headers=_as(settings, Principal(user_id=user_id), "GET", "/users/me")
    )
    assert me.status_code == 200
    assert me.get_json()["id"] == user_id
    assert me.headers["Content-Type"] == "application/json"


def test_an_anonymous_token_is_not_a_login(service: FlaskClient, settings: Settings) -> None:
    answer = service.get("/users/me", headers=_as(settings, Principal(), "GET", "/users/me"))
    assert_problem(answer, 401, "not-authenticated", "log in first")


@pytest.fixture
def member(service: FlaskClient, settings: Settings) -> Member:
    """The headers of a registered user's calls to the service through the gateway."""
    anonymous = _as(settings, Principal(), "POST", "/users")
    created = service.post("/users", json=user_payload(), headers=anonymous)
    principal = Principal(user_id=created.get_json()["id"])
    return lambda method, path: _as(settings, principal, method, path)


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/events/2147483648"),
        ("GET", "/events/99999999999999999999/members"),
        ("PATCH", "/users/99999999999"),
        ("DELETE", "/tokens/99999999999"),
        ("DELETE", "/events/1/members/4294967296"),
        ("GET", "/invitations/%00"),
        ("POST", "/invitations/%00/accept"),
        ("GET", "/invitations/" + "x" * 300),
    ],
)
def test_impossible_ids_and_codes_are_not_found(
    service: FlaskClient, member: Member, method: str, path: str
) -> None:
    headers = member(method, path)
    answer = service.open(path, method=method, json={"role": "member"}, headers=headers)
    assert_problem(answer, 404, "not-found")


def test_malformed_json_is_a_bad_request(service: FlaskClient, member: Member) -> None:
    headers = {**member("POST", "/events"), "Content-Type": "application/json"}
    answer = service.post("/events", data=b'{"name": ', headers=headers)
    assert_problem(answer, 400, "malformed-request", "not valid JSON")


def test_unknown_fields_are_refused(service: FlaskClient, member: Member) -> None:
    body = {**event_payload(), "owner_id": 1}
    answer = service.post("/events", json=body, headers=member("POST", "/events"))
    body = assert_problem(answer, 422, "invalid-input", "owner_id")
    assert invalid_fields(body) == {"owner_id"}


def test_text_with_nul_characters_is_refused(service: FlaskClient, member: Member) -> None:
    body = event_payload(name="Ruta\x00")
    answer = service.post("/events", json=body, headers=member("POST", "/events"))
    body = assert_problem(answer, 422, "invalid-input", "NUL")
    assert invalid_fields(body) == {"name"}


def test_a_body_over_the_limit_is_refused(tmp_path: Path) -> None:
    # A body refused at the door never reaches the database: no backend needed.
    built = build_embedded(make_settings(tmp_path, max_body_bytes=256), run_migrations=False)
    service = built.services["events"].test_client()
    answer = service.post(
        "/users",
        json=user_payload(display_name="x" * 300),
        headers=_as(built.settings, Principal(), "POST", "/users"),
    )
    assert_problem(answer, 413, "payload-too-large", "larger than 256 bytes")
    built.close()


# ---- a personal API token takes the person's own password (issue 15, item 7) --------------


def _token_call(settings: Settings, principal: Principal) -> dict[str, str]:
    """A valid internal token for the token-creation call, as one captured on the wire."""
    return _as(settings, principal, "POST", "/tokens")


def _registered(service: FlaskClient, settings: Settings, **overrides: str) -> dict[str, Any]:
    body = user_payload(**overrides)
    anonymous = _as(settings, Principal(), "POST", "/users")
    created = service.post("/users", json=body, headers=anonymous)
    assert created.status_code == 201
    return {**body, "id": created.get_json()["id"]}


def _tokens_of(service: FlaskClient, settings: Settings, user_id: int) -> list[dict[str, Any]]:
    principal = Principal(user_id=user_id)
    listed = service.get("/tokens", headers=_as(settings, principal, "GET", "/tokens"))
    assert listed.status_code == 200
    return list(listed.get_json())


@pytest.mark.parametrize(
    "body",
    [
        pytest.param({}, id="nothing"),
        pytest.param({"name": "stolen"}, id="a-name-only"),
        pytest.param({"email": "{email}", "name": "stolen"}, id="no-password"),
        pytest.param({"password": "{password}"}, id="no-email"),
    ],
)
@pytest.mark.parametrize("as_who", ["the-person", "anonymous", "system"])
def test_a_valid_internal_token_without_the_password_mints_no_api_token(
    service: FlaskClient, settings: Settings, body: dict[str, str], as_who: str
) -> None:
    ana = _registered(service, settings)
    principal = {
        "the-person": Principal(user_id=ana["id"]),
        "anonymous": Principal(),
        "system": Principal(system=True),
    }[as_who]
    sent = {key: value.format(**ana) for key, value in body.items()}
    answer = service.post("/tokens", json=sent, headers=_token_call(settings, principal))
    assert_problem(answer, 422, "invalid-input")
    assert _tokens_of(service, settings, ana["id"]) == []


@pytest.mark.parametrize("as_who", ["the-person", "anonymous"])
@pytest.mark.parametrize(
    "password", ["not the password", "", "correct horse batter", "CORRECT HORSE BATTERY"]
)
def test_a_valid_internal_token_with_a_wrong_password_mints_no_api_token(
    service: FlaskClient, settings: Settings, as_who: str, password: str
) -> None:
    ana = _registered(service, settings)
    principal = Principal(user_id=ana["id"]) if as_who == "the-person" else Principal()
    sent = {"email": ana["email"], "password": password, "name": "stolen"}
    answer = service.post("/tokens", json=sent, headers=_token_call(settings, principal))
    if password:
        assert_problem(answer, 401, "not-authenticated", "wrong email or password")
    else:
        assert_problem(answer, 422, "invalid-input", "password")
    assert _tokens_of(service, settings, ana["id"]) == []


def test_an_unknown_email_gets_the_same_refusal_as_a_wrong_password(
    service: FlaskClient, settings: Settings
) -> None:
    sent = {"email": "nobody@club.example", "password": "whatever it is", "name": "x"}
    answer = service.post("/tokens", json=sent, headers=_token_call(settings, Principal()))
    assert_problem(answer, 401, "not-authenticated", "wrong email or password")


def test_someone_logged_in_cannot_use_another_persons_credentials(
    service: FlaskClient, settings: Settings
) -> None:
    # Even knowing Bea's password, Ana's session mints nothing for Bea through Ana's calls.
    ana, bea = _registered(service, settings), _registered(service, settings)
    sent = {"email": bea["email"], "password": bea["password"], "name": "x"}
    as_ana = _token_call(settings, Principal(user_id=ana["id"]))
    answer = service.post("/tokens", json=sent, headers=as_ana)
    assert_problem(answer, 401, "not-authenticated", "wrong email or password")
    assert _tokens_of(service, settings, bea["id"]) == []
    assert _tokens_of(service, settings, ana["id"]) == []


@pytest.mark.parametrize("as_who", ["the-person", "anonymous"])
def test_with_the_right_password_the_api_token_is_made_and_works(
    service: FlaskClient, settings: Settings, as_who: str
) -> None:
    ana = _registered(service, settings, email="Ana@Club.example")
    principal = Principal(user_id=ana["id"]) if as_who == "the-person" else Principal()
    sent = {"email": "ana@club.example", "password": ana["password"], "name": "script"}
    answer = service.post("/tokens", json=sent, headers=_token_call(settings, principal))
    assert answer.status_code == 201, answer.get_json()
    secret = answer.get_json()["token"]
    resolve = _as(settings, Principal(), "POST", "/tokens/resolve")
    owner = service.post("/tokens/resolve", json={"token": secret}, headers=resolve)
    assert owner.get_json()["id"] == ana["id"]
    assert [t["name"] for t in _tokens_of(service, settings, ana["id"])] == ["script"]


def test_a_token_creation_call_cannot_be_replayed_elsewhere(
    service: FlaskClient, settings: Settings
) -> None:
    # The token for POST /tokens is good for that call only: not to read or revoke tokens.
    ana = _registered(service, settings)
    captured = _token_call(settings, Principal(user_id=ana["id"]))
    for method, path in [("GET", "/tokens"), ("DELETE", "/tokens/1"), ("POST", "/sessions")]:
        answer = service.open(path, method=method, json={"lifetime_days": 1}, headers=captured)
        assert_problem(answer, 401, "not-authenticated", "for another call")
