"""PostgreSQL drops the services' connections (a restart, a failover, an idle-connection reaper):
the pools notice on the next checkout (pre-ping) and reconnect, so no request fails. Only a
request whose connection is cut while it uses it fails, with a 503 problem; it is not retried,
since a connection lost during COMMIT leaves unknown whether the change was made."""

from __future__ import annotations

import httpx
import psycopg
import pytest
from sqlalchemy import text
from sqlalchemy.exc import OperationalError

from tests.builders import a_person, an_event, event_payload
from tests.databases import POSTGRES_ADMIN_URL, require_postgres
from tripbot import SERVICES
from tripbot.system import System

pytestmark = pytest.mark.postgres


def _terminate_backends(database: str) -> int:
    """Kill every server process serving ``database``; how many there were."""
    with psycopg.connect(POSTGRES_ADMIN_URL, autocommit=True) as admin:
        rows = admin.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            "WHERE datname = %s AND pid <> pg_backend_pid()",
            (database,),
        ).fetchall()
    return len(rows)


@pytest.mark.parametrize("backend", ["postgresql"])
def test_requests_after_the_connections_were_dropped_all_succeed(
    system: System, http: httpx.Client, backend: str
) -> None:
    require_postgres()
    ana = a_person(http)
    event = an_event(http, ana, name="Before")
    for name in SERVICES:  # every pool holds a connection to lose
        assert http.get(f"/api/v1/events/{event['id']}", headers=ana.headers).status_code == 200
        system.databases[name].ping()

    dropped = {
        name: _terminate_backends(system.databases[name].engine.url.database or "")
        for name in SERVICES
    }
    assert all(dropped.values()), dropped  # the test only proves something if pools held some

    listed = http.get("/api/v1/events", headers=ana.headers)
    assert listed.status_code == 200, listed.text
    assert [e["name"] for e in listed.json()] == ["Before"]
    created = http.post("/api/v1/events", json=event_payload(name="After"), headers=ana.headers)
    assert created.status_code == 201, created.text
    assert http.get("/api/v1/health").status_code == 200
    for name in SERVICES:
        system.databases[name].ping()


@pytest.mark.parametrize("backend", ["postgresql"])
def test_a_connection_dropped_mid_request_fails_that_request_only_with_a_clear_503(
    system: System, http: httpx.Client, backend: str
) -> None:
    require_postgres()
    ana = a_person(http)
    database = system.databases["events"]
    app = system.services["events"]
    with app.test_request_context("/events"), database.unit_of_work() as uow:
        uow.session.execute(text("SELECT 1"))
        assert _terminate_backends(database.engine.url.database or "") >= 1
        with pytest.raises(OperationalError) as raised:
            uow.session.execute(text("SELECT 1"))
        answer = app.make_response(app.handle_user_exception(raised.value))
    assert (answer.status_code, answer.mimetype) == (503, "application/problem+json")
    assert answer.json == {
        "type": "urn:tripbot:problem:service-unavailable",
        "title": "Service Unavailable",
        "status": 503,
        "detail": "the events service cannot reach its database; try again later",
        "instance": "/events",
        "service": "events",
        "message_id": "the {service} service cannot reach its database; try again later",
    }
    # The pool threw the dead connection away: the next request is served.
    assert http.get("/api/v1/events", headers=ana.headers).status_code == 200
