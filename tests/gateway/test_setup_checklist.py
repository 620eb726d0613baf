"""The first administrator's setup checklist on the events page: ticked from the data."""

from __future__ import annotations

import re

import httpx
from flask.testing import FlaskClient

from tests.builders import a_person
from tests.gateway.test_web_pages import a_guest, log_in, submit

STEP = re.compile(r'class="collection-item setup-step (done|todo)" data-step="(\w+)"')


def _steps(page: str) -> dict[str, str]:
    return {key: state for state, key in STEP.findall(page)}


def test_the_administrator_sees_the_checklist_and_a_member_does_not(
    client: FlaskClient, http: httpx.Client
) -> None:
    a_guest(client, http)  # the first account: the administrator
    page = client.get("/events").text
    assert "Configura tu club" in page
    assert _steps(page) == {
        "club": "todo",
        "maps": "done",  # OpenStreetMap's tiles out of the box
        "gear": "todo",
        "keeper": "todo",
        "invitations": "todo",
        "telegram": "todo",
    }
    assert 'href="/gear/new"' in page
    keeper = re.search(r'data-step="keeper">.*?</li>', page, re.S)
    assert keeper is not None
    assert 'href="/account/people"' in keeper.group()

    member = a_person(http)
    other: FlaskClient = client.application.test_client()
    log_in(other, member.email)
    assert "setup-checklist" not in other.get("/events").text


def test_doing_a_step_ticks_it(client: FlaskClient, http: httpx.Client) -> None:
    admin = a_guest(client, http, language="en")
    keeper = a_person(http)  # someone else has joined: the club was invited
    changed = http.patch(
        f"/api/v1/users/{keeper.id}", json={"role": "gear_keeper"}, headers=admin.headers
    )
    assert changed.status_code == 200, changed.text
    item = http.post(
        "/api/v1/gear/items",
        json={"name": "Casco", "category": "climbing", "quantity": 2},
        headers=admin.headers,
    )
    assert item.status_code == 201, item.text
    page = client.get("/events").text
    assert "Set up your club" in page
    steps = _steps(page)
    assert (steps["gear"], steps["keeper"], steps["invitations"]) == ("done",) * 3
    assert (steps["club"], steps["telegram"]) == ("todo",) * 2


def test_the_administrator_can_hide_the_checklist(client: FlaskClient, http: httpx.Client) -> None:
    a_guest(client, http)
    hidden = submit(client, "/setup/dismiss", {"next": "/events"}, page="/events")
    assert hidden.status_code == 302
    assert hidden.headers["Location"] == "/events"
    assert "setup-checklist" not in client.get("/events").text
