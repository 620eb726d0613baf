"""What people read is said in their language: settle-ups stored as a code, numbers in the
reader's way, the report telling the balances' story, exports a spreadsheet opens."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from tests.ledger.conftest import Club
from tripbot.ledger.client import LedgerClient as L
from tripbot.ledger.models import Revision
from tripbot.ledger.schemas import (
    EntryCorrection,
    EntryQuery,
    ExportQuery,
    ImportQuery,
    SettlementRecord,
)
from tripbot.platform.errors import InvalidInput, said_record
from tripbot.platform.language import speaking
from tripbot.platform.operations import Upload


def _settled(club: Club) -> list[int]:
    club.record(club.ana, amount="40", description="Gasolina")
    return club.call(L.settle_up, club.owner, SettlementRecord()).entry_ids


def test_a_settle_up_is_stored_as_a_code_and_said_in_each_readers_language(club: Club) -> None:
    ids = _settled(club)
    with club.uow() as uow:
        stored = uow.session.execute(
            select(Revision.description, Revision.code).where(Revision.entry_id.in_(ids))
        ).all()
    assert {tuple(row) for row in stored} == {("", "settle-up")}
    for language, words in (("es", "Pago al saldar cuentas"), ("en", "Settle-up payment")):
        with speaking(language):
            entry = club.call(L.entry, club.owner, ids[0])
            csv_text = club.call(L.export_csv, club.owner).content.decode()
        assert (entry.description, entry.code) == (words, "settle-up")
        assert csv_text.count(words) == len(ids)
    # Corrected, it stays a settle-up; given words of its own, it is theirs.
    fixed = club.call(
        L.correct_entry,
        club.owner,
        ids[0],
        EntryCorrection.model_validate({"date": "2027-05-02", "reason": "a day earlier"}),
    )
    assert (fixed.description, fixed.code) == ("Settle-up payment", "settle-up")
    named = club.call(
        L.correct_entry,
        club.owner,
        ids[0],
        EntryCorrection.model_validate({"description": "Bizum a Ana", "reason": "clearer"}),
    )
    assert (named.description, named.code) == ("Bizum a Ana", None)


def test_the_report_tells_the_same_story_as_the_balances(club: Club) -> None:
    club.record(club.owner, kind="sponsorship", amount="180", received_by=[{"party": "treasury"}])
    club.record(club.ana, amount="363.70", description="Cena")
    club.record(
        club.owner,
        kind="purchase",
        amount="20",
        paid_by=[{"party": club.bruno.id}],
        split={"method": "equal", "among": [{"user_id": club.ana.id}, {"user_id": club.bruno.id}]},
    )
    club.record(club.owner, kind="investment", amount="50", received_by=[{"party": "treasury"}])
    balances = club.call(L.balances, club.owner)
    report = club.call(L.report, club.owner)
    totals = club.call(L.report_totals, club.owner)
    # Costs shared among members are theirs: they are in neither the event's costs nor its
    # result, which with the investments is the event's own balance.
    assert (report.income, report.costs, report.shared_costs) == ("180.00", "0.00", "383.70")
    assert report.net_result == totals.net_result == "180.00"
    assert balances.event == "230.00" == report.cash_total
    assert report.over_time[-1].cash == "230.00"
    assert {h.party: h.cash for h in report.cash} == {"treasury": "230.00"}
    # Settling up, members pay each other what the shared costs left owed; the event's cash
    # is still all with the treasury.
    club.call(L.settle_up, club.owner, SettlementRecord())
    after = club.call(L.report, club.owner)
    assert {h.party: h.cash for h in after.cash if h.cash != "0.00"} == {"treasury": "230.00"}
    assert after.cash_total == club.call(L.balances, club.owner).event == "230.00"


@pytest.mark.parametrize(
    ("language", "separator", "amount"), [("es", ";", "12,30"), ("en", ",", "12.30")]
)
def test_the_spreadsheet_export_opens_as_columns_and_imports_back(
    club: Club, language: str, separator: str, amount: str
) -> None:
    club.record(club.ana, amount="12.30", description="Café y ñoquis")
    club.record(
        club.owner,
        kind="purchase",
        amount="1234.50",
        paid_by=[
            {"party": club.ana.id, "amount": "1000"},
            {"party": "treasury", "amount": "234.50"},
        ],
    )
    with speaking(language):
        raw = club.call(L.export_csv, club.owner, ExportQuery(spreadsheet=True)).content
    plain = club.call(L.export_csv, club.owner).content
    assert raw.startswith(b"\xef\xbb\xbf")
    assert not plain.startswith(b"\xef\xbb\xbf")
    text = raw.decode("utf-8-sig")
    header, *rows = text.splitlines()
    assert header.startswith(f"entry_id{separator}revision{separator}date")
    assert "Café y ñoquis" in text
    assert any(f"{separator}{amount}{separator}" in row for row in rows)
    imported = club.call(L.import_csv, club.owner, Upload("es.csv", raw), ImportQuery())
    assert imported.created == 2
    listed = club.call(L.entries, club.owner, EntryQuery()).items
    assert sorted(e.amount for e in listed) == ["12.30", "12.30", "1234.50", "1234.50"]


def test_the_import_reads_a_spreadsheets_amounts_either_way(club: Club) -> None:
    ana = club.ana.name
    text = (
        "\ufeffdate;kind;description;amount;paid_by\n"
        f'01/05/2027;compra;Tienda;"1.234,50";"{ana}=1.000,00; tesorería=234,50"\n'
        f"2027-05-01;compra;Shop;1,234.50;{ana}\n"
    )
    report = club.call(
        L.import_csv, club.owner, Upload("x.csv", text.encode()), ImportQuery(dry_run=True)
    )
    assert [line.errors for line in report.lines] == [[], []]


def test_numbers_in_a_refusal_are_written_the_readers_way(club: Club) -> None:
    with pytest.raises(InvalidInput) as refused:
        club.record(
            club.owner,
            kind="purchase",
            amount="142.50",
            paid_by=[
                {"party": club.ana.id, "amount": "100"},
                {"party": club.bruno.id, "amount": "37.50"},
            ],
        )
    problem = next(e for e in refused.value.extensions["errors"] if e.get("values"))
    assert "137,50" in (said_record(problem, "es") or "")
    assert "142,50" in (said_record(problem, "es") or "")
    assert "137.50" in (said_record(problem, "en") or "")
