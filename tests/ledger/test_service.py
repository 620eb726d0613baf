"""The ledger's use cases over a real database (both backends), the events service stood in for."""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from tests.ledger.conftest import Club
from tripbot.ledger.client import LedgerClient as L
from tripbot.ledger.models import AuditRecord, Entry, Leg, Revision, outbox
from tripbot.ledger.schemas import (
    BudgetUpdate,
    EntryCorrection,
    EntryQuery,
    ImportQuery,
    PageQuery,
    Reversal,
    SettingsUpdate,
    SettlementRecord,
)
from tripbot.ledger.service import balances as balance_cases
from tripbot.platform.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from tripbot.platform.identity import Principal
from tripbot.platform.operations import Call, Upload


def _count(club: Club, model: Any) -> int:
    with club.uow() as uow:
        return int(uow.session.scalar(select(func.count()).select_from(model)) or 0)


def _topics(club: Club) -> list[str]:
    with club.uow() as uow:
        return list(uow.session.scalars(select(outbox.c.topic).order_by(outbox.c.id)))


def _balances(club: Club, person: Any = None) -> dict[int | str, Decimal]:
    sums = club.call(L.balances, person or club.owner)
    found: dict[int | str, Decimal] = {m.user_id: Decimal(m.balance) for m in sums.members}
    if sums.complete:
        found["treasury"] = Decimal(sums.treasury or "0")
        found["event"] = Decimal(sums.event or "0")
        assert Decimal(sums.total or "x") == 0
        assert sum(found.values()) == 0
    return found


# ---- recording --------------------------------------------------------------------------------


def test_an_expense_recorded_bare_is_shared_by_everyone_and_recorded_everywhere(
    club: Club,
) -> None:
    entry = club.record(club.ana)
    assert (entry.kind, entry.amount, entry.currency, entry.revision, entry.state) == (
        "expense",
        "23.50",
        "EUR",
        1,
        "active",
    )
    assert [p.party for p in entry.paid_by] == [club.ana.id]
    assert entry.split is not None
    assert entry.split.method == "equal"
    assert sum(Decimal(s.amount) for s in entry.split.among) == Decimal("23.50")
    assert {s.user_id for s in entry.split.among} == {
        club.owner.id,
        club.organizer.id,
        club.ana.id,
        club.bruno.id,
    }
    assert _balances(club)[club.ana.id] == Decimal("17.63")  # the extra cent goes to the first
    assert club.legs_total() == 0
    assert _topics(club) == ["entry.recorded"]
    with club.uow() as uow:
        payload = uow.session.scalar(select(outbox.c.payload))
    assert payload is not None
    assert {
        k: payload[k] for k in ("event_id", "entry_id", "kind", "amount", "currency", "by")
    } == {
        "event_id": club.event_id,
        "entry_id": entry.id,
        "kind": "expense",
        "amount": "23.50",
        "currency": "EUR",
        "by": club.ana.id,
    }
    assert payload["by_name"] == payload["paid_by"][0]
    assert _count(club, AuditRecord) == 1


def test_balances_of_every_kind_of_entry_sum_to_zero(club: Club) -> None:
    club.record(club.owner, kind="sponsorship", amount="300", received_by=[{"party": club.ana.id}])
    club.record(club.owner, kind="purchase", amount="120", paid_by=[{"party": "treasury"}])
    club.record(club.organizer, kind="investment", amount="50", received_by=[{"party": "treasury"}])
    club.record(club.owner, kind="sale", amount="40", received_by=[{"party": club.bruno.id}])
    club.record(club.owner, kind="donation", amount="500", in_kind=True, counterparty="Decathlon")
    club.record(club.bruno, amount="30", split={"among": [{"user_id": club.ana.id}]})
    club.record(
        club.owner,
        kind="transfer",
        amount="100",
        paid_by=[{"party": club.ana.id}],
        received_by=[{"party": "treasury"}],
    )
    balances = _balances(club)
    assert balances[club.ana.id] == Decimal("-300") + 100 - 30
    assert balances[club.bruno.id] == Decimal("-40") + 30
    assert balances["treasury"] == Decimal(120) - 50 - 100
    assert balances["event"] == Decimal(300) - 120 + 50 + 40


