"""Agenda numbers: the calendar feed of an event with 2,000 activities.

Measured side by side in one run on SQLite:
- the feed rendered by the service's use case, and end to end through the gateway over HTTP
  (werkzeug on 127.0.0.1) with a feed token, as a calendar app asks for it;
- the floor: the same calendar built naively with ``icalendar`` (one Event component per
  activity, ``add_missing_timezones``, ``to_ical``), from the same rows;
- a calendar app's poll of the unchanged feed: If-None-Match answered 304.

Run: `.venv/bin/python bench/agenda.py` (a minute or so).
"""

from __future__ import annotations

import json
import logging
import os
import platform
import statistics
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import icalendar
from sqlalchemy import insert
from werkzeug.serving import make_server

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.builders import a_member_of, a_user, an_event_of  # noqa: E402
from tests.conftest import make_settings  # noqa: E402
from tests.events.conftest import FAST_PASSWORDS  # noqa: E402

from tripbot.agenda import ical, service  # noqa: E402
from tripbot.agenda.models import Activity, ActivityPerson, Agenda, Place  # noqa: E402
from tripbot.agenda.schemas import CalendarQuery  # noqa: E402
from tripbot.events.service import AccountPolicy  # noqa: E402
from tripbot.platform.identity import Principal  # noqa: E402
from tripbot.platform.logging import configure_logging  # noqa: E402
from tripbot.platform.operations import Call  # noqa: E402
from tripbot.system import System, build_embedded  # noqa: E402

ACTIVITIES = 2000
PLACES = 12


def median_ms(run: Callable[[], object], times: int) -> float:
    """The median wall time of ``times`` runs, in milliseconds (after one warm-up run)."""
    run()
    samples = []
    for _ in range(times):
        started = time.perf_counter()
        run()
        samples.append((time.perf_counter() - started) * 1000)
    return round(statistics.median(samples), 2)


