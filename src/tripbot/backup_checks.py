"""What a restore checks before it writes anything: the manifest, the services and tables it
names, each file's checksum (read with bounded memory), and every stored value against the
column it goes into.

A backup directory is read as untrusted input: a name in its manifest never becomes a path
unless it is one of TripBot's own, and a file never gets more memory than its largest
allowed row.
"""

from __future__ import annotations

import base64
import binascii
import gzip
import hashlib
import json
import math
import os
import re
import stat
import uuid
import zlib
from collections.abc import Iterator
from datetime import date, datetime, time
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any, get_args

from alembic.script import ScriptDirectory
from alembic.util import CommandError
from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    Date,
    DateTime,
    Integer,
    LargeBinary,
    Numeric,
    SmallInteger,
    String,
    Time,
    Uuid,
)

from tripbot.events.schemas import EventRole, InstanceRole, MemberRole
from tripbot.platform.migrations import alembic_config
from tripbot.system import MIGRATIONS

FORMAT = "tripbot-backup"
FORMAT_VERSION = 1
MANIFEST = "manifest.json"
OWNERS: tuple[str, ...] = tuple(MIGRATIONS)
"""Every component whose database a backup holds: the services, then the bot."""
MAX_MANIFEST_BYTES = 16 * 1024 * 1024
MAX_ROW_BYTES = 64 * 1024 * 1024
"""The longest stored row read (a route's track is the largest value): a longer line, or a
gzip bomb of one endless line, is refused before it fills memory."""
_NAME = re.compile(r"[a-z][a-z0-9_]{0,62}")
_SHA256 = re.compile(r"[0-9a-f]{64}")
ALLOWED_VALUES: dict[tuple[str, str, str], frozenset[str]] = {
    ("events", "users", "role"): frozenset(get_args(InstanceRole)),
    ("events", "memberships", "role"): frozenset(get_args(MemberRole)),
    ("events", "invitations", "role"): frozenset(get_args(EventRole)) - {"owner"},
}
"""Columns whose values come from a known set: a backup cannot bring in another role."""


class BackupError(RuntimeError):
    """A backup or restore cannot be done; the message says why."""


def read_manifest(directory: Path) -> dict[str, Any]:
    """The manifest of a complete backup, or BackupError."""
    path = directory / MANIFEST
    if not path.is_file():
        raise BackupError(f"{directory} holds no complete backup (no {MANIFEST})")
    if path.stat().st_size > MAX_MANIFEST_BYTES:
        raise BackupError(f"{path} is too large to be a TripBot manifest")
    try:
        manifest = json.loads(path.read_bytes())
    except (ValueError, RecursionError) as error:
        raise BackupError(f"{path} is not valid JSON: it is damaged") from error
    if (
        not isinstance(manifest, dict)
        or manifest.get("format") != FORMAT
        or manifest.get("version") != FORMAT_VERSION
    ):
        raise BackupError(f"{path} is not a TripBot backup of format version {FORMAT_VERSION}")
    if not isinstance(manifest.get("services"), dict):
        raise BackupError(f"{path} lists no services")
    return manifest


def _known_revision(service: str, revision: str) -> None:
    script = ScriptDirectory.from_config(alembic_config(MIGRATIONS[service]))
    try:
        known = script.get_revision(revision) is not None
    except CommandError:
        known = False
    if not known:
        raise BackupError(
            f"{service}: the backup is at revision {revision}, which this TripBot does not "
            "know; restore it with the TripBot version that made it (or a newer one)"
        )


def _check_entry(service: str, entry: object) -> None:
    """One service's manifest entry is well formed: known revision, plain table names."""
    if not isinstance(entry, dict):
        raise BackupError(f"{service}: its manifest entry is damaged")
    revision = entry.get("revision")
    tables = entry.get("tables")
    marks = entry.get("high_water_marks")
    if revision is not None and not isinstance(revision, str):
        raise BackupError(f"{service}: its revision is damaged")
    if not isinstance(tables, dict) or not isinstance(marks, dict):
        raise BackupError(f"{service}: its manifest entry is damaged")
    if revision is not None:
        _known_revision(service, revision)
    for name, stored in tables.items():
        if not _NAME.fullmatch(name):
            raise BackupError(f"{service}: {name!r} is not a table name")
        if (
            not isinstance(stored, dict)
            or not isinstance(stored.get("rows"), int)
            or stored["rows"] < 0
            or not isinstance(stored.get("sha256"), str)
            or not _SHA256.fullmatch(stored["sha256"])
            or not isinstance(stored.get("columns"), list)
            or not all(isinstance(c, str) and _NAME.fullmatch(c) for c in stored["columns"])
        ):
            raise BackupError(f"{service}.{name}: its manifest entry is damaged")
    for name, mark in marks.items():
        if not isinstance(name, str) or not isinstance(mark, int) or isinstance(mark, bool):
            raise BackupError(f"{service}: its id high-water marks are damaged")


def check_manifest(manifest: dict[str, Any], chosen: list[str]) -> None:
    """Every service named (in the manifest and chosen) is TripBot's own, and well described."""
    for name in (*manifest["services"], *chosen):
        if name not in OWNERS:
            raise BackupError(
                f"{name!r} is not a TripBot service (they are {', '.join(OWNERS)}): "
                "the backup is damaged or not TripBot's"
            )
    absent = [name for name in chosen if name not in manifest["services"]]
    if absent:
        raise BackupError(f"the backup holds no {', '.join(absent)} service")
    for name in chosen:
        _check_entry(name, manifest["services"][name])


