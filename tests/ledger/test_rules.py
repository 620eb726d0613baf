"""The rules of an entry without a database: defaults, shares, currencies, double entry, and
every kind of bad input named by its field."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tripbot.ledger.rules import Context, Plan, plan
from tripbot.ledger.schemas import EntryCreate
from tripbot.platform.errors import InvalidInput, PermissionDenied

ANA, BRUNO, CARLA, DANI = 1, 2, 3, 4
MEMBERS = {ANA: "Ana", BRUNO: "Bruno", CARLA: "Carla", DANI: "Dani"}
DAY = dt.date(2027, 5, 1)


def context(*, author: int = ANA, organizer: bool = True, currency: str = "EUR") -> Context:
    """An event on 1 May 2027 with four members, seen by one of them."""
    return Context(
        book_currency=currency,
        starts_on=DAY,
        ends_on=DAY,
        today=DAY,
        members=MEMBERS,
        current=frozenset(MEMBERS),
        author=author,
        organizer=organizer,
    )


def planned(ctx: Context | None = None, **body: Any) -> Plan:
    """The plan of an entry (an expense of 23.50 for fuel unless told otherwise)."""
    return plan(
        EntryCreate.model_validate({"description": "fuel", "amount": "23.50", **body}),
        ctx or context(),
    )


def problems(ctx: Context | None = None, **body: Any) -> dict[str, str]:
    """What is wrong with an entry, by field."""
    with pytest.raises(InvalidInput) as raised:
        planned(ctx, **body)
    errors = raised.value.extensions["errors"]
    return {e["field"]: " ".join(e["messages"]) for e in errors}


def legs(entry: Plan) -> dict[tuple[str, int | None], int]:
    """An entry's double entry, by account."""
    return {(line.account, line.user_id): line.amount for line in entry.legs()}


# ---- defaults and shares -----------------------------------------------------------------------


def test_an_expense_left_bare_is_paid_by_its_author_and_shared_by_everyone_equally() -> None:
    entry = planned()
    assert (entry.kind, entry.date, entry.currency, entry.amount) == ("expense", DAY, "EUR", 2350)
    assert [(s.party, s.amount) for s in entry.paid] == [(ANA, 2350)]
    assert [(s.party, s.amount) for s in entry.shares] == [
        (ANA, 588),
        (BRUNO, 588),
        (CARLA, 587),
        (DANI, 587),
    ]
    assert entry.split_method == "equal"
    assert legs(entry) == {
        ("member", ANA): 1762,
        ("member", BRUNO): -588,
        ("member", CARLA): -587,
        ("member", DANI): -587,
    }


def test_several_payers_and_an_exact_split() -> None:
    entry = planned(
        amount="100",
        paid_by=[{"party": ANA, "amount": "60"}, {"party": BRUNO, "amount": "40.00"}],
        split={
            "method": "exact",
            "among": [{"user_id": CARLA, "value": "70"}, {"user_id": DANI, "value": "30"}],
        },
    )
    assert legs(entry) == {
        ("member", ANA): 6000,
        ("member", BRUNO): 4000,
        ("member", CARLA): -7000,
        ("member", DANI): -3000,
    }


def test_shares_and_percentages_add_up_to_the_cent() -> None:
    by_shares = planned(
        amount="10",
        split={
            "method": "shares",
            "among": [{"user_id": ANA, "value": "2"}, {"user_id": BRUNO, "value": "1"}],
        },
    )
    assert [s.amount for s in by_shares.shares] == [667, 333]
    thirds = planned(
        amount="0.10",
        split={
            "method": "percent",
            "among": [
                {"user_id": ANA, "value": "33.33"},
                {"user_id": BRUNO, "value": "33.33"},
                {"user_id": CARLA, "value": "33.34"},
            ],
        },
    )
    assert [s.amount for s in thirds.shares] == [3, 3, 4]
    assert [s.value for s in thirds.shares] == ["33.33", "33.33", "33.34"]


def test_a_purchase_without_a_split_is_borne_by_the_event() -> None:
    entry = planned(kind="purchase", paid_by=[{"party": "treasury"}], category="food")
    assert legs(entry) == {("treasury", None): 2350, ("result", None): -2350}


