"""A full disk or a read-only SQLite file: writes get a clear 507/503 problem (never a 500),
earlier data stays intact and readable, and the file is not corrupted.

SQLite reports a full disk as SQLITE_FULL, the same as a database at its ``max_page_count``: a
connect hook caps each new connection of the service at the pages it has, so the next write
that needs a page is refused exactly as on a full disk. A read-only file is a file mode of 0444;
root ignores file modes, so there SQLite's own ``query_only`` stands in (the same
SQLITE_READONLY answer). Both faults are lifted at the end and the service writes again.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
from flask.testing import FlaskClient
from sqlalchemy import event, text

from tests.builders import a_person, event_payload
from tests.conftest import make_settings
from tests.gateway.test_web_events import NEW_EVENT
from tests.gateway.test_web_pages import log_in, submit
from tests.problems import assert_problem
from tripbot.platform.db import Database
from tripbot.system import System, build_embedded


@pytest.fixture(scope="module")
def system(tmp_path_factory: pytest.TempPathFactory) -> Iterator[System]:
    """The whole system on SQLite files of its own (their faults must not reach other tests)."""
    built = build_embedded(make_settings(tmp_path_factory.mktemp("storage-faults")))
    yield built
    built.close()


@pytest.fixture
def http(system: System) -> Iterator[httpx.Client]:
    """An httpx client of the gateway."""
    with httpx.Client(
        transport=httpx.WSGITransport(app=system.gateway), base_url="http://testserver"
    ) as client:
        yield client


def _cap_at_current_size(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    pages = cursor.execute("PRAGMA page_count").fetchone()[0]
    cursor.execute(f"PRAGMA max_page_count={pages}")
    cursor.close()


def _query_only(dbapi_connection: Any, _record: Any) -> None:
    dbapi_connection.execute("PRAGMA query_only=ON")


@contextmanager
def _disk_full(database: Database) -> Iterator[None]:
    database.dispose()
    event.listen(database.engine, "connect", _cap_at_current_size)
    try:
        yield
    finally:
        event.remove(database.engine, "connect", _cap_at_current_size)
        database.dispose()


@contextmanager
def _read_only(database: Database) -> Iterator[None]:
    database.dispose()  # closing the last connection also removes the WAL files
    path = Path(database.engine.url.database or "")
    files = [p for p in (path, Path(f"{path}-wal"), Path(f"{path}-shm")) if p.exists()]
    modes = {p: p.stat().st_mode for p in files}
    for p in files:
        p.chmod(0o444)
    as_root = os.geteuid() == 0
    if as_root:
        event.listen(database.engine, "connect", _query_only)
    try:
        yield
    finally:
        if as_root:
            event.remove(database.engine, "connect", _query_only)
        database.dispose()
        for p, mode in modes.items():
            p.chmod(mode)


FAULTS: dict[str, tuple[Callable[[Database], Any], int, str, str]] = {
    "disk-full": (_disk_full, 507, "storage-full", "storage is full"),
    "read-only": (_read_only, 503, "storage-read-only", "read-only"),
}


def _integrity(database: Database) -> str:
    with database.engine.connect() as connection:
        return str(connection.execute(text("PRAGMA integrity_check")).scalar())


@pytest.mark.parametrize("fault", list(FAULTS))
def test_a_write_on_faulty_storage_is_a_clear_problem_and_reads_keep_working(
    system: System, http: httpx.Client, fault: str
) -> None:
    inject, status, slug, words = FAULTS[fault]
    ana = a_person(http)
    kept = http.post("/api/v1/events", json=event_payload(name="Kept"), headers=ana.headers)
    assert kept.status_code == 201, kept.text
    database = system.databases["events"]
    big = "x" * 5000  # more than a page is free: it needs new ones

    with inject(database):
        refused = http.post(
            "/api/v1/events",
            json=event_payload(name="Lost", description=big),
            headers=ana.headers,
        )
        body = assert_problem(refused, status, slug, words)
        assert body["service"] == "events"
        listed = http.get("/api/v1/events", headers=ana.headers)
        assert listed.status_code == 200, listed.text
        assert [e["name"] for e in listed.json()] == ["Kept"]
        shown = http.get(f"/api/v1/events/{kept.json()['id']}", headers=ana.headers)
        assert shown.status_code == 200

    assert _integrity(database) == "ok"
    listed = http.get("/api/v1/events", headers=ana.headers)
    assert [e["name"] for e in listed.json()] == ["Kept"]
    again = http.post("/api/v1/events", json=event_payload(description=big), headers=ana.headers)
    assert again.status_code == 201, again.text


@pytest.mark.parametrize("fault", list(FAULTS))
def test_the_web_says_the_storage_fault_in_a_page(
    system: System, http: httpx.Client, fault: str
) -> None:
    inject, status, _slug, _words = FAULTS[fault]
    words = {"disk-full": "no storage space left", "read-only": "its storage is read-only"}
    browser: FlaskClient = system.gateway.test_client()
    person = a_person(http)
    log_in(browser, person.email)
    browser.set_cookie("tripbot_lang", "en")  # after logging in, which sets the person's own
    with inject(system.databases["events"]):
        page = submit(
            browser,
            "/events/new",
            {**NEW_EVENT, "name": "Lost", "description": "y" * 5000},
            page="/events/new",
        )
        assert page.status_code == status, page.text
        assert words[fault] in page.text
        assert "nothing was saved" in page.text
        assert '<html lang="' in page.text
        assert browser.get("/events").status_code == 200
    assert _integrity(system.databases["events"]) == "ok"
