"""Leases: exactly one process of a service does a job (its feed followers), and another takes it
over when that process dies.

A lease is a lock that the operating system or the database server releases by itself when its
holder dies, so nothing has to expire and no clock is trusted: on PostgreSQL a session-level
advisory lock held on a connection of its own (the server releases it when the connection
closes, including when the process is killed); on SQLite an exclusive ``flock`` on a file next
to the database (the kernel releases it when the process exits). Holders are asked again each
round, so a process that lost its connection stops before another starts. docs/architecture.md
says why this and not a lease row with an expiry.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import threading
from pathlib import Path
from typing import IO, Protocol

from sqlalchemy import Connection, Engine, text
from sqlalchemy.exc import DBAPIError

from tripbot.platform.db import Database


class Lease(Protocol):
    """The right to do one job, held by at most one process at a time."""

    name: str

    def acquire(self) -> bool:
        """Take the lease if nobody holds it (never waits); whether this process holds it."""

    def release(self) -> None:
        """Give the lease up (another process may take it at its next try)."""


def advisory_key(name: str) -> int:
    """A stable signed 64-bit key for a PostgreSQL advisory lock named ``name``."""
    return int.from_bytes(hashlib.sha256(name.encode()).digest()[:8], "big", signed=True)


class PostgresLease:
    """A session-level advisory lock on a connection kept for it alone."""

    def __init__(self, engine: Engine, name: str) -> None:
        self.name = name
        self._engine = engine
        self._key = advisory_key(name)
        self._connection: Connection | None = None

    def acquire(self) -> bool:
        """Hold the lock (checking that its connection is still alive), or try to take it."""
        if self._connection is not None:
            try:
                self._connection.execute(text("SELECT 1"))
                return True
            except DBAPIError:  # the connection is gone, and the lock with it
                self._drop()
        try:
            connection = self._engine.connect().execution_options(isolation_level="AUTOCOMMIT")
        except DBAPIError:
            return False
        try:
            taken = connection.execute(
                text("SELECT pg_try_advisory_lock(:key)"), {"key": self._key}
            ).scalar()
        except DBAPIError:
            connection.invalidate()
            connection.close()
            return False
        if not taken:
            connection.close()
            return False
        self._connection = connection
        return True

    def release(self) -> None:
        """Unlock, and close the lock's connection for good (never back into the pool)."""
        if self._connection is None:
            return
        with contextlib.suppress(DBAPIError):
            self._connection.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": self._key})
        self._drop()

    def _drop(self) -> None:
        if self._connection is not None:
            self._connection.invalidate()
            self._connection.close()
            self._connection = None


class FileLease:
    """An exclusive ``flock`` on a file; the kernel releases it when the process ends."""

    def __init__(self, path: Path, name: str) -> None:
        self.name = name
        self.path = path
        self._file: IO[bytes] | None = None

    def acquire(self) -> bool:
        """Hold the lock, or try to take it."""
        if self._file is not None:
            return True
        handle = self.path.open("ab")
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.close()
            return False
        self._file = handle
        return True

    def release(self) -> None:
        """Unlock (closing the file unlocks it)."""
        if self._file is not None:
            self._file.close()
            self._file = None


class ProcessLease:
    """For a database only this process can see (SQLite in memory): a lock among its threads."""

    def __init__(self, name: str) -> None:
        self.name = name
        self._lock = threading.Lock()
        self._held = False

    def acquire(self) -> bool:
        """Hold the lock, or try to take it."""
        if not self._held:
            self._held = self._lock.acquire(blocking=False)
        return self._held

    def release(self) -> None:
        """Unlock."""
        if self._held:
            self._held = False
            self._lock.release()


def lease_for(database: Database, name: str) -> Lease:
    """The lease named ``name`` among the processes sharing ``database``."""
    url = database.engine.url
    if url.get_backend_name() == "postgresql":
        return PostgresLease(database.engine, name)
    if url.get_backend_name() == "sqlite" and url.database not in (None, "", ":memory:"):
        safe = "".join(c if c.isalnum() or c in "-_" else "-" for c in name)
        return FileLease(Path(f"{url.database}.{safe}.lease"), name)
    return ProcessLease(name)
