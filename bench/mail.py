"""The mail sender: how many mails a second it hands to an SMTP server, and what happens to 100
queued mails while the SMTP server is down (none lost, none doubled, how long after it is back).

A real SMTP server on loopback (aiosmtpd, tests/mailserver.py, in a process of its own, as a
mail server is) receives them; the outbox is in
a SQLite file and, where it answers, in PostgreSQL. The outage is real time with the sender's
real backoff (30 s, then twice as late each time): `--outage 60` (the default) stops the server
for a minute while the sender runs in its background thread as in production.

Also: whether the answer to a password reset request takes longer for an email with an
account than without (the ratio of the medians; 1.0 is the goal).

Run: `.venv/bin/python bench/mail.py [--mails 1000] [--outage 60] [--tries 31]`; results in
bench/results/mail.json.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import MetaData, Table, func, select

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.databases import (  # noqa: E402
    create_postgres_database,
    drop_postgres_database,
    postgres_unavailable_reason,
)
from tests.processes import free_port  # noqa: E402

from tripbot.platform.db import Database  # noqa: E402
from tripbot.platform.mail import Mail, MailSender, enqueue, mail_outbox_table  # noqa: E402
from tripbot.platform.smtp import SmtpTarget  # noqa: E402

KNOWN = "ana@club.example"
SENDER = "Club de Montaña <tripbot@club.example>"
BODY = "Reunión en el refugio a las 8:00. ¿Llevas crampones? " * 20


def _queue(database: Database, outbox: Table, count: int) -> None:
    with database.unit_of_work() as uow:
        for n in range(count):
            mail = Mail(
                f"persona{n}@club.example",
                f"Aviso n.º {n}: cambio de hora",
                BODY,
                f"<p>{BODY}</p>",
                "bench",
            )
            enqueue(uow.session, outbox, mail, "club.example")
        uow.commit()


def _unsent(database: Database, outbox: Table) -> int:
    with database.engine.connect() as connection:
        return int(
            connection.scalar(
                select(func.count()).select_from(outbox).where(outbox.c.sent_at.is_(None))
            )
            or 0
        )


class Server:
    """The SMTP server as a process of its own, which can be killed and started again."""

    def __init__(self, folder: str) -> None:
        self.port = free_port()
        self.log = Path(folder) / f"received-{self.port}.txt"
        self.log.touch()
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        """Its TRIPBOT_SMTP_URL."""
        return f"smtp://127.0.0.1:{self.port}"

    def start(self) -> None:
        """Start the server process and wait until it accepts connections."""
        self.process = subprocess.Popen(  # noqa: S603 - our own module, by the same Python
            [sys.executable, "-m", "tests.mailserver", str(self.port), str(self.log)], cwd=ROOT
        )
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            with socket.socket() as probe:
                if probe.connect_ex(("127.0.0.1", self.port)) == 0:
                    return
            time.sleep(0.05)
        raise RuntimeError("the SMTP server did not start")

    def stop(self) -> None:
        """Kill the server (as a crash or a restart would)."""
        if self.process is not None:
            self.process.kill()
            self.process.wait()
            self.process = None

    def received(self) -> list[str]:
        """The Message-IDs received so far, one per message."""
        return self.log.read_text().split()


def throughput(database: Database, outbox: Table, count: int, folder: str) -> dict[str, Any]:
    """Mails a second, from a full outbox to the server, one sender."""
    server = Server(folder)
    server.start()
    try:
        _queue(database, outbox, count)
        sender = MailSender(database, outbox, SmtpTarget.parse(server.url), SENDER)
        started = time.perf_counter()
        while sender.run_once():
            pass
        elapsed = time.perf_counter() - started
    finally:
        server.stop()
    return {
        "mails": count,
        "seconds": round(elapsed, 2),
        "mails_per_second": round(count / elapsed, 1),
        "received": len(server.received()),
    }


def outage(database: Database, outbox: Table, seconds: float, folder: str) -> dict[str, Any]:
    """100 mails queued while the server is down for ``seconds``; the sender runs throughout."""
    server = Server(folder)
    sender = MailSender(database, outbox, SmtpTarget.parse(server.url), SENDER)
    _queue(database, outbox, 100)
    started = time.monotonic()
    sender.start(1.0)
    try:
        time.sleep(seconds)
        server.start()
        back = time.monotonic()
        while _unsent(database, outbox) and time.monotonic() - back < 600:
            time.sleep(0.2)
        delivered = time.monotonic()
        time.sleep(3)  # a few more rounds: anything sent twice would show now
    finally:
        sender.stop()
        server.stop()
    with database.engine.connect() as connection:
        attempts = Counter(connection.scalars(select(outbox.c.attempts)))
    ids = Counter(server.received())
    return {
        "queued": 100,
        "outage_seconds": seconds,
        "received": sum(ids.values()),
        "distinct_message_ids": len(ids),
        "doubled": sum(1 for n in ids.values() if n > 1),
        "lost": 100 - len(ids),
        "delivered_seconds_after_server_back": round(delivered - back, 1),
        "delivered_seconds_after_queued": round(delivered - started, 1),
        "tries_per_mail": dict(sorted(attempts.items())),
    }


def reset_timing(folder: str, tries: int) -> dict[str, Any]:
    """Whether the answer to a password reset request tells who has an account: an embedded
    TripBot (SQLite) that sends email is asked for emails with and without an account, in turns
    (a busy moment slows both), through the public API; the median of each and their ratio."""
    from tests.conftest import make_settings

    from tripbot.system import build_embedded

    server = Server(folder)
    server.start()
    settings = make_settings(
        Path(folder) / "tripbot",
        smtp_url=server.url,
        mail_from=SENDER,
        auth_rate_limit="100000/minute",
    )
    system = build_embedded(settings)
    try:
        with httpx.Client(
            transport=httpx.WSGITransport(app=system.gateway), base_url="http://bench"
        ) as http:
            body = {
                "email": "ana@club.example",
                "password": "bench password 1",
                "display_name": "Ana",
            }
            http.post("/api/v1/auth/register", json=body).raise_for_status()
            times: dict[str, list[float]] = {"known": [], "unknown": []}
            for n in range(tries + 1):
                for kind, email in (
                    ("known", "ana@club.example"),
                    ("unknown", "nadie@club.example"),
                ):
                    started = time.perf_counter()
                    answer = http.post("/api/v1/auth/password-reset", json={"email": email})
                    elapsed = time.perf_counter() - started
                    if answer.status_code != 202:
                        raise RuntimeError(answer.text)
                    if n:  # the first of each warms up
                        times[kind].append(elapsed)
    finally:
        system.close()
        server.stop()
    known, unknown = (statistics.median(times[k]) for k in ("known", "unknown"))
    return {
        "tries": tries,
        "known_median_ms": round(known * 1000, 2),
        "unknown_median_ms": round(unknown * 1000, 2),
        "ratio": round(max(known, unknown) / min(known, unknown), 2),
    }


def _fresh(database: Database) -> Table:
    """An empty outbox."""
    metadata = MetaData()
    table = mail_outbox_table(metadata)
    metadata.drop_all(database.engine)
    metadata.create_all(database.engine)
    return table


def run(url: str, mails: int, seconds: float, folder: str) -> dict[str, Any]:
    """Both measurements on one database."""
    database = Database(url)
    try:
        return {
            "throughput": throughput(database, _fresh(database), mails, folder),
            "outage": outage(database, _fresh(database), seconds, folder),
        }
    finally:
        database.dispose()


def main() -> None:
    """Measure and write bench/results/mail.json."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--mails", type=int, default=1000)
    parser.add_argument("--outage", type=float, default=60.0)
    parser.add_argument("--tries", type=int, default=31)
    args = parser.parse_args()
    results: dict[str, Any] = {
        "machine": f"{platform.machine()} {os.cpu_count()} cores, "
        f"Python {platform.python_version()}, load {os.getloadavg()[0]:.2f}",
    }
    with tempfile.TemporaryDirectory() as folder:
        results["password_reset_timing"] = reset_timing(folder, args.tries)
        results["sqlite"] = run(f"sqlite:///{folder}/mail.db", args.mails, args.outage, folder)
        if postgres_unavailable_reason() is None:
            name = "tripbot_bench_mail"
            try:
                url = create_postgres_database(name)
                results["postgresql"] = run(url, args.mails, args.outage, folder)
            finally:
                drop_postgres_database(name)
    out = ROOT / "bench" / "results" / "mail.json"
    out.write_text(json.dumps(results, indent=2) + "\n")
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
