"""Ledger numbers: balances + settle-up of an event with 20,000 entries and 50 members, against
ihatemoney 7.2.1 on the same machine, in the same run, both on SQLite.

- TripBot: `tripbot run` (the embedded mode, waitress) on loopback; the data goes in through the
  public API (members by invitation, the 20,000 entries by CSV import); then
  `GET …/ledger/balances` + `GET …/ledger/settlement` with a bearer token.
- ihatemoney 7.2.1, installed by this script into its own virtualenv in a cache directory, its
  Flask app served by werkzeug on loopback: a project and 50 members through its API, the same
  20,000 bills bulk-inserted into its SQLite database, then `GET /api/projects/<id>/statistics`
  (bearer token) + `GET /<id>/settle_bills` (its settle computation, behind a session from its
  token link).
- The floor: TripBot's cheapest ledger call through the same path (`GET …/ledger/settings`).
- Memory: each server is restarted after loading, then its peak RSS growth while answering.

Run: `.venv/bin/python bench/ledger.py` (a few minutes; pip needs the package index once).
"""

from __future__ import annotations

import contextlib
import json
import os
import platform
import random
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.processes import Process, free_port  # noqa: E402

ENTRIES = 20_000
MEMBERS = 50
IHATEMONEY = "ihatemoney==7.2.1"
CACHE = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "tripbot-bench"
START = date(2027, 5, 1)
OURS_RUNS, PEER_RUNS = 40, 3
CHUNK = 4_000
"""Entries per CSV import (each file stays under the 1 MiB body limit)."""


@dataclass(frozen=True)
class Bill:
    """One shared expense: who paid, how much (cents), who shares it equally, and when."""

    payer: int
    cents: int
    owers: tuple[int, ...]
    day: date


def bills() -> list[Bill]:
    """The same 20,000 bills for both: mostly small groups, one in ten shared by everyone."""
    rng = random.Random(7)  # noqa: S311 - reproducible data, not secrets
    made = []
    for n in range(ENTRIES):
        if rng.random() < 0.1:
            owers = tuple(range(MEMBERS))
        else:
            owers = tuple(sorted(rng.sample(range(MEMBERS), rng.randint(2, 10))))
        made.append(
            Bill(
                rng.randrange(MEMBERS),
                rng.randint(100, 50_000),
                owers,
                START + timedelta(days=n % 3),
            )
        )
    return made


def name(index: int) -> str:
    """Member ``index``'s name, the same in both systems."""
    return f"M{index:02d}"


def rss_mib(pid: int, field: str = "VmRSS") -> float:
    """A process's resident memory (or its peak, ``VmHWM``), in MiB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(f"{field}:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def reset_peak(pid: int) -> None:
    """Start counting the peak RSS from now (Linux: writing 5 to clear_refs resets VmHWM)."""
    with contextlib.suppress(OSError):
        Path(f"/proc/{pid}/clear_refs").write_text("5")


def timed(parts: dict[str, list[float]], label: str, call: Callable[[], object]) -> None:
    """Run ``call`` and add its wall time (ms) to ``parts[label]``."""
    started = time.perf_counter()
    call()
    parts.setdefault(label, []).append((time.perf_counter() - started) * 1000)


def p50_ms(call: Callable[[], None], runs: int, warmup: int = 3) -> tuple[float, list[float]]:
    """The median wall time of ``runs`` calls after ``warmup`` unmeasured ones, in milliseconds."""
    for _ in range(warmup):
        call()
    samples = []
    for _ in range(runs):
        started = time.perf_counter()
        call()
        samples.append((time.perf_counter() - started) * 1000)
    return statistics.median(samples), samples


# ---- TripBot --------------------------------------------------------------------------------


def tripbot_env() -> dict[str, str]:
    """A `tripbot run` environment: quiet logs; cheap password hashing for the 50 sign-ups only
    (bearer tokens are SHA-256 whatever the profile, so the measured calls are unaffected)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("TRIPBOT_")}
    env.update(TRIPBOT_ENV="test", TRIPBOT_LOG_LEVEL="WARNING")
    return env


