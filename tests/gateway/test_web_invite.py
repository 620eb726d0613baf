"""The invitation page: see where a link leads, log in or register right there, and join."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from flask.testing import FlaskClient

from tests.builders import PASSWORD, Person, a_person, an_event, events_call
from tests.conftest import make_settings
from tests.gateway.test_web_pages import csrf_token, log_in, member_roles, submit
from tripbot.events import service
from tripbot.events.schemas import UserRegister
from tripbot.system import System, build_embedded


def _invitation(http: httpx.Client, owner: Person, event: dict[str, Any], **body: Any) -> str:
    created = http.post(
        f"/api/v1/events/{event['id']}/invitations", json=body, headers=owner.headers
    )
    assert created.status_code == 201, created.text
    code: str = created.json()["code"]
    return code


def _register_from(client: FlaskClient, code: str, email: str, name: str) -> Any:
    page = client.get(f"/register?invitation={code}&next=/invite/{code}")
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert token
    return client.post(
        "/register",
        data={
            "csrf_token": token.group(1),
            "invitation": code,
            "next": f"/invite/{code}",
            "display_name": name,
            "email": email,
            "password": PASSWORD,
            "language": "es",
        },
    )


def test_a_visitor_sees_where_the_link_leads_and_the_ways_in(
    client: FlaskClient, http: httpx.Client
) -> None:
    owner = a_person(http)
    event = an_event(http, owner, name="Ruta del Cares")
    code = _invitation(http, owner, event, role="organizer")
    page = client.get(f"/invite/{code}")
    assert page.status_code == 200
    assert "Ruta del Cares" in page.text
    assert "organizador" in page.text
    assert f'href="/login?next=/invite/{code}"' in page.text
    assert f'href="/register?invitation={code}&amp;next=/invite/{code}"' in page.text
    assert 'id="accept-form"' not in page.text


def test_an_unknown_invitation_is_not_found(client: FlaskClient) -> None:
    response = client.get("/invite/no-such-code")
    assert response.status_code == 404
    assert "No existe esa invitación; revisa el enlace." in response.text


def test_registering_from_the_link_joins_the_event(client: FlaskClient, http: httpx.Client) -> None:
    owner = a_person(http)
    event = an_event(http, owner, name="Ruta del Cares")
    code = _invitation(http, owner, event)
    form = client.get(f"/register?invitation={code}&next=/invite/{code}").text
    assert "Te han invitado a Ruta del Cares." in form
    assert "Crear la cuenta y unirme" in form

    response = _register_from(client, code, "nuevo@club.example", "Nuevo")
    assert response.status_code == 302
    assert response.headers["Location"] == f"/invite/{code}"
    page = client.get(f"/invite/{code}").text
    assert "Eres miembro de este evento, como participante." in page
    assert 'id="open-event"' in page
    event_page = client.get(f"/events/{event['id']}").text
    assert sorted(member_roles(event_page).values()) == ["owner", "participant"]


def test_logging_in_from_the_link_comes_back_to_accept(
    client: FlaskClient, http: httpx.Client
) -> None:
    owner = a_person(http)
    event = an_event(http, owner)
    code = _invitation(http, owner, event)
    guest = a_person(http)
    token = csrf_token(client, f"/login?next=/invite/{code}")
    login = client.post(
        "/login",
        data={
            "email": guest.email,
            "password": PASSWORD,
            "next": f"/invite/{code}",
            "csrf_token": token,
        },
    )
    assert login.headers["Location"] == f"/invite/{code}"
    page = client.get(f"/invite/{code}").text
    assert 'id="accept-form"' in page
    accepted = submit(client, f"/invite/{code}", page=f"/invite/{code}")
    assert accepted.status_code == 302
    assert accepted.headers["Location"] == f"/events/{event['id']}"
    event_page = client.get(f"/events/{event['id']}").text
    assert "Te has unido al evento como participante." in event_page
    assert member_roles(event_page) == {owner.id: "owner", guest.id: "participant"}


def test_accepting_needs_a_session(client: FlaskClient, http: httpx.Client) -> None:
    owner = a_person(http)
    code = _invitation(http, owner, an_event(http, owner))
    response = submit(client, f"/invite/{code}")
    assert response.status_code == 302
    assert response.headers["Location"] == f"/login?next=/invite/{code}"


def test_a_used_up_invitation_cannot_be_accepted(client: FlaskClient, http: httpx.Client) -> None:
    owner = a_person(http)
    event = an_event(http, owner)
    code = _invitation(http, owner, event, max_uses=1)
    first = a_person(http)
    http.post(f"/api/v1/invitations/{code}/accept", headers=first.headers)
    late = a_person(http)
    log_in(client, late.email)
    page = client.get(f"/invite/{code}")
    assert page.status_code == 410
    assert "Esta invitación ya se ha usado." in page.text
    assert 'id="accept-form"' not in page.text
    response = submit(client, f"/invite/{code}")
    assert response.headers["Location"] == f"/invite/{code}"
    assert "Esta invitación ya se ha usado." in client.get(f"/invite/{code}").text
    assert client.get(f"/events/{event['id']}").status_code == 404


def test_a_revoked_invitation_says_so(client: FlaskClient, http: httpx.Client) -> None:
    owner = a_person(http)
    event = an_event(http, owner)
    code = _invitation(http, owner, event)
    http.delete(f"/api/v1/events/{event['id']}/invitations/{code}", headers=owner.headers)
    page = client.get(f"/invite/{code}")
    assert page.status_code == 410
    assert "Esta invitación se ha revocado." in page.text
    assert "Pide un enlace nuevo a los organizadores." in page.text


def test_a_member_opening_the_link_again_is_told_so(
    client: FlaskClient, http: httpx.Client
) -> None:
    owner = a_person(http)
    event = an_event(http, owner)
    code = _invitation(http, owner, event, max_uses=1)
    log_in(client, owner.email)
    page = client.get(f"/invite/{code}")
    assert page.status_code == 200
    assert "Eres miembro de este evento, como propietario." in page.text


class TestRegistrationByInvitationOnly:
    """An instance where new accounts come only through invitation links."""

    @pytest.fixture
    def system(self, database_urls: dict[str, str], tmp_path: Path) -> Iterator[System]:
        """The system of an instance open by invitation only."""
        settings = make_settings(tmp_path, registration="invitation")
        built = build_embedded(settings, database_urls, run_migrations=False)
        yield built
        built.close()

    @staticmethod
    def _operator_account(system: System, http: httpx.Client) -> Person:
        data = UserRegister(email="olga@club.example", password=PASSWORD, display_name="Olga")
        user = service.accounts.register(events_call(system.databases["events"]), data)
        token = http.post("/api/v1/auth/token", json={"email": user.email, "password": PASSWORD})
        return Person(user.id, user.email, {"Authorization": f"Bearer {token.json()['token']}"})

    def test_the_register_page_asks_for_an_invitation(self, client: FlaskClient) -> None:
        page = client.get("/register").text
        assert "Solo se pueden abrir cuentas nuevas con un enlace de invitación" in page
        assert 'id="register-form"' not in page
        assert 'href="/register"' not in client.get("/login").text

    def test_registering_without_an_invitation_is_refused(self, client: FlaskClient) -> None:
        response = submit(
            client,
            "/register",
            {"display_name": "X", "email": "x@club.example", "password": PASSWORD},
        )
        assert response.status_code == 403
        assert "Solo se pueden abrir cuentas nuevas con un enlace de invitación" in response.text

    def test_the_invitation_code_opens_the_account(
        self, client: FlaskClient, http: httpx.Client, system: System
    ) -> None:
        owner = self._operator_account(system, http)
        event = an_event(http, owner)
        code = _invitation(http, owner, event)
        response = _register_from(client, code, "invitada@club.example", "Invitada")
        assert response.status_code == 302
        page = client.get(f"/events/{event['id']}").text
        assert sorted(member_roles(page).values()) == ["owner", "participant"]

    def test_a_used_invitation_opens_no_account(
        self, client: FlaskClient, http: httpx.Client, system: System
    ) -> None:
        owner = self._operator_account(system, http)
        code = _invitation(http, owner, an_event(http, owner), max_uses=1)
        _register_from(_fresh(client), code, "first@club.example", "First")
        response = _register_from(client, code, "second@club.example", "Second")
        assert response.status_code == 410
        assert "Esta invitación ya se ha usado." in response.text


def _fresh(client: FlaskClient) -> FlaskClient:
    app: Any = client.application
    other: FlaskClient = app.test_client()
    return other
