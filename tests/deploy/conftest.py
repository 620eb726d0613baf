"""Paths and facts the deployment checks share."""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import psycopg
import pytest

from tests.databases import (
    IN_CI,
    POSTGRES_ADMIN_URL,
    drop_postgres_database,
    require_postgres,
    worker_id,
)
from tripbot.platform.settings import Settings

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
BIN = ROOT / ".venv" / "bin"

SETTINGS_VARIABLES = {f"TRIPBOT_{name.upper()}" for name in Settings.model_fields}
"""Every variable a TripBot process reads."""


def tool(name: str) -> str:
    """The path of a command-line tool: the project's virtualenv first, then PATH."""
    own = BIN / name
    if own.exists():
        return str(own)
    found = shutil.which(name)
    if found is None:
        message = f"{name} is not installed (make setup installs it)"
        if IN_CI:
            pytest.fail(message)
        pytest.skip(message)
    return found


@pytest.fixture
def postgres_role() -> Iterator[str]:
    """A role name for this test; the role and its databases are dropped afterwards."""
    require_postgres()
    role = f"tripbot_e2e_{worker_id()}_init"
    yield role
    with psycopg.connect(POSTGRES_ADMIN_URL, autocommit=True) as admin:
        names = [
            row[0]
            for row in admin.execute(
                "SELECT datname FROM pg_database WHERE datname LIKE %s", (f"{role}%",)
            )
        ]
        for name in names:
            drop_postgres_database(name)
        admin.execute(f'DROP ROLE IF EXISTS "{role}"')


def run_initdb(role: str, password: str) -> None:
    """Run deploy/postgres/initdb.sh against the test server, as its container would."""
    url = urlsplit(POSTGRES_ADMIN_URL)
    env = {
        **os.environ,
        "PGHOST": url.hostname or "127.0.0.1",
        "PGPORT": str(url.port or 5432),
        "PGUSER": url.username or "postgres",
        "TRIPBOT_DB_USER": role,
        "TRIPBOT_DB_PASSWORD": password,
        "TRIPBOT_DB_PREFIX": role,
    }
    if url.password:
        env["PGPASSWORD"] = url.password
    subprocess.run(
        ["sh", str(DEPLOY / "postgres" / "initdb.sh")], env=env, check=True, capture_output=True
    )
