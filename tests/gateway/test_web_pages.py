"""The web UI as a whole: languages, CSRF, redirects, login walls; and the helpers other
web test modules share (posting forms as a browser does, with the page's CSRF token)."""

from __future__ import annotations

import re
from typing import Any

import httpx
import pytest
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from tests.builders import PASSWORD, Person, a_person, an_event

CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
MEMBER = re.compile(r'data-user-id="(\d+)" data-role="(\w+)"')


def csrf_token(client: FlaskClient, page: str = "/status") -> str:
    """The CSRF token a page gives this client's session (any page with a form will do)."""
    response = client.get(page)
    assert response.status_code == 200, response.status_code
    found = CSRF.search(response.text)
    assert found, f"no CSRF token on {page}"
    return found.group(1)


def submit(
    client: FlaskClient, action: str, data: dict[str, Any] | None = None, page: str = "/status"
) -> TestResponse:
    """Post a form as a browser would, with a CSRF token from a page of the same session."""
    token = csrf_token(client, page)
    return client.post(action, data={**(data or {}), "csrf_token": token})


def log_in(client: FlaskClient, email: str, password: str = PASSWORD) -> None:
    """Log a web session in."""
    response = submit(client, "/login", {"email": email, "password": password})
    assert response.status_code == 302, response.text


def member_roles(page: str) -> dict[int, str]:
    """The role of each member listed on an event page, by user id."""
    return {int(user_id): role for user_id, role in MEMBER.findall(page)}


def html_lang(page: str) -> str:
    """The language the page declares."""
    found = re.search(r'<html lang="(\w+)">', page)
    assert found
    return found.group(1)


def a_guest(client: FlaskClient, http: httpx.Client, **overrides: Any) -> Person:
    """Someone registered (through the API) and logged in on this web client."""
    person = a_person(http, **overrides)
    log_in(client, person.email)
    return person


# ---- languages ---------------------------------------------------------------------------


def test_spanish_is_the_default_language(client: FlaskClient) -> None:
    page = client.get("/login").text
    assert html_lang(page) == "es"
    assert "Iniciar sesión" in page
    assert "Contraseña" in page


def test_accept_language_picks_english_when_there_is_no_cookie(client: FlaskClient) -> None:
    page = client.get("/login", headers={"Accept-Language": "en-GB,en;q=0.9,fr;q=0.5"}).text
    assert html_lang(page) == "en"
    assert "Password" in page
    assert "Contraseña" not in page


def test_the_language_switch_changes_the_pages_and_goes_back(client: FlaskClient) -> None:
    headers = {"Accept-Language": "en"}
    switched = submit(client, "/language", {"language": "es", "next": "/register"})
    assert switched.status_code == 302
    assert switched.headers["Location"] == "/register"
    spanish = client.get("/register", headers=headers).text
    assert html_lang(spanish) == "es"
    assert "Crear una cuenta" in spanish

    submit(client, "/language", {"language": "en", "next": "/register"})
    english = client.get("/register").text
    assert html_lang(english) == "en"
    assert "Create an account" in english
    assert "Crear una cuenta" not in english


def test_role_names_and_event_kinds_are_translated(client: FlaskClient, http: httpx.Client) -> None:
    owner = a_guest(client, http)
    event = an_event(http, owner, kind="excursion")
    spanish = client.get(f"/events/{event['id']}").text
    assert "propietario" in spanish
    assert "excursión" in spanish
    submit(client, "/language", {"language": "en"})
    english = client.get(f"/events/{event['id']}").text
    assert "owner" in english
    assert "excursion" in english
    assert "propietario" not in english


# ---- CSRF, redirects, login walls ----------------------------------------------------------


@pytest.mark.parametrize(
    ("action", "data"),
    [
        ("/login", {"email": "someone@club.example", "password": PASSWORD}),
        ("/register", {"email": "new@club.example", "password": PASSWORD, "display_name": "N"}),
        ("/language", {"language": "en"}),
    ],
)
def test_a_form_without_its_csrf_token_is_refused(
    client: FlaskClient, action: str, data: dict[str, str]
) -> None:
    response = client.post(action, data=data)
    assert response.status_code == 400
    assert "CSRF" in response.text
    assert "tripbot_lang" not in response.headers.get("Set-Cookie", "")


