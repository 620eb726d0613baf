"""``tripbot backup`` and ``tripbot restore``: a round trip loses nothing, on SQLite, on
PostgreSQL, and from one to the other."""

from __future__ import annotations

import gzip
import json
import os
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    Date,
    DateTime,
    Float,
    Integer,
    LargeBinary,
    MetaData,
    Numeric,
    String,
    Table,
    Text,
    insert,
    select,
    type_coerce,
)
from typer.testing import CliRunner

from tests.builders import events_call
from tests.conftest import make_settings
from tests.databases import (
    create_postgres_database,
    drop_postgres_database,
    require_postgres,
    worker_id,
)
from tests.e2e.scenario import run_club_scenario
from tripbot import SERVICES
from tripbot.backup import MANIFEST, BackupError, backup, read_manifest, restore
from tripbot.cli import app
from tripbot.events import service as events
from tripbot.events.schemas import EventCreate, UserRegister
from tripbot.platform.db import Database, UTCDateTime
from tripbot.platform.identity import Principal
from tripbot.platform.passwords import Passwords
from tripbot.platform.settings import Settings
from tripbot.system import System, build_embedded, migrate

runner = CliRunner()
PROBE = "backup_probe"


# --- databases ------------------------------------------------------------------------------


@pytest.fixture
def new_database(tmp_path: Path) -> Iterator[Callable[[str, str], str]]:
    """Make empty databases (``backend``, ``label``) -> URL; PostgreSQL ones dropped after."""
    made: list[str] = []

    def make(backend: str, label: str) -> str:
        if backend == "sqlite":
            return f"sqlite:///{tmp_path / f'{label}.db'}"
        require_postgres()
        name = f"tripbot_test_{worker_id()}_bk_{label}"
        made.append(name)
        return create_postgres_database(name)

    yield make
    for name in made:
        drop_postgres_database(name)


def probe_table(metadata: MetaData) -> Table:
    """A table with a column of every kind a service may use."""
    return Table(
        PROBE,
        metadata,
        Column("id", Integer, primary_key=True),
        Column("at", UTCDateTime, nullable=True),
        Column("day", Date, nullable=True),
        Column("amount", Numeric(12, 2), nullable=True),
        Column("ratio", Float, nullable=True),
        Column("blob", LargeBinary, nullable=True),
        Column("flag", Boolean, nullable=True),
        Column("doc", JSON, nullable=True),
        Column("note", Text, nullable=True),
        Column("code", String(20), nullable=True),
        sqlite_autoincrement=True,
    )


PROBE_ROWS: list[dict[str, Any]] = [
    {
        "at": datetime(2027, 5, 1, 6, 0, 0, 123456, tzinfo=UTC),
        "day": date(2027, 5, 1),
        "amount": Decimal("1234567890.12"),
        "ratio": 0.1 + 0.2,
        "blob": bytes(range(256)),
        "flag": True,
        "doc": {"nested": [1, "dos", None, {"x": 3.5}], "ñ": "ü"},
        "note": 'línea 1\nlínea 2 "comillas" ] \\ 😀',
        "code": "A-1",
    },
    {
        "at": None,
        "day": None,
        "amount": None,
        "ratio": None,
        "blob": None,
        "flag": None,
        "doc": None,
        "note": None,
        "code": None,
    },
    {
        "at": datetime(1999, 12, 31, 23, 59, 59, tzinfo=UTC) + timedelta(hours=2),
        "day": date(2000, 2, 29),
        "amount": Decimal("-0.05"),
        "ratio": -1e-9,
        "blob": b"",
        "flag": False,
        "doc": [],
        "note": "",
        "code": "",
    },
]


def fill_events(url: str) -> None:
    """Real events data through the service's use cases, and the probe table; then delete the
    newest user, so the highest id ever given is above the highest id left."""
    database = Database(url)
    migrate("events", database)
    probe_table(MetaData()).create(database.engine)
    policy = events.AccountPolicy(passwords=Passwords("fast"))
    people = [
        events.accounts.register(
            events_call(database, policy=policy),
            UserRegister(
                email=f"p{n}@club.example", password="a long password", display_name=f"P{n}"
            ),
        )
        for n in range(4)
    ]
    events.events.create_event(
        events_call(database, Principal(user_id=people[0].id)),
        EventCreate(
            name="Picos",
            kind="excursion",
            starts_at=datetime(2027, 5, 1, 8, tzinfo=UTC),
            ends_at=datetime(2027, 5, 2, 18, tzinfo=UTC),
            timezone="Europe/Madrid",
            currency="EUR",
        ),
    )
    with database.engine.begin() as connection:
        table = probe_table(MetaData())
        connection.execute(insert(table), PROBE_ROWS)
        users = Table("users", MetaData(), autoload_with=connection)
        connection.execute(users.delete().where(users.c.id == people[-1].id))
    database.dispose()


