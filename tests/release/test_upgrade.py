"""Upgrades: databases made by the previous release (v0.1.0, with data in every service) are
brought to this version by `tripbot migrate`, twice, on SQLite and PostgreSQL, and lose nothing.

The fixtures (tests/release/fixtures/v0.1.0/, see its README) were written by v0.1.0's own code:
SQLite files of a `tripbot run --demo` instance filled through its API, and `pg_dump`s of the same
data restored into PostgreSQL by v0.1.0's `tripbot restore`.
"""

from __future__ import annotations

import gzip
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import psycopg
import pytest
from alembic.script import ScriptDirectory
from sqlalchemy import MetaData, create_engine, func, inspect, select, text

from tests.conftest import make_settings
from tests.databases import create_postgres_database, drop_postgres_database, worker_id
from tests.release.packaging import DEMO_EMAIL as ANA
from tests.release.packaging import DEMO_PASSWORD
from tripbot import SERVICES
from tripbot.platform.migrations import alembic_config
from tripbot.system import DEFINITIONS, build_embedded

FIXTURES = Path(__file__).parent / "fixtures" / "v0.1.0"
PREVIOUS_REVISIONS = {
    "events": "0002",
    "routes": "0001",
    "gear": "0001",
    "ledger": "0001",
    "agenda": "0001",
}
"""Each service's schema revision in v0.1.0."""

Counts = dict[str, dict[str, int]]
Schema = dict[str, dict[str, list[str]]]


@pytest.fixture
def previous_release(backend: str, tmp_path: Path) -> Iterator[dict[str, str]]:
    """Every service's database as v0.1.0 left it, with data: service -> URL."""
    urls: dict[str, str] = {}
    created: list[str] = []
    data = tmp_path / "data"
    data.mkdir()
    for service in PREVIOUS_REVISIONS:
        if backend == "sqlite":
            target = data / f"{service}.db"
            target.write_bytes(
                gzip.decompress((FIXTURES / "sqlite" / f"{service}.db.gz").read_bytes())
            )
            urls[service] = f"sqlite:///{target}"
        else:
            name = f"tripbot_test_{worker_id()}_upgrade_{service}"
            created.append(name)
            urls[service] = create_postgres_database(name)
            dump = gzip.decompress((FIXTURES / "postgresql" / f"{service}.sql.gz").read_bytes())
            with psycopg.connect(urls[service], autocommit=True) as connection:
                connection.execute(dump)  # plain SQL, no parameters: one simple-protocol batch
    yield urls
    for name in created:
        drop_postgres_database(name)


def sqlalchemy_url(url: str) -> str:
    """The URL SQLAlchemy takes for psycopg 3."""
    return url.replace("postgresql://", "postgresql+psycopg://", 1)


def revisions(urls: dict[str, str]) -> dict[str, str | None]:
    """Each service's Alembic revision."""
    found: dict[str, str | None] = {}
    for service, url in urls.items():
        engine = create_engine(sqlalchemy_url(url))
        with engine.connect() as connection:
            found[service] = connection.execute(
                text("SELECT version_num FROM alembic_version")
            ).scalar_one_or_none()
        engine.dispose()
    return found


def survey(urls: dict[str, str]) -> tuple[Counts, Schema]:
    """Rows per table and columns per table of every service."""
    counts: Counts = {}
    schema: Schema = {}
    for service, url in urls.items():
        engine = create_engine(sqlalchemy_url(url))
        metadata = MetaData()
        metadata.reflect(engine)
        with engine.connect() as connection:
            counts[service] = {
                name: connection.execute(select(func.count()).select_from(table)).scalar_one()
                for name, table in metadata.tables.items()
                if name != "alembic_version"
            }
        inspector = inspect(engine)
        schema[service] = {
            name: sorted(c["name"] for c in inspector.get_columns(name))
            for name in inspector.get_table_names()
        }
        engine.dispose()
    return counts, schema


