"""Linking Telegram from the public API and the account page, through the whole system."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from flask.testing import FlaskClient

from tests.builders import a_person
from tests.gateway.test_web_pages import a_guest, submit
from tests.problems import assert_problem
from tripbot.events.client import EventsClient
from tripbot.events.schemas import TelegramLinkCreate
from tripbot.platform.errors import Gone
from tripbot.platform.identity import SYSTEM
from tripbot.system import System

BOT = "TripBotClubBot"
CODE = re.compile(r'id="telegram-start" class="copy-source" value="/start ([A-Za-z0-9_-]+)"')


@pytest.fixture
def with_bot(system: System, monkeypatch: pytest.MonkeyPatch) -> str:
    """The gateway configured with a bot username (as TRIPBOT_BOT_USERNAME would)."""
    settings = system.gateway.extensions["tripbot.settings"]
    monkeypatch.setitem(
        system.gateway.extensions,
        "tripbot.settings",
        settings.model_copy(update={"bot_username": BOT}),
    )
    return BOT


def _bot(system: System) -> EventsClient:
    client: EventsClient = system.gateway.extensions["tripbot.services"].events(SYSTEM)
    return client


def _link_code(http: httpx.Client, headers: dict[str, str]) -> dict[str, Any]:
    answer = http.post("/api/v1/me/telegram/link-code", headers=headers)
    assert answer.status_code == 201, answer.text
    body: dict[str, Any] = answer.json()
    return body


# ---- public API ----------------------------------------------------------------------------


def test_a_link_code_from_the_api_links_through_the_bot(
    system: System, http: httpx.Client, with_bot: str
) -> None:
    ana = a_person(http)
    assert http.get("/api/v1/me/telegram", headers=ana.headers).json() == {
        "linked": False,
        "linked_at": None,
        "telegram_user_id": None,
    }
    created = _link_code(http, ana.headers)
    assert created["deep_link"] == f"https://t.me/{with_bot}?start={created['code']}"
    expires = datetime.fromisoformat(created["expires_at"])
    assert timedelta(minutes=9) < expires - datetime.now(UTC) <= timedelta(minutes=10)

    linked = _bot(system).link_telegram(
        TelegramLinkCreate(code=created["code"], telegram_user_id=123456789)
    )
    assert linked.user.id == ana.id
    status = http.get("/api/v1/me/telegram", headers=ana.headers).json()
    assert status["linked"] is True
    assert status["telegram_user_id"] == 123456789
    assert datetime.fromisoformat(status["linked_at"]) == linked.linked_at

    assert http.delete("/api/v1/me/telegram", headers=ana.headers).status_code == 204
    assert http.delete("/api/v1/me/telegram", headers=ana.headers).status_code == 204
    assert http.get("/api/v1/me/telegram", headers=ana.headers).json()["linked"] is False


def test_without_a_bot_username_the_code_has_no_deep_link(http: httpx.Client) -> None:
    ana = a_person(http)
    created = _link_code(http, ana.headers)
    assert created["deep_link"] is None
    assert re.fullmatch(r"[A-Za-z0-9_-]{20,64}", created["code"])


def test_a_new_code_from_the_api_retires_the_previous_one(
    system: System, http: httpx.Client
) -> None:
    ana = a_person(http)
    first = _link_code(http, ana.headers)["code"]
    second = _link_code(http, ana.headers)["code"]
    with pytest.raises(Gone, match="expired"):
        _bot(system).link_telegram(TelegramLinkCreate(code=first, telegram_user_id=1))
    assert (
        _bot(system).link_telegram(TelegramLinkCreate(code=second, telegram_user_id=1)).user.id
        == ana.id
    )


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("POST", "/api/v1/me/telegram/link-code"),
        ("GET", "/api/v1/me/telegram"),
        ("DELETE", "/api/v1/me/telegram"),
    ],
)
def test_the_telegram_endpoints_need_a_person(http: httpx.Client, method: str, path: str) -> None:
    assert_problem(http.request(method, path), 401, "not-authenticated", "Authorization: Bearer")
    bad = {"Authorization": "Bearer tb_not-a-token"}
    assert_problem(http.request(method, path, headers=bad), 401, "not-authenticated")


def test_the_telegram_endpoints_are_in_the_openapi(http: httpx.Client) -> None:
    spec = http.get("/api/v1/openapi.json").json()
    assert set(spec["paths"]["/api/v1/me/telegram"]) >= {"get", "delete"}
    created = spec["paths"]["/api/v1/me/telegram/link-code"]["post"]["responses"]["201"]
    reference = created["content"]["application/json"]["schema"]["$ref"]
    schema = spec["components"]["schemas"][reference.rsplit("/", 1)[1]]
    assert set(schema["required"]) == {"code", "expires_at", "deep_link"}


# ---- the account page ----------------------------------------------------------------------


def test_the_account_page_links_telegram_in_spanish(
    system: System, client: FlaskClient, http: httpx.Client, with_bot: str
) -> None:
    person = a_guest(client, http)
    page = client.get("/account").text
    assert 'data-linked="false"' in page
    assert "Vincular Telegram" in page

    shown = submit(client, "/account/telegram/link", page="/account")
    assert shown.status_code == 201
    found = CODE.search(shown.text)
    assert found, shown.text
    code = found.group(1)
    assert f'href="https://t.me/{with_bot}?start={code}"' in shown.text
    assert "Abrir Telegram" in shown.text
    assert f"O envía al bot @{with_bot} este mensaje:" in shown.text
    assert "El código sirve una sola vez, durante 10 minutos" in shown.text
    assert code not in client.get("/account").text  # shown once, kept nowhere

    _bot(system).link_telegram(TelegramLinkCreate(code=code, telegram_user_id=555))
    linked = client.get("/account").text
    assert 'data-linked="true"' in linked
    assert "Vinculado desde el" in linked
    assert "Vincular Telegram" not in linked

    unlinked = submit(client, "/account/telegram/unlink", page="/account")
    assert unlinked.status_code == 302
    assert unlinked.headers["Location"] == "/account"
    after = client.get("/account").text
    assert "Se ha desvinculado tu cuenta de Telegram." in after
    assert 'data-linked="false"' in after
    headers = person.headers
    assert http.get("/api/v1/me/telegram", headers=headers).json()["linked"] is False


def test_the_account_page_speaks_english_too(
    client: FlaskClient, http: httpx.Client, with_bot: str
) -> None:
    a_guest(client, http, language="en")  # logging in switches the pages to one's language
    assert "Link Telegram" in client.get("/account").text
    shown = submit(client, "/account/telegram/link", page="/account")
    assert "Open Telegram" in shown.text
    assert f"Or send the bot @{with_bot} this message:" in shown.text
    assert "The code works once, for 10 minutes" in shown.text


def test_without_a_bot_the_account_page_says_so(client: FlaskClient, http: httpx.Client) -> None:
    a_guest(client, http)
    page = client.get("/account").text
    assert "Este TripBot no tiene configurado ningún bot de Telegram" in page
    assert 'id="telegram-link-form"' not in page


def test_linking_from_the_web_needs_the_csrf_token_and_a_session(
    client: FlaskClient, http: httpx.Client, system: System
) -> None:
    anonymous = submit(client, "/account/telegram/link")
    assert anonymous.status_code == 302
    assert anonymous.headers["Location"].startswith("/login")
    person = a_guest(client, http)
    forged = client.post("/account/telegram/link", data={"csrf_token": "forged"})
    assert forged.status_code == 400
    assert CODE.search(forged.text) is None
    _bot(system).link_telegram(
        TelegramLinkCreate(code=_link_code(http, person.headers)["code"], telegram_user_id=77)
    )
    assert client.post("/account/telegram/unlink").status_code == 400
    assert http.get("/api/v1/me/telegram", headers=person.headers).json()["linked"] is True


def test_visitors_are_sent_to_log_in(client: FlaskClient) -> None:
    response = client.get("/account")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login")
