"""Portable column types and the unit of work, on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
from sqlalchemy import select, text
from sqlalchemy.dialects import sqlite
from sqlalchemy.exc import OperationalError, StatementError

from tripbot.events.models import User
from tripbot.platform.db import Database, UTCDateTime, utcnow

MADRID_SUMMER = timezone(timedelta(hours=2))
UNREACHABLE_URLS = {
    "sqlite-missing-dir": "sqlite:///{tmp}/no/such/dir/events.db",
    "postgresql-closed-port": "postgresql://postgres@127.0.0.1:1/events",
}
"""Database URLs that cannot connect (also used by the readiness tests)."""


@pytest.fixture
def database(database_urls: dict[str, str]) -> Iterator[Database]:
    """The events database of the test's backend, used as a plain table store."""
    db = Database(database_urls["events"])
    yield db
    db.dispose()


def _user(**overrides: object) -> User:
    values: dict[str, object] = {
        "email": "ana@club.example",
        "display_name": "Ana",
        "password_hash": "not-a-real-hash",
    }
    values.update(overrides)
    return User(**values)


def test_an_aware_datetime_is_stored_and_returned_in_utc(database: Database) -> None:
    local = datetime(2027, 5, 1, 8, 30, tzinfo=MADRID_SUMMER)
    with database.unit_of_work() as uow:
        uow.session.add(_user(created_at=local, locked_until=None))
        uow.commit()
    with database.unit_of_work() as uow:
        user = uow.session.scalars(select(User)).one()
        assert user.created_at == local
        assert user.created_at.utcoffset() == timedelta(0)
        assert user.created_at.hour == 6
        assert user.locked_until is None
    with database.engine.connect() as connection:
        stored = connection.execute(text("SELECT created_at FROM users")).scalar_one()
    # SQLite keeps text without an offset; it must be the UTC wall time, not the local one.
    assert str(stored).startswith("2027-05-01 06:30:00")


def test_instants_compare_correctly_in_queries(database: Database) -> None:
    early = datetime(2027, 5, 1, 9, 0, tzinfo=MADRID_SUMMER)  # 07:00 UTC
    late = datetime(2027, 5, 1, 8, 0, tzinfo=UTC)  # 08:00 UTC, earlier wall time than "early"
    with database.unit_of_work() as uow:
        uow.session.add_all([_user(email="late@x.es", created_at=late), _user(created_at=early)])
        uow.commit()
    with database.unit_of_work() as uow:
        ordered = uow.session.scalars(select(User.email).order_by(User.created_at)).all()
        after = uow.session.scalars(
            select(User.email).where(User.created_at > datetime(2027, 5, 1, 7, 30, tzinfo=UTC))
        ).all()
    assert ordered == ["ana@club.example", "late@x.es"]
    assert after == ["late@x.es"]


def test_a_naive_datetime_is_refused(database: Database) -> None:
    with database.unit_of_work() as uow:
        uow.session.add(_user(created_at=datetime(2027, 5, 1, 8, 30)))
        with pytest.raises(StatementError, match="naive datetime") as raised:
            uow.session.flush()
        assert isinstance(raised.value.orig, ValueError)
    with database.unit_of_work() as uow:
        assert uow.session.scalars(select(User)).all() == []


def test_the_column_type_converts_without_a_database() -> None:
    column = UTCDateTime()
    dialect = sqlite.dialect()
    local = datetime(2027, 1, 1, 12, tzinfo=timezone(timedelta(hours=-5)))
    assert column.process_bind_param(local, dialect) == datetime(2027, 1, 1, 17, tzinfo=UTC)
    assert column.process_bind_param(None, dialect) is None
    assert column.process_result_value(datetime(2027, 1, 1, 17), dialect) == datetime(
        2027, 1, 1, 17, tzinfo=UTC
    )
    assert column.process_result_value(None, dialect) is None
    assert utcnow().tzinfo is UTC


def test_a_unit_of_work_without_commit_changes_nothing(database: Database) -> None:
    with database.unit_of_work() as uow:
        uow.session.add(_user())
        uow.session.flush()
    with database.unit_of_work() as uow:
        assert uow.session.scalars(select(User)).all() == []


def test_an_error_inside_a_unit_of_work_rolls_it_back(database: Database) -> None:
    def use_case() -> None:
        with database.unit_of_work() as uow:
            uow.session.add(_user())
            uow.session.flush()
            raise RuntimeError("the use case failed half way")

    with pytest.raises(RuntimeError, match="half way"):
        use_case()
    with database.unit_of_work() as uow:
        assert uow.session.scalars(select(User)).all() == []


def test_ping_answers_for_a_reachable_database(database: Database) -> None:
    database.ping()


@pytest.mark.parametrize("where", ["sqlite-missing-dir", "postgresql-closed-port"])
def test_ping_raises_for_an_unreachable_database(tmp_path: Path, where: str) -> None:
    url = UNREACHABLE_URLS[where].format(tmp=tmp_path)
    database = Database(url)
    with pytest.raises(OperationalError):
        database.ping()
    database.dispose()
