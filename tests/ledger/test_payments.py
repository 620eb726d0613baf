"""Payments ("I paid Ana") and the settle-up suggestion naming who keeps the treasury, over a
real database (both backends), the events service stood in for."""

from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import select

from tests.ledger.conftest import Club, Person
from tripbot.ledger.client import LedgerClient as L
from tripbot.ledger.models import AuditRecord, outbox
from tripbot.ledger.schemas import EntryOut, EntryQuery, PaymentCreate
from tripbot.platform.errors import InvalidInput, NotFound
from tripbot.platform.language import speaking


def _balance(club: Club, person: Person) -> Decimal:
    found = club.call(L.balances, club.owner)
    return {m.user_id: Decimal(m.balance) for m in found.members}[person.id]


def _pay(club: Club, payer: Person, to: int | str, amount: str, key: str | None = None) -> EntryOut:
    data = PaymentCreate.model_validate({"to": to, "amount": amount})
    return club.ledger(payer).record_payment(club.event_id, data, key)


def test_a_participant_who_paid_part_of_a_debt_records_it_and_owes_the_rest(club: Club) -> None:
    club.record(club.ana, amount="40")  # Ana is owed 30, each of the other three owes her 10
    assert _balance(club, club.bruno) == Decimal("-10")
    entry = _pay(club, club.bruno, club.ana.id, "6.00")
    assert (entry.kind, entry.amount, entry.code, entry.description) == (
        "transfer",
        "6.00",
        "settle-up",
        "Settle-up payment",
    )
    assert _balance(club, club.bruno) == Decimal("-4")
    assert _balance(club, club.ana) == Decimal("24")
    suggestion = club.call(L.settlement, club.bruno)
    assert [(t.payer.party, t.payee.party, t.amount) for t in suggestion.transfers] == [
        (club.bruno.id, club.ana.id, "4.00")
    ]
    assert club.legs_total() == 0
    with club.uow() as uow:
        topics = list(uow.session.scalars(select(outbox.c.topic).order_by(outbox.c.id)))
        payload = uow.session.scalars(select(outbox.c.payload).order_by(outbox.c.id)).all()[-1]
        actions = list(uow.session.scalars(select(AuditRecord.action)))
    assert topics[-1] == "payment.recorded"
    assert (payload["payer_id"], payload["payee_id"], payload["amount"]) == (
        club.bruno.id,
        club.ana.id,
        "6.00",
    )
    assert actions[-1] == "entry.recorded"


def test_a_payment_is_said_in_each_readers_language(club: Club) -> None:
    _pay(club, club.bruno, "treasury", "5")
    with speaking("es"):
        (entry,) = club.call(L.entries, club.owner, EntryQuery(kind="transfer")).items
    assert entry.description == "Pago al saldar cuentas"


def test_a_retried_payment_is_recorded_once(club: Club) -> None:
    first = _pay(club, club.bruno, club.ana.id, "3", key="pay-1")
    again = _pay(club, club.bruno, club.ana.id, "3", key="pay-1")
    assert again == first
    assert len(club.call(L.entries, club.owner, EntryQuery(kind="transfer")).items) == 1


def test_a_payment_to_oneself_a_stranger_or_of_nothing_is_refused_and_stores_nothing(
    club: Club,
) -> None:
    for to, amount, field in (
        (club.bruno.id, "5", "received_by"),
        (club.outsider.id, "5", "received_by"),
        (club.ana.id, "0", "amount"),
        (club.ana.id, "-5", "amount"),
    ):
        with pytest.raises(InvalidInput) as refused:
            _pay(club, club.bruno, to, amount)
        assert refused.value.extensions["field"] == field
    assert club.call(L.entries, club.owner, EntryQuery(state="all")).total == 0


def test_someone_outside_the_event_records_no_payment(club: Club) -> None:
    with pytest.raises(NotFound):
        _pay(club, club.outsider, club.ana.id, "5")


def test_a_transfer_to_or_from_the_treasury_names_who_keeps_it(club: Club) -> None:
    # Bruno holds a sponsorship's 50 for the event; Ana paid a 20 purchase for the event: Bruno
    # pays her 20 and the treasury the other 30, which the owner keeps.
    club.record(club.owner, kind="sponsorship", amount="50", received_by=[{"party": club.bruno.id}])
    club.record(
        club.owner, kind="purchase", amount="20", paid_by=[{"party": club.ana.id}], split=None
    )
    everyone = club.call(L.settlement, club.owner)
    assert [(t.payer.party, t.payee.party, t.amount) for t in everyone.transfers] == [
        (club.bruno.id, "treasury", "30.00"),
        (club.bruno.id, club.ana.id, "20.00"),
    ]
    assert everyone.treasury_keeper is not None
    assert (everyone.treasury_keeper.party, everyone.treasury_keeper.name) == (
        club.owner.id,
        club.owner.name,
    )
    bruno = club.call(L.settlement, club.bruno)
    assert bruno.treasury_keeper is not None
    assert bruno.treasury_keeper.party == club.owner.id


def test_no_keeper_is_named_when_no_transfer_involves_the_treasury(club: Club) -> None:
    club.record(club.ana, amount="40")
    assert club.call(L.settlement, club.owner).treasury_keeper is None