def prepare_target(url: str, *, with_probe: bool = True) -> None:
    """An empty, migrated events database (plus the probe table the source has)."""
    database = Database(url)
    migrate("events", database)
    if with_probe:
        probe_table(MetaData()).create(database.engine)
    database.dispose()


def _normal(value: Any, column: Column[Any]) -> Any:
    if value is None:
        return None
    if isinstance(column.type, DateTime):
        instant = value if isinstance(value, datetime) else datetime.fromisoformat(value)
        return instant.replace(tzinfo=UTC) if instant.tzinfo is None else instant.astimezone(UTC)
    if isinstance(column.type, Numeric) and not isinstance(column.type, Float):
        return Decimal(str(value))
    if isinstance(column.type, LargeBinary):
        return bytes(value)
    return value


def snapshot(url: str) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table, in primary key order, in comparable form."""
    database = Database(url)
    metadata = MetaData()
    content: dict[str, list[tuple[Any, ...]]] = {}
    with database.engine.connect() as connection:
        metadata.reflect(connection)
        for table in metadata.sorted_tables:
            if table.name == "alembic_version":
                continue
            columns = [
                type_coerce(c, String()) if isinstance(c.type, Numeric) else c
                for c in table.columns
            ]
            rows = connection.execute(select(*columns).order_by(*table.primary_key.columns))
            content[table.name] = [
                tuple(_normal(v, c) for v, c in zip(row, table.columns, strict=True))
                for row in rows
            ]
    database.dispose()
    return content


def events_settings(tmp_path: Path, url: str) -> Settings:
    """Settings that put the events service's database at ``url``."""
    return make_settings(tmp_path, events_database_url=url)


# --- one service, every kind of value ------------------------------------------------------

ROUND_TRIPS = [
    pytest.param("sqlite", "sqlite", id="sqlite-to-sqlite"),
    pytest.param(
        "postgresql", "postgresql", id="postgresql-to-postgresql", marks=pytest.mark.postgres
    ),
    pytest.param("sqlite", "postgresql", id="sqlite-to-postgresql", marks=pytest.mark.postgres),
    pytest.param("postgresql", "sqlite", id="postgresql-to-sqlite", marks=pytest.mark.postgres),
]


@pytest.mark.parametrize(("source_backend", "target_backend"), ROUND_TRIPS)
def test_a_round_trip_loses_nothing_and_never_reuses_an_id(
    source_backend: str,
    target_backend: str,
    new_database: Callable[[str, str], str],
    tmp_path: Path,
) -> None:
    source = new_database(source_backend, "source")
    target = new_database(target_backend, "target")
    fill_events(source)
    prepare_target(target)

    manifest = backup(events_settings(tmp_path, source), tmp_path / "backup", ["events"])
    reports = restore(events_settings(tmp_path, target), tmp_path / "backup", ["events"])

    assert snapshot(target) == snapshot(source)
    assert {r.table: r.rows for r in reports}["users"] == 3
    stored = manifest["services"]["events"]
    assert stored["dialect"] == source_backend
    assert stored["tables"][PROBE]["rows"] == len(PROBE_ROWS)
    assert stored["high_water_marks"]["users"] == 4
    assert json.loads((tmp_path / "backup" / MANIFEST).read_text()) == manifest

    database = Database(target)
    newcomer = events.accounts.register(
        events_call(database, policy=events.AccountPolicy(passwords=Passwords("fast"))),
        UserRegister(email="new@club.example", password="a long password", display_name="New"),
    )
    database.dispose()
    assert newcomer.id == 5  # 4 was given once, to the deleted user: never again


@pytest.mark.parametrize(
    "backend", ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]
)
def test_restore_refuses_a_database_with_data_unless_forced(
    backend: str, new_database: Callable[[str, str], str], tmp_path: Path
) -> None:
    source = new_database(backend, "source")
    fill_events(source)
    backup(events_settings(tmp_path, source), tmp_path / "backup", ["events"])
    before = snapshot(source)

    with pytest.raises(BackupError, match="not empty"):
        restore(events_settings(tmp_path, source), tmp_path / "backup", ["events"])

    database = Database(source)
    events.accounts.register(
        events_call(database, policy=events.AccountPolicy(passwords=Passwords("fast"))),
        UserRegister(email="late@club.example", password="a long password", display_name="Late"),
    )
    database.dispose()
    assert snapshot(source) != before

    restore(events_settings(tmp_path, source), tmp_path / "backup", ["events"], force=True)
    assert snapshot(source) == before


