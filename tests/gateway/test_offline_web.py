"""The web as an installable app: its manifest, its service worker, the page shown without
signal, the event's pages offered for keeping, and a logout that forgets them."""

from __future__ import annotations

import json
import re
import struct

import httpx
from flask.testing import FlaskClient

from tests.builders import an_event
from tests.gateway.test_web_events import NEW_EVENT
from tests.gateway.test_web_pages import a_guest, submit
from tripbot.gateway.web.offline import KEEPING_HEADER, NOT_KEPT, STATIC

PACK = re.compile(r"data-offline-pack='([^']*)'")


def test_the_manifest_names_the_app_its_start_and_icons_that_exist(client: FlaskClient) -> None:
    response = client.get("/manifest.webmanifest")
    assert response.status_code == 200
    assert response.mimetype == "application/manifest+json"
    manifest = json.loads(response.text)
    assert manifest["name"] == "TripBot"
    assert manifest["start_url"] == "/events"
    assert manifest["display"] == "standalone"
    sizes = set()
    for icon in manifest["icons"]:
        with client.get(icon["src"]) as served:
            assert served.status_code == 200, icon["src"]
            data = served.data
        if icon["type"] == "image/png":
            assert data[:8] == b"\x89PNG\r\n\x1a\n"
            width, height = struct.unpack(">II", data[16:24])  # the IHDR chunk
            assert icon["sizes"] == f"{width}x{height}"
            sizes.add(width)
    assert {192, 512} <= sizes  # what a phone asks for to install an app


def test_the_manifest_describes_the_app_in_the_readers_language(client: FlaskClient) -> None:
    spanish = json.loads(client.get("/manifest.webmanifest").text)
    english = json.loads(
        client.get("/manifest.webmanifest", headers={"Accept-Language": "en"}).text
    )
    assert (spanish["lang"], english["lang"]) == ("es", "en")
    assert spanish["description"] != english["description"]


def test_every_page_links_the_manifest_and_the_offline_script(client: FlaskClient) -> None:
    page = client.get("/login").text
    assert '<link rel="manifest" href="/manifest.webmanifest">' in page
    assert "/static/js/offline.js" in page
    assert re.search(r'<meta name="tripbot-page-time" content="\d{4}-\d\d-\d\dT', page)


def test_the_service_worker_serves_the_whole_site_and_keeps_every_static_file(
    client: FlaskClient,
) -> None:
    response = client.get("/sw.js")
    assert response.status_code == 200
    assert response.mimetype == "text/javascript"
    assert response.headers["Cache-Control"] == "no-cache"
    found = re.search(r"const STATIC = (\[.*?\]);", response.text)
    assert found
    kept = json.loads(found.group(1))
    files = sorted(
        p.relative_to(STATIC).as_posix()
        for p in STATIC.rglob("*")
        if p.is_file() and not p.name.startswith(".")  # the build's marker is no asset
    )
    assert kept == [f"/static/{name}" for name in files]
    for url in (*kept, "/offline"):
        with client.get(url) as served:
            assert served.status_code == 200, url
    for path in NOT_KEPT:
        assert json.dumps(path) in response.text


def test_the_service_worker_is_the_same_until_a_static_file_changes(client: FlaskClient) -> None:
    first, second = client.get("/sw.js").text, client.get("/sw.js").text
    assert first == second


def test_the_offline_page_says_nothing_was_sent_in_the_readers_language(
    client: FlaskClient,
) -> None:
    spanish = client.get("/offline").text
    english = client.get("/offline", headers={"Accept-Language": "en"}).text
    assert "Sin conexión" in spanish
    assert "no ha llegado" in spanish
    assert "No connection" in english
    assert "nothing you sent was received" in english


def test_an_excursion_offers_its_pages_its_plan_and_ones_gear_for_keeping(
    client: FlaskClient, http: httpx.Client
) -> None:
    owner = a_guest(client, http)
    event = an_event(http, owner, kind="excursion")
    page = client.get(f"/events/{event['id']}").text
    found = PACK.search(page)
    assert found
    pack = json.loads(found.group(1))
    base = f"/events/{event['id']}"
    assert pack == [
        base,
        f"{base}/agenda",
        f"{base}/money",
        f"{base}/packing-list",
        "/gear/mine",
        f"{base}/plan",
    ]
    assert f'data-offline-plan="{base}/plan"' in page
    for url in pack:
        assert client.get(url).status_code == 200, url


def test_an_event_that_is_no_excursion_has_no_plan_to_keep(
    client: FlaskClient, http: httpx.Client
) -> None:
    owner = a_guest(client, http)
    event = an_event(http, owner, kind="event")
    found = PACK.search(client.get(f"/events/{event['id']}").text)
    assert found
    assert not any(url.endswith("/plan") for url in json.loads(found.group(1)))


def test_logging_out_tells_the_browser_to_forget_the_kept_pages(
    client: FlaskClient, http: httpx.Client
) -> None:
    a_guest(client, http)
    response = submit(client, "/logout", page="/events")
    assert response.status_code == 302
    assert response.headers["Clear-Site-Data"] == '"cache", "storage"'


def test_logging_out_everywhere_forgets_them_too(client: FlaskClient, http: httpx.Client) -> None:
    a_guest(client, http)
    response = submit(client, "/logout/everywhere", page="/events")
    assert response.headers["Clear-Site-Data"] == '"cache", "storage"'


def test_the_service_worker_may_fetch_the_configured_tiles_and_nothing_else(
    client: FlaskClient,
) -> None:
    policy = client.get("/sw.js").headers["Content-Security-Policy"]
    assert policy.startswith("default-src 'self'; connect-src 'self' data: ")
    assert "https://tile.openstreetmap.org" in policy


def test_a_page_kept_for_later_leaves_the_flash_to_the_page_being_read(
    client: FlaskClient, http: httpx.Client
) -> None:
    a_guest(client, http)
    created = submit(client, "/events/new", NEW_EVENT, page="/events")
    assert created.status_code == 302, created.text
    # The page script keeps pages in the background while the redirect is being followed.
    kept = client.get("/gear/mine", headers={KEEPING_HEADER: "1"}).text
    assert "flash-success" not in kept
    assert "flash-success" in client.get(created.headers["Location"]).text


def test_a_page_kept_for_later_never_rewrites_the_session_cookie(
    client: FlaskClient, http: httpx.Client
) -> None:
    a_guest(client, http)
    read = client.get("/gear/mine")
    kept = client.get("/gear/mine", headers={KEEPING_HEADER: "1"})
    assert "tripbot_session=" in read.headers.get("Set-Cookie", "")
    assert "Set-Cookie" not in kept.headers
