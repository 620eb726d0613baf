"""Switching from ihatemoney and back: a 5,000-bill export made by ihatemoney 7.2.1 itself,
imported into TripBot (look first, then store), and TripBot's export imported into ihatemoney.

- ihatemoney 7.2.1 in its own virtualenv (installed as ``bench/ledger.py`` does): a project of
  30 members (some of weight 2), 5,000 bills (one in twenty a reimbursement) bulk-inserted into
  its SQLite database, downloaded through its own ``/<project>/export/bills.json``; its own
  balances from its statistics API.
- TripBot: ``tripbot run`` (embedded, SQLite) on loopback; the file sent to
  ``POST /api/v1/events/{id}/ledger/import-app``, first as a look (``dry_run``) and then to store;
  wall time of each call and the server's peak RSS growth while answering. The balances after
  the import are compared with ihatemoney's, to the cent.
- Leaving: the first 1,000 bills imported into an event of their own, that event's
  ``export-ihatemoney.json`` imported into a new ihatemoney project through ihatemoney's own
  *Import* page; its balances compared with TripBot's, to the cent. The same
  import of ihatemoney's own file times ihatemoney at the same work (the ratio).

Run: `.venv/bin/python bench/ledger_switch.py` (a few minutes; pip needs the package index once).
"""

from __future__ import annotations

import json
import os
import platform
import random
import subprocess
import sys
import tempfile
import textwrap
import time
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from ledger import peer_python, reset_peak, rss_mib, tripbot  # noqa: E402

BILLS = 5_000
LEAVING = 1_000
"""Bills of the event whose export goes back into ihatemoney."""
MEMBERS = 30
START = date(2027, 5, 1)

PEER = textwrap.dedent(
    """
    import io, json, sys, time
    from pathlib import Path

    from ihatemoney.run import create_app

    mode, folder = sys.argv[1], Path(sys.argv[2])


    class Config:
        SQLALCHEMY_DATABASE_URI = f"sqlite:///{folder / 'ihatemoney.db'}"
        SQLALCHEMY_TRACK_MODIFICATIONS = False
        SECRET_KEY = "bench-only-secret-not-for-production-use"
        SESSION_COOKIE_SECURE = False
        ACTIVATE_DEMO_PROJECT = False
        ALLOW_PUBLIC_PROJECT_CREATION = True
        MAIL_SUPPRESS_SEND = True
        RATELIMIT_ENABLED = False
        WTF_CSRF_ENABLED = False


    app = create_app(Config, instance_path=str(folder), instance_relative_config=False)
    client = app.test_client()
    auth = {"Authorization": "Basic YmVuY2g6YmVuY2hwYXNz"}  # bench:benchpass


    def project(members):
        made = client.post("/api/projects", data={
            "name": "bench", "id": "bench", "password": "benchpass",
            "contact_email": "bench@example.com", "default_currency": "EUR",
        })
        assert made.status_code == 201, made.data
        ids = []
        for name, weight in members:
            member = client.post("/api/projects/bench/members",
                                 data={"name": name, "weight": weight}, headers=auth)
            assert member.status_code == 201, member.data
            ids.append(int(member.get_json()))
        login = client.post("/authenticate", data={"id": "bench", "password": "benchpass"})
        assert login.status_code in (200, 302), login.data
        return ids


    def balances():
        stats = client.get("/api/projects/bench/statistics", headers=auth).get_json()
        return {s["member"]["name"]: f"{s['balance']:.2f}" for s in stats}


    if mode == "export":
        spec = json.loads(Path(sys.argv[3]).read_text())
        ids = project(spec["members"])
        from ihatemoney.models import db
        with app.app_context():
            connection = db.engine.raw_connection()
            cursor = connection.cursor()
            cursor.executemany(
                "INSERT INTO bill (id, payer_id, amount, date, creation_date, what, bill_type,"
                " external_link, original_currency, converted_amount)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, '', 'EUR', ?)",
                [(n + 1, ids[b["payer"]], b["cents"] / 100, b["day"], b["day"], b["what"],
                  b["kind"], b["cents"] / 100) for n, b in enumerate(spec["bills"])],
            )
            cursor.executemany(
                "INSERT INTO billowers (bill_id, person_id) VALUES (?, ?)",
                [(n + 1, ids[i]) for n, b in enumerate(spec["bills"]) for i in b["owers"]],
            )
            connection.commit()
        answer = client.get("/bench/export/bills.json")
        assert answer.status_code == 200, answer.status_code
        Path(sys.argv[4]).write_bytes(answer.data)
        print(json.dumps(balances()), flush=True)
    else:
        project([])
        raw = Path(sys.argv[3]).read_bytes()
        started = time.perf_counter()
        done = client.post(
            "/bench/import",
            data={"file": (io.BytesIO(raw), "bills.json", "application/json")},
            content_type="multipart/form-data",
        )
        took = time.perf_counter() - started
        assert done.status_code == 302, done.data
        count = client.get("/api/projects/bench/bills", headers=auth).get_json()
        print(json.dumps({"seconds": took, "bills": len(count), "balances": balances()}),
              flush=True)
    """
)


