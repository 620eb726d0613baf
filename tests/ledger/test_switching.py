"""Switching from another app: each app's real export imported as it comes, names matched or
added as guests, a preview that stores nothing, balances equal to the app's own to the cent,
bad files refused in the person's language, organizers only; and the export ihatemoney reads."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import func, select

from tests.ledger.conftest import Club
from tripbot.ledger.client import LedgerClient as L
from tripbot.ledger.formats import recognise
from tripbot.ledger.models import Entry
from tripbot.ledger.schemas import AppImportQuery, AppImportReport
from tripbot.platform.errors import InvalidInput, NotFound, PermissionDenied
from tripbot.platform.operations import Upload

FIXTURES = Path(__file__).parent / "fixtures" / "imports"
EXPORTS = {
    # file: (format, the app's own balances: None where the file has them)
    "ihatemoney-7.2.1-bills.json": ("ihatemoney-json", "ihatemoney-7.2.1-balances.json"),
    "ihatemoney-7.2.1-bills.csv": ("ihatemoney-csv", "ihatemoney-7.2.1-balances.json"),
    "splitwise-export.csv": ("splitwise-csv", None),
    "spliit-export.json": ("spliit-json", "spliit-balances.json"),
    # Its columns' sums: the reimbursement whose payer the CSV does not say is left out.
    "spliit-export.csv": ("spliit-csv", None),
    "cospend-export.csv": ("cospend-csv", "cospend-balances.json"),
}


def _import(club: Club, name: str, *, dry_run: bool, weights: str = "") -> AppImportReport:
    raw = (FIXTURES / name).read_bytes()
    return club.call(
        L.import_from_app,
        club.owner,
        Upload(name, raw),
        AppImportQuery(dry_run=dry_run, weights=weights),
    )


def _balances(club: Club) -> dict[str, Decimal]:
    return {m.name: Decimal(m.balance) for m in club.call(L.balances, club.owner).members}


def _entries(club: Club) -> int:
    with club.uow() as uow:
        return int(uow.session.scalar(select(func.count()).select_from(Entry)) or 0)


def _source(report: AppImportReport, balances_file: str | None) -> dict[str, Decimal]:
    """The app's own balance per person, by the name the ledger now has for them."""
    if balances_file is None:
        return {p.member_name or p.name: Decimal(str(p.source)) for p in report.people}
    written = json.loads((FIXTURES / balances_file).read_text(), parse_float=Decimal)
    by_file_name = {p.name: p.member_name or p.name for p in report.people}
    return {by_file_name[name]: Decimal(str(value)) for name, value in written.items()}


@pytest.mark.parametrize("name", sorted(EXPORTS))
def test_each_apps_export_imports_with_its_balances_to_the_cent(club: Club, name: str) -> None:
    app, balances_file = EXPORTS[name]
    weights = "Pablo=2" if app.startswith("ihatemoney") else ""
    preview = _import(club, name, dry_run=True, weights=weights)
    assert (preview.format, preview.dry_run, preview.created) == (app, True, 0)
    assert _entries(club) == 0  # looking stores nothing
    assert preview.carried + preview.left_out == len(preview.lines)
    done = _import(club, name, dry_run=False, weights=weights)
    assert done.created == done.carried == preview.carried
    assert all(line.entry_id for line in done.lines if not line.problems)
    after = {p.member_name or p.name: Decimal(p.after) for p in preview.people}
    ledger = _balances(club)
    source = _source(preview, balances_file)
    assert {n: ledger[n] for n in source} == source  # to the cent
    assert {n: ledger[n] for n in after} == after  # the preview said so
    assert sum(ledger.values()) == 0


def test_names_match_members_whatever_their_case_and_accents_or_become_guests(
    club: Club,
) -> None:
    preview = _import(club, "ihatemoney-7.2.1-bills.csv", dry_run=True)
    people = {p.name: (p.member_name, p.guest) for p in preview.people}
    assert people == {
        "Olga": ("Olga", False),
        "Óscar": ("Óscar", False),
        "ana": ("Ana", False),
        "BRUNO": ("Bruno", False),
        "Marta": (None, True),
        "Pablo": (None, True),
    }
    spliit = _import(club, "spliit-export.json", dry_run=True)
    assert {p.name: p.member_name for p in spliit.people}["Oscar"] == "Óscar"
    done = _import(club, "ihatemoney-7.2.1-bills.csv", dry_run=False, weights="pablo=2")
    guests = {m.display_name for m in club.town.seen_by(club.owner.principal).members(7)}
    assert {"Marta", "Pablo"} <= guests
    assert done.created == 9
    again = _import(club, "ihatemoney-7.2.1-bills.csv", dry_run=True)
    assert not any(p.guest for p in again.people)  # the guests are members now


