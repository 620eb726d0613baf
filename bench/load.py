"""The gateway under load: a read-heavy mix (event overview, route search, agenda, balances) at
a fixed concurrency for a bounded time, against the embedded mode (`tripbot run`, SQLite, one
process) and the distributed mode (`tripbot serve` per service on PostgreSQL, plus the gateway).

Floors are measured in the same run, on the same server, with the same generator: the gateway's
`/healthz`. The event overview fans out to several services at once; in the distributed mode its
p99 is compared with the p99 of each call it makes, sent straight to its service with the same
concurrency (and, to see the fan-out alone, one request at a time).

Run: `.venv/bin/python bench/load.py [--seconds 20] [--concurrency 16]`; results in
bench/results/load.json.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import os
import platform
import sys
import tempfile
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.databases import (  # noqa: E402
    create_postgres_database,
    drop_postgres_database,
    postgres_unavailable_reason,
)
from tests.processes import KEYS, Process, free_port, production_environment  # noqa: E402
from tests.routes.synthetic import small_gpx  # noqa: E402

from tripbot import SERVICES  # noqa: E402
from tripbot.platform.identity import Destination, Principal, TokenSigner  # noqa: E402
from tripbot.platform.keys import private_key  # noqa: E402
from tripbot.platform.logging import configure_logging  # noqa: E402
from tripbot.platform.settings import Settings  # noqa: E402
from tripbot.system import build_embedded  # noqa: E402

MADRID = ZoneInfo("Europe/Madrid")
MEMBERS = 10
ROUTES = 1_000
ENTRIES = 2_000
CSV_CHUNK = 500
ACTIVITIES_PER_DAY = 30
ITEMS = 40
PASSWORD = "bench password 1"  # noqa: S105 (the seeded accounts' only)
DATABASE_PREFIX = "tripbot_load_"
OUT = ROOT / "bench" / "results" / "load.json"
SEARCHES = (
    {"q": "sierra 5", "sort": "distance"},
    {"near": "40.0,-5.0", "radius_km": 60, "sort": "nearest"},
    {"bbox": "-6,38,-4,40", "max_effort": 3},
    {"min_distance_km": 1, "sort": "-distance", "offset": 40},
)
"""Route searches the mix cycles through: words, near a point, in a box, a later page."""


# ---- seeding ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Seeded:
    """What the load needs to know about the data: the event, its owner and their token."""

    event_id: int
    owner_id: int
    token: str
    today: date


def _name(index: int) -> str:
    return f"Socio {index:02d}"


def _local(day: date, hour: int, minute: int = 0) -> str:
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=MADRID).isoformat()


def _ok(answer: httpx.Response, status: int = 201) -> Any:
    if answer.status_code != status:
        raise RuntimeError(f"{answer.request.url.path}: {answer.status_code} {answer.text[:300]}")
    return answer.json()


def seed(http: httpx.Client) -> Seeded:
    """An event on now with its members, 1,000 routes (three in its plan), 120 activities,
    2,000 ledger entries and 40 gear reservations, all through the public API."""
    tokens, ids = [], []
    for index in range(MEMBERS):
        body = {"email": f"socio{index}@load.example", "password": PASSWORD}
        ids.append(
            _ok(http.post("/api/v1/auth/register", json=body | {"display_name": _name(index)}))[
                "id"
            ]
        )
        tokens.append(_ok(http.post("/api/v1/auth/token", json=body))["token"])
    owner = {"Authorization": f"Bearer {tokens[0]}"}  # the first account: administrator
    today = datetime.now(MADRID).date()
    event = _ok(
        http.post(
            "/api/v1/events",
            json={
                "name": "Travesía de carga",
                "kind": "excursion",
                "starts_at": _local(today - timedelta(days=1), 8),
                "ends_at": _local(today + timedelta(days=2), 20),
                "timezone": "Europe/Madrid",
                "currency": "EUR",
            },
            headers=owner,
        )
    )
    base = f"/api/v1/events/{event['id']}"
    code = _ok(http.post(f"{base}/invitations", json={"max_uses": MEMBERS}, headers=owner))["code"]
    for token in tokens[1:]:
        headers = {"Authorization": f"Bearer {token}"}
        _ok(http.post(f"/api/v1/invitations/{code}/accept", headers=headers), 200)
    route_ids = []
    for i in range(ROUTES):
        origin = (36 + (i % 100) * 0.08, -9 + (i // 100) * 0.12)
        gpx = small_gpx(f"Ruta {i} sierra {i % 37}", start=origin, description=f"carga {i}")
        route = http.post(
            "/api/v1/routes",
            files={"file": ("route.gpx", gpx, "application/gpx+xml")},
            data={"region": f"Región {i % 17}"},
            headers=owner,
        )
        route_ids.append(_ok(route)["id"])
    plan = {"route_ids": route_ids[:3], "meeting_point": "Poncebos", "capacity": 30}
    _ok(http.put(f"{base}/plan", json=plan, headers=owner), 200)
    for offset in range(-1, 3):
        day = today + timedelta(days=offset)
        for slot in range(ACTIVITIES_PER_DAY):
            minute = 8 * 60 + slot * 20
            activity = {
                "title": f"Actividad {offset}-{slot}",
                "starts_at": _local(day, minute // 60, minute % 60),
                "ends_at": _local(day, (minute + 40) // 60, (minute + 40) % 60),
            }
            _ok(http.post(f"{base}/activities", json=activity, headers=owner))
    for start in range(0, ENTRIES, CSV_CHUNK):
        lines = ["date,kind,description,amount,paid_by,split"]
        for n in range(start, start + CSV_CHUNK):
            owers = "; ".join(_name((n + k) % MEMBERS) for k in range(1 + n % 4))
            amount = f"{5 + n % 90}.{n % 100:02d}"
            lines.append(f"{today},expense,gasto {n},{amount},{_name(n % MEMBERS)},{owers}")
        csv = "\n".join(lines).encode()
        answer = http.post(
            f"{base}/ledger/import", files={"file": ("gastos.csv", csv, "text/csv")}, headers=owner
        )
        _ok(answer)
    for i in range(ITEMS):
        item = {"name": f"Material {i}", "category": "Montaña", "quantity": 10}
        item_id = _ok(http.post("/api/v1/gear/items", json=item, headers=owner))["id"]
        reservation = {
            "item_id": item_id,
            "quantity": 1 + i % 3,
            "event_id": event["id"],
            "start_date": today.isoformat(),
            "end_date": (today + timedelta(days=2)).isoformat(),
        }
        _ok(http.post("/api/v1/gear/reservations", json=reservation, headers=owner))
    return Seeded(event_id=event["id"], owner_id=ids[0], token=tokens[0], today=today)


def seed_in_process(
    settings: Settings, database_urls: dict[str, str] | None
) -> tuple[Seeded, float]:
    """Seed the databases through the gateway in this process (no sockets); returns seconds."""
    started = time.perf_counter()
    system = build_embedded(settings, database_urls)
    try:
        transport = httpx.WSGITransport(app=system.gateway)
        with httpx.Client(transport=transport, base_url="http://seed", timeout=120) as http:
            seeded = seed(http)
    finally:
        system.close()
    return seeded, time.perf_counter() - started


# ---- the load generator -------------------------------------------------------------------


@dataclass(frozen=True)
class Call:
    """One kind of request: what it is called in the results, where it goes, with what."""

    kind: str
    url: str
    headers: Mapping[str, str] | Callable[[], Mapping[str, str]]
    """Its headers, or what makes them afresh for each request (an internal token is good once)."""

    def headers_now(self) -> dict[str, str]:
        """The headers of one request."""
        return dict(self.headers() if callable(self.headers) else self.headers)


@dataclass
class Measured:
    """Latencies (seconds) per kind, statuses and the wall time of one phase."""

    latencies: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    statuses: Counter[int] = field(default_factory=Counter)
    failures: Counter[str] = field(default_factory=Counter)
    seconds: float = 0.0
    answered: int = 0
    """Every answer, the warm-up's too: what the server's CPU time of the phase was spent on."""


def percentile(values: list[float], fraction: float) -> float:
    """The nearest-rank percentile of the values."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(fraction * len(ordered)) - 1)]


