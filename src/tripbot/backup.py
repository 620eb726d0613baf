"""Backups and restores of every service's data, in a portable logical format.

A backup is a directory: ``manifest.json`` (written last: a directory without it is no backup)
and, per service, one gzip'd JSON-lines file per table, one JSON array of column values a line.
Each service is read in one snapshot (PostgreSQL ``REPEATABLE READ``, SQLite's read transaction)
so its tables agree with each other; services are read one after the other. The manifest keeps
each service's Alembic revision, row counts and checksums, and the highest id each table ever
handed out, so a restore never reuses an id. Values are stored by meaning (ISO instants in UTC,
decimals as text, bytes as base64), so a SQLite backup restores into PostgreSQL and back.
"""

from __future__ import annotations

import base64
import contextlib
import gzip
import hashlib
import json
import os
import uuid
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from decimal import Decimal
from pathlib import Path
from typing import Any, BinaryIO, Protocol

from alembic import command
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from alembic.util import CommandError
from rich.progress import Progress as RichBars
from rich.progress import TaskID
from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    Connection,
    Date,
    DateTime,
    Float,
    Integer,
    LargeBinary,
    MetaData,
    Numeric,
    String,
    Table,
    Time,
    Uuid,
    func,
    insert,
    select,
    text,
    type_coerce,
)
from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.sql.elements import ColumnElement

from tripbot import __version__
from tripbot.backup_checks import (
    FORMAT,
    FORMAT_VERSION,
    MANIFEST,
    MAX_ROW_BYTES,
    OWNERS,
    BackupError,
    check_files,
    check_manifest,
    check_value,
    read_manifest,
    sized_rows,
    stored_rows,
    table_file,
)
from tripbot.platform.db import WRITE_LOCK, Database
from tripbot.platform.metrics import record_backup
from tripbot.platform.migrations import alembic_config
from tripbot.platform.settings import Settings
from tripbot.system import MIGRATIONS

__all__ = ["MANIFEST", "BackupError", "read_manifest"]

BATCH = 500
_SKIPPED_TABLES = {"alembic_version"}


class Progress(Protocol):
    """Told what a backup or restore is doing, to show it to a person."""

    def table(self, service: str, table: str, rows: int) -> None:
        """A table of ``rows`` rows starts."""

    def advance(self, rows: int) -> None:
        """``rows`` more rows of the current table are done."""


class _Silent:
    def table(self, service: str, table: str, rows: int) -> None:
        """Nothing to show."""

    def advance(self, rows: int) -> None:
        """Nothing to show."""


@dataclass(frozen=True)
class TableReport:
    """What was copied of one table."""

    service: str
    table: str
    rows: int


class RichProgress:
    """Shows a backup or restore as one progress bar per table."""

    def __init__(self, bars: RichBars) -> None:
        self._bars = bars
        self._task: TaskID | None = None

    def table(self, service: str, table: str, rows: int) -> None:
        """Start the bar of a table."""
        self._task = self._bars.add_task(f"{service}.{table}", total=rows or 1)
        if not rows:
            self._bars.advance(self._task, 1)

    def advance(self, rows: int) -> None:
        """Move the current bar on."""
        if self._task is not None:
            self._bars.advance(self._task, rows)


# --- values: stored by meaning, read back as the target column's type wants -----------------


def _plain(value: object) -> object:
    """A JSON-able form of a database value that ``json`` cannot write itself."""
    if isinstance(value, datetime):
        return (value.astimezone(UTC) if value.tzinfo else value).isoformat()
    if isinstance(value, date | time):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, bytes | bytearray | memoryview):
        return base64.b64encode(bytes(value)).decode("ascii")
    if isinstance(value, uuid.UUID):
        return str(value)
    raise TypeError(f"cannot back up a value of type {type(value).__name__}")


def _datetime_for(timezone: bool) -> Callable[[Any], Any]:
    def decode(value: Any) -> datetime:
        instant = datetime.fromisoformat(value)
        if timezone:
            return instant if instant.tzinfo else instant.replace(tzinfo=UTC)
        return instant.astimezone(UTC).replace(tzinfo=None) if instant.tzinfo else instant

    return decode


