"""The report's bottom line alone: the same numbers as the report, the same rule on who sees it."""

from __future__ import annotations

import pytest

from tests.ledger.conftest import Club
from tripbot.ledger.schemas import SettingsUpdate
from tripbot.platform.errors import NotFound, PermissionDenied


def test_the_totals_are_the_reports_bottom_line(club: Club) -> None:
    club.record(club.owner, amount="23.50")
    club.record(club.owner, amount="100.01", description="alquiler")
    club.record(club.owner, kind="sale", description="camisetas", amount="40")
    ledger = club.ledger(club.owner)
    report, totals = ledger.report(club.event_id), ledger.report_totals(club.event_id)
    assert (totals.currency, totals.income, totals.costs, totals.net_result) == (
        report.currency,
        report.income,
        report.costs,
        report.net_result,
    )
    # The two shared expenses are the members' costs, not the event's: apart from its result.
    assert (totals.costs, totals.income, totals.net_result) == ("0.00", "40.00", "40.00")
    assert report.shared_costs == "123.51"


def test_who_may_read_the_report_may_read_its_totals(club: Club) -> None:
    with pytest.raises(PermissionDenied, match="keep the report to themselves"):
        club.ledger(club.ana).report_totals(club.event_id)
    club.ledger(club.owner).change_settings(club.event_id, SettingsUpdate(visibility="members"))
    seen = club.ledger(club.ana).report_totals(club.event_id)
    assert seen.costs == "0.00"
    with pytest.raises(NotFound):
        club.ledger(club.outsider).report_totals(club.event_id)