def _stats(values: list[float], seconds: float) -> dict[str, float | int]:
    return {
        "requests": len(values),
        "throughput_rps": round(len(values) / seconds, 1),
        "p50_ms": round(percentile(values, 0.50) * 1000, 2),
        "p99_ms": round(percentile(values, 0.99) * 1000, 2),
    }


def summary(measured: Measured) -> dict[str, Any]:
    """Throughput and p50/p99 overall and per kind, and anything that was not a 200."""
    everything = [value for values in measured.latencies.values() for value in values]
    result: dict[str, Any] = _stats(everything, measured.seconds)
    if len(measured.latencies) > 1:
        result["by_kind"] = {
            kind: _stats(values, measured.seconds) for kind, values in measured.latencies.items()
        }
    errors = sum(count for status, count in measured.statuses.items() if status != 200)
    result["errors"] = errors + sum(measured.failures.values())
    if result["errors"]:
        result["error_detail"] = {
            **{str(s): c for s, c in measured.statuses.items() if s != 200},
            **measured.failures,
        }
    return result


async def _drive(calls: list[Call], concurrency: int, seconds: float, warmup: float) -> Measured:
    measured = Measured()
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(limits=limits, timeout=30) as client:
        loop = asyncio.get_running_loop()
        recording_from = loop.time() + warmup
        deadline = recording_from + seconds

        async def worker(first: int) -> None:
            turn = first
            while (now := loop.time()) < deadline:
                call = calls[turn % len(calls)]
                turn += 1
                started = time.perf_counter()
                try:
                    answer = await client.get(call.url, headers=call.headers_now())
                except httpx.HTTPError as error:
                    if now >= recording_from:
                        measured.failures[type(error).__name__] += 1
                    continue
                elapsed = time.perf_counter() - started
                measured.answered += 1
                if now >= recording_from:
                    measured.latencies[call.kind].append(elapsed)
                    measured.statuses[answer.status_code] += 1

        await asyncio.gather(*(worker(n) for n in range(concurrency)))
    measured.seconds = seconds
    return measured