def spec() -> dict[str, Any]:
    """The project: members (a few of weight 2) and bills, reproducible."""
    rng = random.Random(19)  # noqa: S311 - reproducible data, not secrets
    members = [(f"Socio {i:02d}", 2 if i % 7 == 3 else 1) for i in range(MEMBERS)]
    bills = []
    for n in range(BILLS):
        payer = rng.randrange(MEMBERS)
        if rng.random() < 0.05:
            other = (payer + rng.randrange(1, MEMBERS)) % MEMBERS
            bills.append(
                {
                    "payer": payer,
                    "owers": [other],
                    "cents": rng.randint(500, 5_000),
                    "day": str(START + timedelta(days=n % 3)),
                    "what": f"Bizum {n}",
                    "kind": "REIMBURSEMENT",
                }
            )
            continue
        owers = sorted(rng.sample(range(MEMBERS), rng.randint(2, 12)))
        bills.append(
            {
                "payer": payer,
                "owers": owers,
                "cents": rng.randint(100, 40_000),
                "day": str(START + timedelta(days=n % 3)),
                "what": f"Gasto {n}",
                "kind": "EXPENSE",
            }
        )
    return {"members": members, "bills": bills}


def run_peer(python: Path, folder: Path, *args: str) -> dict[str, Any]:
    """One run of the ihatemoney script; its last line of output, read as JSON."""
    script = folder / "peer.py"
    script.write_text(PEER)
    done = subprocess.run(  # noqa: S603
        [str(python), str(script), *args],
        check=True,
        capture_output=True,
        text=True,
        timeout=900,
    )
    answer: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return answer


def owner_and_event(
    http: httpx.Client, owner: dict[str, str] | None = None
) -> tuple[dict[str, str], int]:
    """An account (a new one unless given) and an event over the bills' days."""
    if owner is None:
        body = {"email": "owner@bench.example", "password": "bench password 1", "display_name": "O"}
        http.post("/api/v1/auth/register", json=body).raise_for_status()
        token = http.post("/api/v1/auth/token", json={k: body[k] for k in ("email", "password")})
        token.raise_for_status()
        owner = {"Authorization": f"Bearer {token.json()['token']}"}
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
    return owner, int(event.json()["id"])


