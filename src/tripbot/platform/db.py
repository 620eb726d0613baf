"""Database engines, the session-per-use-case unit of work, and portable column types."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from types import TracebackType
from typing import Any, Self

from sqlalchemy import Connection, DateTime, Engine, MetaData, create_engine, event, text
from sqlalchemy.engine import Dialect, make_url
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.pool import ConnectionPoolEntry
from sqlalchemy.types import TypeDecorator

MAX_ID = 2**31 - 1
"""The largest id an integer primary key holds (PostgreSQL's ``integer``)."""
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def new_metadata() -> MetaData:
    """A service's own metadata, with constraint names stable across databases."""
    return MetaData(naming_convention=NAMING_CONVENTION)


class UTCDateTime(TypeDecorator[datetime]):
    """A timezone-aware instant stored as UTC; SQLite would otherwise drop the offset."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        """Refuse naive datetimes and store UTC."""
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTCDateTime column")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        """Give back an aware UTC datetime."""
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def utcnow() -> datetime:
    """The current instant, timezone-aware."""
    return datetime.now(UTC)


def _sqlite_pragmas(dbapi_connection: Any, _record: ConnectionPoolEntry) -> None:
    # The driver's own implicit BEGIN is turned off so that _sqlite_begin decides how to begin.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=5000")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


WRITE_LOCK = "tripbot_write_lock"


def _sqlite_begin(connection: Connection) -> None:
    # A use case that reads and then writes on what it read takes the write lock up front
    # (BEGIN IMMEDIATE): SQLite cannot upgrade a read transaction once another writer committed.
    immediate = connection.get_execution_options().get(WRITE_LOCK, False)
    connection.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


def _private_sqlite_file(url: str) -> None:
    """Create a new SQLite file readable by its owner only: SQLite would make it as the umask
    says, often world-readable, and it holds password hashes. Its -wal and -shm files take the
    same rights from it. A missing folder stays an error (the data dir is made 0700 by whoever
    chose it)."""
    path = make_url(url).database
    if not path or path == ":memory:" or path.startswith("file:"):
        return
    file = Path(path)
    if file.exists() or not file.parent.is_dir():
        return
    os.close(os.open(file, os.O_WRONLY | os.O_CREAT, 0o600))


def create_db_engine(url: str) -> Engine:
    """An engine for a service database: SQLite with WAL and foreign keys, or PostgreSQL."""
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url.removeprefix("postgresql://")
    if url.startswith("sqlite"):
        _private_sqlite_file(url)
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 5})
        event.listen(engine, "connect", _sqlite_pragmas)
        event.listen(engine, "begin", _sqlite_begin)
        return engine
    return create_engine(url, pool_pre_ping=True, pool_size=5, max_overflow=10, pool_timeout=5)


class Database:
    """One service's database: its engine and the factory of its units of work."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.engine = create_db_engine(url)
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)

    def unit_of_work(self) -> UnitOfWork:
        """A fresh unit of work (one transaction)."""
        return UnitOfWork(self._sessions)

    @contextmanager
    def reading(self) -> Iterator[Connection]:
        """A connection for one read in one transaction, without an ORM session: the hottest
        reads (who is a member, what is an event) are a few rows of one query, where a
        session's bookkeeping would cost several times the query."""
        with self.engine.connect() as connection:
            yield connection

    def ping(self) -> None:
        """Raise if the database cannot answer a trivial query."""
        with self.engine.connect() as connection:
            connection.execute(text("SELECT 1"))

    def dispose(self) -> None:
        """Close every pooled connection."""
        self.engine.dispose()


class UnitOfWork:
    """One transaction around one use case: commit explicitly, or everything is rolled back."""

    session: Session

    def __init__(self, sessions: sessionmaker[Session]) -> None:
        self._sessions = sessions

    def __enter__(self) -> Self:
        self.session = self._sessions()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.session.rollback()
        self.session.close()

    def lock_for_write(self) -> None:
        """Call first in a use case that checks what it will change (availability, uses left):
        SQLite then takes its write lock at once; PostgreSQL uses row locks as the use case asks."""
        self.session.connection(execution_options={WRITE_LOCK: True})

    def commit(self) -> None:
        """Make the use case's changes durable."""
        self.session.commit()
