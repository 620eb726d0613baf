"""Idempotency keys: one change per key, the same answer on every retry."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from sqlalchemy import Column, Integer, MetaData, Table, func, insert, select

from tripbot.platform.db import Database
from tripbot.platform.errors import InvalidInput
from tripbot.platform.idempotency import claim, complete, idempotency_table


def _tables(database: Database) -> tuple[Table, Table]:
    metadata = MetaData()
    keys = idempotency_table(metadata)
    things = Table("things", metadata, Column("id", Integer, primary_key=True))
    metadata.create_all(database.engine)
    return keys, things


def _create_once(
    database: Database, keys: Table, things: Table, key: str, body: object
) -> dict[str, Any]:
    with database.unit_of_work() as uow:
        uow.lock_for_write()
        previous = claim(uow.session, keys, "user:1", key, body)
        if previous is not None:
            return previous
        new_id = uow.session.scalar(insert(things).values().returning(things.c.id))
        answer = {"id": new_id}
        complete(uow.session, keys, "user:1", key, answer)
        uow.commit()
        return answer


def _count(database: Database, things: Table) -> int:
    with database.unit_of_work() as uow:
        return int(uow.session.scalar(select(func.count()).select_from(things)) or 0)


def test_a_retry_gets_the_same_answer_and_changes_nothing(scratch_database: Database) -> None:
    keys, things = _tables(scratch_database)
    first = _create_once(scratch_database, keys, things, "k1", {"amount": 5})
    again = _create_once(scratch_database, keys, things, "k1", {"amount": 5})
    other = _create_once(scratch_database, keys, things, "k2", {"amount": 5})
    assert again == first
    assert other != first
    assert _count(scratch_database, things) == 2


def test_a_key_reused_for_another_request_is_refused(scratch_database: Database) -> None:
    keys, things = _tables(scratch_database)
    _create_once(scratch_database, keys, things, "k1", {"amount": 5})
    with pytest.raises(InvalidInput, match="different request"):
        _create_once(scratch_database, keys, things, "k1", {"amount": 6})
    assert _count(scratch_database, things) == 1


@pytest.mark.parametrize("key", ["", "x" * 201])
def test_bad_keys_are_refused(scratch_database: Database, key: str) -> None:
    keys, things = _tables(scratch_database)
    with pytest.raises(InvalidInput, match="Idempotency-Key must be"):
        _create_once(scratch_database, keys, things, key, {})


def test_concurrent_retries_change_things_once(scratch_database: Database) -> None:
    keys, things = _tables(scratch_database)
    answers: list[dict[str, Any]] = []
    errors: list[BaseException] = []

    def retry() -> None:
        try:
            answers.append(_create_once(scratch_database, keys, things, "same", {"a": 1}))
        except BaseException as error:
            errors.append(error)

    threads = [threading.Thread(target=retry) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    # A retry that overlaps the first may be told to try again (409); none may create twice.
    assert all(type(e).__name__ == "Conflict" for e in errors), errors
    assert len({a["id"] for a in answers}) == 1
    assert _count(scratch_database, things) == 1
