"""Shared fixtures: real databases on both backends, the embedded system, HTTP clients."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from flask.testing import FlaskClient

from tests.databases import TestDatabases, require_postgres
from tests.standins import drop_single_databases
from tripbot.platform.db import Database
from tripbot.platform.logging import configure_logging
from tripbot.platform.settings import Settings
from tripbot.system import System, build_embedded

# JSON, as in production: structlog's console renderer draws rich tracebacks,
# which made every logged error cost seconds.
configure_logging("INFO", "json")

BACKENDS = [
    pytest.param("sqlite", id="sqlite"),
    pytest.param("postgresql", id="postgresql", marks=pytest.mark.postgres),
]


def make_settings(tmp_path: Path, **overrides: object) -> Settings:
    """Settings for a test: cheap password hashing, data in the test's own folder."""
    values: dict[str, object] = {
        "env": "test",
        "data_dir": tmp_path,
        "service_timeout": 2.0,
        # Every test logs in from the same address: the rate-limit tests set their own limits.
        "auth_rate_limit": "100000/minute",
        "login_failure_limit": "100000/minute",
    }
    values.update(overrides)
    return Settings(**values)  # type: ignore[arg-type]


@pytest.fixture
def cli_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """A command line run as in a test deployment: no TRIPBOT_* variable of the machine's."""
    for name in list(os.environ):
        if name.startswith("TRIPBOT_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("TRIPBOT_ENV", "test")


@pytest.fixture(scope="session")
def _databases(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, TestDatabases]]:
    created: dict[str, TestDatabases] = {}
    yield created
    for databases in created.values():
        databases.drop()


@pytest.fixture(scope="session")
def _single_databases() -> Iterator[dict[tuple[str, str], Database]]:
    made: dict[tuple[str, str], Database] = {}
    yield made
    drop_single_databases(made)


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    """The database engine a test runs on; database tests run on both."""
    name: str = request.param
    if name == "postgresql":
        require_postgres()
    return name


@pytest.fixture
def database_urls(
    backend: str, _databases: dict[str, TestDatabases], tmp_path_factory: pytest.TempPathFactory
) -> dict[str, str]:
    """Every service's migrated, empty database on the test's backend."""
    if backend not in _databases:
        _databases[backend] = TestDatabases(backend, tmp_path_factory.mktemp(f"db-{backend}"))
    databases = _databases[backend]
    databases.empty()
    return databases.urls


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    """Test settings."""
    return make_settings(tmp_path)


@pytest.fixture(scope="session")
def _systems(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, System]]:
    built: dict[str, System] = {}
    yield built
    for system in built.values():
        system.close()


@pytest.fixture
def system(
    backend: str, database_urls: dict[str, str], _systems: dict[str, System], tmp_path: Path
) -> System:
    """The whole system in process (embedded mode) on the test's backend, with empty databases.

    Built once per backend: it keeps no state between requests but what is in its databases.
    """
    if backend not in _systems:
        settings = make_settings(tmp_path.parent)
        _systems[backend] = build_embedded(settings, database_urls, run_migrations=False)
    # Its databases were just emptied: who was who in the last test is no one now.
    _systems[backend].gateway.extensions["tripbot.identity_cache"].forget()
    return _systems[backend]


@pytest.fixture
def client(system: System) -> FlaskClient:
    """A Flask test client of the gateway (web UI and public API)."""
    return system.gateway.test_client()


@pytest.fixture
def http(system: System) -> Iterator[httpx.Client]:
    """An httpx client speaking to the embedded gateway through WSGI."""
    with httpx.Client(
        transport=httpx.WSGITransport(app=system.gateway), base_url="http://testserver"
    ) as session:
        yield session


pytest_plugins = ["tests.mailing"]
"""The mail tests' fixtures: a TripBot that sends email, and its SMTP server (tests/mailing.py)."""
