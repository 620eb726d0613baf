"""A first walk through the public API on both databases."""

from __future__ import annotations

import httpx

from tests.builders import a_member, a_person, an_event


def test_owner_invites_a_participant_who_sees_the_members(http: httpx.Client) -> None:
    owner = a_person(http)
    event = an_event(http, owner)
    guest = a_member(http, event, owner)
    members = http.get(f"/api/v1/events/{event['id']}/members", headers=guest.headers)
    assert members.status_code == 200
    assert {(m["user_id"], m["role"]) for m in members.json()} == {
        (owner.id, "owner"),
        (guest.id, "participant"),
    }
