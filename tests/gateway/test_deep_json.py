"""A JSON body nested deeper than Python can parse is a 400 problem in the caller's language, on
every JSON endpoint of the gateway and of each service, never a 500 with a traceback logged."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

import httpx
import structlog
from apiflask import APIFlask
from flask.testing import FlaskClient

from tests.builders import a_cast, a_cast_in
from tests.gateway.test_ledger_web import _csrf
from tests.gateway.test_web_pages import log_in
from tests.problems import assert_problem
from tripbot.platform.identity import Destination, Principal
from tripbot.system import System, signer_for

DEEP = "[" * 100_000 + "]" * 100_000
"""200 kB of nesting: within the body limit, far beyond Python's recursion limit."""
WRITES = ("POST", "PUT", "PATCH")


def _paths(app: APIFlask, prefix: str, event_id: int) -> list[tuple[str, str]]:
    """Every write route of an application, its path parameters filled in."""
    found = []
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith(prefix):
            continue
        path = re.sub(r"<int:event_id>", str(event_id), rule.rule)
        path = re.sub(r"<int:\w+>", "1", path)
        path = re.sub(r"<[^>]+>", "x", path)
        found += [(method, path) for method in sorted((rule.methods or set()) & set(WRITES))]
    return found


def _crashes(logs: Sequence[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
    return [entry for entry in logs if entry.get("log_level") in ("error", "critical")]


def test_the_gateway_refuses_deep_json_anonymous_or_not(system: System, http: httpx.Client) -> None:
    cast = a_cast(http)
    deep = {"Content-Type": "application/json", "Accept-Language": "es"}
    anonymous = http.post("/api/v1/auth/token", content=DEEP, headers=deep)
    assert_problem(anonymous, 400, "malformed-request", "anidado a demasiada profundidad")
    english = http.post(
        "/api/v1/auth/register", content=DEEP, headers={**deep, "Accept-Language": "en"}
    )
    body = assert_problem(english, 400, "malformed-request", "nested too deeply")
    assert body["message_id"] == "the request body's JSON is nested too deeply to be read"
    refused = 0
    with structlog.testing.capture_logs() as logs:
        for method, path in _paths(system.gateway, "/api/v1/", cast.event["id"]):
            answer = http.request(
                method, path, content=DEEP, headers={**deep, **cast.owner.headers}
            )
            assert answer.status_code < 500, (method, path, answer.text)
            refused += answer.status_code == 400
    assert _crashes(logs) == []
    assert refused >= 20  # every endpoint that reads a JSON body


def test_each_service_refuses_deep_json(system: System) -> None:
    signer = signer_for(system.settings, "gateway")
    principal = Principal(user_id=1, event_id=1, event_role="owner", language="es")
    headers = {"Content-Type": "application/json", "Accept-Language": "es"}
    for name, app in system.services.items():
        service: FlaskClient = app.test_client()
        refused = 0
        with structlog.testing.capture_logs() as logs:
            for method, path in _paths(app, "/", 1):
                signed = signer.header(principal, Destination.of(name, method, path))
                answer = service.open(
                    path, method=method, data=DEEP, headers={**headers, "Authorization": signed}
                )
                assert answer.status_code < 500, (name, method, path, answer.text)
                if answer.status_code == 400:
                    assert_problem(answer, 400, "malformed-request", "demasiada profundidad")
                    refused += 1
        assert _crashes(logs) == [], name
        assert refused > 0, name


def test_the_settle_up_form_refuses_a_forged_field_nested_too_deeply(
    system: System, client: FlaskClient
) -> None:
    cast = a_cast_in(system)
    log_in(client, cast.owner.email)
    money = f"/events/{cast.event['id']}/money"
    with structlog.testing.capture_logs() as logs:
        answer = client.post(
            f"{money}/settle", data={"transfers": DEEP, "csrf_token": _csrf(client, money)}
        )
    assert answer.status_code == 302, answer.text
    assert _crashes(logs) == []
    assert "No se ha podido leer la liquidación" in client.get(money).text
