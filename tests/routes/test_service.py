"""The routes service's use cases over a real database (both backends), the events service
stood in for at its client boundary (who is in which event)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import func, select

from tests.routes.conftest import World
from tests.routes.synthetic import noisy_track, small_gpx
from tripbot.events.schemas import EventOut, UserOut
from tripbot.platform.errors import (
    Conflict,
    InvalidInput,
    NotAuthenticated,
    NotFound,
    PermissionDenied,
)
from tripbot.platform.identity import ANONYMOUS
from tripbot.platform.operations import Upload
from tripbot.routes import service
from tripbot.routes.models import Plan, PlanRoute, Route, RouteTrack, outbox
from tripbot.routes.schemas import (
    PlanUpdate,
    RouteDetails,
    RouteOut,
    RouteQuery,
    RouteUpdate,
)
from tripbot.routes.tracks import read_track

DETAILS = RouteDetails()


def _count(world: World, table: Any) -> int:
    with world.routes.unit_of_work() as uow:
        return uow.session.scalar(select(func.count()).select_from(table)) or 0


def _topics(world: World) -> list[tuple[str, int | None]]:
    with world.routes.unit_of_work() as uow:
        rows = uow.session.execute(select(outbox.c.topic, outbox.c.event_id).order_by(outbox.c.id))
        return [(topic, event_id) for topic, event_id in rows]


def _add(world: World, user: UserOut, content: bytes | None = None, **details: Any) -> RouteOut:
    return service.catalogue.import_route(
        world.call(world.principal(user)),
        Upload(
            "ruta.gpx",
            content or small_gpx(str(details.get("name") or "Ruta"), description=str(id(details))),
        ),
        RouteDetails(**details),
    )


def _search(world: World, user: UserOut, **query: Any) -> list[str]:
    page = service.catalogue.search_routes(world.call(world.principal(user)), RouteQuery(**query))
    return [item.name for item in page.items]


# ---- importing -------------------------------------------------------------------------------


def test_importing_a_route_stores_its_statistics_track_and_a_change(world: World) -> None:
    ana = world.person()
    synthetic = noisy_track(4000, seed=11)
    route = _add(world, ana, synthetic.gpx, region="Picos de Europa", signage="pr-as 123")
    assert (route.name, route.region, route.signage) == (
        "Synthetic walk",
        "Picos de Europa",
        "PR-AS 123",
    )
    assert route.stats.ascent_m == pytest.approx(synthetic.true_ascent_m, rel=0.08)
    assert route.stats.has_elevation
    assert route.stats.has_times
    assert route.mide.esfuerzo in (1, 2, 3)
    assert route.may_edit
    assert route.created_by == ana.id
    assert 2 <= sum(len(s) for s in route.geometry) <= 500
    assert route.method.hysteresis_m == 4.0
    gpx = service.tracks.route_gpx(world.call(world.principal(ana)), route.id)
    again = read_track(gpx.content)
    assert again.point_count == 4000
    assert _topics(world) == [("route.created", None)]


def test_the_same_file_twice_is_refused_and_stores_nothing_more(world: World) -> None:
    ana = world.person()
    content = small_gpx("Twice")
    first = _add(world, ana, content)
    with pytest.raises(Conflict, match=f"already added as route {first.id}") as raised:
        _add(world, ana, content)
    assert raised.value.extensions == {"route_id": first.id}
    assert (_count(world, Route), _count(world, RouteTrack), len(_topics(world))) == (1, 1, 1)


@pytest.mark.parametrize(
    "content",
    [b"not a track", small_gpx(points=1), b"<gpx><trk></trk></gpx>", b'{"type": "Point"}'],
)
def test_a_bad_file_stores_nothing(world: World, content: bytes) -> None:
    with pytest.raises(InvalidInput):
        _add(world, world.person(), content)
    assert (_count(world, Route), _count(world, RouteTrack), _topics(world)) == (0, 0, [])


def test_only_logged_in_people_add_or_search_routes(world: World) -> None:
    with pytest.raises(NotAuthenticated):
        service.catalogue.import_route(world.call(ANONYMOUS), Upload("x.gpx", small_gpx()), DETAILS)
    with pytest.raises(NotAuthenticated):
        service.catalogue.search_routes(world.call(ANONYMOUS), RouteQuery())


def test_the_name_comes_from_the_form_then_the_file_then_the_file_name(world: World) -> None:
    ana = world.person()
    assert _add(world, ana, small_gpx("En el fichero", description="1"), name="Elegido").name == (
        "Elegido"
    )
    assert _add(world, ana, small_gpx("En el fichero", description="2")).name == "En el fichero"
    unnamed = small_gpx("", description="3")
    route = service.catalogue.import_route(
        world.call(world.principal(ana)), Upload("dir/mi_ruta.gpx", unnamed), DETAILS
    )
    assert route.name == "mi ruta"


# ---- searching -------------------------------------------------------------------------------


@pytest.fixture
def catalogue(world: World) -> UserOut:
    """Four routes around Spain, of different lengths and climbs."""
    ana = world.person()
    for name, region, start, points, climb in (
        ("Cañón del Río Lobos", "Soria", (41.75, -3.05), 40, 50.0),
        ("Ruta del Cares", "Asturias", (43.24, -4.86), 200, 300.0),
        ("Senda del Oso", "Asturias", (43.20, -6.00), 400, 900.0),
        ("Camino de Ronda", "Girona", (41.85, 3.13), 1200, 20.0),
    ):
        _add(world, ana, small_gpx(name, start=start, points=points, climb_m=climb), region=region)
    return ana


def test_text_search_ignores_case_and_accents(world: World, catalogue: UserOut) -> None:
    assert _search(world, catalogue, q="canon rio") == ["Cañón del Río Lobos"]
    assert _search(world, catalogue, q="ASTURIAS", sort="name") == [
        "Ruta del Cares",
        "Senda del Oso",
    ]
    assert _search(world, catalogue, q="100%") == []


def test_distance_ascent_and_effort_filters(world: World, catalogue: UserOut) -> None:
    assert _search(world, catalogue, min_distance_km=10, sort="distance") == [
        "Ruta del Cares",
        "Senda del Oso",
        "Camino de Ronda",
    ]
    assert _search(world, catalogue, max_distance_km=5) == ["Cañón del Río Lobos"]
    assert _search(world, catalogue, max_ascent_m=100, sort="name") == [
        "Camino de Ronda",
        "Cañón del Río Lobos",
    ]
    assert _search(world, catalogue, min_effort=4, sort="name") == [
        "Camino de Ronda",
        "Senda del Oso",
    ]
    assert _search(world, catalogue, max_effort=1) == ["Cañón del Río Lobos"]
    assert _search(world, catalogue, type="GR") == ["Camino de Ronda"]
    assert _search(world, catalogue, shape="circular") == []


def test_near_a_point_finds_routes_starting_within_the_radius_nearest_first(
    world: World, catalogue: UserOut
) -> None:
    assert _search(world, catalogue, near="43.3,-4.9", radius_km=120, sort="nearest") == [
        "Ruta del Cares",
        "Senda del Oso",
    ]
    assert _search(world, catalogue, near="43.3,-4.9", radius_km=8) == ["Ruta del Cares"]
    assert _search(world, catalogue, near="43.3,-4.9", radius_km=5) == []


def test_a_bounding_box_finds_routes_whose_extent_touches_it(
    world: World, catalogue: UserOut
) -> None:
    assert _search(world, catalogue, bbox="-7,43,-4,44", sort="name") == [
        "Ruta del Cares",
        "Senda del Oso",
    ]
    assert _search(world, catalogue, bbox="0,0,1,1") == []


def test_pages_carry_the_total(world: World, catalogue: UserOut) -> None:
    page = service.catalogue.search_routes(
        world.call(world.principal(catalogue)), RouteQuery(limit=3, sort="name")
    )
    assert ([r.name for r in page.items], page.total) == (
        ["Camino de Ronda", "Cañón del Río Lobos", "Ruta del Cares"],
        4,
    )
    last = service.catalogue.search_routes(
        world.call(world.principal(catalogue)), RouteQuery(limit=3, offset=3, sort="name")
    )
    assert ([r.name for r in last.items], last.total) == (["Senda del Oso"], 4)
    beyond = service.catalogue.search_routes(
        world.call(world.principal(catalogue)), RouteQuery(offset=10)
    )
    assert (beyond.items, beyond.total) == ([], 4)


# ---- changing and deleting -------------------------------------------------------------------


def _update(world: World, user: UserOut, route_id: int, **changes: Any) -> RouteOut:
    return service.catalogue.update_route(
        world.call(world.principal(user)), route_id, RouteUpdate(**changes)
    )


def _plan(world: World, organizer: UserOut, event: EventOut, *route_ids: int, **fields: Any) -> Any:
    return service.plans.set_plan(
        world.call(world.principal(organizer, event, "organizer")),
        event.id,
        PlanUpdate(route_ids=list(route_ids), **fields),
    )


def test_the_creator_changes_a_route_and_its_search_text(world: World) -> None:
    ana = world.person()
    route = _add(world, ana)
    changed = _update(world, ana, route.id, name="Vuelta al Naranjo", mide_medio=3, signage="")
    assert (changed.name, changed.mide.medio, changed.signage) == ("Vuelta al Naranjo", 3, "")
    assert _search(world, ana, q="naranjo") == ["Vuelta al Naranjo"]
    cleared = _update(world, ana, route.id, mide_medio=None)
    assert cleared.mide.medio is None
    assert ("route.updated", None) in _topics(world)


def test_a_null_name_is_refused(world: World) -> None:
    ana = world.person()
    route = _add(world, ana)
    with pytest.raises(InvalidInput, match="name cannot be null"):
        _update(world, ana, route.id, name=None)


def test_who_may_change_and_delete_a_route(world: World) -> None:
    ana, bea = world.person(), world.person()
    route = _add(world, ana)
    with pytest.raises(PermissionDenied, match="only the person who added route"):
        _update(world, bea, route.id, name="Mine now")
    with pytest.raises(PermissionDenied):
        service.catalogue.delete_route(world.call(world.principal(bea)), route.id)

    # Bea puts Ana's route in her own excursion: that gives her and her organizers no right.
    excursion = world.event(bea)
    organizer = world.member(excursion, bea, "organizer")
    participant = world.member(excursion, bea)
    _plan(world, bea, excursion, route.id)
    for someone in (bea, organizer, participant):
        with pytest.raises(PermissionDenied, match="or an administrator, may change it"):
            _update(world, someone, route.id, name="DEFACED")
        with pytest.raises(PermissionDenied, match="or an administrator, may delete it"):
            service.catalogue.delete_route(world.call(world.principal(someone)), route.id)
    assert _update(world, ana, route.id, region="León").region == "León"
    assert world.admin is not None
    assert _update(world, world.admin, route.id, region="Asturias").region == "Asturias"
    seen = service.catalogue.get_route(world.call(world.principal(organizer)), route.id)
    assert (seen.name, seen.may_edit, seen.plan_count) == ("Ruta", False, 1)
    assert _topics(world).count(("plan.route_updated", excursion.id)) == 2


def test_a_route_no_plan_uses_is_deleted(world: World) -> None:
    ana = world.person()
    route = _add(world, ana)
    service.catalogue.delete_route(world.call(world.principal(ana)), route.id)
    assert (_count(world, Route), _count(world, RouteTrack)) == (0, 0)
    with pytest.raises(NotFound, match=f"there is no route {route.id}"):
        service.catalogue.get_route(world.call(world.principal(ana)), route.id)


@pytest.mark.parametrize("remover", ["creator", "admin"])
def test_a_route_in_plans_leaves_the_catalogue_and_stays_in_them(
    world: World, remover: str
) -> None:
    ana, bea = world.person(), world.person()
    route = _add(world, ana, name="Ruta del Cares")
    excursion = world.event(bea)
    other = world.event(bea)
    _plan(world, bea, excursion, route.id)
    who = ana if remover == "creator" else world.admin
    assert who is not None
    service.catalogue.delete_route(world.call(world.principal(who)), route.id)

    plan = service.plans.get_plan(
        world.call(world.principal(bea, excursion, "owner")), excursion.id
    )
    kept = plan.routes[0]
    assert (kept.route.name, kept.route.removed_at is not None) == ("Ruta del Cares", True)
    assert kept.geometry
    assert plan.total_distance_m > 0
    assert _search(world, ana) == []
    shown = service.catalogue.get_route(world.call(world.principal(ana)), route.id)
    assert (shown.removed_at is not None, shown.may_edit, shown.plan_count) == (True, False, 1)
    with pytest.raises(Conflict, match="was removed from the catalogue"):
        _update(world, ana, route.id, name="Back")
    with world.routes.unit_of_work() as uow:
        told = uow.session.execute(
            select(outbox.c.payload).where(outbox.c.topic == "plan.route_removed")
        ).scalar_one()
    assert (told["event_id"], told["name"], told["planner"]) == (
        excursion.id,
        "Ruta del Cares",
        bea.id,
    )

    # Saving the plan again keeps it; no other plan may take it anew.
    assert [r.route.id for r in _plan(world, bea, excursion, route.id).routes] == [route.id]
    with pytest.raises(InvalidInput, match=f"route {route.id} was removed"):
        _plan(world, bea, other, route.id)
    # The same file can come back to the catalogue as a new route.
    again = _add(world, ana, name="Ruta del Cares")
    assert again.id != route.id
    assert _search(world, ana) == ["Ruta del Cares"]
    # Once no plan uses it, it is gone.
    _plan(world, bea, excursion)
    with pytest.raises(NotFound):
        service.catalogue.get_route(world.call(world.principal(ana)), route.id)
    assert _count(world, Route) == 1


def test_a_removed_route_goes_when_its_excursion_is_deleted(world: World) -> None:
    ana = world.person()
    route = _add(world, ana)
    excursion = world.event(ana)
    _plan(world, ana, excursion, route.id)
    service.catalogue.delete_route(world.call(world.principal(ana)), route.id)
    assert _count(world, Route) == 1
    assert service.plans.forget_event(world.routes.unit_of_work(), excursion.id)
    assert (_count(world, Route), _count(world, RouteTrack)) == (0, 0)


# ---- excursion plans -------------------------------------------------------------------------


def test_an_organizer_plans_an_excursion_and_members_read_it(world: World) -> None:
    ana = world.person()
    first, second = _add(world, ana, name="Subida"), _add(world, ana, name="Bajada")
    excursion = world.event(ana)
    meeting = datetime(2027, 5, 1, 6, 30, tzinfo=UTC)
    plan = _plan(
        world,
        ana,
        excursion,
        second.id,
        first.id,
        meeting_point="Poncebos",
        meeting_lat=43.24,
        meeting_lon=-4.85,
        meeting_at=meeting,
        capacity=12,
        notes="Traed frontal",
    )
    assert [r.route.name for r in plan.routes] == ["Bajada", "Subida"]
    assert (plan.capacity, plan.meeting_at, plan.updated_by) == (12, meeting, ana.id)
    assert plan.total_distance_m == pytest.approx(first.stats.distance_m * 2, abs=0.2)
    participant = world.member(excursion, ana)
    read = service.plans.get_plan(
        world.call(world.principal(participant, excursion, "participant")), excursion.id
    )
    assert read == plan
    assert ("plan.updated", excursion.id) in _topics(world)

    replanned = _plan(world, ana, excursion, first.id)
    assert [r.route.name for r in replanned.routes] == ["Subida"]
    assert (replanned.capacity, replanned.meeting_point) == (None, "")
    assert _count(world, PlanRoute) == 1


def test_a_plan_not_yet_made_is_empty(world: World) -> None:
    ana = world.person()
    excursion = world.event(ana)
    plan = service.plans.get_plan(
        world.call(world.principal(ana, excursion, "owner")), excursion.id
    )
    assert (plan.routes, plan.capacity, plan.updated_at) == ([], None, None)


def test_who_may_plan(world: World) -> None:
    ana = world.person()
    excursion = world.event(ana)
    participant = world.member(excursion, ana)
    outsider = world.person()
    with pytest.raises(PermissionDenied, match="only an event organizer or above may plan"):
        service.plans.set_plan(
            world.call(world.principal(participant, excursion, "participant")),
            excursion.id,
            PlanUpdate(),
        )
    with pytest.raises(NotFound):
        service.plans.set_plan(world.call(world.principal(outsider)), excursion.id, PlanUpdate())
    with pytest.raises(NotFound):
        service.plans.get_plan(world.call(world.principal(outsider)), excursion.id)
    assert _count(world, Plan) == 0


def test_only_excursions_have_a_plan_and_only_of_existing_routes(world: World) -> None:
    ana = world.person()
    party = world.event(ana, kind="event")
    with pytest.raises(Conflict, match="is not an excursion"):
        _plan(world, ana, party)
    excursion = world.event(ana)
    with pytest.raises(InvalidInput, match="route_ids: there is no route 999999"):
        _plan(world, ana, excursion, 999_999)
    assert (_count(world, Plan), _count(world, PlanRoute), _topics(world)) == (0, 0, [])