def test_several_payers_and_a_foreign_currency(club: Club) -> None:
    entry = club.record(
        club.owner,
        kind="purchase",
        amount="30.00",
        currency="USD",
        rate="0.92",
        paid_by=[{"party": club.ana.id, "amount": "10"}, {"party": club.bruno.id, "amount": "20"}],
        split={
            "method": "shares",
            "among": [
                {"user_id": club.ana.id, "value": "1"},
                {"user_id": club.bruno.id, "value": "2"},
            ],
        },
    )
    assert (entry.amount, entry.currency, entry.rate, entry.book_amount) == (
        "30.00",
        "USD",
        "0.92",
        "27.60",
    )
    assert [(p.amount, p.book_amount) for p in entry.paid_by] == [
        ("10.00", "9.20"),
        ("20.00", "18.40"),
    ]
    balances = _balances(club)
    assert balances[club.ana.id] == balances[club.bruno.id] == 0


def test_a_split_among_people_who_are_not_members_names_them_and_stores_nothing(
    club: Club,
) -> None:
    with pytest.raises(InvalidInput, match=f"user {club.outsider.id} is not a member") as raised:
        club.record(club.owner, split={"among": [{"user_id": club.outsider.id}]})
    assert raised.value.extensions["field"] == "split.among"
    assert _count(club, Entry) == _count(club, Leg) == 0
    assert _topics(club) == []


# ---- corrections and reversals -----------------------------------------------------------------


def test_a_correction_is_a_new_revision_that_says_who_changed_what(club: Club) -> None:
    entry = club.record(club.ana)
    corrected = club.call(
        L.correct_entry,
        club.organizer,
        entry.id,
        EntryCorrection(amount="30.00", category="transport", reason="the ticket said 30"),
    )
    assert (corrected.revision, corrected.amount, corrected.updated_by) == (
        2,
        "30.00",
        club.organizer.id,
    )
    assert corrected.created_by == club.ana.id
    detail = club.call(L.entry, club.owner, entry.id)
    assert [r.action for r in detail.revisions] == ["created", "corrected"]
    assert detail.revisions[1].changes["amount"] == ["23.50 EUR", "30.00 EUR"]
    assert detail.revisions[1].changes["category"] == ["", "transport"]
    assert detail.revisions[1].reason == "the ticket said 30"
    assert sum(Decimal(leg.amount) for leg in detail.legs) == 0
    assert _balances(club)[club.ana.id] == Decimal("22.50")
    with club.uow() as uow:
        reversal = uow.session.scalar(select(func.count()).where(Leg.reversal.is_(True)))
    assert reversal == 4
    assert club.legs_total() == 0
    assert _topics(club) == ["entry.recorded", "entry.corrected"]


def test_a_correction_that_changes_nothing_is_refused(club: Club) -> None:
    entry = club.record(club.ana)
    with pytest.raises(Conflict, match="changes nothing"):
        club.call(L.correct_entry, club.owner, entry.id, EntryCorrection(amount="23.5"))
    assert _count(club, Revision) == 1


def test_changing_the_kind_drops_what_the_new_kind_has_no_use_for(club: Club) -> None:
    entry = club.record(club.owner, kind="purchase", paid_by=[{"party": "treasury"}])
    sale = club.call(
        L.correct_entry,
        club.owner,
        entry.id,
        EntryCorrection(kind="sale", received_by=[{"party": "treasury"}]),
    )
    assert (sale.kind, sale.paid_by, [p.party for p in sale.received_by]) == (
        "sale",
        [],
        ["treasury"],
    )
    assert _balances(club)["event"] == Decimal("23.50")


def test_a_correction_may_keep_someone_who_has_left_the_event(club: Club) -> None:
    entry = club.record(club.owner, amount="20", split={"among": [{"user_id": club.bruno.id}]})
    club.leave(club.bruno)
    corrected = club.call(L.correct_entry, club.owner, entry.id, EntryCorrection(amount="25"))
    assert corrected.split is not None
    assert corrected.split.among[0].user_id == club.bruno.id
    balances = _balances(club)
    assert balances[club.bruno.id] == Decimal(-25)


