"""The money pages: what organizers and participants see and do, forms with inline errors."""

from __future__ import annotations

import io
import re
from typing import Any

import httpx
import pytest
from flask.testing import FlaskClient
from sqlalchemy import func, select

from tests.builders import Cast, a_cast_in, an_expense
from tests.gateway.test_web_pages import log_in, submit
from tripbot.ledger.models import Entry, Receipt
from tripbot.system import System

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


@pytest.fixture
def cast(system: System) -> Cast:
    """An event with its owner, an organizer, a participant and an outsider."""
    return a_cast_in(system)


def _count(system: System, model: Any) -> int:
    with system.databases["ledger"].unit_of_work() as uow:
        return int(uow.session.scalar(select(func.count()).select_from(model)) or 0)


def _money(cast: Cast, tail: str = "") -> str:
    return f"/events/{cast.event['id']}/money{tail}"


def _csrf(client: FlaskClient, page: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', client.get(page).text)
    assert found
    return found.group(1)


def test_the_event_page_leads_to_its_money(client: FlaskClient, cast: Cast) -> None:
    log_in(client, cast.participant.email)
    page = client.get(f"/events/{cast.event['id']}").text
    assert f'href="/events/{cast.event["id"]}/money"' in page


def test_an_organizer_adds_an_expense_with_two_payers_and_an_uneven_split(
    system: System, client: FlaskClient, cast: Cast
) -> None:
    log_in(client, cast.organizer.email)
    form = client.get(_money(cast, "/new")).text
    assert 'name="payer" value="treasury"' in form
    assert "multipart/form-data" in form
    data = {
        "kind": "expense",
        "description": "Autobús",
        "amount": "90,00",
        "date": "2027-05-01",
        "category": "transporte",
        "payer": [str(cast.owner.id), str(cast.organizer.id)],
        f"payer_amount_{cast.owner.id}": "60",
        f"payer_amount_{cast.organizer.id}": "30",
        "split_method": "shares",
        "share": [str(cast.owner.id), str(cast.participant.id)],
        f"share_value_{cast.owner.id}": "1",
        f"share_value_{cast.participant.id}": "2",
        "receipt": (io.BytesIO(PNG), "ticket.png"),
        "csrf_token": _csrf(client, _money(cast, "/new")),
    }
    answer = client.post(_money(cast, "/new"), data=data, content_type="multipart/form-data")
    assert answer.status_code == 302, answer.text
    page = client.get(answer.headers["Location"]).text
    assert "Se ha registrado el apunte." in page
    assert "Autobús" in page
    assert _count(system, Receipt) == 1
    balances = dict(re.findall(r'data-user-id="(\d+)" data-balance="([-\d.]+)"', page))
    assert balances == {
        str(cast.owner.id): "30.00",
        str(cast.organizer.id): "30.00",
        str(cast.participant.id): "-60.00",
    }
    assert 'id="balances-chart"' in page
    assert 'id="settle-form"' in page


def test_bad_entries_come_back_with_inline_errors_in_spanish(
    system: System, client: FlaskClient, cast: Cast
) -> None:
    log_in(client, cast.owner.email)
    base = {"kind": "expense", "description": "Pan", "payer": str(cast.owner.id)}
    cases = [
        (
            {"amount": "3.505", "share": str(cast.owner.id)},
            "Los importes en EUR van como mucho 2 decimales; 3,505 tiene más.",
        ),
        ({"amount": "0", "share": str(cast.owner.id)}, "No puede ser cero."),
        (
            {
                "amount": "3",
                "split_method": "percent",
                "share": str(cast.owner.id),
                f"share_value_{cast.owner.id}": "50",
            },
            "Los porcentajes suman 50, no 100.",
        ),
        (
            {"amount": "3", "date": "2031-01-01", "share": str(cast.owner.id)},
            "queda muy lejos del evento",
        ),
        ({"amount": "3"}, "Alguien tiene que asumir una parte del gasto."),
    ]
    for extra, message in cases:
        answer = submit(client, _money(cast, "/new"), {**base, **extra}, page=_money(cast, "/new"))
        assert answer.status_code == 422, extra
        assert message in answer.text, (
            extra,
            re.findall(r"field-error[^>]*>([^<]*)<", answer.text),
        )
    assert _count(system, Entry) == 0


def test_a_participant_records_an_expense_and_sees_only_their_balance(
    system: System, client: FlaskClient, http: httpx.Client, cast: Cast
) -> None:
    an_expense(http, cast.event, cast.owner, amount="30")
    log_in(client, cast.participant.email)
    form = client.get(_money(cast, "/new")).text
    assert 'value="purchase"' not in form
    assert 'name="payer" value="treasury"' not in form
    answer = submit(
        client,
        _money(cast, "/new"),
        {
            "kind": "expense",
            "description": "Agua",
            "amount": "6",
            "payer": str(cast.participant.id),
            "share": [str(cast.owner.id), str(cast.participant.id)],
        },
        page=_money(cast, "/new"),
    )
    assert answer.status_code == 302
    page = client.get(_money(cast)).text
    assert 'id="my-balance" data-balance="-7.00"' in page
    assert 'id="balances-table"' not in page
    assert 'id="tab-report"' not in page
    assert client.get(_money(cast, "/report")).status_code == 403
    assert (
        client.get(_money(cast, "/import")).status_code == 403
        or "import-form" in client.get(_money(cast, "/import")).text
    )


def test_an_entry_is_corrected_and_reversed_from_its_page(
    client: FlaskClient, http: httpx.Client, cast: Cast
) -> None:
    entry = an_expense(http, cast.event, cast.owner)
    log_in(client, cast.owner.email)
    url = _money(cast, f"/entries/{entry['id']}")
    edit = client.get(f"{url}/edit").text
    assert 'value="23.50"' in edit
    form = {
        "kind": "expense",
        "description": "Gasóleo",
        "amount": "23.50",
        "payer": str(cast.owner.id),
        "split_method": "equal",
        "share": [str(cast.owner.id), str(cast.organizer.id), str(cast.participant.id)],
        "reason": "el ticket dice gasóleo",
    }
    answer = submit(client, f"{url}/edit", form, page=f"{url}/edit")
    assert answer.status_code == 302, answer.text
    page = client.get(url).text
    assert "Gasóleo" in page
    assert "el ticket dice gasóleo" in page
    assert "<del>fuel</del>" in page
    same = submit(client, f"{url}/edit", form, page=f"{url}/edit")
    assert "La corrección no cambia nada en el apunte" in client.get(same.headers["Location"]).text
    reversed_ = submit(client, f"{url}/reverse", {"reason": "duplicado"}, page=url)
    assert reversed_.status_code == 302
    page = client.get(url).text
    assert 'data-state="reversed"' in page
    assert 'id="correct-entry"' not in page


def test_the_member_charged_disputes_on_the_entry_page_and_an_organizer_lets_it_stand(
    client: FlaskClient, http: httpx.Client, cast: Cast
) -> None:
    split = {"among": [{"user_id": cast.organizer.id}]}
    entry = an_expense(http, cast.event, cast.participant, description="peaje", split=split)
    url = _money(cast, f"/entries/{entry['id']}")
    author = client.application.test_client()
    log_in(author, cast.participant.email)
    assert 'id="dispute-form"' not in author.get(url).text  # its author does not dispute it
    log_in(client, cast.organizer.email)
    assert 'id="dispute-form"' in client.get(url).text
    empty = submit(client, f"{url}/dispute", {"reason": " "}, page=url)
    assert "Di por qué, en pocas palabras." in client.get(empty.headers["Location"]).text
    disputed = submit(client, f"{url}/dispute", {"reason": "No pasé por ese peaje"}, page=url)
    page = client.get(disputed.headers["Location"]).text
    assert "Se ha avisado a la organización de que impugnas este apunte." in page
    assert 'id="disputed-chip"' in page
    assert "No pasé por ese peaje" in page
    assert 'id="dispute-form"' not in page  # once is enough
    assert "impugnado" in client.get(_money(cast)).text
    owner = client.application.test_client()
    log_in(owner, cast.owner.email)
    stands = submit(owner, f"{url}/confirm", {"reason": "Sí pasó"}, page=url)
    page = owner.get(stands.headers["Location"]).text
    assert "El apunte se mantiene; se avisa a quien lo impugnó." in page
    assert 'id="disputed-chip"' not in page
    assert "la organización lo mantiene" in page


def test_receipts_are_attached_and_downloaded_from_the_entry_page(
    system: System, client: FlaskClient, http: httpx.Client, cast: Cast
) -> None:
    entry = an_expense(http, cast.event, cast.owner)
    log_in(client, cast.owner.email)
    url = _money(cast, f"/entries/{entry['id']}")
    for content, flash in (
        (b"not an image", "Un justificante debe ser una imagen PNG"),
        (PNG, "Se ha adjuntado el justificante."),
    ):
        answer = client.post(
            f"{url}/receipts",
            data={
                "receipt": (io.BytesIO(content), "t.png"),
                "csrf_token": _csrf(client, url),
            },
            content_type="multipart/form-data",
        )
        assert answer.status_code == 302
        assert flash in client.get(url).text
    link = re.search(r'href="([^"]+/receipts/\d+)"', client.get(url).text)
    assert link
    got = client.get(link.group(1))
    assert (got.status_code, got.data, got.headers["Content-Type"]) == (200, PNG, "image/png")
    assert got.headers["Content-Disposition"].startswith("attachment")


def test_organizers_settle_everyone_up_with_one_button(
    client: FlaskClient, http: httpx.Client, cast: Cast
) -> None:
    an_expense(http, cast.event, cast.owner, amount="90")
    log_in(client, cast.organizer.email)
    page = client.get(_money(cast)).text
    transfers = re.search(r'name="transfers" value="([^"]+)"', page)
    assert transfers
    stale = submit(client, _money(cast, "/settle"), {"transfers": "[]"}, page=_money(cast))
    assert "Los saldos han cambiado" in client.get(stale.headers["Location"]).text
    value = transfers.group(1).replace("&#34;", '"').replace("&quot;", '"')
    done = submit(client, _money(cast, "/settle"), {"transfers": value}, page=_money(cast))
    after = client.get(done.headers["Location"]).text
    assert "Todos están en paz." in after
    assert set(re.findall(r'data-balance="([-\d.]+)"', after)) <= {"0.00"}


def test_the_report_budget_and_audit_pages(
    client: FlaskClient, http: httpx.Client, cast: Cast
) -> None:
    an_expense(
        http,
        cast.event,
        cast.owner,
        kind="purchase",
        amount="120",
        category="comida",
        paid_by=[{"party": "treasury"}],
    )
    an_expense(
        http,
        cast.event,
        cast.owner,
        kind="sponsorship",
        amount="300",
        received_by=[{"party": "treasury"}],
    )
    log_in(client, cast.owner.email)
    saved = submit(
        client,
        _money(cast, "/budget"),
        {
            "kind": ["purchase", "sponsorship", "sale"],
            "category": ["comida", "", ""],
            "planned": ["100", "250,5", ""],
        },
        page=_money(cast, "/budget"),
    )
    assert saved.status_code == 302, saved.text
    report = client.get(_money(cast, "/report")).text
    assert 'id="budget-chart"' in report
    assert 'id="cash-chart"' in report
    assert 'id="report-chart-data"' in report
    assert 'data-kind="purchase" data-category="comida"' in report
    bad = submit(
        client,
        _money(cast, "/budget"),
        {"kind": ["sale"], "category": [""], "planned": ["1.001"]},
        page=_money(cast, "/budget"),
    )
    assert bad.status_code == 422
    assert "como mucho 2 decimales" in bad.text
    audit = client.get(_money(cast, "/audit")).text
    assert audit.count('class="audit-item"') == 3
    assert "cambió el presupuesto" in audit


def test_a_spreadsheet_is_checked_then_imported(
    system: System, client: FlaskClient, cast: Cast
) -> None:
    log_in(client, cast.owner.email)
    url = _money(cast, "/import")
    good = "date;kind;description;amount\n01/05/2027;gasto;Pan;3,50\n2027-05-01;compra;Leña;20\n"
    bad = "description;amount\nPan;tres\n"

    def send(content: str, action: str) -> Any:
        return client.post(
            url,
            data={
                "file": (io.BytesIO(content.encode()), "hoja.csv"),
                "action": action,
                "csrf_token": _csrf(client, url),
            },
            content_type="multipart/form-data",
        )

    refused = send(bad, "check")
    assert refused.status_code == 422
    assert 'data-line="2"' in refused.text
    checked = send(good, "check")
    assert checked.status_code == 200
    assert checked.text.count('class="ok-line"') == 2
    assert _count(system, Entry) == 0
    imported = send(good, "import")
    assert imported.status_code == 302
    assert _count(system, Entry) == 2
    exported = client.get(_money(cast, "/export.csv"))
    assert exported.headers["Content-Disposition"].startswith("attachment")
    assert "Leña" in exported.data.decode()
    as_json = client.get(_money(cast, "/export.json")).get_json()
    assert as_json["settings"]["currency"] == "EUR"


def test_people_outside_the_event_see_no_money_page(client: FlaskClient, cast: Cast) -> None:
    assert client.get(_money(cast)).status_code == 302  # to the login page
    log_in(client, cast.outsider.email)
    for tail in ("", "/new", "/report", "/budget", "/audit", "/import", "/entries/1"):
        assert client.get(_money(cast, tail)).status_code == 404, tail
