"""Money a person has open: seen by them whether or not they are still in the event."""

from __future__ import annotations

import httpx

from tests.builders import a_member, a_person, an_event, an_expense
from tripbot.ledger.client import LedgerClient
from tripbot.platform.identity import Principal
from tripbot.system import System


def _ledger(system: System, user_id: int) -> LedgerClient:
    client: LedgerClient = system.gateway.extensions["tripbot.services"].ledger(
        Principal(user_id=user_id)
    )
    return client


def test_someone_who_left_owed_money_still_sees_it_and_the_transfer_that_pays_it(
    system: System, http: httpx.Client
) -> None:
    owner = a_person(http)
    event = an_event(http, owner)
    pedro = a_member(http, event, owner, "participant")
    an_expense(http, event, pedro, amount="9.00", description="pan")  # shared by both: 4.50
    left = http.delete(f"/api/v1/events/{event['id']}/members/{pedro.id}", headers=pedro.headers)
    assert left.status_code == 204, left.text

    (position,) = _ledger(system, pedro.id).open_positions()

    assert (position.event_id, position.currency, position.balance) == (event["id"], "EUR", "4.50")
    (transfer,) = position.transfers
    assert (transfer.payer.party, transfer.payee.party, transfer.amount) == (
        owner.id,
        pedro.id,
        "4.50",
    )
    settlement = http.get(f"/api/v1/events/{event['id']}/ledger/settlement", headers=owner.headers)
    assert settlement.json()["transfers"][0]["amount"] == "4.50"  # the same transfer, both sides


def test_nobody_sees_anyone_elses_money_and_settled_events_are_not_open(
    system: System, http: httpx.Client
) -> None:
    owner = a_person(http)
    event = an_event(http, owner)
    friend = a_member(http, event, owner, "participant")
    an_expense(http, event, owner, amount="10.00")
    stranger = a_person(http)

    assert _ledger(system, stranger.id).open_positions() == []
    (mine,) = _ledger(system, friend.id).open_positions()
    assert mine.balance == "-5.00"
    assert [t.payee.party for t in mine.transfers] == [owner.id]
    settled = http.post(
        f"/api/v1/events/{event['id']}/ledger/settlement", json={}, headers=owner.headers
    )
    assert settled.status_code == 201, settled.text
    assert _ledger(system, friend.id).open_positions() == []
