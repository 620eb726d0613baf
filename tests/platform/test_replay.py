"""The ids of accepted internal tokens, kept in the service's database until they expire: a
replay is refused by every process of the service, on both databases."""

from __future__ import annotations

import threading
from datetime import timedelta

from sqlalchemy import MetaData, func, insert, select

from tripbot.platform.db import Database, utcnow
from tripbot.platform.replay import SWEEP_EVERY, UsedTokens, used_token_table


def _store(database: Database) -> UsedTokens:
    used_token_table(MetaData()).create(database.engine)
    return UsedTokens(database)


def _count(database: Database) -> int:
    table = used_token_table(MetaData())
    with database.engine.connect() as connection:
        return int(connection.scalar(select(func.count()).select_from(table)) or 0)


def test_an_id_is_accepted_once(scratch_database: Database) -> None:
    used = _store(scratch_database)
    expires = utcnow() + timedelta(seconds=15)
    assert used.first_use("abc", expires)
    assert not used.first_use("abc", expires)
    assert used.first_use("abd", expires)


def test_another_process_of_the_service_refuses_a_replay_too(scratch_database: Database) -> None:
    # Two stores over one database are what two worker processes of a service hold.
    other_process = Database(scratch_database.url)
    first, second = _store(scratch_database), UsedTokens(other_process)
    expires = utcnow() + timedelta(seconds=15)
    try:
        assert first.first_use("seen-by-one-worker", expires)
        assert not second.first_use("seen-by-one-worker", expires)
    finally:
        other_process.dispose()


def test_a_replay_racing_the_first_use_is_refused(scratch_database: Database) -> None:
    used = _store(scratch_database)
    expires = utcnow() + timedelta(seconds=15)
    answers: list[bool] = []
    threads = [
        threading.Thread(target=lambda: answers.append(used.first_use("raced", expires)))
        for _ in range(6)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(answers) == [False] * 5 + [True]


def test_bad_ids_are_never_accepted(scratch_database: Database) -> None:
    used = _store(scratch_database)
    expires = utcnow() + timedelta(seconds=15)
    assert not used.first_use("", expires)
    assert not used.first_use("x" * 65, expires)


def test_expired_ids_are_swept_and_live_ones_kept(scratch_database: Database) -> None:
    used = _store(scratch_database)
    table = used_token_table(MetaData())
    with scratch_database.engine.begin() as connection:
        connection.execute(
            insert(table),
            [
                {"token_id": f"old-{n}", "expires_at": utcnow() - timedelta(seconds=1)}
                for n in range(10)
            ],
        )
    live = utcnow() + timedelta(seconds=15)
    for n in range(SWEEP_EVERY):
        assert used.first_use(f"new-{n}", live)
    assert _count(scratch_database) == SWEEP_EVERY