_DECODERS: tuple[tuple[type[Any], Callable[[Any], Any]], ...] = (
    (Date, date.fromisoformat),
    (Time, time.fromisoformat),
    (Float, float),  # before Numeric: a Float is a Numeric
    (Numeric, lambda value: Decimal(str(value))),
    (LargeBinary, base64.b64decode),
    (Boolean, bool),
    (Uuid, uuid.UUID),
)


def _decoder(column: Column[Any]) -> Callable[[Any], Any] | None:
    """How to turn a stored value back into what ``column`` takes (None: as it is)."""
    kind = column.type
    if isinstance(kind, DateTime):
        return _datetime_for(bool(kind.timezone))
    return next((decode for type_, decode in _DECODERS if isinstance(kind, type_)), None)


def _selected(column: Column[Any]) -> ColumnElement[Any]:
    # SQLite has no decimal type: read its raw number rather than a float turned Decimal.
    if isinstance(column.type, Numeric) and not isinstance(column.type, Float):
        return type_coerce(column, String()).label(column.name)
    return column


def _private_file(path: Path) -> BinaryIO:
    """A new file only its owner can read (a backup holds password hashes and tokens)."""
    return os.fdopen(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), "wb")


# --- reading a service ----------------------------------------------------------------------


def _snapshot(database: Database) -> Connection:
    connection = database.engine.connect()
    if connection.dialect.name == "postgresql":
        connection = connection.execution_options(
            isolation_level="REPEATABLE READ", postgresql_readonly=True
        )
    return connection


def _tables(connection: Connection) -> list[Table]:
    metadata = MetaData()
    metadata.reflect(connection)
    return [t for t in metadata.sorted_tables if t.name not in _SKIPPED_TABLES]


def _id_column(table: Table) -> Column[Any] | None:
    primary = list(table.primary_key.columns)
    if len(primary) == 1 and isinstance(primary[0].type, Integer):
        return primary[0]
    return None


def _high_water_marks(connection: Connection, tables: Sequence[Table]) -> dict[str, int]:
    """The highest id each table has handed out, deleted rows included."""
    marks: dict[str, int] = {}
    if connection.dialect.name == "sqlite":
        has_sequences = connection.execute(
            text("SELECT 1 FROM sqlite_master WHERE name = 'sqlite_sequence'")
        ).first()
        if has_sequences:
            for name, seq in connection.execute(text("SELECT name, seq FROM sqlite_sequence")):
                marks[str(name)] = int(seq)
        return marks
    for table in tables:
        column = _id_column(table)
        if column is None:
            continue
        sequence = connection.execute(
            text("SELECT pg_get_serial_sequence(:table, :column)"),
            {"table": f'"{table.name}"', "column": column.name},
        ).scalar()
        if sequence:
            last, called = connection.execute(
                text(f"SELECT last_value, is_called FROM {sequence}")  # noqa: S608 - a catalog name
            ).one()
            marks[table.name] = int(last) if called else int(last) - 1
    return marks


def _dump_table(
    connection: Connection, table: Table, path: Path, progress: Progress, service: str
) -> dict[str, Any]:
    rows = connection.execute(select(func.count()).select_from(table)).scalar_one()
    progress.table(service, table.name, rows)
    statement = select(*(_selected(c) for c in table.columns)).order_by(*table.primary_key.columns)
    if connection.dialect.name == "postgresql":
        connection = connection.execution_options(yield_per=BATCH)
    digest = hashlib.sha256()
    written = 0
    with (
        _private_file(path) as file,
        gzip.GzipFile(fileobj=file, mode="wb", compresslevel=6) as out,
    ):
        for partition in connection.execute(statement).partitions(BATCH):
            lines = b"".join(
                json.dumps(list(row), default=_plain, ensure_ascii=False).encode() + b"\n"
                for row in partition
            )
            digest.update(lines)
            out.write(lines)
            written += len(partition)
            progress.advance(len(partition))
    return {
        "rows": written,
        "sha256": digest.hexdigest(),
        "columns": [c.name for c in table.columns],
    }


