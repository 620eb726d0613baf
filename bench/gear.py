"""Gear numbers: availability of every item over 30 days, and reservations racing on PostgreSQL.

- Availability: 2,000 items (half tracked by units, half by quantity) and 50,000 reservations
  bulk-inserted; ``list_items`` over a 30-day window, on SQLite and PostgreSQL. Reports its p50,
  the number of SQL statements it sends, and the floor: the same statements run raw on the
  driver's cursor, side by side in the same run.
- Concurrency: 20 clients, each on its own connection, reserving through the service layer on
  PostgreSQL; reservations/s, and an independent SQL query counting overbooked days (must be 0).

Run: `.venv/bin/python bench/gear.py` (a few minutes at most; PostgreSQL on 127.0.0.1:5432).
"""

from __future__ import annotations

import json
import os
import platform
import random
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import event, insert, text

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.databases import (  # noqa: E402
    create_postgres_database,
    drop_postgres_database,
    postgres_unavailable_reason,
)

from tripbot.gear import service  # noqa: E402
from tripbot.gear.models import Item, Reservation, Unit  # noqa: E402
from tripbot.gear.rules import GearPolicy  # noqa: E402
from tripbot.gear.schemas import ItemCreate, ItemQuery, ReservationCreate  # noqa: E402
from tripbot.gear.service.access import POLICY as POLICY_KEY  # noqa: E402
from tripbot.platform.db import Database  # noqa: E402
from tripbot.platform.errors import Conflict, NotFound  # noqa: E402
from tripbot.platform.identity import Principal  # noqa: E402
from tripbot.platform.operations import Call, ServiceRuntime  # noqa: E402
from tripbot.platform.settings import Settings  # noqa: E402
from tripbot.system import migrate  # noqa: E402

ITEMS = 2_000
RESERVATIONS = 50_000
WINDOW_DAYS = 30
RUNS = 15
CLIENTS = 20
ATTEMPTS_PER_CLIENT = 25
HOT_ITEMS = 5
HOT_CAPACITY = 20
TODAY = date(2030, 1, 7)
KEEPER = Principal(user_id=1, instance_role="gear_keeper")
POLICY = GearPolicy(max_reservation_days=90, clock=lambda: datetime(2030, 1, 7, 9, tzinfo=UTC))


@dataclass(frozen=True)
class Named:
    """Someone's account, as far as the gear service reads it."""

    display_name: str


@dataclass(frozen=True)
class BenchEvents:
    """The events service stand-in: everyone has a name, nobody belongs to an event."""

    principal: Principal

    def me(self) -> Named:
        """The caller's account."""
        return Named(f"Member {self.principal.user_id}")

    def acting_for(self, principal: Principal) -> BenchEvents:
        """The same service asked as someone else."""
        return BenchEvents(principal)

    def event(self, event_id: int) -> None:
        """Nobody is in any event here."""
        raise NotFound(f"there is no event {event_id}")


def club(principal: Principal, database: Database) -> Call:
    """A call of a gear use case for ``principal`` on ``database``."""
    runtime = ServiceRuntime(
        "gear", Settings(), database, {"events": BenchEvents}, {POLICY_KEY: POLICY}
    )
    return Call(principal, runtime)


