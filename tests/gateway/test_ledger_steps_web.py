"""Money in few steps, without JavaScript: the event page's quick expense, "I paid it" for what
someone owes, the payment page, and the treasury's keeper named; the server checks every form."""

from __future__ import annotations

import re
from decimal import Decimal

import httpx
import pytest
from flask.testing import FlaskClient

from tests.builders import Cast, Person, a_cast_in, an_expense
from tests.gateway.test_web_pages import log_in, submit
from tripbot.system import System


@pytest.fixture
def cast(system: System) -> Cast:
    """An event with its owner, an organizer, a participant and an outsider."""
    return a_cast_in(system)


def _event(cast: Cast) -> str:
    return f"/events/{cast.event['id']}"


def _form(page: str, form_id: str) -> str:
    found = re.search(rf'<form[^>]*id="{form_id}".*?</form>', page, re.S)
    assert found, form_id
    return found.group(0)


def _hidden(form: str) -> dict[str, list[str]]:
    """What a form's hidden fields send, as a browser sends them."""
    sent: dict[str, list[str]] = {}
    for name, value in re.findall(r'type="hidden" name="([^"]+)" value="([^"]*)"', form):
        if name != "csrf_token":
            sent.setdefault(name, []).append(value)
    return sent


def _balance(http: httpx.Client, cast: Cast, person: Person) -> Decimal:
    found = http.get(
        f"/api/v1/events/{cast.event['id']}/ledger/balances", headers=cast.owner.headers
    ).json()
    return {m["user_id"]: Decimal(m["balance"]) for m in found["members"]}[person.id]


def test_a_simple_expense_from_the_event_page_is_two_fields_and_a_button(
    client: FlaskClient, http: httpx.Client, cast: Cast
) -> None:
    log_in(client, cast.participant.email)
    form = _form(client.get(_event(cast)).text, "quick-expense")
    sent = _hidden(form)
    # Paid by the person looking, shared equally among every member, back to the event page.
    assert sent["payer"] == [str(cast.participant.id)]
    assert sorted(sent["share"]) == sorted(
        str(p.id) for p in (cast.owner, cast.organizer, cast.participant)
    )
    assert (sent["split_method"], sent["back"]) == (["equal"], ["event"])
    assert "date" not in sent  # the ledger dates it today in the event's time zone
    action = re.search(r'action="([^"]+)"', form)
    assert action
    answer = submit(
        client,
        action.group(1),
        {**sent, "amount": "12,30", "description": "Agua"},
        page=_event(cast),
    )
    assert answer.status_code == 302
    assert answer.headers["Location"].endswith(f"{_event(cast)}#glance-money")
    assert "Se ha registrado el apunte." in client.get(answer.headers["Location"]).text
    assert _balance(http, cast, cast.participant) == Decimal("8.20")
    assert _balance(http, cast, cast.owner) == Decimal("-4.10")


def test_a_quick_expense_the_ledger_refuses_comes_back_on_the_full_form(
    client: FlaskClient, http: httpx.Client, cast: Cast
) -> None:
    log_in(client, cast.participant.email)
    sent = _hidden(_form(client.get(_event(cast)).text, "quick-expense"))
    answer = submit(
        client,
        f"{_event(cast)}/money/new",
        {**sent, "amount": "3,505", "description": "Pan"},
        page=_event(cast),
    )
    assert answer.status_code == 422
    assert "Los importes en EUR van como mucho 2 decimales; 3,505 tiene más." in answer.text
    assert 'value="Pan"' in answer.text
    assert 'id="entry-form"' in answer.text
    found = http.get(
        f"/api/v1/events/{cast.event['id']}/ledger/entries", headers=cast.owner.headers
    )
    assert found.json()["total"] == 0