def backup_service(
    service: str, database: Database, directory: Path, progress: Progress | None = None
) -> dict[str, Any]:
    """Write one service's data under ``directory/service``; return its manifest entry."""
    progress = progress or _Silent()
    if service not in OWNERS:
        raise BackupError(f"{service!r} is not a TripBot service")
    target = directory / service
    target.mkdir(mode=0o700)
    with _snapshot(database) as connection, connection.begin():
        revision = MigrationContext.configure(connection).get_current_revision()
        tables = _tables(connection)
        entry: dict[str, Any] = {
            "dialect": connection.dialect.name,
            "revision": revision,
            "tables": {},
            "high_water_marks": _high_water_marks(connection, tables),
        }
        for table in tables:
            entry["tables"][table.name] = _dump_table(
                connection, table, target / f"{table.name}.jsonl.gz", progress, service
            )
    return entry


def backup(
    settings: Settings,
    directory: Path,
    services: Sequence[str] = OWNERS,
    progress: Progress | None = None,
) -> dict[str, Any]:
    """Back up the given services' (and the bot's) databases into a new (or empty)
    ``directory``, readable by its owner only."""
    if directory.exists() and any(directory.iterdir()):
        raise BackupError(f"{directory} is not empty: back up into a new directory")
    directory.mkdir(parents=True, exist_ok=True, mode=0o700)
    directory.chmod(0o700)  # it may have existed, empty, with wider rights
    manifest: dict[str, Any] = {
        "format": FORMAT,
        "version": FORMAT_VERSION,
        "tripbot": __version__,
        "created_at": datetime.now(UTC).isoformat(),
        "services": {},
    }
    for service in services:
        database = Database(settings.database_url_for(service))
        try:
            manifest["services"][service] = backup_service(service, database, directory, progress)
        finally:
            database.dispose()
    with _private_file(directory / MANIFEST) as out:
        out.write((json.dumps(manifest, indent=2) + "\n").encode())
    with contextlib.suppress(OSError):  # the backup is good even if its note cannot be kept
        record_backup(settings.backup_status, directory)
    return manifest


# --- writing a service back -----------------------------------------------------------------


def _has_rows(database: Database) -> bool:
    with database.engine.connect() as connection:
        return any(
            connection.execute(select(1).select_from(table).limit(1)).first()
            for table in _tables(connection)
        )


def _delete_everything(connection: Connection) -> None:
    for table in reversed(_tables(connection)):
        connection.execute(table.delete())


def _live_marks(connection: Connection) -> dict[str, int]:
    """The highest id each table of the database being replaced has handed out: ids above
    them were never seen by a feed's reader, so changes recorded after the restore are told."""
    tables = _tables(connection)
    marks = _high_water_marks(connection, tables)
    for table in tables:
        column = _id_column(table)
        if column is not None:
            highest = connection.execute(select(func.coalesce(func.max(column), 0))).scalar_one()
            marks[table.name] = max(marks.get(table.name, 0), int(highest))
    return marks


def _migrate_on(connection: Connection, service: str, revision: str) -> None:
    """Move the schema up or down to ``revision`` inside the connection's open transaction."""
    migrations = MIGRATIONS[service]
    config = alembic_config(migrations)
    config.attributes["connection"] = connection
    current = MigrationContext.configure(connection).get_current_revision()
    if current == revision:
        return
    if revision == "head" or current is None:
        command.upgrade(config, revision)
        return
    script = ScriptDirectory.from_config(config)
    ancestors = {s.revision for s in script.walk_revisions("base", revision)}
    if current in ancestors:
        command.upgrade(config, revision)
    else:
        command.downgrade(config, revision)


