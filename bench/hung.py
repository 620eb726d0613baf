"""One service hung (SIGSTOP: its port open, nothing answered) in the distributed mode: the p99 of
requests that do not need it, against the same requests while it answers, in the same run, with
the same mix and generator. Half the mix asks the hung service (the agenda), half does not (the
person's events, a route search). The hung phase is recorded from 6 s after the service hangs:
the calls already in flight then wait the service timeout (5 s) before its circuit opens.

Run: `.venv/bin/python bench/hung.py [--seconds 20] [--concurrency 16]`; results in
bench/results/hung.json.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import secrets
import signal
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.load import Call, distributed_system, load  # noqa: E402
from tests.builders import event_payload, user_payload  # noqa: E402
from tests.databases import (  # noqa: E402
    create_postgres_database,
    drop_postgres_database,
    postgres_unavailable_reason,
)
from tests.processes import Process, production_environment  # noqa: E402

from tripbot import SERVICES  # noqa: E402

DATABASE_PREFIX = "tripbot_hung_"
OUT = ROOT / "bench" / "results" / "hung.json"


def the_mix(gateway: str) -> list[Call]:
    """A person and their event; calls that need the agenda and calls that do not."""
    with httpx.Client(base_url=gateway, timeout=30) as http:
        body = user_payload()
        assert http.post("/api/v1/auth/register", json=body).status_code == 201
        login = {"email": body["email"], "password": body["password"]}
        token = http.post("/api/v1/auth/token", json=login).json()["token"]
        headers = {"Authorization": f"Bearer {token}"}
        event = http.post("/api/v1/events", json=event_payload(), headers=headers).json()
    return [
        Call("agenda", f"{gateway}/api/v1/events/{event['id']}/activities", headers),
        Call("events", f"{gateway}/api/v1/events", headers),
        Call("agenda", f"{gateway}/api/v1/events/{event['id']}/activities", headers),
        Call("routes", f"{gateway}/api/v1/routes?q=sierra", headers),
    ]


def timed_health(gateway: str) -> dict[str, Any]:
    """How long health takes, and what it says."""
    started = time.perf_counter()
    answer = httpx.get(f"{gateway}/api/v1/health", timeout=30)
    return {
        "seconds": round(time.perf_counter() - started, 3),
        "status": answer.status_code,
        "unavailable": [s["service"] for s in answer.json()["services"] if s["status"] != "ready"],
    }


def measure(concurrency: int, seconds: float) -> dict[str, Any] | str:
    """Both phases on one deployment."""
    reason = postgres_unavailable_reason()
    if reason:
        return f"not run: {reason}"
    try:
        urls = {n: create_postgres_database(f"{DATABASE_PREFIX}{n}") for n in SERVICES}
        env = production_environment(
            TRIPBOT_INTERNAL_SECRET=secrets.token_urlsafe(40), TRIPBOT_LOG_LEVEL="WARNING"
        )
        env.update({f"LOAD_{n.upper()}_DATABASE_URL": u for n, u in urls.items()})
        processes: list[Process] = []
        with (
            tempfile.TemporaryDirectory() as tmp,
            distributed_system(env, Path(tmp), processes) as (gateway, _),
        ):
            calls = the_mix(gateway.url)
            result: dict[str, Any] = {"normal": load(calls, concurrency, seconds)}
            result["health_normal"] = timed_health(gateway.url)
            agenda = next(p for p in processes if p.name == "agenda").popen
            assert agenda is not None
            hung = agenda.pid
            os.killpg(hung, signal.SIGSTOP)
            try:
                # The calls in flight when it hangs wait the timeout (5 s) before the circuit
                # opens: measured from then on, as the steady state an operator lives with.
                result["agenda_hung"] = load(calls, concurrency, seconds, warmup=6.0)
                result["health_hung"] = timed_health(gateway.url)
            finally:
                os.killpg(hung, signal.SIGCONT)
            return result
    finally:
        for name in SERVICES:
            drop_postgres_database(f"{DATABASE_PREFIX}{name}")


def main() -> None:
    """Measure and write bench/results/hung.json."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--seconds", type=float, default=20.0, help="per measured phase")
    parser.add_argument("--concurrency", type=int, default=16)
    args = parser.parse_args()
    results: dict[str, Any] = {
        "machine": (
            f"{platform.machine()} {os.cpu_count()} cores, Python {platform.python_version()}"
        ),
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "load_average_at_start": round(os.getloadavg()[0], 2),
        "concurrency": args.concurrency,
        "seconds_per_phase": args.seconds,
        "service_timeout_s": 5.0,
        "distributed": measure(args.concurrency, args.seconds),
    }
    OUT.write_text(json.dumps(results, indent=2) + "\n")
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
