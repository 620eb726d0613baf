"""Real test databases: SQLite files and PostgreSQL databases, migrated once, emptied per test."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import psycopg
import pytest
from sqlalchemy import MetaData

from tripbot import SERVICES
from tripbot.agenda.models import metadata as agenda_metadata
from tripbot.bot.models import metadata as bot_metadata
from tripbot.events.models import metadata as events_metadata
from tripbot.gear.models import metadata as gear_metadata
from tripbot.ledger.models import metadata as ledger_metadata
from tripbot.platform.db import Database
from tripbot.routes.models import metadata as routes_metadata
from tripbot.system import migrate

SERVICE_METADATA: dict[str, MetaData] = {
    "events": events_metadata,
    "routes": routes_metadata,
    "gear": gear_metadata,
    "ledger": ledger_metadata,
    "agenda": agenda_metadata,
    "bot": bot_metadata,
}
POSTGRES_ADMIN_URL = os.environ.get(
    "TRIPBOT_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres"
)
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")


def worker_id() -> str:
    """A name unique to this test process, so concurrent runs never share a database."""
    return f"{os.environ.get('PYTEST_XDIST_WORKER', 'main')}_{os.getpid()}"


def postgres_unavailable_reason() -> str | None:
    """Why PostgreSQL tests cannot run here, or None when they can."""
    try:
        with psycopg.connect(POSTGRES_ADMIN_URL, connect_timeout=3):
            return None
    except psycopg.Error as error:
        return f"PostgreSQL not reachable at {POSTGRES_ADMIN_URL} ({error.__class__.__name__})"


def require_postgres() -> None:
    """Skip visibly without PostgreSQL; in CI its absence is a failure, never a skip."""
    reason = postgres_unavailable_reason()
    if reason is None:
        return
    if IN_CI:
        pytest.fail(f"CI=true but {reason}")
    pytest.skip(reason)


def postgres_url(database: str) -> str:
    """The URL of a database on the test server."""
    base, _, _ = POSTGRES_ADMIN_URL.rpartition("/")
    return f"{base}/{database}"


@contextmanager
def _admin() -> Iterator[psycopg.Connection]:
    with psycopg.connect(POSTGRES_ADMIN_URL, autocommit=True) as connection:
        yield connection


def create_postgres_database(name: str) -> str:
    """A new empty PostgreSQL database (dropped first if a crashed run left it)."""
    with _admin() as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        connection.execute(f'CREATE DATABASE "{name}"')
    return postgres_url(name)


def drop_postgres_database(name: str) -> None:
    """Remove a test database."""
    with _admin() as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def drop_stale_databases() -> None:
    """Drop test databases left by runs whose process is gone (a crash or a kill)."""
    with _admin() as connection:
        names = [
            row[0]
            for row in connection.execute(
                "SELECT datname FROM pg_database WHERE datname ~ '^tripbot_(test|e2e)_'"
            )
        ]
    for name in names:
        pid = name.split("_")[3] if name.count("_") >= 4 else ""
        if pid.isdigit() and not Path(f"/proc/{pid}").exists():
            drop_postgres_database(name)


class TestDatabases:
    """Every service's database on one backend, migrated once for the whole session."""

    __test__ = False

    def __init__(self, backend: str, directory: Path) -> None:
        self.backend = backend
        self.urls: dict[str, str] = {}
        self.databases: dict[str, Database] = {}
        self._names: list[str] = []
        if backend == "postgresql":
            drop_stale_databases()
        for service in (*SERVICES, "bot"):
            if backend == "postgresql":
                name = f"tripbot_test_{worker_id()}_{service}"
                self._names.append(name)
                url = create_postgres_database(name)
            else:
                url = f"sqlite:///{directory / f'{service}.db'}"
            database = Database(url)
            migrate(service, database)
            self.databases[service] = database
            self.urls[service] = url

    def empty(self) -> None:
        """Delete every row of every service table, so each test starts from nothing.

        DELETE is much cheaper than TRUNCATE on the few rows a test leaves; ids keep growing,
        which no test may depend on.
        """
        for service, database in self.databases.items():
            with database.engine.begin() as connection:
                for table in reversed(SERVICE_METADATA[service].sorted_tables):
                    connection.execute(table.delete())

    def drop(self) -> None:
        """Close connections and remove the PostgreSQL databases of this session."""
        for database in self.databases.values():
            database.dispose()
        for name in self._names:
            drop_postgres_database(name)
