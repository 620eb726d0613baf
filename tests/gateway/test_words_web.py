"""The web says what people read in their language: settle-ups and the treasury, amounts and
weights the reader's way, the report's story, the spreadsheet export, a gear category."""

from __future__ import annotations

import re

import httpx
import pytest
from flask.testing import FlaskClient

from tests.builders import Cast, a_cast_in, a_gear_keeper_in, an_expense
from tests.gateway.test_gear_web import an_item
from tests.gateway.test_web_pages import log_in, submit
from tripbot.system import System


@pytest.fixture
def cast(system: System) -> Cast:
    """An event with its owner, an organizer, a participant and an outsider."""
    return a_cast_in(system)


def _money(cast: Cast, tail: str = "") -> str:
    return f"/events/{cast.event['id']}/money{tail}"


def _settle(client: FlaskClient, cast: Cast) -> None:
    page = client.get(_money(cast)).text
    transfers = re.search(r'name="transfers" value="([^"]+)"', page)
    assert transfers
    value = transfers.group(1).replace("&#34;", '"').replace("&quot;", '"')
    done = submit(client, _money(cast, "/settle"), {"transfers": value}, page=_money(cast))
    assert done.status_code == 302


def test_a_settle_up_and_the_treasury_are_said_in_the_readers_language(
    client: FlaskClient, http: httpx.Client, cast: Cast
) -> None:
    # The owner collected a sponsorship for the event: settling up, they pay it to the treasury.
    an_expense(
        http,
        cast.event,
        cast.owner,
        kind="sponsorship",
        amount="1234.5",
        received_by=[{"party": cast.owner.id}],
    )
    log_in(client, cast.owner.email)
    _settle(client, cast)
    entries = client.get(_money(cast)).text
    assert "Pago al saldar cuentas" in entries
    audit = client.get(_money(cast, "/audit")).text.replace("\xa0", " ")
    assert "Tesorería" in audit
    assert "1.234,50 €" in audit
    assert "treasury" not in re.sub(r"<[^>]+>", "", audit).replace("treasury-", "")
    assert "EUR" not in re.sub(r"<[^>]+>", "", audit)
    # Corrected from its page with the words as shown, it stays a settle-up in every language.
    entry_id = re.findall(r'/money/entries/(\d+)"', entries)[0]
    url = _money(cast, f"/entries/{entry_id}")
    form = {
        "kind": "transfer",
        "description": "Pago al saldar cuentas",
        "amount": "1234,50",
        "date": "2027-05-02",
        "payer": str(cast.owner.id),
        "receiver": "treasury",
        "reason": "fue el día 2",
    }
    fixed = submit(client, f"{url}/edit", form, page=f"{url}/edit")
    assert fixed.status_code == 302, fixed.text
    client.set_cookie("tripbot_lang", "en")
    assert "Settle-up payment" in client.get(url).text
    assert "Settle-up payment" in client.get(_money(cast)).text
    english = client.get(_money(cast, "/audit")).text.replace("\xa0", " ")
    assert "Treasury" in english
    assert "€1,234.50" in english


def test_the_report_says_how_it_meets_the_balances(
    client: FlaskClient, http: httpx.Client, cast: Cast
) -> None:
    an_expense(
        http,
        cast.event,
        cast.owner,
        kind="sponsorship",
        amount="180",
        received_by=[{"party": "treasury"}],
    )
    an_expense(http, cast.event, cast.owner, amount="363.70")
    log_in(client, cast.owner.email)
    report = client.get(_money(cast, "/report")).text
    net = re.search(r'id="net-result"[^>]*>([^<]+)<', report)
    shared = re.search(r'id="shared-costs"[^>]*>([^<]+)<', report)
    assert net
    assert shared
    assert net.group(1).replace("\xa0", " ") == "180,00 €"
    assert shared.group(1).replace("\xa0", " ") == "363,70 €"
    assert 'id="report-story"' in report
    balances = client.get(_money(cast)).text
    assert 'id="event-balance" data-balance="180.00"' in balances


def test_the_spreadsheet_export_is_offered_in_the_ui_language(
    client: FlaskClient, http: httpx.Client, cast: Cast
) -> None:
    an_expense(http, cast.event, cast.owner, amount="12.30", description="Café")
    log_in(client, cast.owner.email)
    page = client.get(_money(cast)).text
    assert 'id="export-spreadsheet"' in page
    spanish = client.get(_money(cast, "/export.csv?spreadsheet=1")).data
    assert spanish.startswith(b"\xef\xbb\xbf")
    assert ";12,30;" in spanish.decode("utf-8-sig")
    client.set_cookie("tripbot_lang", "en")
    english = client.get(_money(cast, "/export.csv?spreadsheet=1")).data.decode("utf-8-sig")
    assert ",12.30," in english
    plain = client.get(_money(cast, "/export.csv")).data
    assert not plain.startswith(b"\xef\xbb\xbf")


def test_weights_and_the_gear_category_in_the_readers_language(
    client: FlaskClient, http: httpx.Client, system: System
) -> None:
    keeper = a_gear_keeper_in(system)
    item = an_item(http, keeper, weight_grams=2100)
    log_in(client, keeper.email)
    spanish = client.get(f"/gear/items/{item['id']}").text
    assert "2,10 kg" in spanish
    form = client.get("/gear/new").text
    assert "Categoría" in form
    assert "Partida" not in form
    client.set_cookie("tripbot_lang", "en")
    assert "2.10 kg" in client.get(f"/gear/items/{item['id']}").text
    assert "Category" in client.get("/gear/new").text
