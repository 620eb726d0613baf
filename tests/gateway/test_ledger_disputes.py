"""Disputes through the public API (both databases): a participant who charges another member
cannot make it stick — the member charged disputes it, and the organizers confirm or reverse."""

from __future__ import annotations

from typing import Any

import httpx

from tests.builders import Cast, Person, a_cast, a_member, an_expense
from tests.problems import assert_problem


def charged_onto(http: httpx.Client, cast: Cast, by: Person, onto: Person) -> dict[str, Any]:
    """An expense ``by`` paid and shared entirely onto ``onto``."""
    return an_expense(
        http,
        cast.event,
        by,
        description="gasolina",
        amount="80",
        split={"among": [{"user_id": onto.id}]},
    )


def entries_url(cast: Cast, entry: dict[str, Any] | None = None, *rest: str) -> str:
    """The ledger's entries, or an entry and what follows it."""
    base = f"/api/v1/events/{cast.event['id']}/ledger/entries"
    return "/".join([base, str(entry["id"]), *rest]) if entry else base


def test_the_member_charged_disputes_and_an_organizer_confirms(http: httpx.Client) -> None:
    cast = a_cast(http)
    marta = a_member(http, cast.event, cast.owner)
    entry = charged_onto(http, cast, cast.participant, marta)
    disputed = http.post(
        entries_url(cast, entry, "dispute"),
        json={"reason": "No fui en ese coche"},
        headers=marta.headers,
    )
    assert disputed.status_code == 201, disputed.text
    assert disputed.json()["disputed"] is True
    listed = http.get(entries_url(cast), headers=cast.organizer.headers).json()["items"]
    assert [e["disputed"] for e in listed if e["id"] == entry["id"]] == [True]
    again = http.post(
        entries_url(cast, entry, "dispute"), json={"reason": "otra vez"}, headers=marta.headers
    )
    assert_problem(again, 409, "conflict", "already dispute")
    refused = http.post(entries_url(cast, entry, "confirm"), json={}, headers=marta.headers)
    assert_problem(refused, 403, "permission-denied")

    confirmed = http.post(
        entries_url(cast, entry, "confirm"),
        json={"reason": "Sí que fue"},
        headers=cast.organizer.headers,
    )
    assert confirmed.status_code == 200, confirmed.text
    assert confirmed.json()["disputed"] is False
    detail = http.get(entries_url(cast, entry), headers=marta.headers).json()
    (dispute,) = detail["disputes"]
    assert (dispute["raised_by"], dispute["reason"], dispute["outcome"]) == (
        marta.id,
        "No fui en ese coche",
        "confirmed",
    )
    assert dispute["resolved_by"] == cast.organizer.id
    nothing = http.post(
        entries_url(cast, entry, "confirm"), json={}, headers=cast.organizer.headers
    )
    assert_problem(nothing, 409, "conflict", "nobody disputes")


def test_reversing_a_disputed_entry_settles_the_dispute(http: httpx.Client) -> None:
    cast = a_cast(http)
    marta = a_member(http, cast.event, cast.owner)
    entry = charged_onto(http, cast, cast.participant, marta)
    assert (
        http.post(
            entries_url(cast, entry, "dispute"), json={"reason": "no"}, headers=marta.headers
        ).status_code
        == 201
    )
    reversed_ = http.post(
        entries_url(cast, entry, "reverse"), json={"reason": "error"}, headers=cast.owner.headers
    )
    assert reversed_.status_code == 200, reversed_.text
    assert reversed_.json()["disputed"] is False
    (dispute,) = http.get(entries_url(cast, entry), headers=marta.headers).json()["disputes"]
    assert dispute["outcome"] == "reversed"
    late = http.post(
        entries_url(cast, entry, "dispute"), json={"reason": "no"}, headers=marta.headers
    )
    assert_problem(late, 409, "conflict", "nothing to dispute")


def test_only_a_member_charged_by_someone_else_may_dispute(http: httpx.Client) -> None:
    cast = a_cast(http)
    marta = a_member(http, cast.event, cast.owner)
    entry = charged_onto(http, cast, cast.participant, marta)
    for who in (cast.participant, cast.organizer):  # its author; someone it does not charge
        answer = http.post(
            entries_url(cast, entry, "dispute"), json={"reason": "no"}, headers=who.headers
        )
        assert_problem(answer, 403, "permission-denied", "only a member charged by entry")
    spanish = {**cast.organizer.headers, "Accept-Language": "es"}
    answer = http.post(entries_url(cast, entry, "dispute"), json={"reason": "no"}, headers=spanish)
    assert_problem(answer, 403, "permission-denied", "solo")
    outsider = http.post(
        entries_url(cast, entry, "dispute"), json={"reason": "no"}, headers=cast.outsider.headers
    )
    assert_problem(outsider, 404, "not-found")
    empty = http.post(
        entries_url(cast, entry, "dispute"), json={"reason": "  "}, headers=marta.headers
    )
    assert_problem(empty, 422, "invalid-input")
    assert_problem(
        http.post(entries_url(cast, entry, "dispute"), json={"reason": "no"}),
        401,
        "not-authenticated",
    )
