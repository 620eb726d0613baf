"""Leases among real processes: while one process holds a lease nobody else gets it, and when
that process is killed the lease is free again at once (PostgreSQL advisory lock, SQLite file
lock), without waiting for any expiry."""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.databases import create_postgres_database, drop_postgres_database, worker_id
from tripbot.platform.db import Database
from tripbot.platform.lease import FileLease, PostgresLease, ProcessLease, lease_for

HOLD = """
import sys, time
from tripbot.platform.db import Database
from tripbot.platform.lease import lease_for
lease = lease_for(Database(sys.argv[1]), sys.argv[2])
print("held" if lease.acquire() else "refused", flush=True)
time.sleep(120)
"""


@pytest.fixture
def database_url(backend: str, tmp_path: Path) -> Iterator[str]:
    """An empty database that several processes share."""
    if backend == "sqlite":
        yield f"sqlite:///{tmp_path / 'gear.db'}"
        return
    name = f"tripbot_test_{worker_id()}_lease"
    url = create_postgres_database(name)
    yield url
    drop_postgres_database(name)


def holder(url: str, name: str) -> subprocess.Popen[str]:
    """Another process that takes the lease and keeps it until it is killed."""
    process = subprocess.Popen(
        [sys.executable, "-c", HOLD, url, name], stdout=subprocess.PIPE, text=True
    )
    assert process.stdout is not None
    assert process.stdout.readline().strip() == "held"
    return process


def kill(process: subprocess.Popen[str]) -> None:
    """Kill it outright (SIGKILL: no clean shutdown) and close its pipe."""
    if process.poll() is None:
        process.kill()
    process.wait()
    if process.stdout is not None:
        process.stdout.close()


def test_one_process_holds_a_lease_and_another_takes_it_when_it_dies(database_url: str) -> None:
    database = Database(database_url)
    ours = lease_for(database, "follow-gear-events")
    other = lease_for(database, "follow-routes-events")
    assert isinstance(ours, PostgresLease if database_url.startswith("postgresql") else FileLease)
    first = holder(database_url, "follow-gear-events")
    try:
        for _ in range(3):
            assert not ours.acquire()
        assert other.acquire()  # another lease's name is another lease
        kill(first)  # no clean shutdown: the OS or the server frees the lease
        deadline = time.monotonic() + 10
        while not ours.acquire():
            assert time.monotonic() < deadline, "the lease was not freed by the holder's death"
            time.sleep(0.05)
        assert ours.acquire()  # held, and still held when asked again
        second = subprocess.Popen(
            [sys.executable, "-c", HOLD, database_url, "follow-gear-events"],
            stdout=subprocess.PIPE,
            text=True,
        )
        assert second.stdout is not None
        assert second.stdout.readline().strip() == "refused"
        kill(second)
        ours.release()
        third = holder(database_url, "follow-gear-events")  # released: another takes it
        kill(third)
    finally:
        kill(first)
        ours.release()
        other.release()
        database.dispose()


def test_a_database_only_this_process_sees_leases_among_its_threads() -> None:
    database = Database("sqlite://")
    first, second = lease_for(database, "x"), lease_for(database, "x")
    assert isinstance(first, ProcessLease)
    assert first.acquire()
    assert first.acquire()
    first.release()
    assert second.acquire()
    database.dispose()
