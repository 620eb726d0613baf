"""What every service application shares: request ids, readiness, problem+json for crashes."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
import structlog
from apiflask import APIBlueprint
from flask.testing import FlaskClient
from sqlalchemy import MetaData

from tests.builders import a_person, user_payload
from tests.conftest import make_settings
from tests.platform.test_db import UNREACHABLE_URLS
from tests.problems import assert_problem
from tripbot.platform.db import Database
from tripbot.platform.identity import Destination, Principal
from tripbot.platform.replay import used_token_table
from tripbot.platform.web import REQUEST_ID_HEADER, create_legacy_service_app
from tripbot.system import System, build_service, signer_for


@pytest.mark.parametrize("where", sorted(UNREACHABLE_URLS))
def test_readiness_fails_when_the_database_is_unreachable(tmp_path: Path, where: str) -> None:
    settings = make_settings(tmp_path)
    app, runtime = build_service(
        "events", settings, UNREACHABLE_URLS[where].format(tmp=tmp_path), run_migrations=False
    )
    service = app.test_client()
    assert service.get("/healthz").status_code == 200
    body = assert_problem(service.get("/readyz"), 503, "not-ready", "events cannot reach")
    assert body["service"] == "events"
    signer = signer_for(settings)
    with structlog.testing.capture_logs() as logs:
        answer = service.post(
            "/users",
            json=user_payload(),
            headers={
                "Authorization": signer.header(
                    Principal(), Destination.of("events", "POST", "/users")
                )
            },
        )
    body = assert_problem(answer, 503, "service-unavailable", "cannot reach its database")
    assert body["service"] == "events"
    assert [entry["event"] for entry in logs if entry["log_level"] == "warning"] == [
        "database unavailable"
    ]
    runtime.database.dispose()


def test_readiness_passes_when_the_database_answers(system: System) -> None:
    answer = system.services["events"].test_client().get("/readyz")
    assert answer.status_code == 200
    assert answer.get_json()["status"] == "ready"


def test_the_gateways_request_id_reaches_the_service(system: System, http: httpx.Client) -> None:
    person = a_person(http)
    with structlog.testing.capture_logs(
        processors=[structlog.contextvars.merge_contextvars]
    ) as logs:
        answer = http.get(
            "/api/v1/me", headers={**person.headers, REQUEST_ID_HEADER: "trace-me-0123456789"}
        )
    assert answer.status_code == 200
    assert answer.headers[REQUEST_ID_HEADER] == "trace-me-0123456789"
    served = [entry for entry in logs if entry["event"] == "request"]
    # One record at the default level per request and process: the in-process call to the
    # events service is DEBUG, below it.
    assert [(entry["service"], entry["path"], entry["log_level"]) for entry in served] == [
        ("gateway", "/api/v1/me", "info")
    ]
    assert served[0]["request_id"] == "trace-me-0123456789"


def test_probes_scrapes_and_feed_polls_are_logged_below_the_default_level(
    system: System, http: httpx.Client
) -> None:
    events = system.services["events"].test_client()
    with structlog.testing.capture_logs() as logs:
        for path in ("/healthz", "/readyz", "/metrics"):
            assert http.get(path).status_code == 200
        assert http.get("/api/v1/health").status_code == 200
        assert events.get("/healthz").status_code == 200
    assert [entry for entry in logs if entry["event"] == "request"] == []
    with structlog.testing.capture_logs() as logs:
        assert http.get("/api/v1/routes").status_code == 401
    assert [entry["path"] for entry in logs if entry["event"] == "request"] == ["/api/v1/routes"]


def test_readiness_tells_the_state_of_the_log_destination(http: httpx.Client) -> None:
    ready = http.get("/readyz").json()
    assert ready["status"] == "ready"
    assert ready["log_destination"] == "off"  # the tests forward no logs


@pytest.mark.parametrize(
    "incoming",
    [
        pytest.param(None, id="none"),
        pytest.param("short", id="too-short"),
        pytest.param("x" * 65, id="too-long"),
        pytest.param("ñandú-request-id", id="not-ascii"),
    ],
)
def test_an_unusable_request_id_is_replaced(client: FlaskClient, incoming: str | None) -> None:
    headers = {} if incoming is None else {REQUEST_ID_HEADER: incoming}
    answer = client.get("/api/v1/health", headers=headers)
    request_id = answer.headers[REQUEST_ID_HEADER]
    assert request_id != incoming
    assert len(request_id) == 32
    int(request_id, 16)


def test_an_unexpected_exception_is_a_problem_not_a_page(tmp_path: Path) -> None:
    bp = APIBlueprint("boom", __name__)

    @bp.get("/boom")
    def boom() -> dict[str, str]:
        raise ZeroDivisionError("a bug")

    database = Database("sqlite://")
    settings = make_settings(tmp_path)
    used_token_table(MetaData()).create(database.engine)  # what its migrations would make
    app = create_legacy_service_app("boom", settings, database, [bp])
    signer = signer_for(settings)
    with structlog.testing.capture_logs() as logs:
        answer = app.test_client().get(
            "/boom",
            headers={
                "Authorization": signer.header(
                    Principal(user_id=1), Destination.of("boom", "GET", "/boom")
                )
            },
        )
    body = assert_problem(answer, 500, "internal-error", "logged with this request id")
    assert "a bug" not in answer.get_data(as_text=True)
    assert any(entry["event"] == "unhandled error" for entry in logs)
    assert body["request_id"]
    database.dispose()
