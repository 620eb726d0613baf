"""A deleted event leaves nothing behind but its books: routes drops its plan, agenda its
timetable, gear frees its gear (tests/gear), the ledger keeps its money history (both DBs)."""

from __future__ import annotations

import httpx
from sqlalchemy import func, select

from tests.builders import a_person, a_route, an_activity, an_event, an_expense
from tripbot.agenda.models import Activity, Agenda, FeedToken, Place
from tripbot.ledger.models import Entry
from tripbot.routes.models import Plan, PlanRoute
from tripbot.system import System, follower_of


def _rows(system: System, service: str, model: type[object]) -> int:
    with system.databases[service].unit_of_work() as uow:
        return uow.session.scalar(select(func.count()).select_from(model)) or 0


def test_a_deleted_events_plan_and_timetable_go_and_its_books_stay(
    system: System, http: httpx.Client
) -> None:
    owner = a_person(http)
    event, kept = an_event(http, owner), an_event(http, owner, name="Otra salida")
    route = a_route(http, owner)
    for each in (event, kept):
        planned = http.put(
            f"/api/v1/events/{each['id']}/plan",
            json={"route_ids": [route["id"]], "meeting_point": "Poncebos"},
            headers=owner.headers,
        )
        assert planned.status_code == 200, planned.text
        place = http.post(
            f"/api/v1/events/{each['id']}/places", json={"name": "Sala"}, headers=owner.headers
        )
        assert place.status_code == 201, place.text
        an_activity(http, each, owner, place_id=place.json()["id"], people=[owner.id])
        token = http.post(f"/api/v1/events/{each['id']}/agenda/feed-token", headers=owner.headers)
        assert token.status_code in (200, 201), token.text
        an_expense(http, each, owner)
    events = system.clients.transports["events"]
    followers = [follower_of(system.runtimes[name], events) for name in ("routes", "agenda")]
    assert [follower.run_once() for follower in followers if follower] == [0, 0]

    assert http.delete(f"/api/v1/events/{event['id']}", headers=owner.headers).status_code == 204
    assert [follower.run_once() for follower in followers if follower] == [1, 1]
    assert [follower.run_once() for follower in followers if follower] == [0, 0]
    assert (_rows(system, "routes", Plan), _rows(system, "routes", PlanRoute)) == (1, 1)
    counts = [_rows(system, "agenda", m) for m in (Agenda, Place, Activity, FeedToken)]
    assert counts == [1, 1, 1, 1]
    assert _rows(system, "ledger", Entry) == 2
    plan = http.get(f"/api/v1/events/{kept['id']}/plan", headers=owner.headers).json()
    assert [stop["route"]["id"] for stop in plan["routes"]] == [route["id"]]
    assert http.get(f"/api/v1/routes/{route['id']}", headers=owner.headers).status_code == 200