def test_a_weight_the_file_does_not_say_is_asked_for_and_changes_the_balances(
    club: Club,
) -> None:
    unset = _import(club, "ihatemoney-7.2.1-bills.json", dry_run=True)
    pablo = next(p for p in unset.people if p.name == "Pablo")
    assert (pablo.weight, pablo.weight_known) == ("1", False)  # ihatemoney's own importer's 1
    oscar = next(p for p in unset.people if p.name == "Óscar")
    assert (oscar.weight, oscar.weight_known) == ("2.0", True)  # from his payer_weight
    assert pablo.after != "-132.45"  # what ihatemoney says, with his real weight of 2
    set_ = _import(club, "ihatemoney-7.2.1-bills.json", dry_run=True, weights="Pablo = 2")
    pablo = next(p for p in set_.people if p.name == "Pablo")
    assert (pablo.weight, pablo.weight_known, pablo.after) == ("2", True, "-132.45")


def test_the_preview_says_what_each_line_becomes_and_what_cannot_be_carried_over(
    club: Club,
) -> None:
    spliit = _import(club, "spliit-export.csv", dry_run=True)
    left = [line for line in spliit.lines if line.problems]
    assert [(line.line, line.problems[0].message) for line in left] == [
        (8, "the file does not say who paid it")
    ]
    assert spliit.left_out == 1
    first = spliit.lines[0]
    assert (first.kind, first.amount, first.paid[0].name) == ("expense", "84.37", "Olga")
    assert sum(Decimal(s.amount) for s in first.shares) == Decimal("84.37")
    cospend = _import(club, "cospend-export.csv", dry_run=True)
    trash = next(line for line in cospend.lines if line.description == "Cena repetida")
    assert trash.problems[0].message == "it is in Cospend's trash"
    refund = next(line for line in cospend.lines if line.description == "Ana devuelve a Olga")
    assert (refund.kind, refund.paid[0].name, refund.shares[0].name) == ("transfer", "Ana", "Olga")
    splitwise = _import(club, "splitwise-export.csv", dry_run=True)
    assert {p.name: p.source for p in splitwise.people}["Óscar"] == "105.93"
    assert all(p.agrees for p in splitwise.people)
    # The lines are within the event's dates; one far outside is left out, and said why.
    text = (FIXTURES / "splitwise-export.csv").read_text().replace("2027-04-30", "2020-04-30")
    moved = club.call(
        L.import_from_app, club.owner, Upload("s.csv", text.encode()), AppImportQuery()
    )
    assert moved.lines[0].problems[0].field == "date"
    assert "far outside the event" in moved.lines[0].problems[0].message


def test_a_file_that_is_no_known_export_is_told_which_formats_are_known(club: Club) -> None:
    for raw in (
        b"date,description,amount\n2027-05-01,pan,3\n",  # TripBot's own columns: another page
        b'{"bills": []}',
        b"[1, 2",
        b"",
        "\u00e1\u00e9\u00ed".encode("utf-16"),
    ):
        with pytest.raises(InvalidInput) as refused:
            club.call(L.import_from_app, club.owner, Upload("x", raw), AppImportQuery())
        assert "ihatemoney (CSV), ihatemoney (JSON), Splitwise (CSV)" in str(refused.value)
        assert refused.value.extensions["field"] == "file"
        assert "first line" not in str(refused.value)
    assert str(refused.value.message) == (
        "this file is not an export TripBot knows; it reads {formats}"
    )
    assert _entries(club) == 0


