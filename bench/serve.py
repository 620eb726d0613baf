"""`tripbot serve` under gunicorn with a worker process per core against the same service in one
waitress process (what `serve` was before), in the same run: the events service on PostgreSQL
(SQLite when there is none), a read mix of its hottest calls (an event, the person's events, who
a person is) at a fixed concurrency for a bounded time, from the same load generator.

The machine's cores are shared by the server and the load generator, so the ratio is a floor of
what a server with its own cores gains.

Run: `.venv/bin/python bench/serve.py [--seconds 20] [--concurrency 16]`; results in
bench/results/serve.json.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import secrets
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.load import Call, load  # noqa: E402
from tests.databases import (  # noqa: E402
    create_postgres_database,
    drop_postgres_database,
    postgres_unavailable_reason,
)
from tests.processes import Process, free_port, production_environment  # noqa: E402

from tripbot.platform.identity import SYSTEM, Destination, Principal, TokenSigner  # noqa: E402
from tripbot.platform.server import usable_cores  # noqa: E402

OUT = ROOT / "bench" / "results" / "serve.json"
WAITRESS = """
import sys
from waitress import serve
from tripbot.platform.logging import configure_logging
from tripbot.platform.settings import Settings
from tripbot.system import build_service
settings = Settings()
configure_logging(settings.log_level, "json", service="events")
app, _ = build_service("events", settings)
serve(app, host="127.0.0.1", port=int(sys.argv[sys.argv.index("--port") + 1]), threads=8)
"""


EVENTS = "events"
"""The service measured."""


def seed(url: str, secret: str) -> list[Call]:
    """A person with a few events; the calls of the mix, signed for an hour."""
    signer = TokenSigner(secret, 3600)
    with httpx.Client(base_url=url, timeout=30) as http:
        system = {"Authorization": signer.header(SYSTEM, Destination.of(EVENTS, "POST", "/users"))}
        body = {"email": "bench@example.org", "password": "bench password 1", "display_name": "B"}
        person = http.post("/users", json=body, headers=system)
        assert person.status_code == 201, person.text
        you = Principal(user_id=person.json()["id"], instance_role="member")
        headers = {"Authorization": signer.header(you, Destination.of(EVENTS, "POST", "/events"))}
        ids = []
        for n in range(5):
            made = http.post(
                "/events",
                json={
                    "name": f"Salida {n}",
                    "kind": "excursion",
                    "starts_at": "2031-05-01T08:00:00+02:00",
                    "ends_at": "2031-05-01T18:00:00+02:00",
                    "timezone": "Europe/Madrid",
                    "currency": "EUR",
                },
                headers=headers,
            )
            assert made.status_code == 201, made.text
            ids.append(made.json()["id"])
    owner = Principal(
        user_id=you.user_id, instance_role="member", event_id=ids[0], event_role="owner"
    )

    def signed(principal: Principal, path: str) -> dict[str, str]:
        return {"Authorization": signer.header(principal, Destination.of(EVENTS, "GET", path))}

    return [
        Call("event", f"{url}/events/{ids[0]}", signed(owner, f"/events/{ids[0]}")),
        Call("my_events", f"{url}/events", signed(you, "/events")),
        Call("me", f"{url}/users/me", signed(you, "/users/me")),
    ]


def run(
    name: str,
    args: list[str],
    *,
    command: tuple[str, ...],
    env: dict[str, str],
    folder: Path,
    concurrency: int,
    seconds: float,
) -> dict[str, Any]:
    """Start one server, seed it, load it; its summary."""
    process = Process(name, args, env, free_port(), folder / f"{name}.log", command=command)
    process.start("/readyz", timeout=120)
    try:
        calls = seed(process.url, env["TRIPBOT_INTERNAL_SECRET"])
        return load(calls, concurrency, seconds)
    finally:
        process.stop()


def main() -> None:
    """Measure both servers and write the results."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--concurrency", type=int, default=16)
    options = parser.parse_args()
    workers = usable_cores()
    postgres = postgres_unavailable_reason() is None
    results: dict[str, Any] = {
        "date": time.strftime("%Y-%m-%d"),
        "machine": f"{workers} cores, Python {platform.python_version()}",
        "load_average_at_start": round(os.getloadavg()[0], 2),
        "database": "postgresql" if postgres else "sqlite",
        "concurrency": options.concurrency,
        "seconds": options.seconds,
    }
    with tempfile.TemporaryDirectory(prefix="tripbot-serve-") as temporary:
        folder = Path(temporary)
        for server in ("waitress", "gunicorn"):
            name = f"tripbot_bench_serve_{os.getpid()}_{server}"
            url = create_postgres_database(name) if postgres else f"sqlite:///{folder / name}.db"
            env = production_environment(
                TRIPBOT_DATABASE_URL=url,
                TRIPBOT_INTERNAL_SECRET=secrets.token_urlsafe(40),
                TRIPBOT_INTERNAL_TOKEN_TTL="3600",  # noqa: S106 - a lifetime, not a secret
                TRIPBOT_WORKERS=str(workers),
            )
            try:
                command = (sys.executable, "-c", WAITRESS)
                arguments: list[str] = []
                if server == "gunicorn":
                    command, arguments = (sys.executable, "-m", "tripbot"), ["serve", "events"]
                measured = run(
                    server,
                    arguments,
                    command=command,
                    env=env,
                    folder=folder,
                    concurrency=options.concurrency,
                    seconds=options.seconds,
                )
            finally:
                if postgres:
                    drop_postgres_database(name)
            results[server] = {"workers": 1 if server == "waitress" else workers, **measured}
    results["gunicorn_over_waitress"] = round(
        results["gunicorn"]["throughput_rps"] / results["waitress"]["throughput_rps"], 2
    )
    OUT.write_text(json.dumps(results, indent=2) + "\n")
    print(
        f"waitress (1 process): {results['waitress']['throughput_rps']} req/s, "
        f"gunicorn ({workers} workers): {results['gunicorn']['throughput_rps']} req/s, "
        f"ratio {results['gunicorn_over_waitress']}"
    )


if __name__ == "__main__":
    main()