def seed_tripbot(http: httpx.Client, all_bills: list[Bill]) -> tuple[int, dict[str, str]]:
    """An event with 50 members and the bills as entries, through the public API."""
    people = []
    for index in range(MEMBERS):
        email = f"{name(index).lower()}@bench.example"
        body = {"email": email, "password": "bench password 1", "display_name": name(index)}
        http.post("/api/v1/auth/register", json=body).raise_for_status()
        token = http.post("/api/v1/auth/token", json={"email": email, "password": body["password"]})
        token.raise_for_status()
        people.append({"Authorization": f"Bearer {token.json()['token']}"})
    owner = people[0]
    event = http.post(
        "/api/v1/events",
        json={
            "name": "Bench trip",
            "starts_at": f"{START}T08:00:00+02:00",
            "ends_at": f"{START + timedelta(days=3)}T20:00:00+02:00",
            "currency": "EUR",
        },
        headers=owner,
    )
    event.raise_for_status()
    event_id = event.json()["id"]
    invite = http.post(
        f"/api/v1/events/{event_id}/invitations", json={"max_uses": MEMBERS}, headers=owner
    )
    invite.raise_for_status()
    for headers in people[1:]:
        http.post(
            f"/api/v1/invitations/{invite.json()['code']}/accept", headers=headers
        ).raise_for_status()
    for start in range(0, len(all_bills), CHUNK):
        lines = ["date,kind,description,amount,paid_by,split"]
        for n, bill in enumerate(all_bills[start : start + CHUNK], start):
            owers = "; ".join(name(i) for i in bill.owers)
            amount = f"{bill.cents // 100}.{bill.cents % 100:02d}"
            lines.append(f"{bill.day},expense,bill {n},{amount},{name(bill.payer)},{owers}")
        answer = http.post(
            f"/api/v1/events/{event_id}/ledger/import",
            files={"file": ("bills.csv", "\n".join(lines).encode(), "text/csv")},
            headers=owner,
            timeout=300,
        )
        if answer.status_code != 201:
            raise RuntimeError(f"the import was refused: {answer.text[:500]}")
    return event_id, owner


@contextmanager
def tripbot(data_dir: Path) -> Iterator[Process]:
    """`tripbot run` on a free loopback port."""
    process = Process(
        "tripbot",
        ["run", "--data-dir", str(data_dir)],
        tripbot_env(),
        free_port(),
        data_dir / "run.log",
    )
    process.start(ready_path="/api/v1/health", timeout=120)
    try:
        yield process
    finally:
        process.stop()


# ---- ihatemoney -----------------------------------------------------------------------------

PEER = textwrap.dedent(
    """
    import json, sys
    from pathlib import Path

    from ihatemoney.run import create_app

    mode, folder, port = sys.argv[1], Path(sys.argv[2]), int(sys.argv[3])


    class Config:
        SQLALCHEMY_DATABASE_URI = f"sqlite:///{folder / 'ihatemoney.db'}"
        SQLALCHEMY_TRACK_MODIFICATIONS = False
        SECRET_KEY = "bench-only-secret-not-for-production-use"
        SESSION_COOKIE_SECURE = False
        ACTIVATE_DEMO_PROJECT = False
        ALLOW_PUBLIC_PROJECT_CREATION = True
        MAIL_SUPPRESS_SEND = True
        RATELIMIT_ENABLED = False


    app = create_app(Config, instance_path=str(folder), instance_relative_config=False)

    if mode == "seed":
        from ihatemoney.models import db

        client = app.test_client()
        auth = {"Authorization": "Basic YmVuY2g6YmVuY2hwYXNz"}  # bench:benchpass
        made = client.post("/api/projects", data={
            "name": "bench", "id": "bench", "password": "benchpass",
            "contact_email": "bench@example.com", "default_currency": "EUR",
        })
        assert made.status_code == 201, made.data
        ids = []
        for index in range(int(sys.argv[5])):
            member = client.post(
                "/api/projects/bench/members", data={"name": f"M{index:02d}"}, headers=auth
            )
            assert member.status_code == 201, member.data
            ids.append(int(member.get_json()))
        rows = json.loads(Path(sys.argv[4]).read_text())
        with app.app_context():
            connection = db.engine.raw_connection()
            cursor = connection.cursor()
            cursor.executemany(
                "INSERT INTO bill (id, payer_id, amount, date, creation_date, what, bill_type,"
                " external_link, original_currency, converted_amount)"
                " VALUES (?, ?, ?, ?, ?, ?, 'EXPENSE', '', 'EUR', ?)",
                [(n + 1, ids[payer], cents / 100, day, day, f"bill {n}", cents / 100)
                 for n, (payer, cents, owers, day) in enumerate(rows)],
            )
            cursor.executemany(
                "INSERT INTO billowers (bill_id, person_id) VALUES (?, ?)",
                [(n + 1, ids[i]) for n, (_, _, owers, _) in enumerate(rows) for i in owers],
            )
            connection.commit()
        token = client.get("/api/projects/bench/token", headers=auth).get_json()["token"]
        print(json.dumps({"token": token}), flush=True)
    else:
        from werkzeug.serving import make_server

        make_server("127.0.0.1", port, app, threaded=False).serve_forever()
    """
)


