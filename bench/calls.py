"""What one page or API read costs inside one process: the internal calls between services, the
database transactions and the SQL statements, counted (issue 14: "one gear item page makes 8
internal calls, 11 transactions and 29 SQL statements").

The demo club is loaded into the embedded system (every service in this process, on SQLite
files, and again on PostgreSQL databases when PostgreSQL answers), its owner logs in on the web
and gets an API token, then each page and read is asked twice and the second time is counted:
the steady state, with the gateway's identity cache warm. Counted with SQLAlchemy's event hooks
on every service's engine and a counter around the transports' ``invoke``; a read remembered for
the request (``platform/memo.py``) is counted as ``remembered``, not as a call. Each is counted
again with the identity cache off (``TRIPBOT_IDENTITY_CACHE_SECONDS=0``), as before it existed.

Run: `.venv/bin/python bench/calls.py`; results in bench/results/calls.json.
"""

from __future__ import annotations

import json
import os
import platform
import re
import sys
import tempfile
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import event

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.databases import (  # noqa: E402
    create_postgres_database,
    drop_postgres_database,
    postgres_unavailable_reason,
)

from tripbot import SERVICES  # noqa: E402
from tripbot.demo import DEMO_PASSWORD, DEMO_PEOPLE, load_demo  # noqa: E402
from tripbot.platform import client as platform_client  # noqa: E402
from tripbot.platform import memo  # noqa: E402
from tripbot.platform.logging import configure_logging  # noqa: E402
from tripbot.platform.settings import Settings  # noqa: E402
from tripbot.system import System, build_embedded  # noqa: E402

OUT = ROOT / "bench" / "results" / "calls.json"
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
DATABASE_PREFIX = "tripbot_calls_"
CACHE_SECONDS = 60.0
"""The identity cache's lifetime while counting: longer than production's 5 s, so that a busy
machine's slow first request does not let the person's entry expire before the second."""


@dataclass
class Tally:
    """What one request cost: calls by operation, how deep they nested, transactions and SQL."""

    calls: Counter[str] = field(default_factory=Counter)
    remembered: int = 0
    deepest: int = 0
    transactions: Counter[str] = field(default_factory=Counter)
    statements: Counter[str] = field(default_factory=Counter)

    def summary(self) -> dict[str, Any]:
        """The totals, and the detail by operation and by service."""
        return {
            "internal_calls": sum(self.calls.values()),
            "remembered_reads": self.remembered,
            "deepest_nesting": self.deepest,
            "transactions": sum(self.transactions.values()),
            "sql_statements": sum(self.statements.values()),
            "calls_by_operation": dict(sorted(self.calls.items())),
            "transactions_by_service": dict(sorted(self.transactions.items())),
            "sql_statements_by_service": dict(sorted(self.statements.items())),
        }


_tally: ContextVar[Tally | None] = ContextVar("bench_tally", default=None)
"""The tally of the request being counted: the overview's threads run in copies of the
request's context and count with it; background threads (the identity cache's feed watcher)
do not."""
_depth: ContextVar[int] = ContextVar("bench_depth", default=0)


def _current() -> Tally | None:
    return _tally.get()


def _hook_transports() -> None:
    """Count every call a transport makes, and how deep it is nested in another."""
    for kind in (platform_client.LocalTransport, platform_client.HttpTransport):
        original = kind.invoke

        def invoke(
            self: Any, operation: Any, principal: Any, arguments: Any, _o: Any = original
        ) -> Any:
            tally = _current()
            if tally is None:
                return _o(self, operation, principal, arguments)
            depth = _depth.get() + 1
            tally.calls[f"{self.service}.{operation.name}"] += 1
            tally.deepest = max(tally.deepest, depth)
            token = _depth.set(depth)
            try:
                return _o(self, operation, principal, arguments)
            finally:
                _depth.reset(token)

        kind.invoke = invoke  # type: ignore[method-assign]
    remembered = memo.remembered

    def counted(service: str, key: Any, compute: Callable[[], Any]) -> Any:
        computed = False

        def run() -> Any:
            nonlocal computed
            computed = True
            return compute()

        answer = remembered(service, key, run)
        tally = _current()
        if tally is not None and not computed:
            tally.remembered += 1
        return answer

    memo.remembered = counted


def _hook_databases(system: System) -> None:
    """Count each service's transactions and statements (BEGIN itself is not a statement)."""
    for name, database in system.databases.items():

        def begun(_connection: Any, name: str = name) -> None:
            tally = _current()
            if tally is not None:
                tally.transactions[name] += 1

        def executed(*args: Any, name: str = name) -> None:
            statement = str(args[2]).lstrip().upper()
            tally = _current()
            if tally is not None and not statement.startswith("BEGIN"):
                tally.statements[name] += 1

        event.listen(database.engine, "begin", begun)
        event.listen(database.engine, "before_cursor_execute", executed)