def test_income_and_capital_are_collected_for_the_event() -> None:
    sale = planned(kind="sale", received_by=[{"party": BRUNO}])
    assert legs(sale) == {("member", BRUNO): -2350, ("result", None): 2350}
    investment = planned(kind="investment", received_by=[{"party": "treasury"}])
    assert legs(investment) == {("treasury", None): -2350, ("capital", None): 2350}


def test_an_in_kind_sponsorship_has_a_value_and_moves_no_money() -> None:
    entry = planned(kind="sponsorship", in_kind=True, counterparty="Decathlon")
    assert entry.in_kind
    assert entry.book_amount == 2350
    assert entry.legs() == []


def test_a_transfer_moves_money_between_people() -> None:
    entry = planned(kind="transfer", paid_by=[{"party": BRUNO}], received_by=[{"party": ANA}])
    assert legs(entry) == {("member", BRUNO): 2350, ("member", ANA): -2350}


def test_a_negative_expense_is_a_refund_shared_the_same_way() -> None:
    entry = planned(
        amount="-10", split={"among": [{"user_id": ANA}, {"user_id": BRUNO}, {"user_id": CARLA}]}
    )
    assert legs(entry) == {
        ("member", ANA): -1000 + 334,
        ("member", BRUNO): 333,
        ("member", CARLA): 333,
    }


def test_another_currency_keeps_its_amount_and_the_rate_people_typed() -> None:
    entry = planned(amount="30.00", currency="USD", rate="0.92")
    assert (entry.currency, entry.amount, entry.rate, entry.book_amount) == (
        "USD",
        3000,
        "0.92",
        2760,
    )
    assert sum(s.book_amount for s in entry.shares) == 2760
    assert sum(s.amount for s in entry.shares) == 3000
    yen = planned(amount="1000", currency="JPY", rate="0.0062")
    assert (yen.amount, yen.book_amount) == (1000, 620)


entries = st.fixed_dictionaries(
    {
        "kind": st.sampled_from(
            ["purchase", "expense", "sale", "donation", "sponsorship", "investment", "transfer"]
        ),
        "amount": st.integers(min_value=1, max_value=10**9).map(
            lambda c: f"{c // 100}.{c % 100:02d}"
        ),
        "payers": st.lists(
            st.sampled_from([ANA, BRUNO, CARLA, "treasury"]), min_size=1, max_size=3, unique=True
        ),
        "split": st.lists(
            st.sampled_from([ANA, BRUNO, CARLA, DANI]), min_size=1, max_size=4, unique=True
        ),
        "method": st.sampled_from(["equal", "shares", "percent"]),
        "rate": st.sampled_from([None, "0.92", "1.0834", "161.3"]),
    }
)