def table_file(directory: Path, service: str, table: str) -> Path:
    """Where a table's rows are stored (the names were checked: no path can leave DIRECTORY)."""
    if service not in OWNERS or not _NAME.fullmatch(table):
        raise BackupError(f"{service}.{table} is not a table TripBot backs up")
    return directory / service / f"{table}.jsonl.gz"


def stored_lines(path: Path, stored: dict[str, Any]) -> Iterator[bytes]:
    """A table file's lines, each at most MAX_ROW_BYTES; BackupError as soon as the file holds
    more rows than the manifest says, and at the end unless count and checksum match."""
    try:
        mode = os.lstat(path).st_mode
    except OSError as error:
        raise BackupError(f"{path} is missing: the backup is incomplete") from error
    if not stat.S_ISREG(mode):
        raise BackupError(f"{path} is not a regular file")
    digest = hashlib.sha256()
    count = 0
    try:
        with path.open("rb") as raw, gzip.GzipFile(fileobj=raw, mode="rb") as lines:
            while line := lines.readline(MAX_ROW_BYTES + 1):
                if len(line) > MAX_ROW_BYTES:
                    raise BackupError(f"{path} holds a row over {MAX_ROW_BYTES} bytes: refused")
                count += 1
                if count > stored["rows"]:
                    raise BackupError(f"{path} holds more rows than its manifest: it is damaged")
                digest.update(line)
                yield line
    except (OSError, EOFError, zlib.error) as error:
        raise BackupError(f"{path} cannot be read ({error}): it is damaged") from error
    if count != stored["rows"] or digest.hexdigest() != stored["sha256"]:
        raise BackupError(f"{path} does not match its checksum in the manifest: it is damaged")


def sized_rows(path: Path, stored: dict[str, Any]) -> Iterator[tuple[list[Any], int]]:
    """A table file's rows, each a list of one value per stored column, with its size."""
    width = len(stored["columns"])
    for number, line in enumerate(stored_lines(path, stored), start=1):
        try:
            values = json.loads(line)
        except (ValueError, RecursionError) as error:
            raise BackupError(f"{path}: row {number} is not valid JSON") from error
        if not isinstance(values, list) or len(values) != width:
            raise BackupError(f"{path}: row {number} does not have {width} values")
        yield values, len(line)


def stored_rows(path: Path, stored: dict[str, Any]) -> Iterator[list[Any]]:
    """A table file's rows, each a list of one value per stored column."""
    for values, _size in sized_rows(path, stored):
        yield values


def check_files(directory: Path, service: str, entry: dict[str, Any]) -> None:
    """Read every file of a service once: present, readable, of the right size and checksum."""
    for table, stored in entry["tables"].items():
        for _row in sized_rows(table_file(directory, service, table), stored):
            pass


# --- one value against the column it goes into ----------------------------------------------


def _integer(column: Column[Any], value: object) -> bool:
    if not isinstance(value, int) or isinstance(value, bool):
        return False
    bits = 31
    if isinstance(column.type, BigInteger):
        bits = 63
    elif isinstance(column.type, SmallInteger):
        bits = 15
    return bool(-(2**bits) <= value < 2**bits)


def _parses(parse: Any, value: object) -> bool:
    try:
        parse(value)
    except (ValueError, TypeError):
        return False
    return True


def _number(value: object) -> bool:
    if isinstance(value, bool):
        return False
    if isinstance(value, int | float):
        return math.isfinite(value)
    try:
        return isinstance(value, str) and Decimal(value).is_finite()
    except InvalidOperation:
        return False


def _base64(value: object) -> bool:
    try:
        base64.b64decode(str(value), validate=True)
    except (binascii.Error, ValueError):
        return False
    return isinstance(value, str)


def _fits(column: Column[Any], value: object) -> bool:  # noqa: PLR0911 - one answer per type
    kind = column.type
    if isinstance(kind, JSON):
        return True
    if isinstance(kind, Boolean):
        return isinstance(value, bool)
    if isinstance(kind, Integer):
        return _integer(column, value)
    if isinstance(kind, DateTime):
        return isinstance(value, str) and _parses(datetime.fromisoformat, value)
    if isinstance(kind, Date):
        return isinstance(value, str) and _parses(date.fromisoformat, value)
    if isinstance(kind, Time):
        return isinstance(value, str) and _parses(time.fromisoformat, value)
    if isinstance(kind, Numeric):  # Float too
        return _number(value)
    if isinstance(kind, LargeBinary):
        return _base64(value)
    if isinstance(kind, Uuid):
        return isinstance(value, str) and _parses(uuid.UUID, value)
    if isinstance(kind, String):
        length = kind.length
        return (
            isinstance(value, str)
            and "\x00" not in value
            and (length is None or len(value) <= length)
        )
    return True


def check_value(service: str, column: Column[Any], value: object, row: int) -> None:
    """Refuse a stored value its column cannot hold (type, size, emptiness, allowed set)."""
    where = f"{service}.{column.table.name}.{column.name} (row {row})"
    if value is None:
        if not column.nullable:
            raise BackupError(f"{where} is empty, which it cannot be: the backup is damaged")
        return
    if not _fits(column, value):
        raise BackupError(f"{where} holds a value of the wrong kind or size: {str(value)[:40]!r}")
    allowed = ALLOWED_VALUES.get((service, column.table.name, column.name))
    if allowed is not None and value not in allowed:
        raise BackupError(
            f"{where} is {str(value)[:40]!r}, not one of {', '.join(sorted(allowed))}"
        )
