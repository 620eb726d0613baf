"""What every endpoint of the public events API does with no token, unreadable bodies, unknown
fields and huge bodies: always a problem+json answer with the request id, never a 500."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from apiflask import APIFlask
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.builders import Person, a_person_in, event_payload, user_payload
from tests.conftest import make_settings
from tests.problems import assert_problem, invalid_fields
from tripbot import SERVICES
from tripbot.system import System, build_embedded

PUBLIC = {
    ("POST", "/api/v1/auth/register"),
    ("POST", "/api/v1/auth/token"),
    ("GET", "/api/v1/invitations/<code>"),
    ("GET", "/api/v1/health"),
    ("GET", "/api/v1/claims/<token>"),
    ("POST", "/api/v1/claims/<token>/register"),
}
"""The endpoints of the events area one may call without a token."""

BODIES: dict[tuple[str, str], dict[str, Any]] = {
    ("POST", "/api/v1/auth/register"): user_payload(),
    ("POST", "/api/v1/auth/token"): {"email": "ana@club.example", "password": "x"},
    ("PATCH", "/api/v1/me"): {"language": "en"},
    ("POST", "/api/v1/me/password"): {"current_password": "x", "new_password": "mochila azul 2026"},
    ("PATCH", "/api/v1/users/<user_id>"): {"role": "member"},
    ("POST", "/api/v1/events"): event_payload(),
    ("PATCH", "/api/v1/events/<event_id>"): {"name": "x"},
    ("PATCH", "/api/v1/events/<event_id>/members/<user_id>"): {"role": "organizer"},
    ("POST", "/api/v1/events/<event_id>/invitations"): {"role": "participant"},
    ("POST", "/api/v1/events/<event_id>/guests"): {"display_name": "Pepa"},
    ("POST", "/api/v1/events/<event_id>/guests/<guest_id>/claim-links"): {},
    ("POST", "/api/v1/claims/<token>/register"): {
        "email": "pepa@club.example",
        "password": "mochila azul 2026",
    },
}
"""A valid body of every endpoint that reads one."""


def _events_area(app: APIFlask) -> list[tuple[str, str]]:
    endpoints = []
    for rule in app.url_map.iter_rules():
        # The gateway's own routes, and those declared by the events service.
        if not rule.endpoint.startswith(("api.", "api_events.")):
            continue
        path = rule.rule.replace("<int:", "<")
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            endpoints.append((method, path))
    return sorted(endpoints)


def _concrete(path: str) -> str:
    return (
        path.replace("<event_id>", "1")
        .replace("<user_id>", "1")
        .replace("<token_id>", "1")
        .replace("<code>", "abcdefgh")
        .replace("<guest_id>", "1")
        .replace("<token>", "a" * 43)
    )


def test_the_tables_cover_every_endpoint(system: System) -> None:
    endpoints = set(_events_area(system.gateway))
    # with GET and DELETE /me/telegram, once in api_telegram; and the five of guests' places
    assert len(endpoints) == 30
    assert endpoints >= PUBLIC
    assert set(BODIES) <= endpoints
    readers = {e for e in endpoints if e[0] in ("POST", "PATCH") and "accept" not in e[1]}
    assert readers == set(BODIES)


@pytest.fixture
def endpoints(system: System) -> list[tuple[str, str]]:
    """Every endpoint of the events area of the public API."""
    return _events_area(system.gateway)


def test_every_private_endpoint_needs_a_bearer_token(
    http: httpx.Client, endpoints: list[tuple[str, str]]
) -> None:
    for method, path in endpoints:
        if (method, path) in PUBLIC:
            continue
        body = BODIES.get((method, path))
        for headers in ({}, {"Authorization": "Bearer tb_forged"}):
            answer = http.request(method, _concrete(path), json=body, headers=headers)
            problem = assert_problem(answer, 401, "not-authenticated")
            assert problem["instance"] == _concrete(path)


def test_the_public_endpoints_answer_without_a_token(http: httpx.Client) -> None:
    assert http.post("/api/v1/auth/register", json=user_payload()).status_code == 201
    assert http.get("/api/v1/health").status_code == 200
    assert_problem(http.get("/api/v1/invitations/abcdefgh"), 404, "not-found")


@pytest.fixture
def someone(system: System) -> Person:
    """A person with a token."""
    return a_person_in(system)


@pytest.mark.parametrize("endpoint", sorted(BODIES))
@pytest.mark.parametrize(
    ("content", "content_type"),
    [
        pytest.param(b'{"name": "Ruta', "application/json", id="truncated-json"),
        pytest.param(b"", "application/json", id="empty-body"),
        pytest.param(b"name=Ruta", "application/x-www-form-urlencoded", id="a-form"),
        pytest.param(b"\xff\xfe\x00", "application/json", id="not-utf8"),
    ],
)
def test_an_unreadable_body_is_a_bad_request(
    http: httpx.Client,
    someone: Person,
    endpoint: tuple[str, str],
    content: bytes,
    content_type: str,
) -> None:
    method, path = endpoint
    answer = http.request(
        method,
        _concrete(path),
        content=content,
        headers={**someone.headers, "Content-Type": content_type},
    )
    assert_problem(answer, 400, "malformed-request", "not valid JSON")


@pytest.mark.parametrize("endpoint", sorted(BODIES))
@pytest.mark.parametrize("body", [[], "text", 42, None], ids=["list", "string", "number", "null"])
def test_a_body_that_is_not_an_object_is_invalid(
    http: httpx.Client, someone: Person, endpoint: tuple[str, str], body: object
) -> None:
    method, path = endpoint
    answer = http.request(method, _concrete(path), json=body, headers=someone.headers)
    assert answer.status_code in (400, 422), answer.text
    assert_problem(
        answer,
        answer.status_code,
        {400: "malformed-request"}.get(answer.status_code, "invalid-input"),
    )


@pytest.mark.parametrize("endpoint", sorted(BODIES))
def test_unknown_fields_are_refused_by_name(
    http: httpx.Client, someone: Person, endpoint: tuple[str, str]
) -> None:
    method, path = endpoint
    body = {**BODIES[endpoint], "is_admin": True}
    answer = http.request(method, _concrete(path), json=body, headers=someone.headers)
    problem = assert_problem(answer, 422, "invalid-input", "is_admin")
    assert invalid_fields(problem) == {"is_admin"}
    assert problem["errors"][0]["location"] == "json"


@pytest.fixture(scope="module")
def small_bodies(tmp_path_factory: pytest.TempPathFactory) -> Iterator[httpx.Client]:
    """A gateway that takes bodies of at most 512 bytes (on its own SQLite files: a body
    refused at the door never reaches a database)."""
    data_dir = tmp_path_factory.mktemp("small-bodies")
    built = build_embedded(make_settings(data_dir, max_body_bytes=512))
    with httpx.Client(
        transport=httpx.WSGITransport(app=built.gateway), base_url="http://testserver"
    ) as client:
        yield client
    built.close()


@pytest.mark.parametrize("endpoint", sorted(BODIES))
def test_a_body_over_the_limit_is_refused(
    small_bodies: httpx.Client, endpoint: tuple[str, str]
) -> None:
    method, path = endpoint
    body = json.dumps({**BODIES[endpoint], "padding": "x" * 600}).encode()
    answer = small_bodies.request(
        method,
        _concrete(path),
        content=body,
        headers={"Content-Type": "application/json", "Authorization": "Bearer tb_x"},
    )
    assert_problem(answer, 413, "payload-too-large", "larger than 512 bytes")


def test_a_body_just_under_the_limit_is_read(small_bodies: httpx.Client) -> None:
    body = json.dumps(user_payload(display_name="Ana")).encode()
    assert len(body) < 512
    answer = small_bodies.post(
        "/api/v1/auth/register", content=body, headers={"Content-Type": "application/json"}
    )
    assert answer.status_code == 201, answer.text


@pytest.mark.parametrize(
    ("method", "path", "status", "slug"),
    [
        ("GET", "/api/v1/nothing-here", 404, "not-found"),
        ("GET", "/api/v1/events/abc", 404, "not-found"),
        ("GET", "/api/v1/events/-1", 404, "not-found"),
        ("DELETE", "/api/v1/events", 405, "method-not-allowed"),
        ("PUT", "/api/v1/me", 405, "method-not-allowed"),
    ],
)
def test_unknown_routes_and_methods_are_problems_too(
    http: httpx.Client, someone: Person, method: str, path: str, status: int, slug: str
) -> None:
    answer = http.request(method, path, headers=someone.headers)
    assert_problem(answer, status, slug)


@pytest.mark.parametrize("path", ["/api/v1/events", "/login", "/events/new"])
def test_a_method_a_page_does_not_take_is_405_saying_which_it_takes(
    http: httpx.Client, path: str
) -> None:
    answer = http.request("TRACE", path)
    assert answer.status_code == 405
    allowed = {m.strip() for m in answer.headers["Allow"].split(",")}
    assert "GET" in allowed
    assert "TRACE" not in allowed


def test_a_problem_carries_the_callers_request_id(http: httpx.Client) -> None:
    answer = http.get("/api/v1/me", headers={"X-Request-ID": "my-trace-0001"})
    problem = assert_problem(answer, 401, "not-authenticated")
    assert problem["request_id"] == "my-trace-0001"


def test_health_reports_every_service_ready(system: System, http: httpx.Client) -> None:
    answer = http.get("/api/v1/health")
    assert answer.status_code == 200
    body = answer.json()
    assert body["status"] == "ok"
    assert {s["service"]: s["status"] for s in body["services"]} == dict.fromkeys(
        system.services, "ready"
    )


def test_health_reports_a_service_whose_database_is_unreachable(tmp_path: Path) -> None:
    settings = make_settings(tmp_path)
    urls = {name: settings.database_url_for(name) for name in SERVICES}
    urls["events"] = "postgresql://postgres@127.0.0.1:1/events"
    built = build_embedded(settings, urls, run_migrations=False)
    with httpx.Client(
        transport=httpx.WSGITransport(app=built.gateway), base_url="http://testserver"
    ) as client:
        answer = client.get("/api/v1/health")
        registering = client.post("/api/v1/auth/register", json=user_payload())
    built.close()
    assert answer.status_code == 503
    statuses = {s["service"]: s["status"] for s in answer.json()["services"]}
    assert answer.json()["status"] == "degraded"
    assert statuses == {name: "unavailable" if name == "events" else "ready" for name in SERVICES}
    assert assert_problem(registering, 503, "service-unavailable")["service"] == "events"


TEXT = st.text(max_size=40)
SCALARS = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | TEXT
)
JSON_VALUES = st.recursive(
    SCALARS,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(TEXT, inner, max_size=3),
    max_leaves=6,
)


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    field=st.sampled_from(sorted(event_payload())),
    value=JSON_VALUES,
)
def test_no_event_body_gets_a_server_error(
    http: httpx.Client, someone: Person, field: str, value: object
) -> None:
    answer = http.post(
        "/api/v1/events", json=event_payload(**{field: value}), headers=someone.headers
    )
    if answer.status_code != 201:
        assert_problem(answer, 422, "invalid-input")


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(display_name=TEXT, email=TEXT, code=st.text(max_size=30))
def test_no_registration_gets_a_server_error(
    http: httpx.Client, display_name: str, email: str, code: str
) -> None:
    body = user_payload(display_name=display_name, invitation_code=code)
    if "@" in email:
        body["email"] = email
    answer = http.post("/api/v1/auth/register", json=body)
    if answer.status_code != 201:
        assert answer.status_code in (403, 404, 409, 410, 422), answer.text
        assert_problem(answer, answer.status_code, answer.json()["type"].rsplit(":", 1)[-1])