def peer_python() -> Path:
    """ihatemoney 7.2.1 in its own virtualenv in the cache directory (installed once)."""
    venv = CACHE / "ihatemoney-7.2.1"
    python = venv / "bin" / "python"
    if not (venv / ".installed").exists():
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)  # noqa: S603
        subprocess.run(  # noqa: S603
            [str(python), "-m", "pip", "install", "--quiet", IHATEMONEY], check=True, timeout=600
        )
        (venv / ".installed").write_text(IHATEMONEY)
    return python


def seed_peer(python: Path, folder: Path, all_bills: list[Bill]) -> str:
    """ihatemoney's project, members and bills; its API token."""
    rows = folder / "bills.json"
    rows.write_text(json.dumps([(b.payer, b.cents, b.owers, b.day.isoformat()) for b in all_bills]))
    script = folder / "peer.py"
    script.write_text(PEER)
    done = subprocess.run(  # noqa: S603
        [str(python), str(script), "seed", str(folder), "0", str(rows), str(MEMBERS)],
        check=True,
        capture_output=True,
        text=True,
        timeout=600,
    )
    token: str = json.loads(done.stdout.strip().splitlines()[-1])["token"]
    return token


@contextmanager
def peer_server(python: Path, folder: Path) -> Iterator[tuple[subprocess.Popen[bytes], str]]:
    """ihatemoney's Flask app served by werkzeug on a free loopback port."""
    port = free_port()
    with (folder / "serve.log").open("ab") as log:
        popen = subprocess.Popen(  # noqa: S603
            [str(python), str(folder / "peer.py"), "serve", str(folder), str(port)],
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{url}/healthcheck", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.1)
        yield popen, url
    finally:
        popen.terminate()
        popen.wait(timeout=10)


# ---- the run ----------------------------------------------------------------------------------


def measure_tripbot(folder: Path, all_bills: list[Bill]) -> dict[str, Any]:
    """TripBot's p50 of balances + settlement, its floor, and its memory while answering."""
    with tripbot(folder) as process, httpx.Client(base_url=process.url, timeout=120) as http:
        started = time.perf_counter()
        event_id, owner = seed_tripbot(http, all_bills)
        load_s = time.perf_counter() - started
    with tripbot(folder) as process, httpx.Client(base_url=process.url, timeout=120) as http:
        assert process.popen is not None
        base = f"/api/v1/events/{event_id}/ledger"
        check = http.get(f"{base}/balances", headers=owner).json()
        assert check["total"] == "0.00", check["total"]
        transfers = len(http.get(f"{base}/settlement", headers=owner).json()["transfers"])
        pid = process.popen.pid
        before = rss_mib(pid)
        reset_peak(pid)

        parts: dict[str, list[float]] = {}

        def balances() -> None:
            http.get(f"{base}/balances", headers=owner).raise_for_status()

        def settlement() -> None:
            http.get(f"{base}/settlement", headers=owner).raise_for_status()

        def both() -> None:
            timed(parts, "balances", balances)
            timed(parts, "settlement", settlement)

        p50, samples = p50_ms(both, OURS_RUNS)
        peak = rss_mib(pid, "VmHWM")

        def floor_call() -> None:
            http.get(f"{base}/settings", headers=owner).raise_for_status()

        floor, _ = p50_ms(floor_call, OURS_RUNS)
    return {
        "p50_ms": round(p50, 2),
        "min_ms": round(min(samples), 2),
        "max_ms": round(max(samples), 2),
        **{f"{k}_p50_ms": round(statistics.median(v[-OURS_RUNS:]), 2) for k, v in parts.items()},
        "floor_settings_p50_ms": round(floor, 2),
        "rss_before_mib": round(before, 1),
        "rss_peak_growth_mib": round(peak - before, 1),
        "suggested_transfers": transfers,
        "load_s": round(load_s, 1),
    }


def measure_peer(folder: Path, all_bills: list[Bill]) -> dict[str, Any]:
    """ihatemoney's p50 of statistics + settle, and its memory while answering."""
    python = peer_python()
    started = time.perf_counter()
    token = seed_peer(python, folder, all_bills)
    load_s = time.perf_counter() - started
    with (
        peer_server(python, folder) as (popen, url),
        httpx.Client(base_url=url, timeout=600) as http,
    ):
        joined = http.get(f"/bench/join/{token}")  # the session its settle page needs
        assert joined.status_code in (302, 303), joined.status_code
        bearer = {"Authorization": f"Bearer {token}"}
        first = http.get("/api/projects/bench/statistics", headers=bearer)
        first.raise_for_status()
        assert len(first.json()) == MEMBERS
        before = rss_mib(popen.pid)
        reset_peak(popen.pid)

        parts: dict[str, list[float]] = {}

        def settle() -> None:
            page = http.get("/bench/settle_bills")
            page.raise_for_status()
            assert "settle" in page.text.lower()

        def stats() -> None:
            http.get("/api/projects/bench/statistics", headers=bearer).raise_for_status()

        def both() -> None:
            timed(parts, "statistics", stats)
            timed(parts, "settle", settle)

        p50, samples = p50_ms(both, PEER_RUNS, warmup=1)
        peak = rss_mib(popen.pid, "VmHWM")
    return {
        "p50_ms": round(p50, 2),
        "min_ms": round(min(samples), 2),
        "max_ms": round(max(samples), 2),
        **{f"{k}_p50_ms": round(statistics.median(v[-PEER_RUNS:]), 2) for k, v in parts.items()},
        "rss_before_mib": round(before, 1),
        "rss_peak_growth_mib": round(peak - before, 1),
        "load_s": round(load_s, 1),
    }


def main() -> None:
    """Measure both and write bench/results/ledger.json."""
    all_bills = bills()
    results: dict[str, Any] = {
        "machine": (
            f"{platform.machine()} {os.cpu_count()} cores, Python {platform.python_version()}"
        ),
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "entries": ENTRIES,
        "members": MEMBERS,
        "shares": sum(len(b.owers) for b in all_bills),
        "load_average_at_start": round(os.getloadavg()[0], 2),
    }
    with tempfile.TemporaryDirectory() as ours, tempfile.TemporaryDirectory() as theirs:
        results["tripbot"] = measure_tripbot(Path(ours), all_bills)
        try:
            results["ihatemoney_7_2_1"] = measure_peer(Path(theirs), all_bills)
        except (subprocess.SubprocessError, OSError, httpx.HTTPError, AssertionError) as error:
            results["ihatemoney_7_2_1"] = {"error": f"{type(error).__name__}: {error}"}
    results["load_average_at_end"] = round(os.getloadavg()[0], 2)
    peer = results["ihatemoney_7_2_1"].get("p50_ms")
    if peer:
        results["ratio_tripbot_to_ihatemoney"] = round(results["tripbot"]["p50_ms"] / peer, 4)
    out = ROOT / "bench" / "results" / "ledger.json"
    out.write_text(json.dumps(results, indent=2) + "\n")
    title = "balances + settle-up, 20,000 entries, 50 members"
    print(f"{title:52} {'p50 ms':>10} {'peak RSS +MiB':>14}")
    for label, key in (
        ("TripBot (gateway, HTTP, SQLite)", "tripbot"),
        ("ihatemoney 7.2.1 (HTTP, SQLite)", "ihatemoney_7_2_1"),
    ):
        row = results[key]
        if "error" in row:
            print(f"{label:52} {row['error']}")
        else:
            print(f"{label:52} {row['p50_ms']:>10.1f} {row['rss_peak_growth_mib']:>14.1f}")
    floor = results["tripbot"]["floor_settings_p50_ms"]
    print(f"{'TripBot floor (GET …/ledger/settings)':52} {floor:>10.1f}")
    if "ratio_tripbot_to_ihatemoney" in results:
        print(f"{'ratio TripBot / ihatemoney':52} {results['ratio_tripbot_to_ihatemoney']:>10.4f}")


if __name__ == "__main__":
    main()
