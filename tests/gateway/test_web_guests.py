"""People without accounts on the web and the public API: adding them, telling them apart."""

from __future__ import annotations

import re

import httpx
import pytest
from flask.testing import FlaskClient

from tests.builders import PASSWORD, a_guest_in, a_member, a_person, an_event
from tests.gateway.test_web_pages import log_in, member_roles, submit


def test_an_organizer_adds_a_person_by_name_on_the_event_page(
    client: FlaskClient, http: httpx.Client
) -> None:
    owner = a_person(http)
    event = an_event(http, owner)
    organizer = a_member(http, event, owner, role="organizer")
    log_in(client, organizer.email)
    page = client.get(f"/events/{event['id']}").text
    assert 'id="guest-form"' in page
    response = submit(client, f"/events/{event['id']}/guests", {"display_name": " Pepa Guía "})
    assert response.status_code == 302
    page = client.get(f"/events/{event['id']}").text
    assert "Pepa Guía se ha añadido al evento sin cuenta." in page
    members = http.get(f"/api/v1/events/{event['id']}/members", headers=owner.headers).json()
    guest = next(m for m in members if m["display_name"] == "Pepa Guía")
    assert guest["role"] == "guest"
    assert member_roles(page)[guest["user_id"]] == "guest"
    # A guest has no role to change, but may be removed.
    assert f'/members/{guest["user_id"]}/role"' not in page
    assert f'/members/{guest["user_id"]}/remove"' in page


def test_two_people_named_alike_are_told_apart_by_their_id(
    client: FlaskClient, http: httpx.Client
) -> None:
    owner = a_person(http, display_name="Olga")
    event = an_event(http, owner)
    first, second = (a_guest_in(http, event, owner, "Juan") for _ in range(2))
    a_guest_in(http, event, owner, "Lola")
    log_in(client, owner.email)
    page = client.get(f"/events/{event['id']}").text
    shown = set(re.findall(r'member-id">#(\d+)<', page))
    assert shown == {str(first), str(second)}


@pytest.mark.parametrize(
    ("name", "says"),
    [
        ("", "Este campo es obligatorio."),
        ("x" * 81, "80"),
        ("Pe\x07pa", "caracteres de control"),
    ],
)
def test_a_bad_name_is_refused_on_the_form_and_kept(
    client: FlaskClient, http: httpx.Client, name: str, says: str
) -> None:
    owner = a_person(http)
    event = an_event(http, owner)
    log_in(client, owner.email)
    response = submit(client, f"/events/{event['id']}/guests", {"display_name": name})
    assert response.status_code == 422
    assert says in response.text
    members = http.get(f"/api/v1/events/{event['id']}/members", headers=owner.headers).json()
    assert [m["role"] for m in members] == ["owner"]


def test_the_api_adds_a_guest_and_refuses_bad_names_in_the_askers_language(
    http: httpx.Client,
) -> None:
    owner = a_person(http)
    event = an_event(http, owner)
    url = f"/api/v1/events/{event['id']}/guests"
    added = http.post(url, json={"display_name": "Lola"}, headers=owner.headers)
    assert added.status_code == 201
    assert added.json()["role"] == "guest"
    for bad in ("", "   ", "a" * 81, "Lo\nla", "Lo\x00la"):
        refused = http.post(
            url, json={"display_name": bad}, headers={**owner.headers, "Accept-Language": "es"}
        )
        assert refused.status_code == 422, bad
        assert refused.headers["content-type"].startswith("application/problem+json")
        if "\n" in bad or "\x00" in bad:
            assert "caracteres de control" in refused.text, refused.text
    participant = a_member(http, event, owner)
    refused = http.post(
        url, json={"display_name": "X"}, headers={**participant.headers, "Accept-Language": "es"}
    )
    assert refused.status_code == 403
    assert "personas sin cuenta" in refused.json()["detail"]
    members = http.get(f"/api/v1/events/{event['id']}/members", headers=owner.headers).json()
    assert sorted(m["role"] for m in members) == ["guest", "owner", "participant"]


def _claim_link(client: FlaskClient, event_id: int, guest_id: int) -> str:
    response = submit(client, f"/events/{event_id}/guests/{guest_id}/claim-link")
    assert response.status_code == 200, response.text
    found = re.search(r'id="claim-link" value="[^"]*(/claim/[A-Za-z0-9_-]+)"', response.text)
    assert found, response.text
    return found.group(1)


def test_a_guest_claims_their_place_with_a_new_account(
    client: FlaskClient, http: httpx.Client
) -> None:
    owner = a_person(http)
    event = an_event(http, owner)
    pepa = a_guest_in(http, event, owner, "Pepa")
    log_in(client, owner.email)
    link = _claim_link(client, event["id"], pepa)
    stranger = client.application.test_client()
    page = stranger.get(link)
    assert page.status_code == 200
    assert event["name"] in page.text
    assert 'value="Pepa"' in page.text  # the name the organizers gave is offered
    refused = submit(
        stranger, f"{link}/register", {"display_name": "Pepa", "email": "no", "password": "x"}, link
    )
    assert refused.status_code == 422
    done = submit(
        stranger,
        f"{link}/register",
        {
            "display_name": "Pepa López",
            "email": "pepa@example.org",
            "password": PASSWORD,
            "language": "es",
        },
        link,
    )
    assert done.status_code == 302
    assert done.headers["Location"] == f"/events/{event['id']}"
    mine = stranger.get(done.headers["Location"]).text
    assert member_roles(mine)[pepa] == "participant"
    again = stranger.get(link)
    assert again.status_code == 410
    assert "ya se ha usado" in again.text


def test_someone_with_an_account_takes_the_guests_place(
    client: FlaskClient, http: httpx.Client
) -> None:
    owner = a_person(http)
    event = an_event(http, owner)
    pepa = a_guest_in(http, event, owner, "Pepa")
    log_in(client, owner.email)
    link = _claim_link(client, event["id"], pepa)
    luis = a_person(http, display_name="Luis")
    other = client.application.test_client()
    log_in(other, luis.email)
    page = other.get(link).text
    assert 'id="claim-accept"' in page
    assert 'id="claim-register-form"' not in page
    done = submit(other, link, {}, link)
    assert done.status_code == 302
    roles = member_roles(other.get(f"/events/{event['id']}").text)
    assert roles[luis.id] == "participant"
    assert pepa not in roles


def test_participants_make_no_claim_links(client: FlaskClient, http: httpx.Client) -> None:
    owner = a_person(http)
    event = an_event(http, owner)
    pepa = a_guest_in(http, event, owner)
    participant = a_member(http, event, owner)
    log_in(client, participant.email)
    page = client.get(f"/events/{event['id']}").text
    assert "claim-form" not in page
    assert 'id="guest-form"' not in page
    response = submit(client, f"/events/{event['id']}/guests/{pepa}/claim-link")
    assert response.status_code == 403