def test_a_reversal_undoes_an_entry_and_keeps_its_history(club: Club) -> None:
    entry = club.record(club.ana)
    reversed_ = club.call(L.reverse_entry, club.owner, entry.id, Reversal(reason="twice"))
    assert (reversed_.state, reversed_.revision, reversed_.amount) == ("reversed", 2, "23.50")
    assert set(_balances(club).values()) == {0}
    assert club.legs_total() == 0
    with pytest.raises(Conflict, match="was reversed"):
        club.call(L.reverse_entry, club.owner, entry.id, Reversal())
    with pytest.raises(Conflict, match="was reversed"):
        club.call(L.correct_entry, club.owner, entry.id, EntryCorrection(amount="1"))
    detail = club.call(L.entry, club.owner, entry.id)
    assert [r.action for r in detail.revisions] == ["created", "reversed"]
    assert detail.revisions[1].reason == "twice"
    active = club.call(L.entries, club.owner, EntryQuery())
    everything = club.call(L.entries, club.owner, EntryQuery(state="all"))
    assert (active.total, everything.total) == (0, 1)
    trail = club.call(L.audit, club.owner, PageQuery())
    assert [a.action for a in trail.items] == ["entry.reversed", "entry.recorded"]


# ---- who may do what -----------------------------------------------------------------------------


def test_participants_record_their_own_expenses_and_correct_only_those(club: Club) -> None:
    mine = club.record(club.ana)
    theirs = club.record(club.bruno)
    club.call(L.correct_entry, club.ana, mine.id, EntryCorrection(description="diesel"))
    with pytest.raises(PermissionDenied, match="only the entries they recorded"):
        club.call(L.correct_entry, club.ana, theirs.id, EntryCorrection(description="x"))
    with pytest.raises(PermissionDenied, match="only the entries they recorded"):
        club.call(L.reverse_entry, club.ana, theirs.id, Reversal())
    with pytest.raises(PermissionDenied, match="only shared expenses"):
        club.record(club.ana, kind="purchase")
    with pytest.raises(PermissionDenied, match="organizer"):
        club.call(L.set_budget, club.ana, BudgetUpdate(lines=[]))
    with pytest.raises(PermissionDenied, match="organizer"):
        club.call(L.settle_up, club.ana, SettlementRecord())
    assert _count(club, Entry) == 2


def test_participants_see_what_involves_them_until_the_report_is_shared(club: Club) -> None:
    club.record(
        club.ana, split={"among": [{"user_id": club.ana.id}, {"user_id": club.organizer.id}]}
    )
    club.record(club.owner, kind="purchase", paid_by=[{"party": "treasury"}])
    own = club.call(L.balances, club.bruno)
    assert (own.complete, own.treasury, [m.user_id for m in own.members]) == (
        False,
        None,
        [club.bruno.id],
    )
    assert club.call(L.entries, club.bruno, EntryQuery()).total == 0
    assert club.call(L.entries, club.ana, EntryQuery()).total == 1
    for use_case in (L.report, L.budget, L.export_json):
        with pytest.raises(PermissionDenied, match="keep the"):
            club.call(use_case, club.ana)
    with pytest.raises(PermissionDenied, match="keep the"):
        club.call(L.audit, club.ana, PageQuery())

    club.call(L.change_settings, club.owner, SettingsUpdate(visibility="members"))
    assert club.call(L.balances, club.bruno).complete
    assert club.call(L.entries, club.bruno, EntryQuery()).total == 2
    shared = club.call(L.report, club.bruno)
    assert (shared.costs, shared.shared_costs) == ("23.50", "23.50")
    assert "ledger.settings_changed" in _topics(club)


def test_people_outside_the_event_find_nothing(club: Club) -> None:
    entry = club.record(club.owner)
    stranger = Principal(user_id=club.outsider.id)
    elsewhere = Principal(user_id=club.owner.id, event_id=club.event_id + 1, event_role="owner")
    for principal in (stranger, elsewhere):
        with pytest.raises(NotFound):
            L.entry(Call(principal, club.runtime), club.event_id, entry.id)
        with pytest.raises(NotFound):
            L.balances(Call(principal, club.runtime), club.event_id)
    with pytest.raises(NotFound, match="no entry"):
        club.call(L.entry, club.owner, entry.id + 1000)


# ---- idempotency ---------------------------------------------------------------------------------


def test_a_retried_request_records_once_and_gets_the_same_answer(club: Club) -> None:
    first = club.record(club.ana, key="bot-update-1")
    again = club.record(club.ana, key="bot-update-1")
    assert again == first
    assert _count(club, Entry) == 1
    other = club.record(club.bruno, key="bot-update-1")
    assert other.id != first.id
    with pytest.raises(InvalidInput, match="already used for a different request"):
        club.record(club.ana, key="bot-update-1", amount="99")
    assert _count(club, Entry) == 2