def test_a_logged_in_form_without_its_csrf_token_changes_nothing(
    client: FlaskClient, http: httpx.Client
) -> None:
    owner = a_guest(client, http)
    event = an_event(http, owner)
    assert client.post(f"/events/{event['id']}/delete").status_code == 400
    assert client.post("/events/new", data={"name": "x"}).status_code == 400
    forged = client.post(f"/events/{event['id']}/delete", data={"csrf_token": "forged"})
    assert forged.status_code == 400
    assert http.get(f"/api/v1/events/{event['id']}", headers=owner.headers).status_code == 200
    assert http.get("/api/v1/events", headers=owner.headers).json()[0]["name"] == event["name"]


@pytest.mark.parametrize(
    "target",
    [
        "https://evil.example",
        "//evil.example",
        "/\\evil.example",
        "/\t/evil.example",
        "javascript:alert(1)",
        "evil.example",
    ],
)
def test_logging_in_never_goes_to_another_site(
    client: FlaskClient, http: httpx.Client, target: str
) -> None:
    person = a_person(http)
    token = csrf_token(client, "/login")
    response = client.post(
        "/login",
        data={"email": person.email, "password": PASSWORD, "next": target, "csrf_token": token},
    )
    assert response.status_code == 302
    assert response.headers["Location"] == "/events"


def test_logging_in_goes_back_to_the_local_page_asked_for(
    client: FlaskClient, http: httpx.Client
) -> None:
    person = a_person(http)
    token = csrf_token(client, "/login")
    response = client.post(
        "/login?next=/account/tokens",
        data={"email": person.email, "password": PASSWORD, "csrf_token": token},
    )
    assert response.headers["Location"] == "/account/tokens"


@pytest.mark.parametrize(
    "path", ["/events", "/events/new", "/events/1", "/events/1/edit", "/account", "/account/tokens"]
)
def test_pages_for_members_send_visitors_to_the_login_page(client: FlaskClient, path: str) -> None:
    response = client.get(path)
    assert response.status_code == 302
    assert response.headers["Location"] == f"/login?next={path}"


def test_the_login_page_sends_back_after_logging_in(
    client: FlaskClient, http: httpx.Client
) -> None:
    person = a_person(http)
    wall = client.get("/account/tokens")
    login_page = client.get(wall.headers["Location"]).text
    assert 'name="next" value="/account/tokens"' in login_page
    token = CSRF.search(login_page)
    assert token
    response = client.post(
        "/login",
        data={
            "email": person.email,
            "password": PASSWORD,
            "next": "/account/tokens",
            "csrf_token": token.group(1),
        },
    )
    assert response.headers["Location"] == "/account/tokens"


def test_pages_keep_to_the_content_security_policy(client: FlaskClient, http: httpx.Client) -> None:
    owner = a_guest(client, http)
    event = an_event(http, owner)
    for path in (
        "/events",
        f"/events/{event['id']}",
        f"/events/{event['id']}/edit",
        "/events/new",
        "/account",
        "/account/tokens",
    ):
        response = client.get(path)
        assert response.status_code == 200, path
        assert "script-src 'self'" in response.headers["Content-Security-Policy"]
        assert " style=" not in response.text, path
        assert not re.search(r"<script(?![^>]*\bsrc=)", response.text), path
        assert not re.search(r"\son[a-z]+=", response.text), path


@pytest.mark.parametrize("target", ["//evil.example", "/\t/evil.example", "/\\evil.example"])
def test_language_switch_never_redirects_to_another_site(client: FlaskClient, target: str) -> None:
    token = csrf_token(client, "/login")
    response = client.post(
        "/language", data={"language": "en", "next": target, "csrf_token": token}
    )
    assert response.status_code == 302
    assert response.headers["Location"] == "/"
