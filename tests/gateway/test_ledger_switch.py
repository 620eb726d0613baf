"""Switching from another app through the public API and the web page, over the whole system
(the real events service adds the guests): look first, then import; refusals in the person's
language; the export ihatemoney reads."""

from __future__ import annotations

import io
import json
import re
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import pytest
from flask.testing import FlaskClient
from sqlalchemy import func, select

from tests.builders import Cast, a_cast_in
from tests.gateway.test_web_pages import log_in
from tests.problems import assert_problem
from tripbot.ledger.models import Entry
from tripbot.system import System

FIXTURES = Path(__file__).parents[1] / "ledger" / "fixtures" / "imports"


@pytest.fixture
def cast(system: System) -> Cast:
    """An event with its owner, an organizer, a participant and an outsider."""
    return a_cast_in(system)


def _count(system: System) -> int:
    with system.databases["ledger"].unit_of_work() as uow:
        return int(uow.session.scalar(select(func.count()).select_from(Entry)) or 0)


def _api(cast: Cast, tail: str) -> str:
    return f"/api/v1/events/{cast.event['id']}{tail}"


def _send(
    http: httpx.Client, cast: Cast, who: str, name: str, language: str = "en", **params: str
) -> httpx.Response:
    raw = (FIXTURES / name).read_bytes() if (FIXTURES / name).exists() else name.encode()
    return http.post(
        _api(cast, "/ledger/import-app"),
        params=params,
        files={"file": ("export", raw, "application/octet-stream")},
        headers={**cast.person(who).headers, "Accept-Language": language},
    )


def test_the_api_looks_first_then_imports_adding_guests(
    system: System, http: httpx.Client, cast: Cast
) -> None:
    looked = _send(http, cast, "owner", "ihatemoney-7.2.1-bills.json")
    assert looked.status_code == 200, looked.text
    report = looked.json()
    assert (report["dry_run"], report["format"], report["carried"]) == (True, "ihatemoney-json", 9)
    assert all(p["guest"] for p in report["people"])  # nobody in the file is a member here
    assert _count(system) == 0
    done = _send(
        http, cast, "owner", "ihatemoney-7.2.1-bills.json", dry_run="false", weights="Pablo=2"
    )
    assert done.status_code == 201, done.text
    assert _count(system) == 9
    members = http.get(_api(cast, "/members"), headers=cast.owner.headers).json()
    guests = {m["display_name"] for m in members if m["role"] == "guest"}
    assert guests == {"Olga", "Óscar", "ana", "BRUNO", "Marta", "Pablo"}
    balances = http.get(_api(cast, "/ledger/balances"), headers=cast.owner.headers).json()
    ours = {m["name"]: m["balance"] for m in balances["members"] if m["name"] in guests}
    theirs = json.loads((FIXTURES / "ihatemoney-7.2.1-balances.json").read_text())
    assert ours == {name: f"{Decimal(str(v)):.2f}" for name, v in theirs.items()}


def test_the_api_refuses_unknown_files_in_the_callers_language_and_participants(
    http: httpx.Client, cast: Cast
) -> None:
    refused = _send(http, cast, "owner", "not,an,export\n1,2,3\n", language="es")
    body = assert_problem(refused, 422, "invalid-input")
    assert "no es una exportación que TripBot conozca" in body["detail"]
    assert "Spliit (JSON), Cospend (CSV)" in body["detail"]
    forbidden = _send(http, cast, "participant", "splitwise-export.csv")
    assert_problem(forbidden, 403, "permission-denied")
    hidden = _send(http, cast, "outsider", "splitwise-export.csv")
    assert_problem(hidden, 404, "not-found")


def test_leaving_is_a_file_ihatemoney_imports_with_the_same_balances(
    http: httpx.Client, cast: Cast
) -> None:
    assert _send(http, cast, "owner", "spliit-export.json", dry_run="false").status_code == 201
    answer = http.get(_api(cast, "/ledger/export-ihatemoney.json"), headers=cast.owner.headers)
    assert answer.status_code == 200, answer.text
    bills: list[dict[str, Any]] = answer.json()
    assert {
        "what",
        "bill_type",
        "amount",
        "currency",
        "date",
        "payer_name",
        "payer_weight",
        "owers",
    } <= bills[0].keys()
    # The balances as ihatemoney works them out (every weight 1, parts by the bills).
    moved: dict[str, Decimal] = {}
    for bill in bills:
        amount = Decimal(str(bill["amount"]))
        moved[bill["payer_name"]] = moved.get(bill["payer_name"], Decimal(0)) + amount
        for ower in bill["owers"]:
            moved[ower] = moved.get(ower, Decimal(0)) - amount / len(bill["owers"])
    spliit = json.loads((FIXTURES / "spliit-balances.json").read_text())
    assert {n: f"{moved[n]:.2f}" for n in spliit} == spliit
    denied = http.get(
        _api(cast, "/ledger/export-ihatemoney.json"), headers=cast.participant.headers
    )
    assert denied.status_code == 403


def test_the_web_page_shows_the_preview_asks_for_weights_and_imports(
    system: System, client: FlaskClient, cast: Cast
) -> None:
    log_in(client, cast.organizer.email)
    url = f"/events/{cast.event['id']}/money/switch"
    page = client.get(url, headers={"Accept-Language": "es"})
    assert page.status_code == 200
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert token
    raw = (FIXTURES / "ihatemoney-7.2.1-bills.csv").read_bytes()
    looked = client.post(
        url,
        data={
            "file": (io.BytesIO(raw), "picos.csv"),
            "action": "check",
            "csrf_token": token.group(1),
        },
        content_type="multipart/form-data",
    )
    assert looked.status_code == 200, looked.text
    assert looked.text.count('class="switch-line"') == 9
    assert "unknown-weight" in looked.text  # Pablo's weight: the file does not say
    assert _count(system) == 0
    content = re.search(r'name="content" value="([^"]+)"', looked.text)
    pablo = re.search(r'name="name-(\d+)" value="Pablo"', looked.text)
    assert content
    assert pablo
    imported = client.post(
        url,
        data={
            "content": content.group(1),
            "filename": "picos.csv",
            "action": "import",
            f"weight-{pablo.group(1)}": "2",
            f"name-{pablo.group(1)}": "Pablo",
            "csrf_token": token.group(1),
        },
    )
    assert imported.status_code == 302, imported.text
    assert _count(system) == 9
    wrong = client.post(
        url,
        data={
            "file": (io.BytesIO(b"hola"), "x.txt"),
            "action": "check",
            "csrf_token": token.group(1),
        },
        content_type="multipart/form-data",
    )
    assert wrong.status_code == 422
    assert "ihatemoney (CSV)" in wrong.text
    other = client.application.test_client()
    log_in(other, cast.participant.email)
    assert other.get(url).status_code == 403
