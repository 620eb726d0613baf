"""The public API of routes and excursion plans: happy paths, refusals and permissions."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from tests.builders import a_cast, a_person, a_route, an_event
from tests.problems import assert_problem
from tests.routes.synthetic import small_gpx
from tripbot.platform.uploads import MULTIPART_ENVELOPE


def test_upload_read_search_download_change_delete(http: httpx.Client) -> None:
    ana = a_person(http)
    route = a_route(http, ana, name="Ruta del Cares", region="Asturias", signage="pr-as 1")
    assert (route["signage"], route["stats"]["suggested_type"]) == ("PR-AS 1", "SL")
    assert route["stats"]["ascent_m"] == pytest.approx(120.0, abs=1)
    assert route["waypoints"][0]["name"] == "Fuente"
    rid = route["id"]
    found = http.get("/api/v1/routes", params={"q": "cares", "max_effort": 2}, headers=ana.headers)
    assert [r["id"] for r in found.json()["items"]] == [rid]
    assert http.get(f"/api/v1/routes/{rid}", headers=ana.headers).json()["may_edit"] is True
    gpx = http.get(f"/api/v1/routes/{rid}/gpx", headers=ana.headers)
    assert gpx.headers["Content-Type"].startswith("application/gpx+xml")
    assert 'filename="ruta-del-cares.gpx"' in gpx.headers["Content-Disposition"]
    assert b"<trkpt" in gpx.content
    geo = http.get(f"/api/v1/routes/{rid}/geojson", headers=ana.headers)
    assert geo.headers["Content-Type"] == "application/geo+json"
    assert geo.json()["features"][0]["geometry"]["type"] == "LineString"
    profile = http.get(f"/api/v1/routes/{rid}/profile", headers=ana.headers).json()
    assert profile["points"][0][1] == pytest.approx(500.0, abs=1)
    changed = http.patch(f"/api/v1/routes/{rid}", json={"mide_medio": 2}, headers=ana.headers)
    assert changed.json()["mide"]["medio"] == 2
    assert http.delete(f"/api/v1/routes/{rid}", headers=ana.headers).status_code == 204
    assert_problem(http.get(f"/api/v1/routes/{rid}", headers=ana.headers), 404, "not-found")


def test_geojson_in_a_json_body(http: httpx.Client) -> None:
    ana = a_person(http)
    line = {"type": "LineString", "coordinates": [[-4.85, 43.24, 500], [-4.84, 43.25, 650]]}
    created = http.post(
        "/api/v1/routes", json={"geojson": line, "name": "JSON"}, headers=ana.headers
    )
    assert created.status_code == 201, created.text
    assert (created.json()["name"], created.json()["source"]) == ("JSON", "geojson")


def test_the_upload_is_in_the_openapi_document_with_both_bodies(http: httpx.Client) -> None:
    spec = http.get("/api/v1/openapi.json").json()
    body = spec["paths"]["/api/v1/routes"]["post"]["requestBody"]["content"]
    assert set(body) == {"multipart/form-data", "application/json"}
    for path in ("/api/v1/routes/{route_id}/gpx", "/api/v1/events/{event_id}/plan"):
        assert path in spec["paths"]


@pytest.mark.parametrize(
    ("content", "detail"),
    [
        (b"hello", "not XML"),
        (b'<?xml version="1.0"?><!DOCTYPE g [<!ENTITY a "b">]><gpx/>', "DTD"),
        (small_gpx(points=1), "at least two"),
    ],
)
def test_bad_files_are_422_and_store_nothing(
    http: httpx.Client, content: bytes, detail: str
) -> None:
    ana = a_person(http)
    response = http.post(
        "/api/v1/routes",
        files={"file": ("x.gpx", content, "application/gpx+xml")},
        headers=ana.headers,
    )
    assert_problem(response, 422, "invalid-input", detail)
    assert http.get("/api/v1/routes", headers=ana.headers).json()["total"] == 0


def test_upload_refusals(http: httpx.Client) -> None:
    ana = a_person(http)
    assert_problem(
        http.post("/api/v1/routes", files={"file": ("x.gpx", b"x")}), 401, "not-authenticated"
    )
    too_big = http.post(
        "/api/v1/routes",
        content=b"x" * (20_000_000 + MULTIPART_ENVELOPE + 1),
        headers={**ana.headers, "Content-Type": "application/octet-stream"},
    )
    assert_problem(too_big, 413, "payload-too-large", "at most 20000000 bytes")
    neither = http.post("/api/v1/routes", json={"name": "x"}, headers=ana.headers)
    assert_problem(neither, 422, "invalid-input", "either a file")
    bad_sign = http.post(
        "/api/v1/routes",
        files={"file": ("x.gpx", small_gpx())},
        data={"signage": "Camino 7"},
        headers=ana.headers,
    )
    assert_problem(bad_sign, 422, "invalid-input", "signage")
    content = small_gpx("Twice")
    a_route(http, ana, content=content)
    twice = http.post("/api/v1/routes", files={"file": ("x.gpx", content)}, headers=ana.headers)
    assert_problem(twice, 409, "conflict", "already added as route")
    assert http.get("/api/v1/routes", headers=ana.headers).json()["total"] == 1


@pytest.mark.parametrize(
    "params",
    [{"near": "north"}, {"bbox": "1,2,3"}, {"sort": "nearest"}, {"limit": 0}, {"colour": "red"}],
)
def test_bad_searches_are_422(http: httpx.Client, params: dict[str, str | int]) -> None:
    ana = a_person(http)
    assert_problem(
        http.get("/api/v1/routes", params=params, headers=ana.headers), 422, "invalid-input"
    )


def test_only_the_creator_or_an_administrator_changes_a_route(http: httpx.Client) -> None:
    cast = a_cast(http)
    route = a_route(http, cast.outsider)
    url = f"/api/v1/routes/{route['id']}"
    refused = http.patch(url, json={"region": "X"}, headers=cast.organizer.headers)
    assert_problem(refused, 403, "permission-denied", "only the person who added route")
    assert_problem(http.patch(url, json={"region": "X"}), 401, "not-authenticated")
    plan = {"route_ids": [route["id"]]}
    assert (
        http.put(
            f"/api/v1/events/{cast.event['id']}/plan", json=plan, headers=cast.organizer.headers
        ).status_code
        == 200
    )
    # Using someone's route in one's plan gives no right to rewrite or pin it.
    for member in (cast.organizer, cast.participant):  # the owner is the instance's admin
        assert_problem(
            http.patch(url, json={"name": "DEFACED"}, headers=member.headers),
            403,
            "permission-denied",
            "or an administrator",
        )
        assert_problem(http.delete(url, headers=member.headers), 403, "permission-denied")
    assert http.get(url, headers=cast.organizer.headers).json()["may_edit"] is False
    assert (
        http.patch(url, json={"region": "Y"}, headers=cast.outsider.headers).json()["region"] == "Y"
    )
    assert_problem(
        http.patch(url, json={"name": "x" * 121}, headers=cast.outsider.headers),
        422,
        "invalid-input",
    )
    assert_problem(
        http.patch("/api/v1/routes/99999999999", json={}, headers=cast.outsider.headers),
        404,
        "not-found",
    )


def test_the_creator_removes_a_route_a_plan_uses_and_the_plan_keeps_it(
    http: httpx.Client,
) -> None:
    cast = a_cast(http)
    route = a_route(http, cast.outsider)
    url = f"/api/v1/routes/{route['id']}"
    plan_url = f"/api/v1/events/{cast.event['id']}/plan"
    body = {"route_ids": [route["id"]]}
    assert http.put(plan_url, json=body, headers=cast.organizer.headers).status_code == 200
    assert http.delete(url, headers=cast.outsider.headers).status_code == 204
    plan = http.get(plan_url, headers=cast.participant.headers).json()
    kept = plan["routes"][0]
    assert kept["route"]["name"] == route["name"]
    assert kept["route"]["removed_at"] is not None
    assert kept["geometry"]
    listed = http.get("/api/v1/routes", headers=cast.outsider.headers).json()
    assert route["id"] not in [item["id"] for item in listed["items"]]
    assert_problem(
        http.patch(url, json={"region": "Z"}, headers=cast.outsider.headers),
        409,
        "conflict",
        "was removed from the catalogue",
    )
    spanish = {**cast.outsider.headers, "Accept-Language": "es"}
    assert_problem(
        http.patch(url, json={"region": "Z"}, headers=spanish),
        409,
        "conflict",
        "se quitó del catálogo",
    )


def test_plans_are_read_by_members_and_set_by_organizers(http: httpx.Client) -> None:
    cast = a_cast(http)
    route = a_route(http, cast.owner)
    url = f"/api/v1/events/{cast.event['id']}/plan"
    body = {
        "route_ids": [route["id"]],
        "meeting_point": "Poncebos",
        "meeting_lat": 43.24,
        "meeting_lon": -4.85,
        "meeting_at": "2027-05-01T07:30:00+02:00",
        "capacity": 15,
    }
    saved = http.put(url, json=body, headers=cast.organizer.headers)
    assert saved.status_code == 200, saved.text
    read = http.get(url, headers=cast.participant.headers).json()
    assert (read["capacity"], read["meeting_at"], read["routes"][0]["route"]["id"]) == (
        15,
        "2027-05-01T05:30:00Z",
        route["id"],
    )
    assert_problem(
        http.put(url, json=body, headers=cast.participant.headers), 403, "permission-denied"
    )
    assert_problem(http.get(url, headers=cast.outsider.headers), 404, "not-found")
    assert_problem(http.get(url), 401, "not-authenticated")
    for bad, field in (
        ({"meeting_lat": 43.0}, "meeting_lat"),
        ({"capacity": 0}, "capacity"),
        ({"route_ids": [route["id"], route["id"]]}, "only once"),
        ({"meeting_at": "2027-05-01T07:30"}, "meeting_at"),
    ):
        assert_problem(
            http.put(url, json=bad, headers=cast.owner.headers), 422, "invalid-input", field
        )
    missing = http.put(url, json={"route_ids": [987654]}, headers=cast.owner.headers)
    assert_problem(missing, 422, "invalid-input", "there is no route 987654")
    assert http.get(url, headers=cast.owner.headers).json()["capacity"] == 15
    party = an_event(http, cast.owner, kind="event")
    not_excursion = http.put(
        f"/api/v1/events/{party['id']}/plan", json={}, headers=cast.owner.headers
    )
    assert_problem(not_excursion, 409, "conflict", "not an excursion")


DATA = Path(__file__).parents[1] / "routes" / "data"


def test_what_was_repaired_is_told_in_the_callers_language_and_kept(http: httpx.Client) -> None:
    ana = a_person(http)
    content = (DATA / "kml/gpsbabel__opentracks.kml").read_bytes()
    created = http.post(
        "/api/v1/routes",
        files={"file": ("wurmlingen.kml", content, "application/vnd.google-earth.kml+xml")},
        headers={**ana.headers, "Accept-Language": "es"},
    )
    assert created.status_code == 201, created.text
    [repair] = created.json()["repairs"]
    assert repair["kind"] == "no_position"
    assert repair["count"] == 2
    assert repair["detail"] == (
        "2 punto(s) sin posición se han descartado (el gx:Track 1: punto 1, punto 4)"
    )
    assert [(p["where"], p["point"]) for p in repair["places"]] == [
        ("el gx:Track 1", 1),
        ("el gx:Track 1", 4),
    ]
    again = http.get(f"/api/v1/routes/{created.json()['id']}", headers=ana.headers).json()
    assert again["repairs"][0]["detail"] == (
        "2 point(s) without a position were left out (gx:Track 1: point 1, point 4)"
    )
    assert again["source"] == "kml"


@pytest.mark.parametrize(
    ("name", "source"),
    [
        ("fit/fitdecode__garmin-fenix-5-walk.fit", "fit"),
        ("other/placemark__tcx-courses.tcx", "tcx"),
        ("gpx/gpxpy__route.gpx", "gpx-route"),
    ],
)
def test_fit_tcx_and_route_only_gpx_files_upload(
    http: httpx.Client, name: str, source: str
) -> None:
    ana = a_person(http)
    content = (DATA / name).read_bytes()
    created = http.post(
        "/api/v1/routes",
        files={"file": (Path(name).name, content, "application/octet-stream")},
        headers=ana.headers,
    )
    assert created.status_code == 201, created.text
    assert created.json()["source"] == source
