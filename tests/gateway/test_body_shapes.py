"""A body says what it means: JSON null, a list or a bare value is no object of fields, and a
number is no date (issue 15, item 22). Refused with a problem, and nothing changes."""

from __future__ import annotations

import httpx
import pytest

from tests.builders import a_person, an_event
from tests.problems import assert_problem
from tripbot.system import System

NOT_OBJECTS = [b"null", b"[]", b'[{"name": "x"}]', b"42", b'"text"', b"true"]


@pytest.mark.parametrize("body", NOT_OBJECTS)
def test_a_body_that_is_no_object_is_refused_and_changes_nothing(
    http: httpx.Client, body: bytes
) -> None:
    owner = a_person(http)
    event = an_event(http, owner, kind="excursion", place="Poncebos")
    plan = {"route_ids": [], "meeting_point": "Poncebos", "capacity": 12}
    url = f"/api/v1/events/{event['id']}"
    assert http.put(f"{url}/plan", json=plan, headers=owner.headers).status_code == 200
    headers = {**owner.headers, "Content-Type": "application/json"}
    for method, path in (("PUT", f"{url}/plan"), ("PATCH", url), ("POST", f"{url}/activities")):
        answer = http.request(method, path, content=body, headers=headers)
        problem = assert_problem(answer, 400, "malformed-request")
        assert "JSON object" in problem["detail"]
    # A PUT of null used to reset the whole plan to its defaults.
    assert http.get(f"{url}/plan", headers=owner.headers).json()["meeting_point"] == "Poncebos"
    assert http.get(url, headers=owner.headers).json()["place"] == "Poncebos"


def test_a_service_refuses_such_a_body_too(system: System) -> None:
    ledger = system.services["ledger"].test_client()
    answer = ledger.post("/events/1/ledger/entries", data=b"null", content_type="application/json")
    assert answer.status_code == 400
    assert answer.json is not None
    assert answer.json["type"].endswith("malformed-request")


def test_text_that_is_no_json_is_still_told_as_such(http: httpx.Client) -> None:
    owner = a_person(http)
    headers = {**owner.headers, "Content-Type": "application/json"}
    answer = http.post("/api/v1/events", content=b"{not json", headers=headers)
    assert answer.status_code == 400


@pytest.mark.parametrize("when", [12345, 1.5e9, 0])
def test_a_number_is_no_date(http: httpx.Client, when: float) -> None:
    owner = a_person(http)
    event = an_event(http, owner)
    answer = http.post(
        f"/api/v1/events/{event['id']}/activities",
        json={"title": "Cena", "starts_at": when, "ends_at": "2027-05-01T21:00:00+02:00"},
        headers=owner.headers,
    )
    problem = assert_problem(answer, 422, "invalid-input")
    assert "written as text" in problem["detail"]
    listed = http.get(f"/api/v1/events/{event['id']}/activities", headers=owner.headers).json()
    assert listed == []


def test_dates_written_as_text_still_work(http: httpx.Client) -> None:
    owner = a_person(http)
    event = an_event(http, owner)
    answer = http.post(
        f"/api/v1/events/{event['id']}/activities",
        json={
            "title": "Cena",
            "starts_at": "2027-05-01T20:00:00+02:00",
            "ends_at": "2027-05-01T21:00:00+02:00",
        },
        headers=owner.headers,
    )
    assert answer.status_code == 201, answer.text


def test_the_document_says_which_bodies_are_required(http: httpx.Client) -> None:
    spec = http.get("/api/v1/openapi.json").json()
    schemas = spec["components"]["schemas"]
    bodies = [
        (path, method, operation["requestBody"])
        for path, item in spec["paths"].items()
        for method, operation in item.items()
        if isinstance(operation, dict) and "requestBody" in operation
    ]
    assert bodies
    for path, method, body in bodies:
        refs = [c["schema"].get("$ref", "") for c in body["content"].values()]
        needed = any(schemas[r.rsplit("/", 1)[-1]].get("required") for r in refs if r)
        assert body.get("required", False) == needed, (method, path)


def test_a_required_body_left_out_is_refused_naming_the_fields(http: httpx.Client) -> None:
    owner = a_person(http)
    answer = http.post("/api/v1/events", headers=owner.headers)
    assert answer.status_code in {400, 415, 422}, answer.text
    assert http.get("/api/v1/events", headers=owner.headers).json() == []
