"""The transactional outbox and its feed."""

from __future__ import annotations

import threading

from sqlalchemy import MetaData

from tripbot.platform.db import Database
from tripbot.platform.outbox import FeedQuery, outbox_table, read_feed, record_change


def test_changes_are_read_in_order_from_a_cursor(scratch_database: Database) -> None:
    metadata = MetaData()
    outbox = outbox_table(metadata)
    metadata.create_all(scratch_database.engine)
    for n in range(5):
        with scratch_database.unit_of_work() as uow:
            record_change(uow.session, outbox, "thing.added", n % 2, {"n": n})
            uow.commit()

    with scratch_database.unit_of_work() as uow:
        first = read_feed(uow.session, outbox, FeedQuery(after=0, limit=2))
        rest = read_feed(uow.session, outbox, FeedQuery(after=first.cursor, limit=100))
        only_odd = read_feed(uow.session, outbox, FeedQuery(event_id=1))

    assert [e.payload["n"] for e in first.entries] == [0, 1]
    assert [e.payload["n"] for e in rest.entries] == [2, 3, 4]
    assert rest.cursor == rest.latest == 5
    assert [e.payload["n"] for e in only_odd.entries] == [1, 3]


def test_a_rolled_back_change_never_reaches_the_feed(scratch_database: Database) -> None:
    metadata = MetaData()
    outbox = outbox_table(metadata)
    metadata.create_all(scratch_database.engine)
    with scratch_database.unit_of_work() as uow:
        record_change(uow.session, outbox, "thing.added", None, {"n": 1})
        # no commit: the use case failed after recording
    with scratch_database.unit_of_work() as uow:
        assert read_feed(uow.session, outbox, FeedQuery()).entries == []


def test_concurrent_writers_commit_ids_in_order(scratch_database: Database) -> None:
    metadata = MetaData()
    outbox = outbox_table(metadata)
    metadata.create_all(scratch_database.engine)
    errors: list[BaseException] = []

    def write(n: int) -> None:
        try:
            for i in range(10):
                with scratch_database.unit_of_work() as uow:
                    record_change(uow.session, outbox, "t", None, {"w": n, "i": i})
                    uow.commit()
        except BaseException as error:
            errors.append(error)

    threads = [threading.Thread(target=write, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    with scratch_database.unit_of_work() as uow:
        page = read_feed(uow.session, outbox, FeedQuery(limit=500))
    assert [e.id for e in page.entries] == list(range(1, 41))
