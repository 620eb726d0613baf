"""Logging out ends the session (issue 15, item 3): a copied cookie stops working at logout,
"log out everywhere" ends every session, a password change ends the others, sessions end after
their absolute lifetime, and API tokens may expire. Through the web forms and the real API."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from flask.testing import FlaskClient
from sqlalchemy import update

from tests.builders import PASSWORD, Person, a_person
from tests.gateway.test_web_pages import log_in, submit
from tests.problems import assert_problem
from tripbot.events.models import ApiToken, WebSession
from tripbot.system import System

COOKIE = "tripbot_session"
NEW_PASSWORD = "mochila azul 2026"


def _browser(system: System) -> FlaskClient:
    return system.gateway.test_client()


def _copy_of(client: FlaskClient, system: System) -> FlaskClient:
    """Another browser holding a copy of the client's session cookie (as a thief would)."""
    cookie = client.get_cookie(COOKIE)
    assert cookie is not None
    thief = _browser(system)
    thief.set_cookie(COOKIE, cookie.value)
    return thief


def _logged_in(client: FlaskClient) -> bool:
    answer = client.get("/account")
    assert answer.status_code in (200, 302)
    return answer.status_code == 200


def _expire(system: System, model: type[WebSession] | type[ApiToken]) -> None:
    """As if the lifetime had passed (and the few seconds the gateway remembers who is asking:
    an expiry, unlike a logout or a revocation, is no request that could tell it)."""
    with system.databases["events"].unit_of_work() as uow:
        past = datetime.now(UTC) - timedelta(seconds=1)
        uow.session.execute(update(model).values(expires_at=past))
        uow.commit()
    system.gateway.extensions["tripbot.identity_cache"].forget()


@pytest.fixture
def ana(http: httpx.Client) -> Person:
    """Someone with an account and an API token."""
    return a_person(http)


def test_logging_out_ends_the_session_for_every_copy_of_the_cookie(
    system: System, ana: Person
) -> None:
    browser = _browser(system)
    log_in(browser, ana.email)
    thief = _copy_of(browser, system)
    assert _logged_in(thief)
    submit(browser, "/logout")
    assert not _logged_in(browser)
    assert not _logged_in(thief)


def test_logging_out_everywhere_ends_every_session(system: System, ana: Person) -> None:
    laptop, phone = _browser(system), _browser(system)
    log_in(laptop, ana.email)
    log_in(phone, ana.email)
    answer = submit(laptop, "/logout/everywhere", page="/account/password")
    assert answer.status_code == 302
    assert not _logged_in(laptop)
    assert not _logged_in(phone)
    log_in(phone, ana.email)  # and one can log in again
    assert _logged_in(phone)


def test_changing_the_password_on_the_web_ends_the_other_sessions(
    system: System, ana: Person, http: httpx.Client
) -> None:
    laptop, phone = _browser(system), _browser(system)
    log_in(laptop, ana.email)
    log_in(phone, ana.email)
    change = {"current_password": PASSWORD, "new_password": NEW_PASSWORD}
    answer = submit(laptop, "/account/password", change, page="/account/password")
    assert answer.status_code == 302
    assert "Tu contraseña se ha cambiado" in laptop.get(answer.headers["Location"]).text
    assert _logged_in(laptop)
    assert not _logged_in(phone)
    old = http.post("/api/v1/auth/token", json={"email": ana.email, "password": PASSWORD})
    assert old.status_code == 401
    new = http.post("/api/v1/auth/token", json={"email": ana.email, "password": NEW_PASSWORD})
    assert new.status_code == 201
    assert http.get("/api/v1/me", headers=ana.headers).status_code == 200  # tokens go on