def fill(database: Database, rng: random.Random) -> None:
    """2,000 items, their units, and 50,000 reservations over the next year, in bulk."""
    now = datetime.now(UTC)
    items, units, reservations = [], [], []
    for n in range(1, ITEMS + 1):
        by_units = n % 2 == 0
        quantity = 0 if by_units else rng.randint(5, 50)
        items.append(
            {
                "id": n,
                "event_id": None,
                "name": f"Item {n}",
                "category": f"Category {n % 12}",
                "description": "",
                "weight_grams": rng.randint(20, 3000),
                "tracking": "units" if by_units else "quantity",
                "quantity": quantity,
                "out_of_service": 0,
                "created_by": 1,
                "created_at": now,
                "updated_at": now,
            }
        )
        for label in range(rng.randint(1, 10) if by_units else 0):
            condition = "out_of_service" if rng.random() < 0.05 else "good"
            units.append(
                {
                    "item_id": n,
                    "label": f"U{label}",
                    "condition": condition,
                    "notes": "",
                    "created_at": now,
                }
            )
    for _ in range(RESERVATIONS):
        start = TODAY + timedelta(days=rng.randint(-30, 335))
        reservations.append(
            {
                "item_id": rng.randint(1, ITEMS),
                "quantity": rng.randint(1, 2),
                "start_date": start,
                "end_date": start + timedelta(days=rng.randint(0, 6)),
                "user_id": rng.randint(2, 500),
                "user_name": "Member",
                "event_name": "",
                "status": rng.choices(("reserved", "returned", "cancelled"), (8, 1, 1))[0],
                "note": "",
                "created_by": 1,
                "created_at": now,
            }
        )
    with database.engine.begin() as connection:
        connection.execute(insert(Item), items)
        connection.execute(insert(Unit), units)
        connection.execute(insert(Reservation), reservations)
        if database.engine.dialect.name == "postgresql":
            for table in ("items", "units", "reservations"):
                connection.execute(
                    text(f"SELECT setval('{table}_id_seq', (SELECT max(id) FROM {table}))")  # noqa: S608 - our own table names
                )
            connection.execute(text("ANALYZE"))


@contextmanager
def statements(database: Database) -> Iterator[list[tuple[str, Any]]]:
    """The SQL statements sent while the block runs (with their parameters)."""
    sent: list[tuple[str, Any]] = []

    def record(_conn: Any, _cursor: Any, statement: str, parameters: Any, *_args: Any) -> None:
        if not statement.startswith(("BEGIN", "ROLLBACK", "COMMIT")):
            sent.append((statement, parameters))

    event.listen(database.engine, "before_cursor_execute", record)
    try:
        yield sent
    finally:
        event.remove(database.engine, "before_cursor_execute", record)


def p50(run: Callable[[], object], clock: Callable[[], float] = time.perf_counter) -> float:
    """The median of RUNS timings in milliseconds (after one warm-up)."""
    run()
    timings = []
    for _ in range(RUNS):
        started = clock()
        run()
        timings.append((clock() - started) * 1000)
    return statistics.median(timings)


def availability(database: Database) -> dict[str, float | int]:
    """p50 of every item's free counts over 30 days, its SQL statements, and the raw floor."""
    query = ItemQuery(
        available_from=TODAY + timedelta(days=10),
        available_to=TODAY + timedelta(days=9 + WINDOW_DAYS),
    )

    def use_case() -> list[Any]:
        return service.items.items(club(KEEPER, database), query)

    with statements(database) as sent:
        answered = use_case()
    assert len(answered) == ITEMS
    raw_connection = database.engine.raw_connection()

    def floor() -> None:
        cursor = raw_connection.cursor()
        for statement, parameters in sent:
            cursor.execute(statement, parameters)
            cursor.fetchall()
        cursor.close()
        raw_connection.rollback()

    measured = {
        "use_case_p50_ms": p50(use_case),
        "raw_sql_p50_ms": p50(floor),
        # CPU time of this process alone: what the use case costs whatever else the machine runs.
        "use_case_cpu_p50_ms": p50(use_case, time.process_time),
    }
    raw_connection.close()
    return {
        **measured,
        "sql_statements": len(sent),
        "ratio_to_raw_sql": measured["use_case_p50_ms"] / measured["raw_sql_p50_ms"],
    }


@dataclass
class Tally:
    """What the racing clients got."""

    made: int = 0
    refused: int = 0
    failed: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)