def _body(e: dict[str, Any]) -> dict[str, Any]:
    cents = int(e["amount"].replace(".", ""))
    payers = e["payers"]
    amounts = [cents // len(payers)] * len(payers)
    amounts[0] += cents - sum(amounts)
    side = [
        {"party": p, "amount": f"{a // 100}.{a % 100:02d}"}
        for p, a in zip(payers, amounts, strict=True)
        if a
    ]
    body: dict[str, Any] = {"kind": e["kind"], "amount": e["amount"]}
    if e["rate"]:
        body.update(currency="USD", rate=e["rate"])
    if e["kind"] in ("purchase", "expense", "transfer"):
        body["paid_by"] = side
    if e["kind"] not in ("purchase", "expense"):
        body["received_by"] = [{"party": DANI}] if e["kind"] == "transfer" else side
    if e["kind"] == "expense" or (e["kind"] == "purchase" and len(e["split"]) > 1):
        values = {"equal": None, "shares": "1.5", "percent": None}
        among = [
            {"user_id": u, **({"value": values[e["method"]]} if values[e["method"]] else {})}
            for u in e["split"]
        ]
        if e["method"] == "percent":
            share = 100 // len(among)
            for part in among:
                part["value"] = str(share)
            among[0]["value"] = str(100 - share * (len(among) - 1))
        body["split"] = {"method": e["method"], "among": among}
    return body


@given(entries)
def test_every_entrys_legs_sum_to_zero_and_its_shares_to_its_amount(e: dict[str, Any]) -> None:
    entry = planned(**_body(e))
    assert sum(line.amount for line in entry.legs()) == 0
    for side in (entry.paid, entry.received, entry.shares):
        if side:
            assert sum(s.amount for s in side) == entry.amount
            assert sum(s.book_amount for s in side) == entry.book_amount


# ---- bad input ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "field", "message"),
    [
        pytest.param({"amount": "0"}, "amount", "must not be zero", id="zero"),
        pytest.param(
            {"kind": "sale", "amount": "-5"}, "amount", "more than zero", id="negative-sale"
        ),
        pytest.param(
            {"amount": "1000000000.01"}, "amount", "over the largest amount", id="too-large"
        ),
        pytest.param(
            {"amount": "23.505"}, "amount", "EUR amounts have at most 2 decimals", id="decimals"
        ),
        pytest.param(
            {"amount": "100.5", "currency": "JPY", "rate": "0.0062"},
            "amount",
            "JPY amounts have no decimals",
            id="yen-decimals",
        ),
        pytest.param(
            {"currency": "USD"}, "rate", "how many EUR one USD was worth", id="missing-rate"
        ),
        pytest.param(
            {"rate": "0.9"},
            "rate",
            "only for entries in another currency",
            id="rate-in-book-currency",
        ),
        pytest.param({"currency": "USD", "rate": "0"}, "rate", "between", id="zero-rate"),
        pytest.param({"date": "2020-01-01"}, "date", "far outside the event", id="date-far-before"),
        pytest.param({"date": "2030-01-01"}, "date", "far outside the event", id="date-far-after"),
        pytest.param(
            {"paid_by": [{"party": ANA, "amount": "10"}, {"party": BRUNO, "amount": "10"}]},
            "paid_by",
            "add up to 20.00, not 23.50",
            id="payers-mismatch",
        ),
        pytest.param(
            {"paid_by": [{"party": ANA}, {"party": BRUNO}]},
            "paid_by.0.amount",
            "how much each one paid",
            id="payers-without-amounts",
        ),
        pytest.param(
            {"paid_by": [{"party": 99}]}, "paid_by", "user 99 is not a member", id="payer-stranger"
        ),
        pytest.param(
            {"paid_by": [{"party": ANA, "amount": "20"}, {"party": ANA, "amount": "3.50"}]},
            "paid_by",
            "only once",
            id="payer-twice",
        ),
        pytest.param(
            {"paid_by": [{"party": ANA, "amount": "-1"}, {"party": BRUNO, "amount": "24.50"}]},
            "paid_by.0.amount",
            "more than zero",
            id="payer-negative",
        ),
        pytest.param(
            {"split": {"among": [{"user_id": 98}, {"user_id": 99}, {"user_id": ANA}]}},
            "split.among",
            "users 98, 99 are not members",
            id="split-strangers",
        ),
        pytest.param(
            {
                "split": {
                    "method": "percent",
                    "among": [{"user_id": ANA, "value": "50"}, {"user_id": BRUNO, "value": "40"}],
                }
            },
            "split.among",
            "percentages add up to 90, not 100",
            id="percent-90",
        ),
        pytest.param(
            {"split": {"method": "percent", "among": [{"user_id": ANA, "value": "150"}]}},
            "split.among.0.value",
            "from 0 to 100",
            id="percent-150",
        ),
        pytest.param(
            {"split": {"method": "exact", "among": [{"user_id": ANA, "value": "20"}]}},
            "split.among",
            "add up to 20.00, not 23.50",
            id="exact-mismatch",
        ),
        pytest.param(
            {"split": {"method": "exact", "among": [{"user_id": ANA, "value": "23.505"}]}},
            "split.among.0.value",
            "at most 2 decimals",
            id="exact-decimals",
        ),
        pytest.param(
            {"split": {"method": "shares", "among": [{"user_id": ANA}]}},
            "split.among.0.value",
            "needs a value",
            id="shares-without-value",
        ),
        pytest.param(
            {"split": {"method": "shares", "among": [{"user_id": ANA, "value": "0"}]}},
            "split.among",
            "someone must bear",
            id="shares-zero",
        ),
        pytest.param(
            {"split": {"among": [{"user_id": ANA, "value": "2"}]}},
            "split.among.0.value",
            "equal split takes no values",
            id="equal-with-value",
        ),
        pytest.param(
            {"split": {"among": [{"user_id": ANA}, {"user_id": ANA}]}},
            "split.among",
            "only once",
            id="split-twice",
        ),
        pytest.param(
            {"kind": "sale", "paid_by": [{"party": ANA}]},
            "paid_by",
            "a sale has no paid_by",
            id="sale-paid-by",
        ),
        pytest.param(
            {"kind": "purchase", "received_by": [{"party": ANA}]},
            "received_by",
            "a purchase has no received_by",
            id="purchase-received-by",
        ),
        pytest.param(
            {"kind": "sale", "split": {"among": [{"user_id": ANA}]}},
            "split",
            "a sale has no split",
            id="sale-split",
        ),
        pytest.param(
            {"kind": "purchase", "in_kind": True},
            "in_kind",
            "only a donation or a sponsorship",
            id="in-kind-purchase",
        ),
        pytest.param(
            {"kind": "sponsorship", "in_kind": True, "received_by": [{"party": ANA}]},
            "received_by",
            "in-kind sponsorship has no received_by",
            id="in-kind-collected",
        ),
        pytest.param({"kind": "transfer"}, "received_by", "who received", id="transfer-to-nobody"),
        pytest.param(
            {"kind": "transfer", "received_by": [{"party": ANA}]},
            "received_by",
            "to themselves",
            id="transfer-to-self",
        ),
        pytest.param({"paid_by": []}, "paid_by", "at least one", id="no-payers"),
    ],
)
def test_bad_entries_are_refused_naming_the_field(
    body: dict[str, Any], field: str, message: str
) -> None:
    found = problems(**body)
    assert field in found, found
    assert message in found[field], found


