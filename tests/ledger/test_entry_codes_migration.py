"""Settle-ups saved the old way (the English words "Settle-up") become a code on both
databases, and are then said in each reader's language."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import text

from tests.databases import create_postgres_database, drop_postgres_database, worker_id
from tripbot.ledger.words import described
from tripbot.platform.db import Database
from tripbot.platform.migrations import upgrade
from tripbot.system import MIGRATIONS


@pytest.fixture
def fresh(backend: str, tmp_path: Path) -> Iterator[Database]:
    """An empty ledger database of the test's backend."""
    name = f"tripbot_test_{worker_id()}_ledger_codes"
    if backend == "postgresql":
        database = Database(create_postgres_database(name))
    else:
        database = Database(f"sqlite:///{tmp_path / 'ledger.db'}")
    yield database
    database.dispose()
    if backend == "postgresql":
        drop_postgres_database(name)


def _old_settle_up(database: Database) -> None:
    """A settle-up transfer and its reversal's audit line, as release 0002 wrote them."""
    with database.engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO entries (id, event_id, revision, state, created_by, created_at) "
                "VALUES (1, 7, 1, 'active', 1, CURRENT_TIMESTAMP), "
                "(2, 7, 1, 'active', 1, CURRENT_TIMESTAMP)"
            )
        )
        connection.execute(
            text(
                "INSERT INTO revisions (id, entry_id, event_id, number, action, author_id, "
                "recorded_at, reason, changes, kind, date, description, counterparty, category, "
                "currency, amount, book_amount, in_kind) VALUES "
                "(1, 1, 7, 1, 'created', 1, CURRENT_TIMESTAMP, '', '{}', 'transfer', "
                "'2027-05-03', 'Settle-up', '', '', 'EUR', 1670, 1670, false), "
                "(2, 2, 7, 1, 'created', 1, CURRENT_TIMESTAMP, '', '{}', 'transfer', "
                "'2027-05-03', 'Settle-up with Ana', '', '', 'EUR', 500, 500, false)"
            )
        )
        connection.execute(
            text(
                "INSERT INTO audit (id, event_id, at, actor_id, action, entry_id, revision, "
                "summary) VALUES (1, 7, CURRENT_TIMESTAMP, 1, 'entry.reversed', 1, 2, "
                """'{"description": "Settle-up", "amount": "16.70 EUR", "reason": "twice"}')"""
            )
        )


def test_old_settle_ups_become_a_code_said_in_each_language(fresh: Database) -> None:
    upgrade(fresh, MIGRATIONS["ledger"], "0002")
    _old_settle_up(fresh)
    upgrade(fresh, MIGRATIONS["ledger"])
    with fresh.engine.connect() as connection:
        rows = connection.execute(
            text("SELECT entry_id, description, code FROM revisions ORDER BY entry_id")
        ).all()
        summary = connection.execute(text("SELECT summary FROM audit")).scalar_one()
    # Only the ledger's own words became a code; what a person typed stays theirs.
    assert [tuple(r) for r in rows] == [(1, "", "settle-up"), (2, "Settle-up with Ana", None)]
    if isinstance(summary, str):
        import json

        summary = json.loads(summary)
    assert summary["code"] == "settle-up"
    assert summary["description"] == ""
    assert summary["amount"] == "16.70 EUR"
    assert described("", "settle-up", "es") == "Pago al saldar cuentas"
    assert described("", "settle-up", "en") == "Settle-up payment"
    assert described("Pan", None, "es") == "Pan"
