"""Every service's Alembic migrations build exactly its models' schema, on both databases."""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect, text

from tests.databases import (
    SERVICE_METADATA,
    create_postgres_database,
    drop_postgres_database,
    worker_id,
)
from tripbot.platform.db import Database
from tripbot.platform.migrations import pending, upgrade
from tripbot.system import DEFINITIONS, MIGRATIONS, migrate


@pytest.fixture(params=sorted(SERVICE_METADATA))
def service(request: pytest.FixtureRequest) -> str:
    """Each service that owns a database."""
    name: str = request.param
    return name


@pytest.fixture(scope="module")
def _scratch() -> Iterator[dict[str, str]]:
    """One PostgreSQL database for the module, emptied before each test (cheaper than a new
    database per test)."""
    created: dict[str, str] = {}
    yield created
    for name in created:
        drop_postgres_database(name)


@pytest.fixture
def fresh(
    backend: str, service: str, tmp_path: Path, _scratch: dict[str, str]
) -> Iterator[Database]:
    """A brand-new, empty database of the test's backend (not the shared test databases)."""
    if backend == "postgresql":
        name = f"tripbot_test_{worker_id()}_scratch"
        if name not in _scratch:
            _scratch[name] = create_postgres_database(name)
        database = Database(_scratch[name])
        with database.engine.begin() as connection:
            connection.execute(text("DROP SCHEMA public CASCADE"))
            connection.execute(text("CREATE SCHEMA public"))
    else:
        database = Database(f"sqlite:///{tmp_path / f'{service}.db'}")
    yield database
    database.dispose()


def _differences(database: Database, service: str) -> list[object]:
    with database.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        return list(compare_metadata(context, SERVICE_METADATA[service]))


def test_migrations_build_exactly_the_models_schema_and_run_twice_harmlessly(
    fresh: Database, service: str
) -> None:
    migrations = MIGRATIONS[service]
    assert pending(fresh, migrations)
    migrate(service, fresh)
    assert not pending(fresh, migrations)
    assert _differences(fresh, service) == []
    tables = set(inspect(fresh.engine).get_table_names()) - {"alembic_version"}
    assert tables == set(SERVICE_METADATA[service].tables)
    migrate(service, fresh)
    assert not pending(fresh, migrations)
    assert _differences(fresh, service) == []


def test_services_starting_together_migrate_one_at_a_time(scratch_database: Database) -> None:
    migrations = DEFINITIONS["events"].migrations
    with ThreadPoolExecutor(max_workers=3) as pool:
        outcomes = list(pool.map(lambda _: upgrade(scratch_database, migrations), range(3)))
    assert outcomes == [None, None, None]
    assert not pending(scratch_database, migrations)