def _cpu_seconds(pid: int) -> float:
    """User and system CPU time a live process has used so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _descendants(pid: int) -> list[int]:
    """A process and every process it started (gunicorn's workers), still running."""
    found, pending = [], [pid]
    while pending:
        current = pending.pop()
        found.append(current)
        for task in Path(f"/proc/{current}/task").glob("*/children"):
            pending += [int(child) for child in task.read_text().split()]
    return found


def server_cpu(pids: list[int]) -> float:
    """CPU seconds used so far by the server processes and their workers."""
    total = 0.0
    for pid in pids:
        for member in _descendants(pid):
            try:
                total += _cpu_seconds(member)
            except (FileNotFoundError, ProcessLookupError):  # a worker that just ended
                continue
    return total


def load(
    calls: list[Call],
    concurrency: int,
    seconds: float,
    warmup: float = 2.0,
    servers: list[int] | None = None,
) -> dict[str, Any]:
    """Keep ``concurrency`` requests in flight for ``seconds`` (after a warm-up), cycling through
    the calls; the summary of what came back, and with ``servers`` (their process ids) the
    servers' CPU time per request: the throughput alone measures the generator as much as them
    when both share the machine's cores."""
    cpu_before, client_before = server_cpu(servers or []), time.process_time()
    measured = asyncio.run(_drive(calls, concurrency, seconds, warmup))
    result = summary(measured)
    if servers:
        per_request = 1000 / max(1, measured.answered)
        result["server_cpu_ms_per_request"] = round(
            (server_cpu(servers) - cpu_before) * per_request, 3
        )
        result["client_cpu_ms_per_request"] = round(
            (time.process_time() - client_before) * per_request, 3
        )
    return result


# ---- what is asked ------------------------------------------------------------------------


def mix(gateway: str, seeded: Seeded) -> list[Call]:
    """The read-heavy mix, in equal parts: overview, route search, today's agenda, balances."""
    headers = {"Authorization": f"Bearer {seeded.token}"}
    event = f"{gateway}/api/v1/events/{seeded.event_id}"
    calls = []
    for query in SEARCHES:
        search = httpx.URL(f"{gateway}/api/v1/routes", params=query)
        calls += [
            Call("overview", f"{event}/overview", headers),
            Call("route_search", str(search), headers),
            Call("agenda_today", f"{event}/activities?day={seeded.today}", headers),
            Call("balances", f"{event}/ledger/balances", headers),
        ]
    return calls


def me(gateway: str, seeded: Seeded) -> list[Call]:
    """The cheapest authenticated call: who the token's owner is."""
    return [Call("me", f"{gateway}/api/v1/me", {"Authorization": f"Bearer {seeded.token}"})]


def floor(gateway: str) -> list[Call]:
    """The trivial endpoint of the same server."""
    return [Call("healthz", f"{gateway}/healthz", {})]


def overview_only(gateway: str, seeded: Seeded) -> list[Call]:
    """The event overview alone."""
    headers = {"Authorization": f"Bearer {seeded.token}"}
    return [Call("overview", f"{gateway}/api/v1/events/{seeded.event_id}/overview", headers)]


def fanned_out(urls: Mapping[str, str], seeded: Seeded) -> list[Call]:
    """Each call the overview makes, straight to its service as the gateway sends it: signed
    with the gateway's key, a fresh internal token for each request (each is good once)."""
    signer = TokenSigner("gateway", private_key(KEYS.private["gateway"]))
    you = Principal(user_id=seeded.owner_id, instance_role="admin")
    member = Principal(
        user_id=seeded.owner_id, instance_role="admin", event_id=seeded.event_id, event_role="owner"
    )
    e = seeded.event_id

    def signed(service: str, principal: Principal, path: str) -> Callable[[], Mapping[str, str]]:
        to = Destination.of(service, "GET", path)
        return lambda: {"Authorization": signer.header(principal, to)}

    return [
        Call("events_event", f"{urls['events']}/events/{e}", signed("events", you, f"/events/{e}")),
        *(
            Call(kind, f"{urls[service]}{path}", signed(service, member, path))
            for kind, service, path in (
                ("routes_plan", "routes", f"/events/{e}/plan"),
                ("agenda_now", "agenda", f"/events/{e}/agenda/now?limit=3"),
                ("agenda_today", "agenda", f"/events/{e}/activities?day={seeded.today}"),
                ("ledger_balances", "ledger", f"/events/{e}/ledger/balances"),
                ("ledger_report_totals", "ledger", f"/events/{e}/ledger/report/totals"),
                (
                    "gear_reservations",
                    "gear",
                    f"/reservations?scope=event&event_id={e}&status=active",
                ),
            )
        ),
    ]


def fan_out_comparison(
    gateway: str,
    urls: Mapping[str, str],
    seeded: Seeded,
    *,
    concurrency: int,
    seconds: float,
    logs: Path,
) -> dict[str, Any]:
    """The overview's p99 against the p99 of each call it makes, each measured alone, and
    against the slowest call each overview made (from the access logs)."""
    marks = _log_marks(logs)
    overview = load(overview_only(gateway, seeded), concurrency, seconds)
    inside = inside_the_overview(logs, marks)
    calls: dict[str, Any] = {}
    for call in fanned_out(urls, seeded):
        calls[call.kind] = load([call], concurrency, seconds / 2, warmup=1.0)
    slowest = max(calls, key=lambda kind: calls[kind]["p99_ms"])
    return {
        "concurrency": concurrency,
        "overview": overview,
        "calls": calls,
        "slowest_call": slowest,
        "overview_p99_to_slowest_call_p99": round(overview["p99_ms"] / calls[slowest]["p99_ms"], 2),
        "sum_of_calls_p50_ms": round(sum(c["p50_ms"] for c in calls.values()), 2),
        "inside_the_overview": inside,
    }


def _requests_logged(log: Path, start: int) -> list[dict[str, Any]]:
    """The access-log records a process wrote after byte ``start`` of its log."""
    records = []
    with log.open("rb") as lines:
        lines.seek(start)
        for line in lines:
            try:
                record = json.loads(line)
            except ValueError:
                continue
            if isinstance(record, dict) and record.get("event") == "request":
                records.append(record)
    return records


def inside_the_overview(folder: Path, marks: Mapping[str, int]) -> dict[str, Any]:
    """Each overview request against the slowest service call it made, as both were timed by
    the processes themselves (the gateway's and the services' access logs, joined by request
    id): the overview's own cost beyond its slowest call, whatever the machine's load."""
    overview = {
        record["request_id"]: float(record["duration_ms"])
        for record in _requests_logged(folder / "gateway.log", marks["gateway"])
        if str(record.get("path", "")).endswith("/overview") and record.get("status") == 200
    }
    slowest: dict[str, float] = {}
    for name in SERVICES:
        for record in _requests_logged(folder / f"{name}.log", marks[name]):
            request_id = record.get("request_id")
            if request_id in overview:
                duration = float(record["duration_ms"])
                slowest[request_id] = max(slowest.get(request_id, 0.0), duration)
    joined = [(overview[r], slowest[r]) for r in overview if r in slowest]
    if not joined:
        return {"requests": 0}
    totals, calls = [o for o, _ in joined], [c for _, c in joined]
    return {
        "requests": len(joined),
        "overview_p50_ms": round(percentile(totals, 0.5), 2),
        "overview_p99_ms": round(percentile(totals, 0.99), 2),
        "slowest_call_p50_ms": round(percentile(calls, 0.5), 2),
        "slowest_call_p99_ms": round(percentile(calls, 0.99), 2),
        "overview_p99_to_slowest_call_p99": round(
            percentile(totals, 0.99) / percentile(calls, 0.99), 2
        ),
    }


def _log_marks(folder: Path) -> dict[str, int]:
    return {name: (folder / f"{name}.log").stat().st_size for name in (*SERVICES, "gateway")}


# ---- the two modes ------------------------------------------------------------------------


def _with_floor(result: dict[str, Any]) -> dict[str, Any]:
    mixed, trivial = result["mix"], result["floor_healthz"]
    result["mix_throughput_to_floor"] = round(
        mixed["throughput_rps"] / trivial["throughput_rps"], 4
    )
    result["mix_p50_to_floor_p50"] = round(mixed["p50_ms"] / trivial["p50_ms"], 1)
    result["mix_p99_to_floor_p99"] = round(mixed["p99_ms"] / trivial["p99_ms"], 2)
    if "server_cpu_ms_per_request" in trivial:
        floor_cpu = trivial["server_cpu_ms_per_request"]
        result["mix_server_cpu_to_floor"] = round(mixed["server_cpu_ms_per_request"] / floor_cpu, 2)
        result["me_server_cpu_to_floor"] = round(
            result["me"]["server_cpu_ms_per_request"] / floor_cpu, 2
        )
    return result


def phases(
    url: str, seeded: Seeded, concurrency: int, seconds: float, servers: list[int]
) -> dict[str, Any]:
    """The floor, the read mix and `/api/v1/me`, each with the servers' CPU per request."""
    return {
        "floor_healthz": load(floor(url), concurrency, seconds, servers=servers),
        "mix": load(mix(url, seeded), concurrency, seconds, servers=servers),
        "me": load(me(url, seeded), concurrency, seconds / 2, servers=servers),
    }


def embedded(concurrency: int, seconds: float) -> dict[str, Any]:
    """`tripbot run` on SQLite files seeded beforehand."""
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp) / "data"
        settings = Settings(env="test", data_dir=data)
        seeded, seed_s = seed_in_process(settings, None)
        env = {k: v for k, v in os.environ.items() if not k.startswith("TRIPBOT_")}
        # INFO as in the distributed mode (production's default): both pay for an access log.
        env.update(TRIPBOT_ENV="test", TRIPBOT_LOG_LEVEL="INFO")
        server = Process(
            "run", ["run", "--data-dir", str(data)], env, free_port(), Path(tmp) / "run.log"
        )
        server.start(ready_path="/api/v1/health")
        try:
            assert server.popen is not None
            measured = phases(server.url, seeded, concurrency, seconds, [server.popen.pid])
            return _with_floor({"seed_s": round(seed_s, 1), **measured})
        finally:
            server.stop()