def test_a_retried_settlement_or_correction_changes_things_once(club: Club) -> None:
    entry = club.record(club.ana)
    fix = EntryCorrection(amount="25")
    first = club.call(L.correct_entry, club.owner, entry.id, fix, key="k")
    assert club.call(L.correct_entry, club.owner, entry.id, fix, key="k") == first
    settled = club.call(L.settle_up, club.owner, SettlementRecord(), key="s")
    assert club.call(L.settle_up, club.owner, SettlementRecord(), key="s") == settled
    assert _count(club, Revision) == 2 + len(settled.entry_ids)


# ---- settlement --------------------------------------------------------------------------------


def test_recording_the_suggested_transfers_brings_every_member_to_zero(club: Club) -> None:
    club.record(club.ana, amount="100")
    club.record(club.bruno, amount="40", split={"among": [{"user_id": club.ana.id}]})
    club.record(club.owner, kind="sponsorship", amount="50", received_by=[{"party": club.bruno.id}])
    suggestion = club.call(L.settlement, club.owner)
    assert suggestion.complete
    shown = [
        {"payer": t.payer.party, "payee": t.payee.party, "amount": t.amount}
        for t in suggestion.transfers
    ]
    recorded = club.call(
        L.settle_up, club.owner, SettlementRecord.model_validate({"transfers": shown})
    )
    assert recorded.transfers == suggestion.transfers
    balances = _balances(club)
    assert {balances[p.id] for p in (club.owner, club.organizer, club.ana, club.bruno)} == {0}
    assert balances["treasury"] == -balances["event"] == Decimal(-50)
    assert club.call(L.settlement, club.owner).transfers == []
    with pytest.raises(Conflict, match="settled already"):
        club.call(L.settle_up, club.owner, SettlementRecord())
    assert "settlement.recorded" in _topics(club)


def test_transfers_that_are_no_longer_the_suggestion_are_not_recorded(club: Club) -> None:
    club.record(club.ana, amount="100")
    stale = club.call(L.settlement, club.owner)
    club.record(club.bruno, amount="10")
    shown = [
        {"payer": t.payer.party, "payee": t.payee.party, "amount": t.amount}
        for t in stale.transfers
    ]
    entries = _count(club, Entry)
    with pytest.raises(Conflict, match="balances changed"):
        club.call(L.settle_up, club.owner, SettlementRecord.model_validate({"transfers": shown}))
    assert _count(club, Entry) == entries


def test_participants_see_the_transfers_that_involve_them(club: Club) -> None:
    club.record(club.ana, amount="40")
    mine = club.call(L.settlement, club.bruno)
    assert not mine.complete
    assert [(t.payer.party, t.payee.party, t.amount) for t in mine.transfers] == [
        (club.bruno.id, club.ana.id, "10.00")
    ]


parties = st.sampled_from(["owner", "organizer", "ana", "bruno", "treasury"])
random_entries = st.lists(
    st.fixed_dictionaries(
        {
            "kind": st.sampled_from(["expense", "purchase", "sale", "sponsorship", "transfer"]),
            "cents": st.integers(min_value=1, max_value=10**7),
            "payer": parties,
            "other": st.sampled_from(["owner", "organizer", "ana", "bruno"]),
            "split": st.lists(
                st.sampled_from(["owner", "organizer", "ana", "bruno"]), min_size=1, unique=True
            ),
            "method": st.sampled_from(["equal", "shares", "percent"]),
            "correct": st.sampled_from([None, "amount", "reverse"]),
        }
    ),
    min_size=1,
    max_size=5,
)


def _party(club: Club, name: str) -> int | str:
    return name if name == "treasury" else getattr(club, name).id


def _record_random(club: Club, e: dict[str, Any]) -> None:
    amount = f"{e['cents'] // 100}.{e['cents'] % 100:02d}"
    body: dict[str, Any] = {"kind": e["kind"], "amount": amount}
    payer = {"party": _party(club, e["payer"])}
    if e["kind"] in ("expense", "purchase"):
        body["paid_by"] = [payer]
        split = [{"user_id": _party(club, n)} for n in e["split"]]
        if e["method"] == "shares":
            split = [{**part, "value": str(i + 1)} for i, part in enumerate(split)]
        if e["method"] == "percent":
            split = [{**part, "value": "0"} for part in split]
            split[0]["value"] = "100"
        body["split"] = {"method": e["method"], "among": split}
    elif e["kind"] == "transfer":
        if payer["party"] == _party(club, e["other"]):
            return
        body.update(paid_by=[payer], received_by=[{"party": _party(club, e["other"])}])
    else:
        body["received_by"] = [payer]
    entry = club.record(club.owner, **body)
    if e["correct"] == "amount":
        fix = EntryCorrection(amount=f"{e['cents'] // 50}.{e['cents'] % 100:02d}")
        if fix.amount != amount:
            club.call(L.correct_entry, club.organizer, entry.id, fix)
    elif e["correct"] == "reverse":
        club.call(L.reverse_entry, club.organizer, entry.id, Reversal())