def fill(system: System) -> tuple[int, Principal]:
    """An event with 2,000 activities in 12 places over ten days, bulk-inserted."""
    events = system.databases["events"]
    policy = AccountPolicy(passwords=FAST_PASSWORDS)
    owner = a_user(events, policy, display_name="Olga")
    event = an_event_of(
        events,
        owner,
        starts_at="2027-05-01T08:00:00+02:00",
        ends_at="2027-05-10T22:00:00+02:00",
    )
    member = a_member_of(events, policy, event, owner)
    now = datetime.now(UTC)
    start = datetime(2027, 5, 1, 8, tzinfo=ZoneInfo("Europe/Madrid"))
    with system.databases["agenda"].unit_of_work() as uow:
        session = uow.session
        session.execute(insert(Agenda).values(event_id=event.id, revision=1, updated_at=now))
        session.execute(
            insert(Place),
            [
                {
                    "id": n,
                    "event_id": event.id,
                    "uid": str(uuid.uuid4()),
                    "name": f"Sala {n}",
                    "description": "",
                    "capacity": 40,
                    "created_at": now,
                    "updated_at": now,
                }
                for n in range(1, PLACES + 1)
            ],
        )
        session.execute(
            insert(Activity),
            [
                {
                    "id": n,
                    "event_id": event.id,
                    "uid": str(uuid.uuid4()),
                    "title": f"Actividad {n}: taller, charla; ruta",
                    "description": "Traed agua, crema solar y ganas.\nSalida puntual. " * 2,
                    "starts_at": start + timedelta(minutes=(n // PLACES) * 70),
                    "ends_at": start + timedelta(minutes=(n // PLACES) * 70 + 60),
                    "place_id": n % PLACES + 1,
                    "capacity": 30,
                    "track": "Montaña",
                    "status": "cancelled" if n % 50 == 0 else "scheduled",
                    "sequence": n % 3,
                    "created_by": owner.id,
                    "created_at": now,
                    "updated_at": now,
                }
                for n in range(1, ACTIVITIES + 1)
            ],
        )
        session.execute(
            insert(ActivityPerson),
            [
                {"activity_id": n, "user_id": member.id, "display_name": "Bruno", "position": 0}
                for n in range(1, ACTIVITIES + 1, 2)
            ],
        )
        uow.commit()
    return event.id, Principal(user_id=member.id, event_id=event.id, event_role="participant")


def in_service(system: System, principal: Principal, run: Callable[[], Any]) -> Callable[[], Any]:
    """A call made inside the agenda service (its use case run directly, as in one process)."""
    return run


def as_call(system: System, principal: Principal) -> Call:
    """A call of the agenda's use cases for a principal."""
    return Call(principal, system.runtimes["agenda"])


def naive_icalendar(system: System, principal: Principal, event_id: int) -> bytes:
    """The floor: the same feed built with icalendar's components, one per activity."""
    with system.databases["agenda"].unit_of_work() as uow:
        events = service.feeds._feed_events(uow, event_id)
    zone = ZoneInfo("Europe/Madrid")
    calendar = icalendar.Calendar()
    calendar.add("prodid", "-//TripBot//bench//EN")
    calendar.add("version", "2.0")
    calendar.add("method", "PUBLISH")
    for item in events:
        event = icalendar.Event()
        event.add("uid", item.uid)
        event.add("dtstamp", item.updated_at)
        event.add("created", item.created_at)
        event.add("last-modified", item.updated_at)
        event.add("sequence", item.sequence)
        event.add("dtstart", item.starts_at.astimezone(zone))
        event.add("dtend", item.ends_at.astimezone(zone))
        event.add("summary", item.title)
        event.add("description", item.description)
        if item.location:
            event.add("location", item.location)
        event.add("categories", [item.track])
        event.add("status", "CANCELLED" if item.cancelled else "CONFIRMED")
        calendar.add_component(event)
    calendar.add_missing_timezones()
    return calendar.to_ical()


def main() -> None:
    """Measure and write bench/results/agenda.json."""
    configure_logging("WARNING", "console")
    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # its access log shows tokens
    with tempfile.TemporaryDirectory() as tmp:
        settings = make_settings(Path(tmp), log_level="WARNING")
        system = build_embedded(settings)
        event_id, principal = fill(system)
        token = in_service(
            system,
            principal,
            lambda: service.issue_feed_token(as_call(system, principal), event_id),
        )().token

        rows = _rows(system, event_id)
        asked = as_call(system, principal)
        feed = in_service(
            system, principal, lambda: service.calendar_feed(asked, event_id, CalendarQuery())
        )
        rendered = feed()
        assert rendered.body is not None
        naive = naive_icalendar(system, principal, event_id)
        parsed = icalendar.Calendar.from_ical(rendered.body)
        assert len(parsed.walk("VEVENT")) == ACTIVITIES

        server = make_server("127.0.0.1", 0, system.gateway, threaded=True)
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        url = f"http://127.0.0.1:{server.server_port}/api/v1/events/{event_id}/agenda.ics"
        with httpx.Client(timeout=30) as http:
            first = http.get(url, params={"token": token})
            assert first.status_code == 200, first.text
            etag = first.headers["ETag"]

            def over_http() -> None:
                assert http.get(url, params={"token": token}).status_code == 200

            def poll() -> None:
                answer = http.get(url, params={"token": token}, headers={"If-None-Match": etag})
                assert answer.status_code == 304

            results: dict[str, Any] = {
                "machine": f"{platform.machine()} {os.cpu_count()} cores, "
                f"Python {platform.python_version()}, SQLite",
                "date": datetime.now(UTC).isoformat(timespec="seconds"),
                "activities": ACTIVITIES,
                "feed_bytes": len(rendered.body.encode()),
                "use_case_render_ms": median_ms(feed, 15),
                "render_only_ms": median_ms(lambda: ical.render("Club", "Europe/Madrid", rows), 15),
                "gateway_http_200_ms": median_ms(over_http, 15),
                "floor_naive_icalendar_ms": median_ms(
                    lambda: naive_icalendar(system, principal, event_id), 3
                ),
                "gateway_http_304_ms": median_ms(poll, 50),
                "use_case_304_ms": median_ms(
                    in_service(
                        system,
                        principal,
                        lambda: service.calendar_feed(
                            as_call(system, principal), event_id, CalendarQuery(), etag
                        ),
                    ),
                    50,
                ),
                "naive_feed_bytes": len(naive),
            }
        server.shutdown()
        thread.join(timeout=10)
        server.server_close()
        system.close()
    results["floor_to_use_case_ratio"] = round(
        results["floor_naive_icalendar_ms"] / results["use_case_render_ms"], 1
    )
    results["http_200_to_304_ratio"] = round(
        results["gateway_http_200_ms"] / results["gateway_http_304_ms"], 1
    )
    out = ROOT / "bench" / "results" / "agenda.json"
    out.write_text(json.dumps(results, indent=2) + "\n")
    width = max(len(k) for k in results)
    for key, value in results.items():
        print(f"{key:<{width}}  {value}")


def _rows(system: System, event_id: int) -> list[ical.FeedEvent]:
    with system.databases["agenda"].unit_of_work() as uow:
        return service.feeds._feed_events(uow, event_id)


if __name__ == "__main__":
    main()