@contextmanager
def distributed_system(
    env: dict[str, str], folder: Path, processes: list[Process] | None = None
) -> Iterator[tuple[Process, dict[str, str]]]:
    """One `tripbot serve` process per service and the gateway; yields it and the services' URLs
    (``processes``, when given, receives every process as it starts)."""
    processes = [] if processes is None else processes
    urls: dict[str, str] = {}
    try:
        for name in SERVICES:
            peers = {f"TRIPBOT_{n.upper()}_URL": u for n, u in urls.items()}
            database = {"TRIPBOT_DATABASE_URL": env[f"LOAD_{name.upper()}_DATABASE_URL"]}
            service = Process(
                name,
                ["serve", name],
                {**env, **peers, **database},
                free_port(),
                folder / f"{name}.log",
            )
            service.start()
            processes.append(service)
            urls[name] = service.url
        peers = {f"TRIPBOT_{n.upper()}_URL": u for n, u in urls.items()}
        gateway = Process(
            "gateway", ["serve", "gateway"], {**env, **peers}, free_port(), folder / "gateway.log"
        )
        gateway.start(ready_path="/api/v1/health")
        processes.append(gateway)
        yield gateway, urls
    finally:
        for process in reversed(processes):
            process.stop()


def distributed(concurrency: int, seconds: float) -> dict[str, Any] | str:
    """`tripbot serve` per service on PostgreSQL databases seeded beforehand, and the gateway."""
    reason = postgres_unavailable_reason()
    if reason:
        return f"not run: {reason}"
    try:
        database_urls = {
            name: create_postgres_database(f"{DATABASE_PREFIX}{name}") for name in SERVICES
        }
        with tempfile.TemporaryDirectory() as tmp:
            settings = Settings(env="test", data_dir=Path(tmp))
            seeded, seed_s = seed_in_process(settings, database_urls)
            # INFO, production's default: the access logs time each request, joined below.
            env = production_environment(
                TRIPBOT_LOG_LEVEL="INFO",
            )
            env.update({f"LOAD_{n.upper()}_DATABASE_URL": u for n, u in database_urls.items()})
            processes: list[Process] = []
            with distributed_system(env, Path(tmp), processes) as (gateway, urls):
                pids = [p.popen.pid for p in processes if p.popen is not None]
                measured = phases(gateway.url, seeded, concurrency, seconds, pids)
                result: dict[str, Any] = {"seed_s": round(seed_s, 1), **measured}
                result["fan_out"] = fan_out_comparison(
                    gateway.url,
                    urls,
                    seeded,
                    concurrency=concurrency,
                    seconds=seconds / 2,
                    logs=Path(tmp),
                )
                result["fan_out_one_at_a_time"] = fan_out_comparison(
                    gateway.url,
                    urls,
                    seeded,
                    concurrency=1,
                    seconds=seconds / 4,
                    logs=Path(tmp),
                )
                return _with_floor(result)
    finally:
        for name in SERVICES:
            drop_postgres_database(f"{DATABASE_PREFIX}{name}")


def main() -> None:
    """Measure both modes and write bench/results/load.json."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--seconds", type=float, default=20.0, help="per measured phase")
    parser.add_argument("--concurrency", type=int, default=16)
    args = parser.parse_args()
    configure_logging("WARNING", "json")  # the seeding's access log would cost more than it
    results: dict[str, Any] = {
        "machine": (
            f"{platform.machine()} {os.cpu_count()} cores, Python {platform.python_version()}"
        ),
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "load_average_at_start": round(os.getloadavg()[0], 2),
        "concurrency": args.concurrency,
        "seconds_per_phase": args.seconds,
        "generator": f"asyncio + httpx {httpx.__version__}, one process, loopback",
        "data": {
            "members": MEMBERS,
            "routes": ROUTES,
            "ledger_entries": ENTRIES,
            "activities": ACTIVITIES_PER_DAY * 4,
            "gear_reservations": ITEMS,
        },
        "embedded_sqlite": embedded(args.concurrency, args.seconds),
        "distributed_postgresql": distributed(args.concurrency, args.seconds),
    }
    results["load_average_at_end"] = round(os.getloadavg()[0], 2)
    OUT.write_text(json.dumps(results, indent=2) + "\n")
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