@contextmanager
def counting() -> Iterator[Tally]:
    """Count what happens until the block ends."""
    tally = Tally()
    token = _tally.set(tally)
    try:
        yield tally
    finally:
        _tally.reset(token)


def measure(system: System) -> dict[str, Any]:
    """The demo owner's pages and reads, each asked twice and counted the second time."""
    services = system.clients
    email = DEMO_PEOPLE[0][0]
    web = system.gateway.test_client()
    page = web.get("/login")
    token_field = CSRF.search(page.text)
    assert token_field, "no CSRF token on the login page"
    login = {"email": email, "password": DEMO_PASSWORD, "csrf_token": token_field.group(1)}
    assert web.post("/login", data=login).status_code == 302
    api = system.gateway.test_client()
    answer = api.post("/api/v1/auth/token", json={"email": email, "password": DEMO_PASSWORD})
    bearer = {"Authorization": f"Bearer {answer.get_json()['token']}"}
    me = api.get("/api/v1/me", headers=bearer).get_json()
    events = api.get("/api/v1/events", headers=bearer).get_json()
    event_id = next(e["id"] for e in events if e["name"] == "Ruta del Cares")
    items = api.get("/api/v1/gear/items", headers=bearer).get_json()
    item_id = next(i["id"] for i in items if i["event_id"] is None)
    today = datetime.now(UTC).date()
    asked: dict[str, Callable[[], Any]] = {
        "web: gear item page": lambda: web.get(f"/gear/items/{item_id}"),
        "web: event page": lambda: web.get(f"/events/{event_id}"),
        "api: /me": lambda: api.get("/api/v1/me", headers=bearer),
        "api: event overview": lambda: api.get(
            f"/api/v1/events/{event_id}/overview", headers=bearer
        ),
        "api: balances": lambda: api.get(
            f"/api/v1/events/{event_id}/ledger/balances", headers=bearer
        ),
        "api: today's agenda": lambda: api.get(
            f"/api/v1/events/{event_id}/activities?day={today}", headers=bearer
        ),
        "api: route search": lambda: api.get("/api/v1/routes?q=cares", headers=bearer),
        "api: gear item": lambda: api.get(f"/api/v1/gear/items/{item_id}", headers=bearer),
    }
    del services, me
    results: dict[str, Any] = {}
    for name, ask in asked.items():
        first = ask()
        assert first.status_code == 200, (name, first.status_code, first.text[:300])
        with counting() as tally:
            second = ask()
        assert second.status_code == 200, (name, second.status_code)
        results[name] = tally.summary()
    return results


def run(database_urls: dict[str, str] | None, cache_seconds: float) -> dict[str, Any]:
    """Build the embedded system on these databases (SQLite files when None), load the demo
    club and count."""
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(
            env="test",
            data_dir=Path(tmp),
            identity_cache_seconds=cache_seconds,
            auth_rate_limit="100000/minute",
            login_failure_limit="100000/minute",
        )
        system = build_embedded(settings, database_urls)
        try:
            load_demo(system.clients)
            _hook_databases(system)
            return measure(system)
        finally:
            system.close()


def _table(results: dict[str, Any]) -> str:
    lines = []
    for backend, by_cache in results.items():
        if not isinstance(by_cache, dict):
            lines.append(f"{backend}: {by_cache}")
            continue
        for cache, pages in by_cache.items():
            for name, tally in pages.items():
                lines.append(
                    f"{backend:10} {cache:16} {name:22} calls {tally['internal_calls']:2} "
                    f"(+{tally['remembered_reads']} remembered, depth {tally['deepest_nesting']})"
                    f"  transactions {tally['transactions']:2}  SQL {tally['sql_statements']:2}"
                )
    return "\n".join(lines)


def main() -> None:
    """Count on SQLite and PostgreSQL, with the identity cache on and off."""
    configure_logging("WARNING", "json")
    _hook_transports()
    results: dict[str, Any] = {
        "machine": f"{platform.machine()} {os.cpu_count()} cores, "
        f"Python {platform.python_version()}",
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
    }
    counted: dict[str, Any] = {}
    counted["sqlite"] = {
        "identity cache on": run(None, CACHE_SECONDS),
        "identity cache off": run(None, 0.0),
    }
    reason = postgres_unavailable_reason()
    if reason:
        counted["postgresql"] = f"not run: {reason}"
    else:
        try:
            urls = {name: create_postgres_database(f"{DATABASE_PREFIX}{name}") for name in SERVICES}
            counted["postgresql"] = {
                "identity cache on": run(urls, CACHE_SECONDS),
            }
        finally:
            for name in SERVICES:
                drop_postgres_database(f"{DATABASE_PREFIX}{name}")
    results["counted"] = counted
    OUT.write_text(json.dumps(results, indent=2) + "\n")
    print(_table(counted))


if __name__ == "__main__":
    main()