def test_bad_numbers_and_weights_are_refused_and_nothing_is_stored(club: Club) -> None:
    bad = b'[{"what": "x", "amount": "lots", "date": "2027-05-01", "payer_name": "Ana",' + (
        b' "payer_weight": 1, "owers": ["Ana"]}]'
    )
    with pytest.raises(InvalidInput, match="'lots' is not a number"):
        club.call(L.import_from_app, club.owner, Upload("x.json", bad), AppImportQuery())
    for weights, said in (
        ("Nadie=2", "'Nadie' is not a name in the file"),
        ("Pablo=0", "must be a number above 0"),
        ("Pablo=x", "must be a number above 0"),
    ):
        with pytest.raises(InvalidInput, match=said):
            _import(club, "ihatemoney-7.2.1-bills.json", dry_run=True, weights=weights)
    only_trash = (
        b'name,weight,active,color\n"Ana",1,1,"#000000"\n\nwhat,amount,date,timestamp,'
        b'payer_name,payer_weight,payer_active,owers,deleted\n"x",5,2027-05-01,1,"Ana",1,1,'
        b'"Ana",1\n'
    )
    with pytest.raises(InvalidInput, match="nothing in this file can be carried over"):
        club.call(
            L.import_from_app,
            club.owner,
            Upload("c.csv", only_trash),
            AppImportQuery(dry_run=False),
        )
    assert _entries(club) == 0


def test_only_organizers_import(club: Club) -> None:
    raw = (FIXTURES / "splitwise-export.csv").read_bytes()
    with pytest.raises(PermissionDenied):
        club.call(L.import_from_app, club.ana, Upload("s.csv", raw), AppImportQuery())
    with pytest.raises(NotFound):
        club.call(L.import_from_app, club.outsider, Upload("s.csv", raw), AppImportQuery())
    assert (
        club.call(L.import_from_app, club.organizer, Upload("s.csv", raw), AppImportQuery()).carried
        == 5
    )


def test_a_retried_import_with_its_key_stores_once(club: Club) -> None:
    raw = (FIXTURES / "cospend-export.csv").read_bytes()
    query = AppImportQuery(dry_run=False)
    first = club.call(L.import_from_app, club.owner, Upload("c.csv", raw), query, "key-1")
    again = club.call(L.import_from_app, club.owner, Upload("c.csv", raw), query, "key-1")
    assert again == first
    assert _entries(club) == first.created == 6


def test_the_readers_tell_formats_by_content_not_by_name() -> None:
    apps = {name: recognise((FIXTURES / name).read_bytes()).app for name in EXPORTS}
    assert apps == {name: app for name, (app, _) in EXPORTS.items()}
    assert recognise((FIXTURES / "spliit-export.csv").read_bytes()).app == "spliit-csv"


def test_the_ihatemoney_export_moves_every_balance_as_the_ledger_does(club: Club) -> None:
    club.record(club.ana, amount="10.00", description="cena")  # 2.50 each of four: one bill
    club.record(club.bruno, amount="10.01", description="cena")  # 2.51 and 3 of 2.50: two bills
    club.record(
        club.owner,
        kind="purchase",
        amount="100",
        paid_by=[{"party": club.ana.id, "amount": "60"}, {"party": "treasury", "amount": "40"}],
        split={"method": "shares", "among": [{"user_id": club.bruno.id, "value": "1"}]},
    )
    club.record(
        club.owner,
        kind="transfer",
        amount="7.25",
        paid_by=[{"party": club.bruno.id}],
        received_by=[{"party": club.ana.id}],
    )
    club.record(club.owner, kind="sale", amount="30", received_by=[{"party": club.owner.id}])
    bills = json.loads(club.call(L.export_ihatemoney, club.owner).content)
    dinners = sorted((len(b["owers"]), b["amount"]) for b in bills if b["what"] == "cena")
    assert dinners == [(1, 2.51), (3, 7.5), (4, 10.0)]  # equal parts owe one bill together
    moved: dict[str, Decimal] = {}
    for bill in bills:
        amount = Decimal(str(bill["amount"]))
        assert bill["payer_weight"] == 1.0
        moved[bill["payer_name"]] = moved.get(bill["payer_name"], Decimal(0)) + amount
        for ower in bill["owers"]:
            moved[ower] = moved.get(ower, Decimal(0)) - amount / len(bill["owers"])
    balances = club.call(L.balances, club.owner)
    ours = {m.name: Decimal(m.balance) for m in balances.members}
    assert {n: moved.get(n, Decimal(0)) for n in ours} == ours
    assert moved["Treasury"] == -sum(ours.values())
