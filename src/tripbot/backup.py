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
import uuid
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from decimal import Decimal
from pathlib import Path
from typing import Any, Protocol

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
from sqlalchemy.sql.elements import ColumnElement

from tripbot import SERVICES, __version__
from tripbot.platform.db import WRITE_LOCK, Database
from tripbot.platform.metrics import record_backup
from tripbot.platform.migrations import alembic_config, upgrade
from tripbot.platform.settings import Settings
from tripbot.system import DEFINITIONS

FORMAT = "tripbot-backup"
FORMAT_VERSION = 1
MANIFEST = "manifest.json"
BATCH = 500
_SKIPPED_TABLES = {"alembic_version"}


class BackupError(RuntimeError):
    """A backup or restore cannot be done; the message says why."""


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
    with gzip.open(path, "wb", compresslevel=6) as out:
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
    target = directory / service
    target.mkdir(parents=True)
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
    services: Sequence[str] = SERVICES,
    progress: Progress | None = None,
) -> dict[str, Any]:
    """Back up the given services' databases into a new (or empty) ``directory``."""
    if directory.exists() and any(directory.iterdir()):
        raise BackupError(f"{directory} is not empty: back up into a new directory")
    directory.mkdir(parents=True, exist_ok=True)
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
    (directory / MANIFEST).write_text(json.dumps(manifest, indent=2) + "\n")
    with contextlib.suppress(OSError):  # the backup is good even if its note cannot be kept
        record_backup(settings.backup_status, directory)
    return manifest


# --- writing a service back -----------------------------------------------------------------


def read_manifest(directory: Path) -> dict[str, Any]:
    """The manifest of a complete backup, or BackupError."""
    path = directory / MANIFEST
    if not path.is_file():
        raise BackupError(f"{directory} holds no complete backup (no {MANIFEST})")
    manifest: dict[str, Any] = json.loads(path.read_text())
    if manifest.get("format") != FORMAT or manifest.get("version") != FORMAT_VERSION:
        raise BackupError(f"{path} is not a TripBot backup of format version {FORMAT_VERSION}")
    return manifest


def _current_revision(database: Database) -> str | None:
    with database.engine.connect() as connection:
        revision: str | None = MigrationContext.configure(connection).get_current_revision()
        return revision


def _has_rows(database: Database) -> bool:
    with database.engine.connect() as connection:
        return any(
            connection.execute(select(1).select_from(table).limit(1)).first()
            for table in _tables(connection)
        )


def _delete_everything(connection: Connection) -> None:
    for table in reversed(_tables(connection)):
        connection.execute(table.delete())


def _move_schema(database: Database, service: str, revision: str) -> None:
    """Migrate the database up or down to ``revision``."""
    migrations = DEFINITIONS[service].migrations
    script = ScriptDirectory.from_config(alembic_config(migrations))
    try:
        ancestors = {s.revision for s in script.walk_revisions("base", revision)}
    except CommandError as error:
        raise BackupError(
            f"{service}: the backup is at revision {revision}, which this TripBot does not "
            "know; restore it with the TripBot version that made it (or a newer one)"
        ) from error
    current = _current_revision(database)
    if current == revision:
        return
    if current is None or current in ancestors:
        upgrade(database, migrations, revision)
        return
    config = alembic_config(migrations, database)
    with database.engine.begin() as connection:
        config.attributes["connection"] = connection
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
    decoders = [_decoder(table.columns[name]) for name in names]
    for column in table.columns:
        if isinstance(column.type, JSON):
            column.type.none_as_null = True  # a stored null is SQL NULL, as it was read
    digest = hashlib.sha256()
    loaded = 0
    batch: list[dict[str, Any]] = []
    with gzip.open(path, "rb") as lines:
        for line in lines:
            digest.update(line)
            values = json.loads(line)
            batch.append(
                {
                    name: value if decode is None or value is None else decode(value)
                    for name, decode, value in zip(names, decoders, values, strict=True)
                }
            )
            if len(batch) == BATCH:
                connection.execute(insert(table), batch)
                loaded += len(batch)
                progress.advance(len(batch))
                batch = []
    if batch:
        connection.execute(insert(table), batch)
        loaded += len(batch)
        progress.advance(len(batch))
    if digest.hexdigest() != stored["sha256"] or loaded != stored["rows"]:
        raise BackupError(f"{path} does not match its checksum in the manifest: it is damaged")
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


def restore_service(
    service: str,
    database: Database,
    directory: Path,
    entry: dict[str, Any],
    *,
    force: bool = False,
    progress: Progress | None = None,
) -> list[TableReport]:
    """Put one service's backed-up data into ``database``, then migrate it to this version.

    Refuses a database that has rows unless ``force`` (which deletes them first).
    """
    progress = progress or _Silent()
    revision: str | None = entry["revision"]
    if _has_rows(database):
        if not force:
            raise BackupError(
                f"{service}: its database is not empty; restore into an empty database, "
                "or pass --force to replace what it holds"
            )
        if revision is None or _current_revision(database) != revision:
            # The schema must move first: its rows go now (the same revision keeps them until
            # the new ones are in, in one transaction).
            with database.engine.begin() as connection:
                _delete_everything(connection)
    reports: list[TableReport] = []
    if revision is not None:
        _move_schema(database, service, revision)
        with database.engine.connect() as plain:
            connection = plain.execution_options(**{WRITE_LOCK: True})
            with connection.begin():
                if connection.dialect.name == "sqlite":
                    connection.exec_driver_sql("PRAGMA defer_foreign_keys = ON")
                tables = _tables(connection)
                _delete_everything(connection)
                by_name = {table.name: table for table in tables}
                unknown = set(entry["tables"]) - set(by_name)
                if unknown:
                    raise BackupError(f"{service}: no table {', '.join(sorted(unknown))} here")
                for table in tables:
                    stored = entry["tables"].get(table.name)
                    if stored is None:
                        continue
                    path = directory / service / f"{table.name}.jsonl.gz"
                    rows = _load_table(
                        connection, table, path, stored, progress=progress, service=service
                    )
                    reports.append(TableReport(service, table.name, rows))
                _restore_high_water_marks(connection, tables, entry["high_water_marks"])
    upgrade(database, DEFINITIONS[service].migrations)
    return reports


def restore(
    settings: Settings,
    directory: Path,
    services: Sequence[str] | None = None,
    *,
    force: bool = False,
    progress: Progress | None = None,
) -> list[TableReport]:
    """Restore the given services (default: every one in the backup) from ``directory``."""
    manifest = read_manifest(directory)
    chosen = list(services or manifest["services"])
    absent = [name for name in chosen if name not in manifest["services"]]
    if absent:
        raise BackupError(f"the backup holds no {', '.join(absent)} service")
    reports: list[TableReport] = []
    for service in chosen:
        database = Database(settings.database_url_for(service))
        try:
            reports += restore_service(
                service,
                database,
                directory,
                manifest["services"][service],
                force=force,
                progress=progress,
            )
        finally:
            database.dispose()
    return reports


def iter_rows(directory: Path, service: str, table: str) -> Iterator[list[Any]]:
    """The stored rows of one table, as lists of column values (for checks and tools)."""
    with gzip.open(directory / service / f"{table}.jsonl.gz", "rb") as lines:
        for line in lines:
            yield json.loads(line)