def test_the_password_form_needs_the_current_password_and_a_strong_new_one(
    system: System, ana: Person
) -> None:
    browser = _browser(system)
    log_in(browser, ana.email)
    wrong = {"current_password": "not my password", "new_password": NEW_PASSWORD}
    refused = submit(browser, "/account/password", wrong, page="/account/password")
    assert refused.status_code == 422
    assert "La contraseña actual no es correcta" in refused.text
    weak = {"current_password": PASSWORD, "new_password": "1234567890"}
    refused = submit(browser, "/account/password", weak, page="/account/password")
    assert refused.status_code == 422
    assert "listas de contraseñas filtradas" in refused.text
    log_in(_browser(system), ana.email)  # the password is still the old one


def test_changing_the_password_through_the_api_ends_every_web_session(
    system: System, ana: Person, http: httpx.Client
) -> None:
    browser = _browser(system)
    log_in(browser, ana.email)
    wrong = {"current_password": "not my password", "new_password": NEW_PASSWORD}
    refused = http.post("/api/v1/me/password", json=wrong, headers=ana.headers)
    assert assert_problem(refused, 422, "invalid-input")["field"] == "current_password"
    assert _logged_in(browser)
    change = {"current_password": PASSWORD, "new_password": NEW_PASSWORD}
    answer = http.post("/api/v1/me/password", json=change, headers=ana.headers)
    assert answer.status_code == 204
    assert not _logged_in(browser)
    log_in(browser, ana.email, NEW_PASSWORD)


def test_a_password_change_needs_to_be_logged_in(http: httpx.Client) -> None:
    change = {"current_password": PASSWORD, "new_password": NEW_PASSWORD}
    assert_problem(http.post("/api/v1/me/password", json=change), 401, "not-authenticated")


def test_a_session_ends_after_its_lifetime_however_used(system: System, ana: Person) -> None:
    browser = _browser(system)
    log_in(browser, ana.email)
    cookie = browser.get_cookie(COOKIE)
    assert cookie is not None
    assert cookie.expires is not None
    days = (cookie.expires - datetime.now(UTC)).days
    assert days == system.settings.session_lifetime_days - 1
    _expire(system, WebSession)
    assert not _logged_in(browser)


def test_an_api_token_may_be_given_an_expiry(
    system: System, ana: Person, http: httpx.Client
) -> None:
    body = {"email": ana.email, "password": PASSWORD, "name": "script", "expires_in_days": 7}
    created = http.post("/api/v1/auth/token", json=body)
    assert created.status_code == 201
    expires_at = datetime.fromisoformat(created.json()["expires_at"])
    assert timedelta(days=6, hours=23) < expires_at - datetime.now(UTC) <= timedelta(days=7)
    headers = {"Authorization": f"Bearer {created.json()['token']}"}
    assert http.get("/api/v1/me", headers=headers).status_code == 200
    _expire(system, ApiToken)
    assert_problem(http.get("/api/v1/me", headers=headers), 401, "not-authenticated", "expired")


def test_an_api_token_without_an_expiry_lasts(http: httpx.Client, ana: Person) -> None:
    created = http.post("/api/v1/auth/token", json={"email": ana.email, "password": PASSWORD})
    assert created.json()["expires_at"] is None


def test_the_token_form_may_give_an_expiry(system: System, ana: Person) -> None:
    browser = _browser(system)
    log_in(browser, ana.email)
    form = {"name": "script", "expires_in_days": "30", "password": PASSWORD}
    created = submit(browser, "/account/tokens", form, page="/account/tokens")
    assert created.status_code == 201
    secret = re.search(r'id="token-secret"[^>]*value="([^"]+)"', created.text)
    assert secret is not None
    forever = {"name": "forever", "password": PASSWORD}
    never = submit(browser, "/account/tokens", forever, page="/account/tokens")
    assert never.status_code == 201
    assert browser.get("/account/tokens").text.count("caduca el") == 1  # only the first
    zero = {"name": "x", "expires_in_days": "0", "password": PASSWORD}
    bad = submit(browser, "/account/tokens", zero)
    assert bad.status_code == 422