def test_someone_who_owes_records_that_they_paid_part_of_it_in_one_step(
    client: FlaskClient, http: httpx.Client, cast: Cast
) -> None:
    an_expense(http, cast.event, cast.owner, amount="30")  # each of the three owes 10
    log_in(client, cast.participant.email)
    page = client.get(_event(cast)).text
    owed = re.search(r'<li class="owed".*?</li>', page, re.S)
    assert owed, page
    form = owed.group(0)
    assert _hidden(form) == {"to": [str(cast.owner.id)], "back": ["event"]}
    assert 'name="amount" value="10,00"' in form  # what is owed, in the reader's way
    answer = submit(
        client,
        f"{_event(cast)}/money/pay",
        {"to": str(cast.owner.id), "amount": "4,00", "back": "event"},
        page=_event(cast),
    )
    assert answer.status_code == 302
    assert answer.headers["Location"].endswith(f"{_event(cast)}#glance-money")
    after = client.get(answer.headers["Location"]).text
    assert "Se ha registrado tu pago." in after
    assert 'name="amount" value="6,00"' in after
    assert _balance(http, cast, cast.participant) == Decimal("-6.00")
    entries = http.get(
        f"/api/v1/events/{cast.event['id']}/ledger/entries",
        params={"kind": "transfer"},
        headers={**cast.owner.headers, "Accept-Language": "es"},
    ).json()["items"]
    assert [(e["description"], e["amount"]) for e in entries] == [
        ("Pago al saldar cuentas", "4.00")
    ]


def test_a_payment_the_ledger_refuses_comes_back_with_its_problem_in_spanish(
    client: FlaskClient, http: httpx.Client, cast: Cast
) -> None:
    log_in(client, cast.participant.email)
    pay = f"{_event(cast)}/money/pay"
    for data, message in (
        ({"amount": "5"}, "Elige a quién pagaste."),
        ({"to": str(cast.participant.id), "amount": "5"}, "Nadie puede transferirse dinero"),
        ({"to": str(cast.outsider.id), "amount": "5"}, "no es miembro de este evento"),
        ({"to": str(cast.owner.id), "amount": "0"}, "No puede ser cero."),
        ({"to": str(cast.owner.id), "amount": "cinco"}, "cinco"),
    ):
        answer = submit(client, pay, data, page=pay)
        assert answer.status_code == 422, data
        assert message in answer.text, (data, re.findall(r"field-error[^>]*>([^<]*)<", answer.text))
    found = http.get(
        f"/api/v1/events/{cast.event['id']}/ledger/entries", headers=cast.owner.headers
    )
    assert found.json()["total"] == 0


def test_the_payment_page_chooses_people_with_radio_buttons_and_names_the_treasury_keeper(
    client: FlaskClient, http: httpx.Client, cast: Cast
) -> None:
    # The participant collected a sponsorship for the event: they owe the treasury.
    an_expense(
        http,
        cast.event,
        cast.owner,
        kind="sponsorship",
        amount="50",
        received_by=[{"party": cast.participant.id}],
    )
    log_in(client, cast.participant.email)
    page = client.get(f"{_event(cast)}/money/pay").text
    assert "<select multiple" not in page
    radios = re.findall(r'type="radio" name="to" value="([^"]+)"', page)
    assert sorted(radios) == sorted([str(cast.owner.id), str(cast.organizer.id), "treasury"])
    owner_name = re.search(
        rf'data-user-id="{cast.owner.id}".*?class="member-name">([^<]+)<',
        client.get(_event(cast)).text,
        re.S,
    )
    assert owner_name
    event_page = client.get(_event(cast)).text
    owed = re.search(r'<li class="owed" data-payee="treasury".*?</li>', event_page, re.S)
    assert owed
    assert owner_name.group(1).strip() in owed.group(0)  # who to hand the money to
    answer = submit(
        client,
        f"{_event(cast)}/money/pay",
        {"to": "treasury", "amount": "50"},
        page=_event(cast),
    )
    assert answer.status_code == 302
    assert answer.headers["Location"].endswith("/money#settle-up")
    assert _balance(http, cast, cast.participant) == 0