def test_balances_sum_to_zero_and_settle_to_zero_whatever_is_recorded(club: Club) -> None:
    @settings(
        max_examples=12,
        deadline=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    )
    @given(random_entries)
    def check(entries: list[dict[str, Any]]) -> None:
        # Entries pile up in the same event from example to example: the rules hold anyway.
        for e in entries:
            _record_random(club, e)
        _balances(club)
        assert club.legs_total() == 0
        with club.uow() as uow:
            per_revision = uow.session.execute(
                select(Leg.revision_id, func.sum(Leg.amount)).group_by(Leg.revision_id)
            ).all()
        assert {int(total) for _, total in per_revision} <= {0}
        if club.call(L.settlement, club.owner).transfers:
            club.call(L.settle_up, club.owner, SettlementRecord())
        after = _balances(club)
        assert {after[p.id] for p in (club.owner, club.organizer, club.ana, club.bruno)} <= {0}

    check()


# ---- budget, report, audit ----------------------------------------------------------------------


def test_the_report_sets_the_budget_against_what_was_spent_and_earned(club: Club) -> None:
    budget = BudgetUpdate.model_validate(
        {
            "lines": [
                {"kind": "purchase", "category": "food", "planned": "200"},
                {"kind": "sponsorship", "category": "", "planned": "500"},
                {"kind": "expense", "category": "transport", "planned": "0"},
            ]
        }
    )
    saved = club.call(L.set_budget, club.owner, budget)
    assert [line.planned for line in saved.lines] == ["0.00", "200.00", "500.00"]
    club.record(
        club.owner, kind="purchase", amount="150", category="food", paid_by=[{"party": "treasury"}]
    )
    club.record(
        club.owner,
        kind="purchase",
        amount="80.50",
        category="food",
        paid_by=[{"party": club.ana.id}],
    )
    club.record(club.owner, kind="sponsorship", amount="600", received_by=[{"party": "treasury"}])
    club.record(club.owner, kind="investment", amount="100", received_by=[{"party": "treasury"}])
    club.record(club.owner, kind="donation", amount="70", in_kind=True)
    reversed_ = club.record(
        club.owner, kind="sale", amount="999", received_by=[{"party": "treasury"}]
    )
    club.call(L.reverse_entry, club.owner, reversed_.id, Reversal())
    report = club.call(L.report, club.owner)
    lines = {(c.kind, c.category): (c.planned, c.actual, c.difference) for c in report.categories}
    assert lines[("purchase", "food")] == ("200.00", "230.50", "30.50")
    assert lines[("sponsorship", "")] == ("500.00", "600.00", "100.00")
    assert lines[("expense", "transport")] == ("0.00", "0.00", "0.00")
    assert lines[("investment", "")] == (None, "100.00", None)
    assert (report.income, report.costs, report.net_result) == ("600.00", "230.50", "369.50")
    assert (report.investments, report.in_kind) == ("100.00", "70.00")
    cash = {h.party: h.cash for h in report.cash}
    assert cash == {"treasury": "550.00", club.ana.id: "-80.50"}
    assert report.cash_total == "469.50"
    assert report.over_time[-1].cash == "469.50"
    totals = {t.kind: (t.total, t.count) for t in report.totals}
    assert totals["purchase"] == ("230.50", 2)
    assert "sale" not in totals
    with pytest.raises(InvalidInput, match="already planned above"):
        club.call(
            L.set_budget,
            club.owner,
            BudgetUpdate.model_validate(
                {"lines": [{"kind": "sale", "planned": "1"}, {"kind": "sale", "planned": "2"}]}
            ),
        )
    with pytest.raises(InvalidInput, match="at most 2 decimals"):
        club.call(
            L.set_budget,
            club.owner,
            BudgetUpdate.model_validate({"lines": [{"kind": "sale", "planned": "1.001"}]}),
        )
    assert len(club.call(L.budget, club.owner).lines) == 3