def test_every_problem_of_an_entry_is_reported_at_once() -> None:
    found = problems(date="2020-01-01", kind="purchase", received_by=[{"party": ANA}], rate="2")
    assert {"date", "received_by", "rate"} <= set(found)


def test_participants_record_only_shared_expenses_they_paid() -> None:
    bruno = context(author=BRUNO, organizer=False)
    assert planned(bruno).paid[0].party == BRUNO
    with pytest.raises(PermissionDenied, match="only shared expenses and payments"):
        planned(bruno, kind="purchase")
    with pytest.raises(PermissionDenied, match="they paid themselves"):
        planned(bruno, paid_by=[{"party": ANA}])
    with pytest.raises(PermissionDenied, match="they paid themselves"):
        planned(bruno, paid_by=[{"party": "treasury"}])


def test_a_participant_records_a_payment_they_made_to_a_member_or_the_treasury() -> None:
    bruno = context(author=BRUNO, organizer=False)
    paid = planned(bruno, kind="transfer", amount="10", received_by=[{"party": ANA}])
    # Bruno's balance goes up by what he paid, Ana's down by what she got: his debt shrinks.
    assert legs(paid) == {("member", BRUNO): 1000, ("member", ANA): -1000}
    to_treasury = planned(bruno, kind="transfer", amount="4", received_by=[{"party": "treasury"}])
    assert legs(to_treasury) == {("member", BRUNO): 400, ("treasury", None): -400}


def test_a_participant_records_no_payment_someone_else_made_nor_one_to_themselves() -> None:
    bruno = context(author=BRUNO, organizer=False)
    for payer in (ANA, "treasury"):
        with pytest.raises(PermissionDenied, match="payments they made themselves"):
            planned(
                bruno, kind="transfer", paid_by=[{"party": payer}], received_by=[{"party": CARLA}]
            )
    with pytest.raises(PermissionDenied, match="payments they made themselves"):
        planned(
            bruno,
            kind="transfer",
            paid_by=[{"party": BRUNO, "amount": "20"}, {"party": ANA, "amount": "3.50"}],
            received_by=[{"party": CARLA}],
        )
    assert (
        "nobody can transfer"
        in problems(bruno, kind="transfer", received_by=[{"party": BRUNO}])["received_by"]
    )