@pytest.mark.parametrize(
    "backend", ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]
)
def test_a_damaged_backup_is_refused_and_the_target_keeps_nothing_of_it(
    backend: str, new_database: Callable[[str, str], str], tmp_path: Path
) -> None:
    source = new_database(backend, "source")
    target = new_database(backend, "target")
    fill_events(source)
    prepare_target(target)
    backup(events_settings(tmp_path, source), tmp_path / "backup", ["events"])
    users = tmp_path / "backup" / "events" / "users.jsonl.gz"
    lines = gzip.decompress(users.read_bytes()).splitlines(keepends=True)
    users.write_bytes(gzip.compress(b"".join(lines[:-1])))

    with pytest.raises(BackupError, match="checksum"):
        restore(events_settings(tmp_path, target), tmp_path / "backup", ["events"])
    assert all(rows == [] for rows in snapshot(target).values())


def test_restore_needs_a_complete_backup_of_a_known_revision(
    new_database: Callable[[str, str], str], tmp_path: Path
) -> None:
    with pytest.raises(BackupError, match="no complete backup"):
        read_manifest(tmp_path)

    source = new_database("sqlite", "source")
    fill_events(source)
    manifest = backup(events_settings(tmp_path, source), tmp_path / "backup", ["events"])
    manifest["services"]["events"]["revision"] = "ffffffffffff"
    (tmp_path / "backup" / MANIFEST).write_text(json.dumps(manifest))
    target = new_database("sqlite", "target")
    with pytest.raises(BackupError, match="does not know"):
        restore(events_settings(tmp_path, target), tmp_path / "backup", ["events"])

    with pytest.raises(BackupError, match="not empty"):
        backup(events_settings(tmp_path, source), tmp_path / "backup", ["events"])


def test_an_older_backup_is_migrated_forward_after_restore(
    new_database: Callable[[str, str], str], tmp_path: Path
) -> None:
    source = new_database("sqlite", "source")
    database = Database(source)
    migrate("events", database)
    database.dispose()
    manifest = backup(events_settings(tmp_path, source), tmp_path / "backup", ["events"])
    first = manifest["services"]["events"]["revision"]
    target = new_database("sqlite", "target")

    restore(events_settings(tmp_path, target), tmp_path / "backup", ["events"])
    database = Database(target)
    with database.engine.connect() as connection:
        from alembic.runtime.migration import MigrationContext

        assert MigrationContext.configure(connection).get_current_revision() == first
    database.dispose()


# --- every service, through the command line ------------------------------------------------


@pytest.fixture
def _cli_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in list(os.environ):
        if name.startswith("TRIPBOT_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("TRIPBOT_ENV", "test")


@pytest.mark.usefixtures("_cli_environment")
def test_the_commands_back_up_and_restore_every_service_of_the_embedded_mode(
    tmp_path: Path,
) -> None:
    source_dir, target_dir = tmp_path / "source", tmp_path / "target"
    system = build_embedded(make_settings(source_dir))
    with httpx.Client(
        transport=httpx.WSGITransport(app=system.gateway), base_url="http://testserver"
    ) as http:
        run_club_scenario(http)
    system.close()

    backed_up = runner.invoke(app, ["backup", str(tmp_path / "b"), "--data-dir", str(source_dir)])
    assert backed_up.exit_code == 0, backed_up.output
    assert set(read_manifest(tmp_path / "b")["services"]) == {*SERVICES, "bot"}

    restored = runner.invoke(app, ["restore", str(tmp_path / "b"), "--data-dir", str(target_dir)])
    assert restored.exit_code == 0, restored.output
    for service in SERVICES:
        source = snapshot(f"sqlite:///{source_dir / f'{service}.db'}")
        assert snapshot(f"sqlite:///{target_dir / f'{service}.db'}") == source, service
    assert any(snapshot(f"sqlite:///{target_dir / 'events.db'}")["users"])

    again = runner.invoke(app, ["restore", str(tmp_path / "b"), "--data-dir", str(target_dir)])
    assert again.exit_code == 1
    assert "not empty" in again.output
    unknown = runner.invoke(app, ["backup", str(tmp_path / "c"), "--service", "nope"])
    assert unknown.exit_code == 2


def test_every_service_survives_a_round_trip_on_each_backend(
    backend: str,
    system: System,
    http: httpx.Client,
    database_urls: dict[str, str],
    new_database: Callable[[str, str], str],
    tmp_path: Path,
) -> None:
    run_club_scenario(http)
    source = make_settings(tmp_path, **{f"{s}_database_url": u for s, u in database_urls.items()})
    targets = {service: new_database(backend, f"all_{service}") for service in SERVICES}
    target = make_settings(tmp_path, **{f"{s}_database_url": u for s, u in targets.items()})

    backup(source, tmp_path / "backup")
    restore(target, tmp_path / "backup")

    for service in SERVICES:
        assert snapshot(targets[service]) == snapshot(database_urls[service]), service
