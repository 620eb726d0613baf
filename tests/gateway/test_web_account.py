"""Web pages of the account: register, log in and out, profile, personal API tokens."""

from __future__ import annotations

import re

import httpx
import pytest
from flask.testing import FlaskClient

from tests.builders import PASSWORD, a_person
from tests.gateway.test_web_pages import a_guest, html_lang, submit

GOOD = {"display_name": "Ana", "email": "ana@club.example", "password": PASSWORD, "language": "es"}


def test_registering_opens_a_session_and_greets(client: FlaskClient, http: httpx.Client) -> None:
    response = submit(client, "/register", GOOD, page="/register")
    assert response.status_code == 302
    assert response.headers["Location"] == "/events"
    page = client.get("/events").text
    assert "¡Bienvenido a TripBot, Ana!" in page
    assert "Ana" in page
    assert "Todavía no tienes eventos." in page
    me = http.post("/api/v1/auth/token", json={"email": "ana@club.example", "password": PASSWORD})
    assert me.status_code == 201


def test_the_register_page_offers_the_ui_language(client: FlaskClient) -> None:
    english = client.get("/register", headers={"Accept-Language": "en"}).text
    assert '<option value="en" selected>' in english
    assert '<option value="es" selected>' in client.get("/register").text


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("email", "not-an-email", "Escribe una dirección de correo válida."),
        ("password", "short", "Usa al menos 10 caracteres."),
        ("display_name", "   ", "Este campo es obligatorio."),
        ("language", "fr", "Elige una de las opciones."),
    ],
)
def test_registering_with_a_bad_field_shows_why(
    client: FlaskClient, field: str, value: str, message: str
) -> None:
    response = submit(client, "/register", {**GOOD, field: value}, page="/register")
    assert response.status_code == 422
    assert message in response.text
    assert 'aria-invalid="true"' in response.text
    if field != "password":
        assert PASSWORD not in response.text  # the password is never sent back
    assert client.get("/events").status_code == 302  # nobody is logged in


def test_registering_keeps_what_was_typed(client: FlaskClient) -> None:
    response = submit(client, "/register", {**GOOD, "password": "short"}, page="/register")
    assert 'value="ana@club.example"' in response.text
    assert 'value="Ana"' in response.text


def test_registering_a_taken_email_says_so(client: FlaskClient, http: httpx.Client) -> None:
    a_person(http, email="ana@club.example")
    response = submit(client, "/register", {**GOOD, "email": "ANA@club.example"}, page="/register")
    assert response.status_code == 422
    assert "Ya existe una cuenta con este correo electrónico." in response.text


def test_logging_in_and_out(client: FlaskClient, http: httpx.Client) -> None:
    person = a_person(http, display_name="Bea")
    response = submit(client, "/login", {"email": person.email, "password": PASSWORD})
    assert response.status_code == 302
    page = client.get("/events").text
    assert "Hola, Bea." in page
    assert client.get("/login").status_code == 302  # already logged in

    out = submit(client, "/logout", page="/events")
    assert out.status_code == 302
    assert out.headers["Location"] == "/"
    assert "Has cerrado la sesión." in client.get("/").text
    assert client.get("/events").status_code == 302


def test_logging_in_speaks_the_language_of_the_profile(
    client: FlaskClient, http: httpx.Client
) -> None:
    person = a_person(http, display_name="Dora", language="en")
    response = submit(client, "/login", {"email": person.email, "password": PASSWORD})
    assert "tripbot_lang=en" in response.headers["Set-Cookie"]
    page = client.get("/events").text
    assert html_lang(page) == "en"
    assert "Hello, Dora." in page


def test_a_wrong_password_is_refused_with_a_message(
    client: FlaskClient, http: httpx.Client
) -> None:
    person = a_person(http)
    response = submit(client, "/login", {"email": person.email, "password": "wrong password!"})
    assert response.status_code == 422
    assert "Correo electrónico o contraseña incorrectos." in response.text
    assert f'value="{person.email}"' in response.text
    assert client.get("/events").status_code == 302


def test_an_unknown_email_gets_the_same_answer(client: FlaskClient) -> None:
    response = submit(client, "/login", {"email": "nobody@club.example", "password": PASSWORD})
    assert response.status_code == 422
    assert "Correo electrónico o contraseña incorrectos." in response.text


def test_a_malformed_login_shows_the_field(client: FlaskClient) -> None:
    response = submit(client, "/login", {"email": "nope", "password": ""})
    assert response.status_code == 422
    assert "Escribe una dirección de correo válida." in response.text
    assert "Este campo es obligatorio." in response.text


