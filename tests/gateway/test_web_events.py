"""Web pages of events: list, create, see, edit, delete; members and roles; invitation links."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import httpx
import pytest
from flask.testing import FlaskClient

from tests.builders import a_member, a_person, an_event
from tests.gateway.test_overview import a_gateway_app
from tests.gateway.test_web_pages import a_guest, log_in, member_roles, submit
from tripbot.system import System

NEW_EVENT = {
    "name": "Ruta del Cares",
    "kind": "excursion",
    "place": "Poncebos",
    "description": "Poncebos - Caín",
    "starts_at": "2027-05-01T08:00",
    "ends_at": "2027-05-01T18:30",
    "timezone": "Europe/Madrid",
    "currency": "EUR",
}


def _event_id(location: str) -> int:
    found = re.fullmatch(r"/events/(\d+)", location)
    assert found, location
    return int(found.group(1))


def _details(event: dict[str, Any]) -> tuple[Any, ...]:
    return tuple(event[k] for k in ("name", "kind", "place", "starts_at", "ends_at", "timezone"))


def _second_client(client: FlaskClient) -> FlaskClient:
    app: Any = client.application
    second: FlaskClient = app.test_client()
    return second


# ---- creating and listing ------------------------------------------------------------------


def test_creating_an_event_reads_the_times_in_its_time_zone(
    client: FlaskClient, http: httpx.Client
) -> None:
    owner = a_guest(client, http)
    form = client.get("/events/new").text
    assert '<option value="Europe/Madrid" selected>' in form
    assert 'type="datetime-local"' in form

    response = submit(client, "/events/new", NEW_EVENT)
    assert response.status_code == 302
    event_id = _event_id(response.headers["Location"])
    stored = http.get(f"/api/v1/events/{event_id}", headers=owner.headers).json()
    assert stored["starts_at"].startswith("2027-05-01T06:00:00")  # 08:00 in Madrid, in UTC
    assert stored["ends_at"].startswith("2027-05-01T16:30:00")
    assert (stored["kind"], stored["place"], stored["my_role"]) == (
        "excursion",
        "Poncebos",
        "owner",
    )

    page = client.get(f"/events/{event_id}").text
    assert "Se ha creado el evento; eres su propietario." in page
    assert "sábado, 1 de mayo de 2027 · 8:00" in page
    assert "sábado, 1 de mayo de 2027 · 18:30" in page
    assert "Europe/Madrid" in page
    assert member_roles(page) == {owner.id: "owner"}


def test_times_are_shown_in_the_events_zone_and_the_ui_language(
    client: FlaskClient, http: httpx.Client
) -> None:
    owner = a_guest(client, http)
    event = an_event(
        http,
        owner,
        starts_at="2027-07-04T18:00:00+00:00",
        ends_at="2027-07-04T23:00:00+00:00",
        timezone="America/New_York",
    )
    spanish = client.get(f"/events/{event['id']}").text
    assert "domingo, 4 de julio de 2027 · 14:00" in spanish
    submit(client, "/language", {"language": "en"})
    english = client.get(f"/events/{event['id']}").text
    assert re.search(r"Sunday, July 4, 2027 · 2:00\sPM", english)  # \s: CLDR's narrow space


@pytest.mark.parametrize(
    ("changes", "field_message"),
    [
        ({"ends_at": "2027-05-01T07:00"}, "El fin no puede ser anterior al inicio."),
        ({"name": "  "}, "Este campo es obligatorio."),
        ({"starts_at": ""}, "Este campo es obligatorio."),
        ({"starts_at": "mañana"}, "Escribe una fecha y una hora."),
        ({"timezone": "Mars/Olympus"}, "Elige una zona horaria de la lista."),
        ({"currency": "EU"}, "Usa un código de moneda de tres letras, como EUR."),
        ({"kind": "party"}, "Elige una de las opciones."),
        ({"name": "x" * 121}, "Usa como máximo 120 caracteres."),
    ],
)
def test_a_bad_event_form_shows_why_and_keeps_the_values(
    client: FlaskClient, http: httpx.Client, changes: dict[str, str], field_message: str
) -> None:
    owner = a_guest(client, http)
    response = submit(client, "/events/new", {**NEW_EVENT, **changes})
    assert response.status_code == 422
    assert field_message in response.text
    assert 'value="Poncebos"' in response.text
    assert http.get("/api/v1/events", headers=owner.headers).json() == []


def test_the_event_list_shows_ones_events_and_roles(
    client: FlaskClient, http: httpx.Client
) -> None:
    owner = a_person(http)
    mine = an_event(http, owner, name="Picos de Europa")
    guest = a_guest(client, http)
    assert "Todavía no tienes eventos." in client.get("/events").text
    an_event(http, owner, name="Not for the guest")
    invitation = http.post(
        f"/api/v1/events/{mine['id']}/invitations", json={}, headers=owner.headers
    ).json()
    http.post(f"/api/v1/invitations/{invitation['code']}/accept", headers=guest.headers)
    page = client.get("/events").text
    assert "Picos de Europa" in page
    assert "Not for the guest" not in page
    assert "participante" in page
    assert "2 miembros" in page
    assert f'href="/events/{mine["id"]}"' in page


# ---- seeing, editing, deleting --------------------------------------------------------------


def test_the_owner_sees_every_tool(client: FlaskClient, http: httpx.Client) -> None:
    owner = a_guest(client, http)
    event = an_event(http, owner)
    page = client.get(f"/events/{event['id']}").text
    for tool in ('id="edit-event"', 'id="delete-event"', 'id="invitation-form"', "role-form"):
        assert tool in page
    assert 'id="leave-event"' in page


def test_a_participant_sees_the_event_but_not_the_organizers_tools(
    client: FlaskClient, http: httpx.Client
) -> None:
    owner = a_person(http, display_name="Olga")
    event = an_event(http, owner, description="Llevad agua")
    guest = a_member(http, event, owner)
    log_in(client, guest.email)
    page = client.get(f"/events/{event['id']}").text
    assert "Llevad agua" in page
    assert "Olga" in page
    assert member_roles(page) == {owner.id: "owner", guest.id: "participant"}
    for tool in ('id="edit-event"', 'id="delete-event"', 'id="invitation-form"', "role-form"):
        assert tool not in page
    assert "remove-form" not in page
    assert 'id="leave-event"' in page


@pytest.mark.parametrize(
    ("method", "path", "data"),
    [
        ("get", "/events/{id}/edit", None),
        ("post", "/events/{id}/edit", NEW_EVENT),
        ("get", "/events/{id}/delete", None),
        ("post", "/events/{id}/delete", {}),
        ("post", "/events/{id}/members/{owner}/role", {"role": "participant"}),
        ("post", "/events/{id}/members/{owner}/remove", {}),
        ("post", "/events/{id}/invitations", {"role": "participant"}),
        ("post", "/events/{id}/guests", {"display_name": "Pepa"}),
    ],
)
def test_a_participant_is_refused_the_organizers_actions(
    client: FlaskClient, http: httpx.Client, method: str, path: str, data: dict[str, str] | None
) -> None:
    owner = a_person(http)
    event = an_event(http, owner)
    guest = a_member(http, event, owner)
    log_in(client, guest.email)
    url = path.format(id=event["id"], owner=owner.id)
    response = client.get(url) if method == "get" else submit(client, url, data)
    assert response.status_code == 403
    assert re.search(r"Solo un (organizador|propietario) del evento", response.text)
    members = http.get(f"/api/v1/events/{event['id']}/members", headers=owner.headers).json()
    assert {m["user_id"]: m["role"] for m in members} == {
        owner.id: "owner",
        guest.id: "participant",
    }
    assert _details(http.get(f"/api/v1/events/{event['id']}", headers=owner.headers).json()) == (
        _details(event)
    )


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("get", "/events/{id}"),
        ("get", "/events/{id}/edit"),
        ("get", "/events/{id}/delete"),
        ("post", "/events/{id}/delete"),
        ("post", "/events/{id}/leave"),
        ("post", "/events/{id}/invitations"),
    ],
)
def test_someone_elses_event_is_not_found(
    client: FlaskClient, http: httpx.Client, method: str, path: str
) -> None:
    owner = a_person(http)
    event = an_event(http, owner)
    a_guest(client, http)
    url = path.format(id=event["id"])
    response = client.get(url) if method == "get" else submit(client, url, {})
    assert response.status_code == 404
    assert "Aquí no hay nada, o no tienes permiso para verlo." in response.text
    assert event["name"] not in response.text


def test_an_organizer_edits_the_event(client: FlaskClient, http: httpx.Client) -> None:
    owner = a_person(http)
    event = an_event(http, owner, timezone="Europe/Madrid")
    organizer = a_member(http, event, owner, role="organizer")
    log_in(client, organizer.email)
    form = client.get(f"/events/{event['id']}/edit").text
    assert 'value="2027-05-01T08:00"' in form  # stored as 06:00 UTC, shown in Madrid's time
    changed = {
        **NEW_EVENT,
        "name": "Ruta del Cares (2)",
        "place": "",
        "ends_at": "2027-05-02T12:00",
    }
    response = submit(client, f"/events/{event['id']}/edit", changed)
    assert response.status_code == 302
    assert response.headers["Location"] == f"/events/{event['id']}"
    stored = http.get(f"/api/v1/events/{event['id']}", headers=owner.headers).json()
    assert (stored["name"], stored["place"]) == ("Ruta del Cares (2)", "")
    assert stored["ends_at"].startswith("2027-05-02T10:00:00")
    assert "Se ha guardado el evento." in client.get(f"/events/{event['id']}").text


def test_editing_keeps_an_unusual_time_zone(client: FlaskClient, http: httpx.Client) -> None:
    owner = a_guest(client, http)
    event = an_event(http, owner, timezone="US/Eastern")
    form = client.get(f"/events/{event['id']}/edit").text
    assert '<option value="US/Eastern" selected>' in form
    response = submit(
        client,
        f"/events/{event['id']}/edit",
        {**NEW_EVENT, "timezone": "US/Eastern", "starts_at": "2027-05-01T08:00"},
    )
    assert response.status_code == 302
    stored = http.get(f"/api/v1/events/{event['id']}", headers=owner.headers).json()
    assert stored["timezone"] == "US/Eastern"
    assert stored["starts_at"].startswith("2027-05-01T12:00:00")


def test_editing_with_the_end_before_the_start_shows_why(
    client: FlaskClient, http: httpx.Client
) -> None:
    owner = a_guest(client, http)
    event = an_event(http, owner)
    bad = {**NEW_EVENT, "starts_at": "2027-05-03T08:00", "ends_at": "2027-05-02T08:00"}
    response = submit(client, f"/events/{event['id']}/edit", bad)
    assert response.status_code == 422
    assert "El fin no puede ser anterior al inicio." in response.text
    assert _details(http.get(f"/api/v1/events/{event['id']}", headers=owner.headers).json()) == (
        _details(event)
    )


def test_the_owner_deletes_the_event(client: FlaskClient, http: httpx.Client) -> None:
    owner = a_guest(client, http)
    event = an_event(http, owner, name="Ruta del Cares")
    assert f'href="/events/{event["id"]}/delete"' in client.get(f"/events/{event['id']}").text
    page = client.get(f"/events/{event['id']}/delete").text
    assert "¿Borrar «Ruta del Cares»?" in page
    assert 'id="money-kept"' not in page  # no money recorded: nothing to download first
    response = submit(client, f"/events/{event['id']}/delete")
    assert response.status_code == 302
    assert response.headers["Location"] == "/events"
    assert "Se ha borrado el evento." in client.get("/events").text
    assert client.get(f"/events/{event['id']}").status_code == 404


def test_an_organizer_may_edit_but_not_delete(client: FlaskClient, http: httpx.Client) -> None:
    owner = a_person(http)
    event = an_event(http, owner)
    organizer = a_member(http, event, owner, role="organizer")
    log_in(client, organizer.email)
    page = client.get(f"/events/{event['id']}").text
    assert 'id="edit-event"' in page
    assert 'id="delete-event"' not in page
    assert client.get(f"/events/{event['id']}/delete").status_code == 403
    assert submit(client, f"/events/{event['id']}/delete").status_code == 403


def test_deleting_an_event_with_money_offers_its_books_first(
    client: FlaskClient, http: httpx.Client
) -> None:
    owner = a_guest(client, http)
    event = an_event(http, owner, currency="EUR")
    for amount in ("23.50", "12"):
        recorded = http.post(
            f"/api/v1/events/{event['id']}/ledger/entries",
            json={"description": "gasolina", "amount": amount},
            headers=owner.headers,
        )
        assert recorded.status_code == 201, recorded.text

    page = client.get(f"/events/{event['id']}/delete").text

    assert "Su libro de cuentas tiene 2 apuntes." in page
    for kind in ("csv", "json"):
        link = f'href="/events/{event["id"]}/money/export.{kind}"'
        assert link in page
        download = client.get(f"/events/{event['id']}/money/export.{kind}")
        assert download.status_code == 200
        assert "gasolina" in download.text
    assert submit(client, f"/events/{event['id']}/delete").status_code == 302


def test_deleting_while_the_money_service_is_down_warns_and_still_works(
    system: System, http: httpx.Client, tmp_path: Path
) -> None:
    owner = a_person(http)
    event = an_event(http, owner)
    with a_gateway_app(system, tmp_path, down="ledger") as gateway:
        browser = gateway.test_client()
        log_in(browser, owner.email)
        page = browser.get(f"/events/{event['id']}/delete")
        assert page.status_code == 200
        assert 'id="money-unknown"' in page.text
        assert "La parte del dinero de TripBot no responde" in page.text
        assert submit(browser, f"/events/{event['id']}/delete").status_code == 302
    assert http.get(f"/api/v1/events/{event['id']}", headers=owner.headers).status_code == 404


# ---- members and roles ------------------------------------------------------------------------


def test_the_owner_changes_a_members_role(client: FlaskClient, http: httpx.Client) -> None:
    owner = a_guest(client, http)
    event = an_event(http, owner)
    guest = a_member(http, event, owner)
    response = submit(
        client, f"/events/{event['id']}/members/{guest.id}/role", {"role": "organizer"}
    )
    assert response.status_code == 302
    page = client.get(f"/events/{event['id']}").text
    assert member_roles(page)[guest.id] == "organizer"
    assert "ahora es organizador." in page


def test_an_organizer_cannot_grant_ownership(client: FlaskClient, http: httpx.Client) -> None:
    owner = a_person(http)
    event = an_event(http, owner)
    organizer = a_member(http, event, owner, role="organizer")
    guest = a_member(http, event, owner)
    log_in(client, organizer.email)
    page = client.get(f"/events/{event['id']}").text
    assert '<option value="owner"' not in page
    assert f'action="/events/{event["id"]}/members/{owner.id}/role"' not in page
    response = submit(client, f"/events/{event['id']}/members/{guest.id}/role", {"role": "owner"})
    assert response.status_code == 403
    assert "Solo un propietario puede conceder o retirar la propiedad." in response.text


def test_an_unknown_role_is_refused_on_the_page(client: FlaskClient, http: httpx.Client) -> None:
    owner = a_guest(client, http)
    event = an_event(http, owner)
    guest = a_member(http, event, owner)
    response = submit(client, f"/events/{event['id']}/members/{guest.id}/role", {"role": "king"})
    assert response.status_code == 422
    assert "Elige una de las opciones." in response.text
    assert member_roles(response.text)[guest.id] == "participant"


def test_the_last_owner_cannot_step_down_or_leave(client: FlaskClient, http: httpx.Client) -> None:
    owner = a_guest(client, http)
    event = an_event(http, owner)
    demoted = submit(
        client, f"/events/{event['id']}/members/{owner.id}/role", {"role": "organizer"}
    )
    assert demoted.status_code == 302
    message = "Un evento debe conservar al menos un propietario; nombra antes a otro propietario."
    assert message in client.get(f"/events/{event['id']}").text
    left = submit(client, f"/events/{event['id']}/leave")
    assert left.headers["Location"] == f"/events/{event['id']}"
    page = client.get(f"/events/{event['id']}").text
    assert message in page
    assert member_roles(page) == {owner.id: "owner"}


def test_an_organizer_removes_a_participant(client: FlaskClient, http: httpx.Client) -> None:
    owner = a_person(http)
    event = an_event(http, owner)
    organizer = a_member(http, event, owner, role="organizer")
    guest = a_member(http, event, owner)
    log_in(client, organizer.email)
    page = client.get(f"/events/{event['id']}").text
    assert f'action="/events/{event["id"]}/members/{guest.id}/remove"' in page
    assert f'action="/events/{event["id"]}/members/{owner.id}/remove"' not in page
    response = submit(client, f"/events/{event['id']}/members/{guest.id}/remove")
    assert response.status_code == 302
    page = client.get(f"/events/{event['id']}").text
    assert guest.id not in member_roles(page)
    assert "Se ha quitado al miembro del evento." in page
    assert submit(client, f"/events/{event['id']}/members/{owner.id}/remove").status_code == 403


def test_a_participant_leaves(client: FlaskClient, http: httpx.Client) -> None:
    owner = a_person(http)
    event = an_event(http, owner)
    guest = a_member(http, event, owner)
    log_in(client, guest.email)
    response = submit(client, f"/events/{event['id']}/leave")
    assert response.headers["Location"] == "/events"
    page = client.get("/events").text
    assert "Has salido del evento." in page
    assert event["name"] not in page
    assert client.get(f"/events/{event['id']}").status_code == 404


# ---- invitation links ------------------------------------------------------------------------


def test_an_invitation_link_is_made_shown_and_revoked(
    client: FlaskClient, http: httpx.Client
) -> None:
    owner = a_guest(client, http)
    event = an_event(http, owner)
    created = submit(
        client,
        f"/events/{event['id']}/invitations",
        {"role": "organizer", "max_uses": "3", "expires_in_hours": "72"},
    )
    assert created.status_code == 302
    location = created.headers["Location"]
    code = re.search(r"new=([\w-]+)", location)
    assert code
    assert location.endswith("#invitations")
    page = client.get(location).text
    link = f"http://127.0.0.1:8000/invite/{code.group(1)}"
    assert f'id="new-invitation-link" value="{link}"' in page
    assert 'data-copy="new-invitation-link"' in page
    assert "El enlace de invitación está listo" in page
    assert "usado 0 de 3" in page
    assert "organizador" in page
    listed = http.get(f"/api/v1/events/{event['id']}/invitations", headers=owner.headers).json()
    assert [(i["url"], i["role"], i["max_uses"]) for i in listed] == [(link, "organizer", 3)]

    revoked = submit(client, f"/events/{event['id']}/invitations/{code.group(1)}/revoke")
    assert revoked.headers["Location"] == f"/events/{event['id']}#invitations"
    page = client.get(f"/events/{event['id']}").text
    assert "Se ha revocado el enlace de invitación." in page
    assert "revocado" in page
    assert "data-copy=" not in page
    assert http.get(f"/api/v1/invitations/{code.group(1)}").json()["usable"] is False


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"max_uses": "0"}, "Usa 1 o más."),
        ({"max_uses": "muchos"}, "Escribe un número entero."),
        ({"max_uses": "5000"}, "Usa 1000 o menos."),
        ({"role": "owner"}, "Elige una de las opciones."),
        ({"expires_in_hours": "0"}, "Usa 1 o más."),
    ],
)
def test_a_bad_invitation_form_shows_why(
    client: FlaskClient, http: httpx.Client, data: dict[str, str], message: str
) -> None:
    owner = a_guest(client, http)
    event = an_event(http, owner)
    form = {"role": "participant", "max_uses": "1", "expires_in_hours": "168", **data}
    response = submit(client, f"/events/{event['id']}/invitations", form)
    assert response.status_code == 422
    assert message in response.text
    assert event["name"] in response.text  # the event page, with the form's error
    assert http.get(f"/api/v1/events/{event['id']}/invitations", headers=owner.headers).json() == []


def test_a_second_browser_sees_the_invitation_page(client: FlaskClient, http: httpx.Client) -> None:
    owner = a_guest(client, http)
    event = an_event(http, owner, name="Sierra de Gredos")
    created = submit(client, f"/events/{event['id']}/invitations", {"role": "participant"})
    code = re.search(r"new=([\w-]+)", created.headers["Location"])
    assert code
    visitor = _second_client(client)
    page = visitor.get(f"/invite/{code.group(1)}")
    assert page.status_code == 200
    assert "Sierra de Gredos" in page.text