def _load_table(
    connection: Connection,
    table: Table,
    path: Path,
    stored: dict[str, Any],
    *,
    progress: Progress,
    service: str,
) -> int:
    progress.table(service, table.name, int(stored["rows"]))
    names: list[str] = stored["columns"]
    missing = [name for name in names if name not in table.columns]
    if missing:
        raise BackupError(f"{service}.{table.name} has no column {', '.join(missing)}")
    columns = [table.columns[name] for name in names]
    decoders = [_decoder(column) for column in columns]
    for column in table.columns:
        if isinstance(column.type, JSON):
            column.type.none_as_null = True  # a stored null is SQL NULL, as it was read
    loaded = 0
    batch: list[dict[str, Any]] = []
    held = 0
    for values, size in sized_rows(path, stored):
        for column, value in zip(columns, values, strict=True):
            check_value(service, column, value, loaded + len(batch) + 1)
        batch.append(
            {
                name: value if decode is None or value is None else decode(value)
                for name, decode, value in zip(names, decoders, values, strict=True)
            }
        )
        held += size
        # Written by count or by size: a batch of large rows (route tracks) stays bounded.
        if len(batch) == BATCH or held >= MAX_ROW_BYTES:
            connection.execute(insert(table), batch)
            loaded += len(batch)
            progress.advance(len(batch))
            batch, held = [], 0
    if batch:
        connection.execute(insert(table), batch)
        loaded += len(batch)
        progress.advance(len(batch))
    return loaded


def _restore_high_water_marks(
    connection: Connection, tables: Sequence[Table], marks: dict[str, int]
) -> None:
    """Make every table hand out ids above the highest the backed-up one ever had."""
    if connection.dialect.name == "sqlite":
        autoincrement = {
            str(name)
            for name, sql in connection.execute(
                text("SELECT name, sql FROM sqlite_master WHERE type = 'table'")
            )
            if sql and "AUTOINCREMENT" in str(sql).upper()
        }
        for table in tables:
            column = _id_column(table)
            if table.name not in autoincrement or column is None:
                continue
            highest = max(
                marks.get(table.name, 0),
                connection.execute(select(func.coalesce(func.max(column), 0))).scalar_one(),
            )
            connection.execute(
                text("DELETE FROM sqlite_sequence WHERE name = :t"), {"t": table.name}
            )
            connection.execute(
                text("INSERT INTO sqlite_sequence (name, seq) VALUES (:t, :seq)"),
                {"t": table.name, "seq": highest},
            )
        return
    for table in tables:
        column = _id_column(table)
        if column is None:
            continue
        sequence = connection.execute(
            text("SELECT pg_get_serial_sequence(:table, :column)"),
            {"table": f'"{table.name}"', "column": column.name},
        ).scalar()
        if not sequence:
            continue
        highest = max(
            marks.get(table.name, 0),
            connection.execute(select(func.coalesce(func.max(column), 0))).scalar_one(),
        )
        connection.execute(
            text("SELECT setval(CAST(:sequence AS regclass), :value, :called)"),
            {"sequence": sequence, "value": max(highest, 1), "called": highest > 0},
        )


def _replace_service(
    connection: Connection,
    service: str,
    directory: Path,
    entry: dict[str, Any],
    *,
    progress: Progress,
    read_up_to: int = 0,
) -> list[TableReport]:
    """Inside the connection's open transaction: empty the service, load the backup at its
    revision, migrate it to this version; the caller commits (or nothing happened).

    ``read_up_to``: the furthest a reader kept out of the restore has read this service's feed;
    its next changes get higher ids, or that reader would never tell them."""
    if connection.dialect.name == "sqlite":
        connection.exec_driver_sql("PRAGMA defer_foreign_keys = ON")
    live = _live_marks(connection)
    live["outbox"] = max(live.get("outbox", 0), read_up_to)
    stored_marks: dict[str, int] = entry["high_water_marks"]
    marks = {
        name: max(live.get(name, 0), stored_marks.get(name, 0)) for name in {*live, *stored_marks}
    }
    _delete_everything(connection)
    reports: list[TableReport] = []
    revision: str | None = entry["revision"]
    if revision is not None:
        _migrate_on(connection, service, revision)
        tables = _tables(connection)
        by_name = {table.name: table for table in tables}
        unknown = set(entry["tables"]) - set(by_name)
        if unknown:
            raise BackupError(f"{service}: no table {', '.join(sorted(unknown))} here")
        for table in tables:
            stored = entry["tables"].get(table.name)
            if stored is None:
                continue
            path = table_file(directory, service, table.name)
            rows = _load_table(connection, table, path, stored, progress=progress, service=service)
            reports.append(TableReport(service, table.name, rows))
    _migrate_on(connection, service, "head")
    # Migrations may rebuild tables (SQLite): the marks are set once the schema is final.
    _restore_high_water_marks(connection, _tables(connection), marks)
    return reports


