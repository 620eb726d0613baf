"""Guessing is slowed per client address and per account, and nobody can lock anyone out
(issue 15, items 2 and 10): through the real API and the web login form."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from flask.testing import FlaskClient

from tests.builders import PASSWORD, a_person_in, user_payload
from tests.conftest import make_settings
from tests.gateway.test_web_pages import csrf_token
from tests.problems import assert_problem
from tripbot.system import System, build_embedded

# Documentation addresses (RFC 5737): requests never leave the process (WSGI in memory).
ATTACKER = "192.0.2.66"
OWNER = "198.51.100.7"


@pytest.fixture
def limited(
    request: pytest.FixtureRequest, tmp_path: Path, database_urls: dict[str, str]
) -> Iterator[System]:
    """A system with tight limits: three wrong passwords per account and address a minute,
    ten attempts per address a minute (or as the test's parameter says)."""
    overrides: dict[str, Any] = {
        "login_failure_limit": "3/minute",
        "auth_rate_limit": "10/minute",
        **getattr(request, "param", {}),
    }
    built = build_embedded(
        make_settings(tmp_path, **overrides), database_urls, run_migrations=False
    )
    yield built
    built.close()


def _from(system: System, address: str, **headers: str) -> httpx.Client:
    transport = httpx.WSGITransport(app=system.gateway, remote_addr=address)
    return httpx.Client(transport=transport, base_url="http://testserver", headers=headers)


def _token(http: httpx.Client, email: str, password: str) -> httpx.Response:
    return http.post("/api/v1/auth/token", json={"email": email, "password": password})


def test_wrong_passwords_slow_the_guesser_not_the_owner(limited: System) -> None:
    ana = a_person_in(limited, email="ana@club.example")
    with _from(limited, ATTACKER) as guesser, _from(limited, OWNER) as owner:
        for _ in range(3):
            assert_problem(_token(guesser, ana.email, "wrong password!"), 401, "not-authenticated")
        refused = _token(guesser, ana.email, PASSWORD)  # even the right one, from there
        body = assert_problem(refused, 429, "too-many-attempts", "try again in")
        assert 0 < int(refused.headers["Retry-After"]) <= 60
        assert body["retry_after"] == int(refused.headers["Retry-After"])
        assert _token(owner, ana.email, PASSWORD).status_code == 201
        assert _token(owner, ana.email, PASSWORD).status_code == 201


def test_unknown_and_known_emails_get_the_same_answers(limited: System) -> None:
    a_person_in(limited, email="ana@club.example")
    answers: dict[str, list[tuple[int, str]]] = {}
    with _from(limited, ATTACKER) as guesser:
        for email in ("ana@club.example", "nobody@club.example"):
            replies = [_token(guesser, email, "wrong password!") for _ in range(4)]
            answers[email] = [(r.status_code, r.json()["type"]) for r in replies]
    assert answers["ana@club.example"] == answers["nobody@club.example"]
    assert [status for status, _ in answers["nobody@club.example"]] == [401, 401, 401, 429]


def test_the_right_password_from_the_owners_address_never_counts(limited: System) -> None:
    ana = a_person_in(limited, email="ana@club.example")
    with _from(limited, OWNER) as owner:
        for _ in range(5):  # more than the wrong-password limit, all right
            assert _token(owner, ana.email, PASSWORD).status_code == 201


@pytest.mark.parametrize("limited", [{"auth_rate_limit": "4/minute"}], indirect=True)
def test_one_address_gets_a_few_attempts_a_minute_registering_included(limited: System) -> None:
    with _from(limited, ATTACKER) as guesser, _from(limited, OWNER) as other:
        emails = [f"person{n}@club.example" for n in range(3)]
        for email in emails:
            answer = guesser.post("/api/v1/auth/register", json=user_payload(email=email))
            assert answer.status_code == 201
        assert _token(guesser, emails[0], "wrong password!").status_code == 401
        taken = guesser.post("/api/v1/auth/register", json=user_payload(email=emails[0]))
        assert_problem(taken, 429, "too-many-attempts")  # not 409: registering tells no faster
        assert_problem(_token(guesser, "someone@club.example", PASSWORD), 429, "too-many-attempts")
        assert _token(other, emails[1], PASSWORD).status_code == 201


@pytest.mark.parametrize("limited", [{"forwarded_hops": 1}], indirect=True)
def test_behind_a_proxy_each_forwarded_client_counts_apart(limited: System) -> None:
    ana = a_person_in(limited, email="ana@club.example")
    with (
        _from(limited, "127.0.0.1", **{"X-Forwarded-For": ATTACKER}) as guesser,
        _from(limited, "127.0.0.1", **{"X-Forwarded-For": OWNER}) as owner,
    ):
        for _ in range(3):
            assert _token(guesser, ana.email, "wrong password!").status_code == 401
        assert_problem(_token(guesser, ana.email, PASSWORD), 429, "too-many-attempts")
        assert _token(owner, ana.email, PASSWORD).status_code == 201


def _web(system: System, address: str) -> FlaskClient:
    client = system.gateway.test_client()
    client.environ_base["REMOTE_ADDR"] = address
    return client


def _web_login(client: FlaskClient, email: str, password: str) -> Any:
    token = csrf_token(client, "/login")
    return client.post("/login", data={"email": email, "password": password, "csrf_token": token})


def test_the_web_form_slows_the_guesser_not_the_owner(limited: System) -> None:
    ana = a_person_in(limited, email="ana@club.example")
    guesser, owner = _web(limited, ATTACKER), _web(limited, OWNER)
    for _ in range(3):
        assert _web_login(guesser, ana.email, "wrong password!").status_code == 422
    refused = _web_login(guesser, ana.email, PASSWORD)
    assert refused.status_code == 429
    assert int(refused.headers["Retry-After"]) > 0
    assert "Demasiados intentos" in refused.text
    assert _web_login(owner, ana.email, PASSWORD).status_code == 302
    assert owner.get("/events").status_code == 200


@pytest.mark.parametrize("limited", [{"auth_rate_limit": "3/minute"}], indirect=True)
def test_showing_the_forms_is_no_attempt(limited: System) -> None:
    ana = a_person_in(limited, email="ana@club.example")
    browser = _web(limited, OWNER)
    for _ in range(5):
        assert browser.get("/login").status_code == 200
        assert browser.get("/register").status_code == 200
    assert _web_login(browser, ana.email, PASSWORD).status_code == 302


FORMS_THAT_TAKE_THE_PASSWORD: dict[str, tuple[str, Callable[[str], dict[str, str]], int]] = {
    "token": ("/account/tokens", lambda password: {"name": "script", "password": password}, 201),
    "password-change": (
        "/account/password",
        lambda password: {"current_password": password, "new_password": "mochila azul 2026"},
        302,
    ),
}


@pytest.mark.parametrize("form", sorted(FORMS_THAT_TAKE_THE_PASSWORD))
def test_a_borrowed_session_guessing_the_password_waits_as_at_login(
    limited: System, form: str
) -> None:
    # Guessing the password through a borrowed session, to mint a token that outlives it or to
    # take the account over, is slowed as at login; the owner, elsewhere, goes on.
    action, fields, done = FORMS_THAT_TAKE_THE_PASSWORD[form]
    ana = a_person_in(limited, email="ana@club.example")
    borrowed, own = _web(limited, ATTACKER), _web(limited, OWNER)
    for browser in (borrowed, own):
        assert _web_login(browser, ana.email, PASSWORD).status_code == 302

    def attempt(browser: FlaskClient, password: str) -> Any:
        token = csrf_token(browser, action)
        return browser.post(action, data={**fields(password), "csrf_token": token})

    assert attempt(borrowed, "wrong password!").status_code == 422
    time.sleep(1.1)  # the session cookie is signed anew each second: the count must not restart
    for _ in range(2):
        assert attempt(borrowed, "wrong password!").status_code == 422
    refused = attempt(borrowed, PASSWORD)
    assert refused.status_code == 429
    assert "Demasiados intentos" in refused.text
    assert attempt(own, PASSWORD).status_code == done