def concurrency(url: str, rng: random.Random) -> dict[str, float | int]:
    """20 clients, each on its own connection, reserving the same few items at once."""
    setup = Database(url)
    hot = [
        service.items.create_item(
            club(KEEPER, setup),
            ItemCreate(name=f"Hot {n}", category="Bench", quantity=HOT_CAPACITY),
        ).id
        for n in range(HOT_ITEMS)
    ]
    plans = [
        [
            ReservationCreate(
                item_id=rng.choice(hot),
                quantity=rng.randint(1, 3),
                start_date=(first := TODAY + timedelta(days=rng.randint(0, 20))),
                end_date=first + timedelta(days=rng.randint(0, 6)),
            )
            for _ in range(ATTEMPTS_PER_CLIENT)
        ]
        for _ in range(CLIENTS)
    ]
    tally = Tally()
    start = threading.Barrier(CLIENTS)

    def client(number: int) -> None:
        database = Database(url)
        member = Principal(user_id=1000 + number, instance_role="member")
        database.ping()
        start.wait()
        for data in plans[number]:
            try:
                service.reservations.reserve(club(member, database), data)
                outcome = "made"
            except Conflict:
                outcome = "refused"
            except Exception:
                outcome = "failed"
            with tally.lock:
                setattr(tally, outcome, getattr(tally, outcome) + 1)
        database.dispose()

    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=CLIENTS) as pool:
        list(pool.map(client, range(CLIENTS)))
    elapsed = time.perf_counter() - started
    overbooked = setup_overbooked_days(setup, hot)
    setup.dispose()
    attempts = CLIENTS * ATTEMPTS_PER_CLIENT
    return {
        "clients": CLIENTS,
        "attempts": attempts,
        "reservations_made": tally.made,
        "refused_409": tally.refused,
        "errors": tally.failed,
        "seconds": elapsed,
        "attempts_per_s": attempts / elapsed,
        "reservations_per_s": tally.made / elapsed,
        "overbooked_item_days": overbooked,
    }


def setup_overbooked_days(database: Database, items: list[int]) -> int:
    """Independently of the service: item-days whose active reservations exceed the stock."""
    with database.engine.connect() as connection:
        return int(
            connection.execute(
                text(
                    """
                    SELECT count(*) FROM (
                      SELECT r.item_id, d.day
                      FROM reservations r
                      JOIN items i ON i.id = r.item_id
                      CROSS JOIN LATERAL generate_series(r.start_date, r.end_date, interval '1 day')
                        AS d(day)
                      WHERE r.status IN ('reserved', 'out') AND r.item_id = ANY(:items)
                      GROUP BY r.item_id, d.day, i.quantity, i.out_of_service
                      HAVING sum(r.quantity) > i.quantity - i.out_of_service
                    ) AS overbooked
                    """
                ),
                {"items": items},
            ).scalar_one()
        )


@contextmanager
def on(backend: str) -> Iterator[tuple[str, Database]]:
    """A fresh, migrated gear database on a backend (dropped afterwards)."""
    if backend == "postgresql":
        url = create_postgres_database("tripbot_bench_gear")
    else:
        url = f"sqlite:///{Path(tempfile.mkdtemp()) / 'gear.db'}"
    database = Database(url)
    migrate("gear", database)
    try:
        yield url, database
    finally:
        database.dispose()
        if backend == "postgresql":
            drop_postgres_database("tripbot_bench_gear")


def main() -> None:
    """Measure, print a small table, and write bench/results/gear.json."""
    rng = random.Random(7)  # noqa: S311 - reproducible test data, not secrets
    results: dict[str, Any] = {
        "machine": f"{platform.machine()} {os.cpu_count()} cores, "
        f"Python {platform.python_version()}",
        "load_average_1m_at_start": os.getloadavg()[0],
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "items": ITEMS,
        "reservations": RESERVATIONS,
        "window_days": WINDOW_DAYS,
    }
    backends = ["sqlite"] + ([] if postgres_unavailable_reason() else ["postgresql"])
    for backend in backends:
        with on(backend) as (url, database):
            started = time.perf_counter()
            fill(database, rng)
            results[f"{backend}_bulk_insert_s"] = time.perf_counter() - started
            results[f"{backend}_availability"] = availability(database)
            if backend == "postgresql":
                results["postgresql_concurrency"] = concurrency(url, rng)
    out = ROOT / "bench" / "results" / "gear.json"
    out.write_text(json.dumps(results, indent=2) + "\n")
    for key, value in results.items():
        if isinstance(value, dict):
            for name, number in value.items():
                shown = f"{number:.2f}" if isinstance(number, float) else str(number)
                print(f"{key + '.' + name:48} {shown}")
        else:
            print(f"{key:48} {value:.2f}" if isinstance(value, float) else f"{key:48} {value}")


if __name__ == "__main__":
    main()
