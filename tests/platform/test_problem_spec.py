"""Every operation's OpenAPI declares its errors as they are sent: RFC 9457 problem+json (found
by the API fuzzer: APIFlask declared its own JSON error shape, which TripBot never sends)."""

from __future__ import annotations

from typing import Any

import httpx
import jsonschema
import pytest
from apiflask import APIFlask

from tests.builders import a_person_in
from tripbot import SERVICES
from tripbot.platform.errors import PROBLEM_JSON
from tripbot.platform.web import document_problems
from tripbot.system import System

METHODS = {"get", "put", "post", "delete", "patch"}


def spec_of(app: APIFlask) -> dict[str, Any]:
    """An application's OpenAPI document, as it serves it."""
    path = "/api/v1/openapi.json" if app.name == "tripbot.gateway" else "/openapi.json"
    spec: dict[str, Any] = app.test_client().get(path).get_json()
    return spec


def error_responses(spec: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    """Every declared 4xx and 5xx answer: (operation, status, response)."""
    return [
        (f"{method.upper()} {path}", status, response)
        for path, item in spec["paths"].items()
        for method, operation in item.items()
        if method in METHODS
        for status, response in operation["responses"].items()
        if status[0] in "45"
    ]


def validate_problem(spec: dict[str, Any], response: httpx.Response) -> None:
    """Check an answer against the Problem schema its OpenAPI declares."""
    assert response.headers["Content-Type"] == PROBLEM_JSON
    schema = {"$ref": "#/components/schemas/Problem", "components": spec["components"]}
    jsonschema.validate(response.json(), schema)


@pytest.mark.parametrize("name", [*SERVICES, "gateway"])
def test_every_operation_declares_problem_json_errors(system: System, name: str) -> None:
    app = system.gateway if name == "gateway" else system.services[name]
    spec = spec_of(app)
    declared = error_responses(spec)
    operations = {operation for operation, _, _ in declared}
    assert len(operations) == sum(
        1 for item in spec["paths"].values() for method in item if method in METHODS
    )
    for operation, status, response in declared:
        assert set(response["content"]) == {PROBLEM_JSON}, (operation, status)
    for operation in operations:
        statuses = {status for op, status, _ in declared if op == operation}
        assert {"4XX", "5XX"} <= statuses, operation
    assert "HTTPError" not in spec["components"]["schemas"]
    assert "ValidationError" not in spec["components"]["schemas"]


def test_real_errors_match_the_declared_problem(system: System, http: httpx.Client) -> None:
    spec = spec_of(system.gateway)
    person = a_person_in(system)
    invalid = http.post("/api/v1/events", json={"name": 5}, headers=person.headers)
    assert invalid.status_code == 422
    assert invalid.json()["errors"]
    unknown = http.get("/api/v1/events/999999", headers=person.headers)
    assert unknown.status_code == 404
    anonymous = http.get("/api/v1/me")
    assert anonymous.status_code == 401
    for answer in (invalid, unknown, anonymous):
        validate_problem(spec, answer)


def test_an_operation_keeps_its_own_words_for_a_status() -> None:
    spec: dict[str, Any] = {
        "paths": {
            "/things/{id}": {
                "parameters": [],
                "get": {
                    "responses": {
                        "200": {"description": "A thing"},
                        "409": {
                            "description": "The thing is busy",
                            "content": {"application/json": {"schema": {"type": "object"}}},
                        },
                    }
                },
            }
        },
        "components": {"schemas": {"HTTPError": {}, "ValidationError": {}}},
    }
    documented = document_problems(spec)
    assert isinstance(documented, dict)
    responses = documented["paths"]["/things/{id}"]["get"]["responses"]
    assert responses["409"]["description"] == "The thing is busy"
    assert set(responses["409"]["content"]) == {PROBLEM_JSON}
    assert responses["200"] == {"description": "A thing"}
    assert set(responses) == {"200", "409", "4XX", "5XX"}
    assert set(documented["components"]["schemas"]) == {"Problem"}
