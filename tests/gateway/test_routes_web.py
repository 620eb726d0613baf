"""Web pages of routes: the catalogue, uploading, a route's page, and an excursion's plan."""

from __future__ import annotations

import gc
import io
import re
from pathlib import Path

import httpx
import pytest
from flask.testing import FlaskClient

from tests.builders import a_member, a_route, an_event
from tests.gateway.test_web_pages import a_guest, csrf_token, log_in, submit
from tests.routes.synthetic import noisy_track
from tripbot.gateway.web.maps import tile_origin


def _upload(client: FlaskClient, content: bytes, **fields: str) -> tuple[int, str]:
    token = csrf_token(client, "/routes/new")
    response = client.post(
        "/routes/new",
        data={"csrf_token": token, "file": (io.BytesIO(content), "walk.gpx"), **fields},
        content_type="multipart/form-data",
    )
    return response.status_code, response.headers.get("Location") or response.text


# Werkzeug's test client spools a body over 500 KB to a temporary file it never closes.
@pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")
def test_uploading_a_large_track_shows_its_page_with_map_and_profile(
    client: FlaskClient, http: httpx.Client
) -> None:
    a_guest(client, http)
    content = noisy_track(15_000).gpx
    assert len(content) > 1_048_576  # over the default body limit: the upload has its own
    status, location = _upload(client, content, region="Picos")
    assert status == 302, location
    page = client.get(location).text
    assert "La ruta se ha añadido al catálogo." in page or "route was added" in page
    assert 'id="route-map"' in page
    assert 'id="route-map-data"' in page
    assert 'id="route-profile"' in page
    assert 'type="application/json" id="route-profile-data"' in page
    assert "<script>" not in page  # no inline script under the CSP
    assert re.search(r'class="stat-ascent">[\d.,\s]+m<', page)
    assert (
        client.get(location + "/download.gpx")
        .headers["Content-Type"]
        .startswith("application/gpx+xml")
    )
    gc.collect()  # while the warning filter holds: the spooled file is collected here


def test_a_bad_file_is_explained_on_the_form(client: FlaskClient, http: httpx.Client) -> None:
    a_guest(client, http)
    status, page = _upload(client, b"<gpx><trk></gpx>")
    assert status == 422
    assert "el archivo no es XML válido" in page  # the routes service's words, in Spanish
    assert 'aria-invalid="true"' in page


def test_a_routes_page_says_what_was_repaired_in_its_file(
    client: FlaskClient, http: httpx.Client
) -> None:
    a_guest(client, http)
    real = Path(__file__).parents[1] / "routes" / "data" / "gpx" / "gpxpy__Mojstrovka.gpx"
    status, location = _upload(client, real.read_bytes())
    assert status == 302, location
    page = client.get(location).text
    assert "algunos puntos del archivo se han descartado o reparado" in page
    assert 'id="route-repairs"' in page
    assert "Qué se reparó en el archivo" in page
    assert "se han ignorado 184 hora(s) imposible(s), anteriores a 1980 o futuras" in page
    assert "(1901-12-13T20:45:52Z); y 179 más" in page


def test_the_catalogue_searches_and_an_organizer_plans_an_excursion(
    client: FlaskClient, http: httpx.Client
) -> None:
    ana = a_guest(client, http)
    route = a_route(http, ana, name="Ruta del Cares", region="Asturias")
    page = client.get("/routes?q=cares").text
    assert f'data-route-id="{route["id"]}"' in page
    assert client.get("/routes?max_effort=9").status_code == 422
    event = an_event(http, ana)
    assert 'id="excursion-plan"' in client.get(f"/events/{event['id']}").text
    added = submit(client, f"/routes/{route['id']}/plan", {"event_id": event["id"]})
    assert added.headers["Location"] == f"/events/{event['id']}/plan"
    saved = submit(
        client,
        f"/events/{event['id']}/plan",
        {
            "route_ids": str(route["id"]),
            "meeting_point": "Poncebos",
            "meeting_lat": "43.24",
            "meeting_lon": "-4.85",
            "meeting_at": "2027-05-01T07:30",
            "capacity": "12",
        },
    )
    assert saved.status_code == 302
    plan = client.get(f"/events/{event['id']}/plan").text
    assert 'class="meeting-at">sábado, 1 de mayo de 2027 · 7:30<' in plan
    assert 'data-route-id="{}"'.format(route["id"]) in plan
    bad = submit(client, f"/events/{event['id']}/plan", {"capacity": "0"})
    assert bad.status_code == 422

    participant = a_member(http, event, ana)
    other = client.application.test_client()
    log_in(other, participant.email)
    seen = other.get(f"/events/{event['id']}/plan").text
    assert "Poncebos" in seen
    assert 'id="plan-form"' not in seen
    refused = submit(other, f"/events/{event['id']}/plan", {"capacity": "3"})
    assert refused.status_code == 403


def test_the_author_removes_a_route_a_plan_uses_and_both_pages_say_so(
    client: FlaskClient, http: httpx.Client
) -> None:
    ana = a_guest(client, http)
    route = a_route(http, ana, name="Ruta del Cares")
    event = an_event(http, ana)
    planned = submit(client, f"/events/{event['id']}/plan", {"route_ids": str(route["id"])})
    assert planned.status_code == 302
    page = client.get(f"/routes/{route['id']}").text
    assert 'id="delete-route"' in page
    assert "Está en 1 plan de excursión, que la conserva tal como está" in page
    removed = submit(client, f"/routes/{route['id']}/delete", {})
    assert removed.status_code == 302
    assert "Se ha quitado la ruta del catálogo." in client.get(removed.headers["Location"]).text
    page = client.get(f"/routes/{route['id']}").text
    assert 'id="route-removed"' in page
    assert 'id="delete-route"' not in page
    assert 'id="add-to-excursion"' not in page  # no plan may take it anew
    plan = client.get(f"/events/{event['id']}/plan").text
    assert "Ruta del Cares" in plan
    assert "Quitada del catálogo por quien la añadió" in plan


@pytest.mark.parametrize(
    ("template", "origin"),
    [
        ("https://tile.openstreetmap.org/{z}/{x}/{y}.png", "https://tile.openstreetmap.org"),
        ("https://{s}.tile.opentopomap.org/{z}/{x}/{y}.png", "https://*.tile.opentopomap.org"),
        ("https://tiles-{s}.Example.com/v1/{z}/{x}/{y}{r}.png", "https://*.example.com"),
        ("http://localhost:8080/tiles/{z}/{x}/{y}.png", "http://localhost:8080"),
    ],
)
def test_the_tile_servers_origin_is_read_from_its_url_template(template: str, origin: str) -> None:
    assert tile_origin(template) == origin


@pytest.mark.parametrize("template", ["tile.openstreetmap.org/{z}/{x}/{y}.png", "ftp://tiles/"])
def test_a_tile_url_that_is_not_http_is_refused(template: str) -> None:
    with pytest.raises(ValueError, match="TRIPBOT_ROUTES_TILE_URL"):
        tile_origin(template)