_READER_TABLES = {"feed_cursors": ("source", "service"), "chats_told": ("service",)}
"""Where readers of feeds keep their positions: services' followers, and the bot."""


def _positions_of_readers(settings: Settings, kept: Sequence[str]) -> dict[str, int]:
    """How far the readers whose databases the restore keeps have read each service's feed."""
    positions: dict[str, int] = {}
    for owner in kept:
        url = settings.database_url_for(owner)
        if url.startswith("sqlite") and not Path(make_url(url).database or "").is_file():
            continue  # never created: it has read nothing (and opening it would create it)
        database = Database(url)
        try:
            with database.engine.connect() as connection:
                metadata = MetaData()
                metadata.reflect(connection, only=lambda name, _: name in _READER_TABLES)
                for table in metadata.tables.values():
                    key = next(c for c in _READER_TABLES[table.name] if c in table.columns)
                    query = select(table.c[key], func.max(table.c.position)).group_by(table.c[key])
                    for source, position in connection.execute(query):
                        positions[source] = max(positions.get(source, 0), int(position or 0))
        except SQLAlchemyError:
            continue  # a reader that cannot be reached now: its database is not restored
        finally:
            database.dispose()
    return positions


def restore(
    settings: Settings,
    directory: Path,
    services: Sequence[str] | None = None,
    *,
    force: bool = False,
    progress: Progress | None = None,
) -> list[TableReport]:
    """Restore the given services (default: every one in the backup) from ``directory``.

    Everything is checked before any database is touched (manifest, services, revisions,
    checksums); then every service is replaced in its own open transaction, and they commit
    together only once all of them loaded and migrated: any failure leaves every database as
    it was.
    """
    manifest = read_manifest(directory)
    chosen = list(services or manifest["services"])
    check_manifest(manifest, chosen)
    for service in chosen:
        check_files(directory, service, manifest["services"][service])
    read_up_to = _positions_of_readers(settings, [o for o in OWNERS if o not in chosen])
    databases = {service: Database(settings.database_url_for(service)) for service in chosen}
    try:
        try:
            full = [name for name, database in databases.items() if _has_rows(database)]
        except SQLAlchemyError as error:
            reason = str(error).splitlines()[0]
            raise BackupError(
                f"a database cannot be read ({reason}); nothing was restored"
            ) from error
        if full and not force:
            raise BackupError(
                f"{', '.join(full)}: the database is not empty; restore into empty databases, "
                "or pass --force to replace what they hold"
            )
        reports: list[TableReport] = []
        with contextlib.ExitStack() as open_connections:
            transactions = []
            for service in chosen:
                plain = open_connections.enter_context(databases[service].engine.connect())
                connection = plain.execution_options(**{WRITE_LOCK: True})
                transactions.append(connection.begin())
                try:
                    reports += _replace_service(
                        connection,
                        service,
                        directory,
                        manifest["services"][service],
                        progress=progress or _Silent(),
                        read_up_to=read_up_to.get(service, 0),
                    )
                except (SQLAlchemyError, CommandError) as error:  # a constraint, a migration
                    reason = str(error).splitlines()[0]
                    raise BackupError(f"{service}: {reason}; nothing was restored") from error
            # Only now does anything become visible; a failure above rolled every one back
            # (closing a connection ends its open transaction).
            for transaction in transactions:
                transaction.commit()
    finally:
        for database in databases.values():
            database.dispose()
    return reports


def iter_rows(directory: Path, service: str, table: str) -> Iterator[list[Any]]:
    """The stored rows of one table, as lists of column values (for checks and tools)."""
    entry = read_manifest(directory)["services"][service]
    yield from stored_rows(table_file(directory, service, table), entry["tables"][table])
