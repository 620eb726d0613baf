"""What a log host priced by volume receives: syslog records per day from an idle instance and
per 1,000 requests, at the default level (INFO), counted by a real RFC 5424 receiver (TCP,
octet counting) on loopback.

Both modes run as an operator runs them: the embedded mode (`tripbot run`, one process) and the
distributed one (`tripbot serve` per service plus the gateway, each on its own SQLite file).
Each instance first idles for ``--idle`` seconds after its start-up records have arrived; the
records of that window, scaled to a day, are the idle rate. Then 1,000 requests of a browsing
mix (the event, its overview, the route search, the agenda, balances, the account) go through
the gateway; the records of that window, less the idle rate over the same time, are the records
per 1,000 requests.

``--source DIR`` runs another checkout's code (e.g. `git archive` of an older commit, with its
catalogues compiled) with this one's receiver and load: that is how "before" was measured.

Run: `.venv/bin/python bench/logs.py [--idle 60] [--source DIR]`; results in
bench/results/logs.json (``--source`` writes bench/results/logs-before.json).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.platform.syslog_receiver import Message, Receiver  # noqa: E402
from tests.processes import Process, free_port, production_environment  # noqa: E402

from tripbot import SERVICES  # noqa: E402

REQUESTS = 1_000
DAY = 86_400
PASSWORD = "bench password 1"  # noqa: S105 (the bench account's only)


def environment(receiver: Receiver, source: Path | None, **extra: str) -> dict[str, str]:
    """A production-like process at the default level that forwards its logs to ``receiver``."""
    env = production_environment(
        TRIPBOT_LOG_LEVEL="INFO",
        TRIPBOT_LOG_FORMAT="json",
        TRIPBOT_SYSLOG_HOST="127.0.0.1",
        TRIPBOT_SYSLOG_PORT=str(receiver.port),
        TRIPBOT_SYSLOG_PROTOCOL="tcp",
        TRIPBOT_PUBLIC_URL="http://127.0.0.1",
        TRIPBOT_SECURE_COOKIES="false",
        **extra,
    )
    if source is not None:
        env["PYTHONPATH"] = str(source / "src")
    return env


def settle(receiver: Receiver, quiet: float = 3.0, limit: float = 60.0) -> int:
    """Wait until no record has arrived for ``quiet`` seconds; the number received."""
    deadline = time.monotonic() + limit
    seen, since = len(receiver.messages), time.monotonic()
    while time.monotonic() < deadline:
        time.sleep(0.2)
        if len(receiver.messages) != seen:
            seen, since = len(receiver.messages), time.monotonic()
        elif time.monotonic() - since >= quiet:
            break
    return seen


def what(messages: list[Message]) -> dict[str, int]:
    """The records by process and message, the most frequent first (what an operator reads)."""
    counted: Counter[str] = Counter()
    for message in messages:
        try:
            record = json.loads(message.msg)
        except ValueError:
            record = {"event": message.msg[:40]}
        counted[f"{message.app} {str(record.get('event', ''))[:60]}"] += 1
    return dict(counted.most_common(12))


def browse(gateway: str) -> int:
    """Sign up, make an event, then send the rest of ``REQUESTS`` as a browsing mix."""
    sent = 0
    with httpx.Client(base_url=gateway, timeout=30) as http:
        email = f"bench-{os.getpid()}@example.org"
        answer = http.post(
            "/api/v1/auth/register",
            json={"email": email, "password": PASSWORD, "display_name": "Bench"},
        )
        assert answer.status_code == 201, answer.text
        token = http.post("/api/v1/auth/token", json={"email": email, "password": PASSWORD})
        assert token.status_code in (200, 201), token.text
        http.headers["Authorization"] = f"Bearer {token.json()['token']}"
        event = http.post(
            "/api/v1/events",
            json={
                "name": "Bench outing",
                "kind": "excursion",
                "starts_at": "2031-05-01T08:00:00+02:00",
                "ends_at": "2031-05-03T18:00:00+02:00",
                "timezone": "Europe/Madrid",
                "currency": "EUR",
            },
        )
        assert event.status_code == 201, event.text
        event_id = event.json()["id"]
        sent = 4
        mix = (
            f"/api/v1/events/{event_id}",
            f"/api/v1/events/{event_id}/overview",
            "/api/v1/routes?q=sierra",
            f"/api/v1/events/{event_id}/activities",
            f"/api/v1/events/{event_id}/ledger/balances",
            "/api/v1/me",
        )
        while sent < REQUESTS:
            answer = http.get(mix[sent % len(mix)])
            assert answer.status_code < 500, (answer.status_code, answer.text[:300])
            sent += 1
    return sent


def measure(
    receiver: Receiver, processes: list[Process], gateway: str, idle: float
) -> dict[str, Any]:
    """Start the processes, idle, browse; the records of each window."""
    started = time.monotonic()
    try:
        for process in processes:
            process.start("/healthz", timeout=120)
        startup = settle(receiver)
        start_mark = len(receiver.messages)
        time.sleep(idle)
        idle_records = len(receiver.messages) - start_mark
        idle_messages = receiver.messages[start_mark:]
        browse_mark, browse_started = len(receiver.messages), time.monotonic()
        sent = browse(gateway)
        settle(receiver)
        browse_seconds = time.monotonic() - browse_started
        browse_messages = receiver.messages[browse_mark:]
    finally:
        for process in reversed(processes):
            process.stop()
    idle_rate = idle_records / idle
    during = len(browse_messages) - idle_rate * browse_seconds
    return {
        "startup_records": startup,
        "idle_seconds": idle,
        "idle_records": idle_records,
        "idle_records_per_day": round(idle_rate * DAY),
        "idle_what": what(idle_messages),
        "requests": sent,
        "request_window_seconds": round(browse_seconds, 1),
        "records_per_1000_requests": round(during * 1000 / sent, 1),
        "requests_what": what(browse_messages),
        "seconds": round(time.monotonic() - started, 1),
    }


def embedded(idle: float, source: Path | None, folder: Path) -> dict[str, Any]:
    """`tripbot run`: every service in one process."""
    receiver = Receiver("tcp").start()
    try:
        process = Process(
            "embedded",
            ["run", "--host", "127.0.0.1", "--data-dir", str(folder / "embedded")],
            environment(receiver, source),
            free_port(),
            folder / "embedded.log",
        )
        return measure(receiver, [process], process.url, idle)
    finally:
        receiver.stop()


def distributed(idle: float, source: Path | None, folder: Path) -> dict[str, Any]:
    """`tripbot serve` per service, each on its own SQLite file, and the gateway."""
    receiver = Receiver("tcp").start()
    ports = {name: free_port() for name in (*SERVICES, "gateway")}
    urls = {f"TRIPBOT_{name.upper()}_URL": f"http://127.0.0.1:{ports[name]}" for name in SERVICES}
    shared = environment(receiver, source, **urls)
    processes = []
    try:
        for name in (*SERVICES, "gateway"):
            env = dict(shared)
            if name != "gateway":
                env["TRIPBOT_DATABASE_URL"] = f"sqlite:///{folder / f'{name}.db'}"
            processes.append(
                Process(
                    name,
                    ["serve", name, "--host", "127.0.0.1"],
                    env,
                    ports[name],
                    folder / f"{name}.log",
                )
            )
        return measure(receiver, processes, processes[-1].url, idle)
    finally:
        receiver.stop()


def main() -> None:
    """Measure both modes and write the results."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--idle", type=float, default=60.0, help="Seconds of idling measured.")
    parser.add_argument("--source", type=Path, help="Run this checkout's code instead.")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="tripbot-logs-") as temporary:
        folder = Path(temporary)
        (folder / "d").mkdir()
        results = {
            "date": time.strftime("%Y-%m-%d"),
            "machine": f"{os.cpu_count()} cores, Python {sys.version.split()[0]}",
            "load_average_at_start": round(os.getloadavg()[0], 2),
            "code": str(args.source or "this checkout"),
            "level": "INFO",
            "embedded": embedded(args.idle, args.source, folder),
            "distributed": distributed(args.idle, args.source, folder / "d"),
        }
    name = "logs-before.json" if args.source else "logs.json"
    out = ROOT / "bench" / "results" / name
    out.write_text(json.dumps(results, indent=2) + "\n")
    for mode in ("embedded", "distributed"):
        result = results[mode]
        print(
            f"{mode}: {result['idle_records_per_day']} records/day idle, "
            f"{result['records_per_1000_requests']} per 1,000 requests"
        )
    print(f"written to {out}")


if __name__ == "__main__":
    main()