def tripbot_migrate(urls: dict[str, str], data_dir: Path) -> str:
    """Run `tripbot migrate` (every service) as an operator would; its output."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("TRIPBOT_")}
    env.update({f"TRIPBOT_{s.upper()}_DATABASE_URL": url for s, url in urls.items()})
    result = subprocess.run(
        [sys.executable, "-m", "tripbot", "migrate", "--data-dir", str(data_dir)],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout + result.stderr


def heads() -> dict[str, str | None]:
    """Each service's newest migration in this version."""
    return {
        service: ScriptDirectory.from_config(
            alembic_config(DEFINITIONS[service].migrations)
        ).get_current_head()
        for service in SERVICES
    }


def test_migrate_brings_the_previous_release_to_head_twice_losing_nothing(
    previous_release: dict[str, str], tmp_path: Path
) -> None:
    assert revisions(previous_release) == PREVIOUS_REVISIONS
    before, _ = survey(previous_release)
    assert before["events"]["users"] == 3
    assert before["routes"]["routes"] == 2
    assert before["gear"]["loans"] == 1
    assert before["ledger"]["revisions"] == 4
    assert before["agenda"]["activities"] == 2

    data = tmp_path / "data"
    output = tripbot_migrate(previous_release, data)
    assert all(f"{service}: up to date" in output for service in SERVICES), output
    urls = {s: previous_release.get(s, f"sqlite:///{data / f'{s}.db'}") for s in SERVICES}
    assert revisions(urls) == heads()
    after, schema = survey(previous_release)
    for service, tables in before.items():
        for table, rows in tables.items():
            assert after[service].get(table) == rows, f"{service}.{table}: {rows} rows before"

    tripbot_migrate(previous_release, data)  # safe twice: nothing changes
    assert revisions(urls) == heads()
    assert survey(previous_release) == (after, schema)

    system = build_embedded(make_settings(data), previous_release, run_migrations=False)
    try:
        with httpx.Client(
            transport=httpx.WSGITransport(app=system.gateway), base_url="http://testserver"
        ) as http:
            check_the_club(http)
    finally:
        system.close()


def check_the_club(http: httpx.Client) -> None:
    """What v0.1.0 showed of the fixture's club, shown again by this version."""
    answer = http.post("/api/v1/auth/token", json={"email": ANA, "password": DEMO_PASSWORD})
    assert answer.status_code == 201, answer.text  # the password hash survived
    ana = {"Authorization": f"Bearer {answer.json()['token']}"}

    def get(path: str) -> Any:
        response = http.get(path, headers=ana)
        assert response.status_code == 200, f"{path}: {response.text}"
        return response.json()

    events = {e["name"]: e["id"] for e in get("/api/v1/events")}
    assert set(events) == {"Ruta del Cares", "Encuentro anual del club"}
    cares = events["Ruta del Cares"]
    members = {m["display_name"]: m["role"] for m in get(f"/api/v1/events/{cares}/members")}
    assert members == {
        "Ana García": "owner",
        "Luis Fernández": "organizer",
        "Marta Ruiz": "participant",
    }

    routes = {r["name"]: r for r in get("/api/v1/routes")["items"]}
    assert set(routes) == {"Garganta del Cares", "Vuelta por Bulnes"}
    assert routes["Vuelta por Bulnes"]["stats"]["distance_m"] == 2861.5
    plan = get(f"/api/v1/events/{cares}/plan")
    assert plan["meeting_point"] == "Aparcamiento de Poncebos"
    assert len(plan["routes"]) == 2

    items = {i["name"]: i for i in get("/api/v1/gear/items")}
    assert set(items) == {"Tienda Vaude 2p", "Cuerda 30 m"}
    history = get(f"/api/v1/gear/items/{items['Tienda Vaude 2p']['id']}/history")
    assert "Varilla doblada" in str(history)

    entries = get(f"/api/v1/events/{cares}/ledger/entries")["items"]
    assert sorted(e["amount"] for e in entries) == ["150.00", "291.60", "41.10"]
    balances = get(f"/api/v1/events/{cares}/ledger/balances")
    assert {m["name"]: m["balance"] for m in balances["members"]} == {
        "Ana García": "184.12",
        "Luis Fernández": "-87.75",
        "Marta Ruiz": "-96.37",
    }  # as v0.1.0 computed them
    assert balances["treasury"] == "-150.00"

    fiesta = events["Encuentro anual del club"]
    titles = {a["title"] for a in get(f"/api/v1/events/{fiesta}/activities")}
    assert titles == {"Asamblea", "Cena"}
