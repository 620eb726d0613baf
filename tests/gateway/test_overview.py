"""An event's overview: every service's part gathered at once, members only, and a service that
is down leaves only its own section out."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest
from apiflask import APIFlask

from tests.builders import (
    Cast,
    a_gear_keeper_in,
    a_member,
    a_person_in,
    a_route,
    an_activity,
    an_event,
    an_expense,
)
from tests.conftest import make_settings
from tests.problems import assert_problem
from tests.processes import free_port
from tripbot import SERVICES
from tripbot.gateway.overview import CALLS
from tripbot.platform.client import HttpTransport, Transport
from tripbot.system import System, build_gateway, signer_for

MADRID = ZoneInfo("Europe/Madrid")
SECTIONS = {"routes": "plan", "agenda": "agenda", "ledger": "money", "gear": "gear"}
"""Which section of the overview each service gives."""


def _local(day: date, hour: int, minute: int = 0) -> str:
    return datetime.combine(day, time(hour, minute), MADRID).isoformat()


def _url(cast: Cast) -> str:
    return f"/api/v1/events/{cast.event['id']}/overview"


@pytest.fixture
def cast(system: System, http: httpx.Client) -> Cast:
    """An event that is on today (Madrid), with an organizer, a participant and an outsider."""
    today = datetime.now(MADRID).date()
    owner = a_person_in(system)
    event = an_event(
        http,
        owner,
        starts_at=_local(today - timedelta(days=1), 8),
        ends_at=_local(today + timedelta(days=2), 20),
    )
    return Cast(
        event=event,
        owner=owner,
        organizer=a_member(http, event, owner, "organizer"),
        participant=a_member(http, event, owner),
        outsider=a_person_in(system),
    )


def _fill(system: System, http: httpx.Client, cast: Cast) -> dict[str, Any]:
    """A plan with two routes, three activities (one on now, one tomorrow, one cancelled),
    two expenses and a gear reservation for the event."""
    today = datetime.now(MADRID).date()
    routes = [a_route(http, cast.organizer, name=name) for name in ("Ruta del Cares", "Bulnes")]
    plan = {"route_ids": [r["id"] for r in routes], "meeting_point": "Poncebos", "capacity": 12}
    event_url = f"/api/v1/events/{cast.event['id']}"
    put = http.put(f"{event_url}/plan", json=plan, headers=cast.organizer.headers)
    assert put.status_code == 200, put.text
    # The whole of today: it is on now whatever the hour the test runs at.
    on_now = an_activity(
        http,
        cast.event,
        cast.organizer,
        title="Todo el día",
        starts_at=_local(today, 0),
        ends_at=_local(today, 23, 59),
    )
    called_off = an_activity(
        http, cast.event, cast.organizer, starts_at=_local(today, 0), ends_at=_local(today, 23, 59)
    )
    cancel = http.post(
        f"{event_url}/activities/{called_off['id']}/cancel", headers=cast.organizer.headers
    )
    assert cancel.status_code == 200, cancel.text
    tomorrow = an_activity(
        http,
        cast.event,
        cast.organizer,
        starts_at=_local(today + timedelta(days=1), 9),
        ends_at=_local(today + timedelta(days=1), 10),
    )
    an_expense(http, cast.event, cast.organizer, amount="30.00")
    an_expense(http, cast.event, cast.participant, amount="12.50")
    keeper = a_gear_keeper_in(system)
    item = http.post(
        "/api/v1/gear/items",
        json={"name": "Rope", "category": "Climbing", "quantity": 4},
        headers=keeper.headers,
    )
    assert item.status_code == 201, item.text
    reserved = http.post(
        "/api/v1/gear/reservations",
        json={
            "item_id": item.json()["id"],
            "quantity": 3,
            "event_id": cast.event["id"],
            "start_date": (today + timedelta(days=1)).isoformat(),
            "end_date": (today + timedelta(days=2)).isoformat(),
        },
        headers=cast.organizer.headers,
    )
    assert reserved.status_code == 201, reserved.text
    return {"routes": routes, "on_now": on_now, "tomorrow": tomorrow}


def test_a_member_sees_every_part_of_the_event(
    system: System, http: httpx.Client, cast: Cast
) -> None:
    made = _fill(system, http, cast)
    answer = http.get(_url(cast), headers=cast.organizer.headers)
    assert answer.status_code == 200, answer.text
    overview = answer.json()
    assert (overview["event"]["id"], overview["event"]["my_role"]) == (
        cast.event["id"],
        "organizer",
    )
    assert overview["members"] == 3
    plan = overview["plan"]
    assert [r["name"] for r in plan["routes"]] == ["Ruta del Cares", "Bulnes"]
    assert (plan["meeting_point"], plan["capacity"]) == ("Poncebos", 12)
    assert plan["total_distance_m"] > 0
    agenda = overview["agenda"]
    assert agenda["today"] == datetime.now(MADRID).date().isoformat()
    assert [a["id"] for a in agenda["now"]] == [made["on_now"]["id"]]
    assert [a["id"] for a in agenda["next"]] == [made["tomorrow"]["id"]]
    assert agenda["today_count"] == 1
    money = overview["money"]
    assert money["currency"] == "EUR"
    # Shared among members: the members' costs, apart from the event's own.
    assert (money["spending"]["costs"], money["spending"]["shared_costs"]) == ("0.00", "42.50")
    assert (money["balances"]["complete"], money["balances"]["total"]) == (True, "0.00")
    assert len(money["balances"]["members"]) == 3
    assert overview["gear"] == {"reservations": 1, "quantity": 3}


def test_participants_see_the_total_spent_only_when_the_organizers_share_the_report(
    system: System, http: httpx.Client, cast: Cast
) -> None:
    an_expense(http, cast.event, cast.organizer, amount="30.00")
    money = http.get(_url(cast), headers=cast.participant.headers).json()["money"]
    assert "organizers keep the report to themselves" in money["spending"]["hidden"]
    assert money["balances"]["complete"] is False
    assert [m["user_id"] for m in money["balances"]["members"]] == [cast.participant.id]
    shared = http.patch(
        f"/api/v1/events/{cast.event['id']}/ledger/settings",
        json={"visibility": "members"},
        headers=cast.owner.headers,
    )
    assert shared.status_code == 200, shared.text
    money = http.get(_url(cast), headers=cast.participant.headers).json()["money"]
    assert money["spending"] == {
        "costs": "0.00",
        "income": "0.00",
        "net_result": "0.00",
        "shared_costs": "30.00",
    }
    assert money["balances"]["complete"] is True


def test_an_event_without_anything_yet_has_empty_sections(http: httpx.Client, cast: Cast) -> None:
    overview = http.get(_url(cast), headers=cast.participant.headers).json()
    assert overview["plan"]["routes"] == []
    assert (overview["agenda"]["now"], overview["agenda"]["today_count"]) == ([], 0)
    assert overview["gear"] == {"reservations": 0, "quantity": 0}
    assert overview["money"]["balances"]["members"][0]["balance"] == "0.00"


def test_only_members_get_it(http: httpx.Client, cast: Cast) -> None:
    assert_problem(http.get(_url(cast), headers=cast.outsider.headers), 404, "not-found")
    assert_problem(http.get(_url(cast)), 401, "not-authenticated")
    assert_problem(
        http.get(_url(cast), headers={"Authorization": "Bearer tb_forged"}),
        401,
        "not-authenticated",
    )
    missing = http.get("/api/v1/events/999999/overview", headers=cast.owner.headers)
    assert_problem(missing, 404, "not-found")


def test_it_is_in_the_openapi_document(http: httpx.Client) -> None:
    paths = http.get("/api/v1/openapi.json").json()["paths"]
    assert "get" in paths["/api/v1/events/{event_id}/overview"]


# ---- a gateway of our own over the same service apps ---------------------------------------

WsgiApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


def _as_is(name: str, app: WsgiApp) -> WsgiApp:
    return app


@contextmanager
def a_gateway_app(
    system: System,
    tmp_path: Path,
    *,
    down: str | None = None,
    wrap: Callable[[str, WsgiApp], WsgiApp] = _as_is,
) -> Iterator[APIFlask]:
    """Another gateway over the system's own service apps: ``down`` is reached at a port where
    nothing listens, the others through ``wrap``."""
    settings = make_settings(tmp_path)
    signer = signer_for(settings)
    connections: dict[str, Transport] = {
        name: (
            HttpTransport(name, signer, base_url=f"http://127.0.0.1:{free_port()}", timeout=2.0)
            if name == down
            else HttpTransport(name, signer, wsgi_app=wrap(name, system.services[name]))
        )
        for name in SERVICES
    }
    gateway = build_gateway(settings, connections)
    try:
        yield gateway
    finally:
        gateway.extensions["tripbot.services"].close()


@contextmanager
def a_gateway(
    system: System,
    tmp_path: Path,
    *,
    down: str | None = None,
    wrap: Callable[[str, WsgiApp], WsgiApp] = _as_is,
) -> Iterator[httpx.Client]:
    """An HTTP client of another gateway (``a_gateway_app``)."""
    with (
        a_gateway_app(system, tmp_path, down=down, wrap=wrap) as gateway,
        httpx.Client(
            transport=httpx.WSGITransport(app=gateway), base_url="http://testserver"
        ) as client,
    ):
        yield client


@pytest.mark.parametrize("down", sorted(SECTIONS))
def test_a_service_that_is_down_leaves_only_its_section_out(
    system: System, http: httpx.Client, cast: Cast, tmp_path: Path, down: str
) -> None:
    _fill(system, http, cast)
    with a_gateway(system, tmp_path, down=down) as gateway:
        answer = gateway.get(_url(cast), headers=cast.organizer.headers)
    assert answer.status_code == 200, answer.text
    overview = answer.json()
    for service, section in SECTIONS.items():
        if service == down:
            assert overview[section] == {"unavailable": down}
        else:
            assert "unavailable" not in overview[section], overview[section]
    assert overview["event"]["id"] == cast.event["id"]


def test_without_the_events_service_there_is_no_overview(
    system: System, cast: Cast, tmp_path: Path
) -> None:
    with a_gateway(system, tmp_path, down="events") as gateway:
        answer = gateway.get(_url(cast), headers=cast.organizer.headers)
    assert assert_problem(answer, 503, "service-unavailable")["service"] == "events"


@dataclass
class Rendezvous:
    """Lets a service call through only once ``parties`` calls are in flight at the same time:
    calls made one after another never meet, wait in vain and fail."""

    parties: int
    seen: list[tuple[str, str]] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._barrier = threading.Barrier(self.parties, timeout=10)
        self._lock = threading.Lock()

    def wrap(self, name: str, app: WsgiApp) -> WsgiApp:
        """The app behind the rendezvous; the events service is left alone (asked first)."""
        if name == "events":
            return app

        def met(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
            with self._lock:
                self.seen.append((name, environ.get("HTTP_X_REQUEST_ID", "")))
            try:
                self._barrier.wait()
            except threading.BrokenBarrierError:
                start_response("500 Internal Server Error", [("Content-Type", "text/plain")])
                return [b"this call was made alone"]
            return app(environ, start_response)

        return met


def test_the_services_are_asked_at_the_same_time_with_the_request_id(
    system: System, http: httpx.Client, cast: Cast, tmp_path: Path
) -> None:
    _fill(system, http, cast)
    rendezvous = Rendezvous(parties=CALLS)
    with a_gateway(system, tmp_path, wrap=rendezvous.wrap) as gateway:
        answer = gateway.get(
            _url(cast), headers={**cast.organizer.headers, "X-Request-ID": "overview-trace-0001"}
        )
    assert answer.status_code == 200, answer.text
    overview = answer.json()
    assert [s for s in SECTIONS.values() if "unavailable" in overview[s]] == []
    assert sorted(name for name, _ in rendezvous.seen) == sorted(
        ["routes", "agenda", "agenda", "ledger", "ledger", "gear"]
    )
    assert {request_id for _, request_id in rendezvous.seen} == {"overview-trace-0001"}