def test_everything_exports_and_a_csv_export_imports_back(club: Club) -> None:
    club.record(club.ana, amount="12.30", category="food", description='=HYPERLINK("x")')
    club.record(
        club.owner,
        kind="purchase",
        amount="100",
        paid_by=[{"party": club.ana.id, "amount": "60"}, {"party": "treasury", "amount": "40"}],
        split={
            "method": "percent",
            "among": [
                {"user_id": club.ana.id, "value": "25"},
                {"user_id": club.bruno.id, "value": "75"},
            ],
        },
    )
    exported = club.call(L.export_json, club.owner)
    assert [len(e.revisions) for e in exported.entries] == [1, 1]
    assert exported.balances.total == "0.00"
    text = club.call(L.export_csv, club.owner).content.decode()
    assert "'=HYPERLINK" in text  # a spreadsheet will not run it
    before = _balances(club)
    report = club.call(L.import_csv, club.owner, Upload("ledger.csv", text.encode()), ImportQuery())
    assert report.created == 2
    after = _balances(club)
    assert {k: after[k] - before[k] for k in before} == dict(before.items())
    descriptions = {e.description for e in club.call(L.entries, club.owner, EntryQuery()).items}
    assert descriptions == {'=HYPERLINK("x")', "fuel"}


def test_an_import_with_bad_lines_stores_nothing_and_says_where(club: Club) -> None:
    ana = club.ana.name
    text = (
        "date;kind;description;amount;paid_by;split\n"
        f"01/05/2027;gasto;Gasolina;23,50;{ana};\n"
        "2027-05-01;compra;Pan;-3;;\n"
        f"2027-05-01;expense;Agua;10.001;{ana};Nobody\n"
        "2027-05-01;expense;;5;;\n"
    )
    with pytest.raises(
        InvalidInput, match="3 of 4 lines have problems, nothing was imported"
    ) as raised:
        club.call(L.import_csv, club.owner, Upload("bad.csv", text.encode()), ImportQuery())
    lines = {
        line["line"]: {e["field"]: e["message"] for e in line["errors"]}
        for line in raised.value.extensions["lines"]
    }
    assert set(lines) == {3, 4, 5}
    assert "more than zero" in lines[3]["amount"]
    assert "'Nobody' is not a member" in lines[4]["split"]
    assert "description" in lines[5]
    assert _count(club, Entry) == 0
    dry = club.call(
        L.import_csv,
        club.owner,
        Upload("good.csv", text.split("\n", 2)[0].encode() + b"\n" + text.split("\n")[1].encode()),
        ImportQuery(dry_run=True),
    )
    assert (dry.dry_run, dry.created, len(dry.lines)) == (True, 0, 1)
    assert _count(club, Entry) == 0


# ---- concurrency ---------------------------------------------------------------------------------


def _race(calls: list[Callable[[], object]]) -> list[object]:
    def attempt(call: Callable[[], object]) -> object:
        try:
            return call()
        except Exception as error:
            return error

    with ThreadPoolExecutor(max_workers=len(calls)) as pool:
        return list(pool.map(attempt, calls))


def test_two_organizers_settling_at_once_record_the_transfers_once(
    club: Club, monkeypatch: pytest.MonkeyPatch
) -> None:
    club.record(club.ana, amount="100")
    barrier = threading.Barrier(2)
    suggest = balance_cases.suggested

    def slow_suggest(*args: Any) -> Any:
        found = suggest(*args)
        with contextlib.suppress(threading.BrokenBarrierError):
            barrier.wait(0.4)
        return found

    monkeypatch.setattr(balance_cases, "suggested", slow_suggest)
    results = _race(
        [
            lambda: club.call(L.settle_up, club.owner, SettlementRecord()),
            lambda: club.call(L.settle_up, club.organizer, SettlementRecord()),
        ]
    )
    refused = [r for r in results if isinstance(r, Conflict)]
    assert len(refused) == 1, results
    assert {_balances(club)[p.id] for p in (club.ana, club.bruno)} == {0}


def test_the_same_key_sent_twice_at_once_records_once(club: Club) -> None:
    results = _race(
        [lambda: club.record(club.ana, key="same"), lambda: club.record(club.ana, key="same")]
    )
    entries = [r for r in results if not isinstance(r, Exception)]
    assert entries, results
    assert all(e == entries[0] for e in entries), results
    assert all(isinstance(r, Conflict) for r in results if isinstance(r, Exception)), results
    assert _count(club, Entry) == 1
