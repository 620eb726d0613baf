"""The report's bottom line alone: the same numbers as the report, the same rule on who sees it."""

from __future__ import annotations

import httpx
import pytest

from tests.builders import a_member, a_person, an_event, an_expense
from tripbot.ledger.client import LedgerClient
from tripbot.platform.errors import NotFound, PermissionDenied
from tripbot.platform.identity import Principal
from tripbot.system import System


def _ledger(system: System, user_id: int, event_id: int, role: str | None) -> LedgerClient:
    principal = Principal(user_id=user_id, event_id=event_id if role else None, event_role=role)
    client: LedgerClient = system.gateway.extensions["tripbot.services"].ledger(principal)
    return client


def test_the_totals_are_the_reports_bottom_line(system: System, http: httpx.Client) -> None:
    owner = a_person(http)
    event = an_event(http, owner)
    an_expense(http, event, owner, amount="23.50")
    an_expense(http, event, owner, amount="100.01", description="alquiler")
    sold = http.post(
        f"/api/v1/events/{event['id']}/ledger/entries",
        json={"kind": "sale", "description": "camisetas", "amount": "40"},
        headers=owner.headers,
    )
    assert sold.status_code == 201, sold.text
    ledger = _ledger(system, owner.id, event["id"], "owner")
    report, totals = ledger.report(event["id"]), ledger.report_totals(event["id"])
    assert (totals.currency, totals.income, totals.costs, totals.net_result) == (
        report.currency,
        report.income,
        report.costs,
        report.net_result,
    )
    # The two shared expenses are the members' costs, not the event's: apart from its result.
    assert (totals.costs, totals.income, totals.net_result) == ("0.00", "40.00", "40.00")
    assert report.shared_costs == "123.51"


def test_who_may_read_the_report_may_read_its_totals(system: System, http: httpx.Client) -> None:
    owner = a_person(http)
    event = an_event(http, owner)
    participant = a_member(http, event, owner)
    with pytest.raises(PermissionDenied, match="keep the report to themselves"):
        _ledger(system, participant.id, event["id"], "participant").report_totals(event["id"])
    shared = http.patch(
        f"/api/v1/events/{event['id']}/ledger/settings",
        json={"visibility": "members"},
        headers=owner.headers,
    )
    assert shared.status_code == 200, shared.text
    seen = _ledger(system, participant.id, event["id"], "participant").report_totals(event["id"])
    assert seen.costs == "0.00"
    with pytest.raises(NotFound):
        _ledger(system, a_person(http).id, event["id"], None).report_totals(event["id"])
