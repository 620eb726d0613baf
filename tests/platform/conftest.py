"""A scratch database on each backend for testing platform mechanisms on their own tables."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.databases import create_postgres_database, drop_postgres_database, worker_id
from tripbot.platform.db import Database


@pytest.fixture
def scratch_database(backend: str, tmp_path: Path) -> Iterator[Database]:
    """An empty database of its own, dropped after the test."""
    name = f"tripbot_test_{worker_id()}_scratch"
    url = (
        create_postgres_database(name) if backend == "postgresql" else f"sqlite:///{tmp_path}/s.db"
    )
    database = Database(url)
    yield database
    database.dispose()
    if backend == "postgresql":
        drop_postgres_database(name)
