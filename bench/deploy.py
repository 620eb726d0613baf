"""Deployment numbers: each service's time from `tripbot serve` to ready, and what the syslog
forwarder loses when the log host goes away and comes back (and what logging costs meanwhile).

Run: `.venv/bin/python bench/deploy.py` (needs the test PostgreSQL server). Results go to
bench/results/deploy.json. The machine's load average is recorded: other work skews the times.
"""

from __future__ import annotations

import json
import os
import platform
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.databases import (  # noqa: E402
    create_postgres_database,
    drop_postgres_database,
    postgres_unavailable_reason,
)
from tests.platform.syslog_receiver import Receiver  # noqa: E402
from tests.processes import Process, free_port, production_environment  # noqa: E402

from tripbot import SERVICES  # noqa: E402
from tripbot.platform import logging as tripbot_logging  # noqa: E402
from tripbot.platform.logging import SyslogForwarder, SyslogTarget  # noqa: E402

RUNS = 3


def serve_to_ready(work: Path) -> dict[str, dict[str, float]]:
    """Median seconds from `tripbot serve NAME` to its readiness answering 200, for an empty
    database (migrations included) and for one already up to date."""
    results: dict[str, dict[str, float]] = {}
    env = production_environment()
    for name in (*SERVICES, "gateway"):
        cold, warm = [], []
        for run in range(RUNS):
            database = f"tripbot_e2e_bench_{os.getpid()}_{name}_{run}"
            extra: dict[str, str] = {}
            if name == "gateway":
                extra = {f"TRIPBOT_{s.upper()}_URL": "http://127.0.0.1:9" for s in SERVICES}
            else:
                extra = {"TRIPBOT_DATABASE_URL": create_postgres_database(database)}
                extra["TRIPBOT_EVENTS_URL"] = "http://127.0.0.1:9"
            process = Process(
                name, ["serve", name], {**env, **extra}, free_port(), work / f"{name}.log"
            )
            ready = "/readyz"
            try:
                cold.append(process.start(ready_path=ready, timeout=120))
                process.stop()
                warm.append(process.start(ready_path=ready, timeout=120))
            finally:
                process.stop()
                if name != "gateway":
                    drop_postgres_database(database)
        results[name] = {
            "empty_database_s": round(statistics.median(cold), 3),
            "up_to_date_database_s": round(statistics.median(warm), 3),
        }
    return results


def syslog_outage(protocol: str, work: Path) -> dict[str, Any]:
    """Log 3000 records at a steady pace; the log host is away for the middle third."""
    tripbot_logging.BACKOFF_MAX = 1.0  # the default 30 s would only lengthen the run
    receiver = Receiver(protocol, certificates=work).start()  # type: ignore[arg-type]
    target = SyslogTarget(
        "127.0.0.1",
        receiver.port,
        protocol,  # type: ignore[arg-type]
        ca_file=receiver.ca_file if protocol == "tls" else None,
        queue_size=500,
    )
    forwarder = SyslogForwarder(target, default_service="bench")
    costs = []
    total = 3000
    for n in range(total):
        if n == 1000:
            receiver.stop()
        if n == 2000:
            receiver.start()
        started = time.perf_counter()
        forwarder.submit({"event": "request", "level": "info", "n": n, "request_id": f"r{n}"})
        costs.append(time.perf_counter() - started)
        time.sleep(0.001)
    received = receiver.wait_for(total - forwarder.dropped, timeout=20)
    forwarder.close(timeout=5)
    receiver.stop()
    sequences = {m.sequence for m in received}
    lost = total - len(sequences)
    costs.sort()
    return {
        "records": total,
        "host_away_for_records": 1000,
        "queue_size": 500,
        "received": len(sequences),
        "lost": lost,
        "dropped_and_counted": forwarder.dropped,
        "lost_uncounted": lost - forwarder.dropped,
        "log_call_p50_us": round(costs[len(costs) // 2] * 1e6, 1),
        "log_call_p99_us": round(costs[int(len(costs) * 0.99)] * 1e6, 1),
        "log_call_max_us": round(costs[-1] * 1e6, 1),
    }


def main() -> None:
    """Measure and write bench/results/deploy.json."""
    reason = postgres_unavailable_reason()
    if reason:
        sys.exit(reason)
    with tempfile.TemporaryDirectory() as scratch:
        work = Path(scratch)
        result = {
            "when": datetime.now(UTC).isoformat(timespec="seconds"),
            "machine": {
                "cpus": os.cpu_count(),
                "python": platform.python_version(),
                "load_average_at_start": os.getloadavg(),
            },
            "syslog_outage": {p: syslog_outage(p, work) for p in ("udp", "tcp", "tls")},
            "serve_to_ready": serve_to_ready(work),
        }
        result["machine"]["load_average_at_end"] = os.getloadavg()
    out = ROOT / "bench" / "results" / "deploy.json"
    out.write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