def measure(folder: Path, export: bytes, theirs: dict[str, str]) -> dict[str, Any]:
    """TripBot's look and import of the export: time, memory, and the balances compared."""
    with tripbot(folder) as process, httpx.Client(base_url=process.url, timeout=600) as http:
        assert process.popen is not None
        owner, event_id = owner_and_event(http)
        url = f"/api/v1/events/{event_id}/ledger/import-app"
        files = {"file": ("bills.json", export, "application/json")}
        pid = process.popen.pid
        http.get(f"/api/v1/events/{event_id}/ledger/settings", headers=owner).raise_for_status()
        before = rss_mib(pid)
        reset_peak(pid)
        started = time.perf_counter()
        look = http.post(url, files=files, headers=owner)
        look_s = time.perf_counter() - started
        look.raise_for_status()
        look_peak = rss_mib(pid, "VmHWM")
        reset_peak(pid)
        started = time.perf_counter()
        stored = http.post(url, files=files, params={"dry_run": "false"}, headers=owner)
        store_s = time.perf_counter() - started
        stored.raise_for_status()
        store_peak = rss_mib(pid, "VmHWM")
        report = stored.json()
        balances = http.get(f"/api/v1/events/{event_id}/ledger/balances", headers=owner).json()
        ours = {m["name"]: m["balance"] for m in balances["members"] if m["name"] in theirs}
        # Leaving is proved on the first LEAVING bills in an event of their own: ihatemoney's
        # import takes minutes for thousands of bills (a query per bill, versioned rows).
        first = json.dumps(json.loads(export)[:LEAVING]).encode()
        _, small = owner_and_event(http, owner)
        small_url = f"/api/v1/events/{small}/ledger/import-app"
        http.post(
            small_url,
            files={"file": ("first.json", first, "application/json")},
            params={"dry_run": "false"},
            headers=owner,
        ).raise_for_status()
        exported = http.get(f"/api/v1/events/{small}/ledger/export-ihatemoney.json", headers=owner)
        exported.raise_for_status()
        kept = http.get(f"/api/v1/events/{small}/ledger/balances", headers=owner).json()
        small_balances = {m["name"]: m["balance"] for m in kept["members"] if m["name"] != "O"}
    differ = {
        n: (ours.get(n), v)
        for n, v in theirs.items()
        if Decimal(ours.get(n) or "NaN") != Decimal(v)
    }
    return {
        "lines": len(report["lines"]),
        "carried": report["carried"],
        "left_out": report["left_out"],
        "look_s": round(look_s, 2),
        "import_s": round(store_s, 2),
        "rss_before_mib": round(before, 1),
        "look_rss_peak_growth_mib": round(look_peak - before, 1),
        "import_rss_peak_growth_mib": round(store_peak - before, 1),
        "balances_equal_to_ihatemoney": not differ,
        "balances_that_differ": differ,
        # TripBot's balances add up to zero; ihatemoney's, each rounded from floats, may not:
        # then someone must differ by what they add up to.
        "ihatemoney_rounded_balances_add_up_to": str(sum(Decimal(v) for v in theirs.values())),
        "export": exported.content.decode(),
        "balances": small_balances,
    }


def main() -> None:
    """Measure and write bench/results/ledger_switch.json."""
    python = peer_python()
    results: dict[str, Any] = {
        "machine": (
            f"{platform.machine()} {os.cpu_count()} cores, Python {platform.python_version()}"
        ),
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "bills": BILLS,
        "members": MEMBERS,
        "load_average_at_start": round(os.getloadavg()[0], 2),
    }
    with tempfile.TemporaryDirectory() as work:
        folder = Path(work)
        (folder / "spec.json").write_text(json.dumps(spec()))
        (folder / "made").mkdir()
        export = folder / "bills.json"
        theirs = run_peer(
            python,
            folder / "made",
            "export",
            str(folder / "made"),
            str(folder / "spec.json"),
            str(export),
        )
        results["export_bytes"] = export.stat().st_size
        (folder / "tripbot").mkdir()
        ours = measure(folder / "tripbot", export.read_bytes(), theirs)
        back = folder / "back.json"
        back.write_text(ours.pop("export"))
        back_bills = len(json.loads(back.read_text()))
        tripbot_balances = ours.pop("balances")
        results["tripbot"] = ours
        out = ROOT / "bench" / "results" / "ledger_switch.json"
        out.write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n")
        (folder / "peer-own").mkdir()
        own = run_peer(python, folder / "peer-own", "import", str(folder / "peer-own"), str(export))
        (folder / "peer-back").mkdir()
        leaving = run_peer(
            python, folder / "peer-back", "import", str(folder / "peer-back"), str(back)
        )
    results["ihatemoney_import_own_export_s"] = round(own["seconds"], 2)
    results["ratio_tripbot_import_to_ihatemoney_import"] = round(
        results["tripbot"]["import_s"] / own["seconds"], 3
    )
    back_balances = {n: v for n, v in leaving["balances"].items() if n in tripbot_balances}
    differ = {
        n: (v, back_balances.get(n))
        for n, v in tripbot_balances.items()
        if Decimal(v) != Decimal(back_balances.get(n) or "NaN")
    }
    results["leaving"] = {
        "tripbot_bills_imported_then_exported": LEAVING,
        "bills_in_tripbot_export": back_bills,
        "bills_ihatemoney_imported": leaving["bills"],
        "ihatemoney_import_s": round(leaving["seconds"], 2),
        "balances_in_ihatemoney_equal_tripbot": not differ,
        "balances_that_differ": differ,
    }
    results["load_average_at_end"] = round(os.getloadavg()[0], 2)
    out = ROOT / "bench" / "results" / "ledger_switch.json"
    out.write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n")
    print(json.dumps(results, indent=2, ensure_ascii=False))


if __name__ == "__main__":
    main()
