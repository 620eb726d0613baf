"""Excursion plans: an event's routes in order, where and when to meet, how many may come."""

from __future__ import annotations

from sqlalchemy import delete, insert, select
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import IntegrityError

from tripbot.platform.db import UnitOfWork, utcnow
from tripbot.platform.errors import Conflict, InvalidInput, Message
from tripbot.platform.operations import Access, Call
from tripbot.routes import OPERATIONS
from tripbot.routes.models import Plan, PlanRoute, Route, RouteTrack
from tripbot.routes.schemas import PlanOut, PlanRouteOut, PlanUpdate
from tripbot.routes.service.catalogue import purge_removed
from tripbot.routes.service.rows import changed, events_of, summary_of

PLANS = "Excursion plans"


def _plan_out(uow: UnitOfWork, event_id: int, plan: Plan | None) -> PlanOut:
    rows = uow.session.execute(
        select(PlanRoute.position, Route, RouteTrack.geometry)
        .join(Route, Route.id == PlanRoute.route_id)
        .join(RouteTrack, RouteTrack.route_id == Route.id)
        .where(PlanRoute.event_id == event_id)
        .order_by(PlanRoute.position)
    ).all()
    routes = [
        PlanRouteOut(position=position, route=summary_of(route), geometry=geometry)
        for position, route, geometry in rows
    ]
    ascents = [r.route.stats.ascent_m for r in routes]
    times = [r.route.stats.time_mide_min for r in routes]
    return PlanOut(
        event_id=event_id,
        routes=routes,
        meeting_point=plan.meeting_point if plan else "",
        meeting_lat=plan.meeting_lat if plan else None,
        meeting_lon=plan.meeting_lon if plan else None,
        meeting_at=plan.meeting_at if plan else None,
        capacity=plan.capacity if plan else None,
        notes=plan.notes if plan else "",
        total_distance_m=round(sum(r.route.stats.distance_m for r in routes), 1),
        total_ascent_m=None if None in ascents else round(sum(a or 0 for a in ascents), 1),
        total_time_mide_min=None if None in times else sum(t or 0 for t in times),
        updated_at=plan.updated_at if plan else None,
        updated_by=plan.updated_by if plan else None,
    )


@OPERATIONS.get("/events/<int:event_id>/plan", access=Access.EVENT, tag=PLANS)
def get_plan(call: Call, event_id: int) -> PlanOut:
    """An excursion's plan: its routes in order, meeting point and time, capacity (members)."""
    call.principal.require_event_role(event_id, "participant", Message("see the plan"))
    with call.unit_of_work() as uow:
        return _plan_out(uow, event_id, uow.session.get(Plan, event_id))


def _refuse_removed(uow: UnitOfWork, event_id: int, route_ids: list[int]) -> None:
    """A removed route stays in the plans that had it, but no plan may take it anew."""
    if not route_ids:
        return
    kept = select(PlanRoute.route_id).where(PlanRoute.event_id == event_id)
    removed = uow.session.scalars(
        select(Route.id).where(
            Route.id.in_(route_ids), Route.removed_at.is_not(None), Route.id.not_in(kept)
        )
    ).all()
    if removed:
        raise InvalidInput(
            Message("route_ids: route {route_id} was removed from the catalogue"),
            field="route_ids",
            route_id=removed[0],
        )


@OPERATIONS.put(
    "/events/<int:event_id>/plan",
    access=Access.EVENT,
    tag=PLANS,
    responses={409: "The event is not an excursion"},
)
def set_plan(call: Call, event_id: int, data: PlanUpdate) -> PlanOut:
    """Set an excursion's plan as a whole (owners and organizers)."""
    # Its routes, meeting point, time and capacity.
    principal = call.principal
    principal.require_event_role(event_id, "organizer", Message("plan the excursion"))
    event = events_of(call).event(event_id)
    if event.kind != "excursion":
        raise Conflict(
            Message(
                "event {event_id} is not an excursion; make its kind 'excursion' to plan routes"
            ),
            event_id=event_id,
        )
    with call.unit_of_work() as uow:
        uow.lock_for_write()
        found = set(
            uow.session.scalars(select(Route.id).where(Route.id.in_(data.route_ids)))
            if data.route_ids
            else []
        )
        missing = [r for r in data.route_ids if r not in found]
        if missing:
            raise InvalidInput(
                Message("route_ids: there is no route {missing}"),
                field="route_ids",
                missing=", ".join(map(str, missing)),
            )
        _refuse_removed(uow, event_id, data.route_ids)
        # Create the row if needed, then lock it: concurrent edits of one plan take turns.
        dialect = uow.session.get_bind().dialect.name
        upsert = postgresql_insert if dialect == "postgresql" else sqlite_insert
        uow.session.execute(
            upsert(Plan)
            .values(event_id=event_id)
            .on_conflict_do_nothing(index_elements=["event_id"])
        )
        plan = uow.session.scalar(select(Plan).where(Plan.event_id == event_id).with_for_update())
        assert plan is not None
        values = data.model_dump(exclude={"route_ids"})
        for name, value in values.items():
            setattr(plan, name, value)
        plan.updated_by = principal.user_id
        plan.updated_at = utcnow()
        uow.session.execute(delete(PlanRoute).where(PlanRoute.event_id == event_id))
        if data.route_ids:
            uow.session.execute(
                insert(PlanRoute),
                [
                    {"event_id": event_id, "position": i, "route_id": route_id}
                    for i, route_id in enumerate(data.route_ids, start=1)
                ],
            )
        try:
            uow.session.flush()
        except IntegrityError as error:  # a route was deleted in the meantime
            raise InvalidInput(
                Message("route_ids: a route was just deleted"), field="route_ids"
            ) from error
        purge_removed(uow)
        out = _plan_out(uow, event_id, plan)
        changed(
            uow,
            "plan.updated",
            event_id,
            {
                "event_id": event_id,
                "by": principal.user_id,
                "routes": [r.route.name for r in out.routes],
                "meeting_point": out.meeting_point,
                "meeting_lat": out.meeting_lat,
                "meeting_lon": out.meeting_lon,
                "meeting_at": out.meeting_at.isoformat() if out.meeting_at else None,
                "capacity": out.capacity,
            },
        )
        uow.commit()
        return out


def forget_event(uow: UnitOfWork, event_id: int) -> bool:
    """An event was deleted: its excursion plan goes (the routes stay in the catalogue);
    False when it had none. Running it twice changes nothing more."""
    with uow:
        uow.lock_for_write()
        uow.session.execute(delete(PlanRoute).where(PlanRoute.event_id == event_id))
        removed = uow.session.execute(delete(Plan).where(Plan.event_id == event_id))
        purge_removed(uow)
        uow.commit()
        return bool(removed.rowcount)  # type: ignore[attr-defined]