def test_the_profile_changes_the_name_and_the_language(
    client: FlaskClient, http: httpx.Client
) -> None:
    person = a_guest(client, http, display_name="Carla")
    page = client.get("/account").text
    assert 'value="Carla"' in page
    assert person.email in page
    response = submit(client, "/account", {"display_name": "Carla R.", "language": "en"})
    assert response.status_code == 302
    assert "tripbot_lang=en" in response.headers["Set-Cookie"]
    page = client.get("/account").text
    assert html_lang(page) == "en"
    assert "Your profile was saved." in page
    me = http.get("/api/v1/me", headers=person.headers).json()
    assert (me["display_name"], me["language"]) == ("Carla R.", "en")


def test_the_profile_refuses_an_empty_name(client: FlaskClient, http: httpx.Client) -> None:
    a_guest(client, http)
    response = submit(client, "/account", {"display_name": " ", "language": "es"})
    assert response.status_code == 422
    assert "Este campo es obligatorio." in response.text


def test_an_api_token_is_shown_once_works_and_can_be_revoked(
    client: FlaskClient, http: httpx.Client
) -> None:
    person = a_guest(client, http)
    created = submit(client, "/account/tokens", {"name": "portátil", "password": PASSWORD})
    assert created.status_code == 201
    found = re.search(r'id="token-secret" class="copy-source" value="(tb_[^"]+)"', created.text)
    assert found
    secret = found.group(1)
    headers = {"Authorization": f"Bearer {secret}"}
    assert http.get("/api/v1/me", headers=headers).json()["id"] == person.id

    listing = client.get("/account/tokens").text
    assert secret not in listing
    assert "portátil" in listing
    assert secret[:10] in listing
    token_id = http.get("/api/v1/me/tokens", headers=headers).json()[-1]["id"]
    revoked = submit(client, f"/account/tokens/{token_id}/revoke")
    assert revoked.status_code == 302
    assert "Se ha revocado el token." in client.get("/account/tokens").text
    assert http.get("/api/v1/me", headers=headers).status_code == 401


def test_an_api_token_needs_a_name(client: FlaskClient, http: httpx.Client) -> None:
    a_guest(client, http)
    response = submit(client, "/account/tokens", {"name": "", "password": PASSWORD})
    assert response.status_code == 422
    assert "Este campo es obligatorio." in response.text


def _secret_on(page: str) -> str | None:
    found = re.search(r'id="token-secret" class="copy-source" value="(tb_[^"]+)"', page)
    return found.group(1) if found else None


@pytest.mark.parametrize(
    ("password", "message"),
    [
        pytest.param("not my password", "Esa no es tu contraseña actual.", id="wrong"),
        pytest.param("", "Este campo es obligatorio.", id="missing"),
    ],
)
def test_an_api_token_takes_ones_current_password(
    client: FlaskClient, http: httpx.Client, password: str, message: str
) -> None:
    # A session alone (a copied cookie, a borrowed browser) mints nothing that outlives it.
    person = a_guest(client, http)
    refused = submit(client, "/account/tokens", {"name": "robado", "password": password})
    assert refused.status_code == 422
    assert message in refused.text
    assert 'aria-invalid="true"' in refused.text
    assert _secret_on(refused.text) is None
    assert 'value="robado"' in refused.text  # what was typed stays, but the password
    assert "not my password" not in refused.text
    listed = http.get("/api/v1/me/tokens", headers=person.headers).json()
    assert [t["name"] for t in listed] == ["API"]  # only the one a_person made


def test_the_token_form_asks_for_the_password_in_english_too(
    client: FlaskClient, http: httpx.Client
) -> None:
    a_guest(client, http, language="en")
    page = client.get("/account/tokens").text
    assert 'type="password"' in page
    assert 'autocomplete="current-password"' in page
    refused = submit(client, "/account/tokens", {"name": "x", "password": "not my password"})
    assert refused.status_code == 422
    assert "That is not your current password." in refused.text


def test_an_api_token_is_made_with_the_right_password(
    client: FlaskClient, http: httpx.Client
) -> None:
    person = a_guest(client, http)
    submit(client, "/account/tokens", {"name": "x", "password": "not my password"})
    created = submit(client, "/account/tokens", {"name": "script", "password": PASSWORD})
    assert created.status_code == 201
    secret = _secret_on(created.text)
    assert secret is not None
    headers = {"Authorization": f"Bearer {secret}"}
    assert http.get("/api/v1/me", headers=headers).json()["id"] == person.id
    assert PASSWORD not in created.text


def test_revoking_someone_elses_token_is_not_found(client: FlaskClient, http: httpx.Client) -> None:
    other = a_person(http)
    other_token = http.get("/api/v1/me/tokens", headers=other.headers).json()[0]["id"]
    a_guest(client, http)
    response = submit(client, f"/account/tokens/{other_token}/revoke")
    assert response.status_code == 404
    assert http.get("/api/v1/me", headers=other.headers).status_code == 200


def test_the_login_page_links_to_registering(client: FlaskClient) -> None:
    assert 'href="/register"' in client.get("/login").text
