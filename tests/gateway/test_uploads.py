"""Upload endpoints take files larger than the general body limit, through the same mechanism
on the web (where CSRF protection reads the form first) and on the API; others keep the limit.

A gateway of its own, on its own SQLite files, with small limits: 4 KiB bodies, 100 kB route
files (a route upload may then be 100 kB plus room for the form's other fields)."""

from __future__ import annotations

import io
from collections.abc import Iterator

import httpx
import pytest
from flask.testing import FlaskClient

from tests.builders import a_person, event_payload
from tests.conftest import make_settings
from tests.gateway.test_web_pages import csrf_token, log_in, submit
from tests.problems import assert_problem
from tests.routes.synthetic import noisy_track
from tripbot.platform.uploads import MULTIPART_ENVELOPE, allows_upload, body_limit
from tripbot.system import System, build_embedded

BODY_LIMIT = 4096
FILE_LIMIT = 100_000


@pytest.fixture(scope="module")
def small(tmp_path_factory: pytest.TempPathFactory) -> Iterator[System]:
    """The whole system with small body and route file limits."""
    settings = make_settings(
        tmp_path_factory.mktemp("small-uploads"),
        max_body_bytes=BODY_LIMIT,
        routes_max_upload_bytes=FILE_LIMIT,
    )
    built = build_embedded(settings)
    yield built
    built.close()


@pytest.fixture
def api(small: System) -> Iterator[httpx.Client]:
    """An httpx client of the small gateway."""
    with httpx.Client(
        transport=httpx.WSGITransport(app=small.gateway), base_url="http://testserver"
    ) as client:
        yield client


@pytest.fixture
def browser(small: System, api: httpx.Client) -> FlaskClient:
    """A web session of someone logged in on the small gateway."""
    client = small.gateway.test_client()
    log_in(client, a_person(api).email)
    return client


def _gpx(points: int, seed: int) -> bytes:
    return noisy_track(points, seed=seed).gpx


def _web_upload(client: FlaskClient, content: bytes) -> tuple[int, str]:
    response = client.post(
        "/routes/new",
        data={
            "csrf_token": csrf_token(client, "/routes/new"),
            "file": (io.BytesIO(content), "a.gpx"),
        },
        content_type="multipart/form-data",
    )
    return response.status_code, response.headers.get("Location") or response.text


def _catalogue_size(api: httpx.Client, headers: dict[str, str]) -> int:
    total: int = api.get("/api/v1/routes", headers=headers).json()["total"]
    return total


def test_the_upload_limit_is_the_files_and_room_for_the_form(small: System) -> None:
    settings = small.gateway.extensions["tripbot.settings"]
    assert body_limit(settings, "routes_max_upload_bytes") == FILE_LIMIT + MULTIPART_ENVELOPE


def test_a_web_upload_over_the_general_limit_but_under_its_own_is_read(
    browser: FlaskClient,
) -> None:
    content = _gpx(700, seed=1)
    assert BODY_LIMIT < len(content) < FILE_LIMIT
    status, location = _web_upload(browser, content)
    assert status == 302, location
    assert browser.get(location).status_code == 200


def test_a_web_upload_over_its_limit_is_a_413_page_and_stores_nothing(
    browser: FlaskClient, api: httpx.Client
) -> None:
    ana = a_person(api)
    before = _catalogue_size(api, ana.headers)
    content = _gpx(3000, seed=2)
    assert len(content) > FILE_LIMIT + MULTIPART_ENVELOPE
    status, page = _web_upload(browser, content)
    assert status == 413
    assert "TRIPBOT_ROUTES_MAX_UPLOAD_BYTES" in page
    assert f"{FILE_LIMIT} bytes" in page
    assert '<html lang="' in page  # the error page, not a bare werkzeug answer
    assert _catalogue_size(api, ana.headers) == before


def test_a_file_over_its_limit_within_the_forms_room_is_refused_by_the_service(
    browser: FlaskClient, api: httpx.Client
) -> None:
    ana = a_person(api)
    before = _catalogue_size(api, ana.headers)
    content = _gpx(1500, seed=3)
    assert FILE_LIMIT < len(content) < FILE_LIMIT + MULTIPART_ENVELOPE
    status, page = _web_upload(browser, content)
    assert status == 413
    # The routes service's refusal, said in the page's Spanish.
    assert f"los archivos de ruta pueden ocupar como máximo {FILE_LIMIT} bytes" in page
    answer = api.post("/api/v1/routes", files={"file": ("a.gpx", content)}, headers=ana.headers)
    assert_problem(answer, 413, "payload-too-large", f"at most {FILE_LIMIT} bytes")
    assert _catalogue_size(api, ana.headers) == before


def test_an_api_upload_uses_the_same_limits(api: httpx.Client) -> None:
    ana = a_person(api)
    before = _catalogue_size(api, ana.headers)
    under = api.post(
        "/api/v1/routes", files={"file": ("a.gpx", _gpx(700, seed=4))}, headers=ana.headers
    )
    assert under.status_code == 201, under.text
    over = api.post(
        "/api/v1/routes", files={"file": ("b.gpx", _gpx(3000, seed=5))}, headers=ana.headers
    )
    assert_problem(over, 413, "payload-too-large", "TRIPBOT_ROUTES_MAX_UPLOAD_BYTES")
    assert _catalogue_size(api, ana.headers) == before + 1


def test_other_endpoints_keep_the_general_limit(browser: FlaskClient, api: httpx.Client) -> None:
    ana = a_person(api)
    padding = "x" * BODY_LIMIT
    page = submit(
        browser,
        "/events/new",
        {"name": "Picos", "kind": "excursion", "description": padding},
        page="/events/new",
    )
    assert page.status_code == 413
    assert f"larger than {BODY_LIMIT} bytes" in page.text
    answer = api.post(
        "/api/v1/events", json=event_payload(description=padding), headers=ana.headers
    )
    assert_problem(answer, 413, "payload-too-large", f"larger than {BODY_LIMIT} bytes")
    assert api.get("/api/v1/events", headers=ana.headers).json() == []


@pytest.mark.parametrize("setting", ["routes_tile_url", "no_such_setting"])
def test_only_an_integer_setting_bounds_an_upload(setting: str) -> None:
    with pytest.raises(ValueError, match=setting):
        allows_upload(setting)
