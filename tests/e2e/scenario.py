"""The foundation's end-to-end story, told through the public API only, for both run modes."""

from __future__ import annotations

import httpx

from tests.builders import a_person, event_payload


def run_club_scenario(http: httpx.Client) -> None:
    """Two people: one creates an event and invites the other, who joins; roles are respected."""
    ana = a_person(http, display_name="Ana")
    luis = a_person(http, display_name="Luis")
    stranger = a_person(http, display_name="Stranger")

    created = http.post("/api/v1/events", json=event_payload(), headers=ana.headers)
    assert created.status_code == 201, created.text
    event = created.json()
    assert event["my_role"] == "owner"

    invitation = http.post(
        f"/api/v1/events/{event['id']}/invitations", json={"max_uses": 1}, headers=ana.headers
    )
    assert invitation.status_code == 201, invitation.text
    code = invitation.json()["code"]
    assert invitation.json()["url"].endswith(f"/invite/{code}")

    preview = http.get(f"/api/v1/invitations/{code}")
    assert preview.json()["event_name"] == event["name"]
    assert preview.json()["usable"] is True

    joined = http.post(f"/api/v1/invitations/{code}/accept", headers=luis.headers)
    assert joined.status_code == 200, joined.text
    assert joined.json()["role"] == "participant"

    used_up = http.post(f"/api/v1/invitations/{code}/accept", headers=stranger.headers)
    assert used_up.status_code == 410
    assert used_up.headers["content-type"] == "application/problem+json"

    members = http.get(f"/api/v1/events/{event['id']}/members", headers=luis.headers)
    assert members.status_code == 200
    assert {(m["display_name"], m["role"]) for m in members.json()} == {
        ("Ana", "owner"),
        ("Luis", "participant"),
    }

    hidden = http.get(f"/api/v1/events/{event['id']}", headers=stranger.headers)
    assert hidden.status_code == 404

    refused = http.patch(
        f"/api/v1/events/{event['id']}/members/{ana.id}",
        json={"role": "participant"},
        headers=luis.headers,
    )
    assert refused.status_code == 403

    promoted = http.patch(
        f"/api/v1/events/{event['id']}/members/{luis.id}",
        json={"role": "organizer"},
        headers=ana.headers,
    )
    assert promoted.status_code == 200
    assert promoted.json()["role"] == "organizer"

    last_owner = http.delete(f"/api/v1/events/{event['id']}/members/{ana.id}", headers=ana.headers)
    assert last_owner.status_code == 409

    left = http.delete(f"/api/v1/events/{event['id']}/members/{luis.id}", headers=luis.headers)
    assert left.status_code == 204
    mine = http.get("/api/v1/events", headers=luis.headers)
    assert mine.json() == []
