"""The event page as the outing's home: where and when we meet, what comes next, what I owe or
am owed and to whom, the gear I hold and the gear the event reserved, and the packing list.

Each part comes from its service, all asked at the same time; a service that does not answer
leaves its part out and the page says which (the rest still shows).
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass, field, replace
from decimal import Decimal
from typing import Any, TypeVar

from tripbot.agenda.schemas import ActivityOut, NowQuery
from tripbot.events.schemas import EventOut
from tripbot.gateway import auth
from tripbot.gear.schemas import PackingListOut, ReservationOut, ReservationQuery
from tripbot.ledger.schemas import TransferOut
from tripbot.platform.errors import PermissionDenied, ServiceUnavailable
from tripbot.routes.schemas import PlanOut

T = TypeVar("T")


@dataclass
class Glance:
    """What the event page shows of each service, for the person looking."""

    plan: PlanOut | None = None
    map_data: dict[str, Any] | None = None
    now: list[ActivityOut] = field(default_factory=list)
    next: list[ActivityOut] = field(default_factory=list)
    currency: str = ""
    my_balance: str | None = None
    i_pay: list[TransferOut] = field(default_factory=list)
    i_get: list[TransferOut] = field(default_factory=list)
    my_gear: list[ReservationOut] = field(default_factory=list)
    event_gear: list[ReservationOut] = field(default_factory=list)
    packing: PackingListOut | None = None
    unavailable: list[str] = field(default_factory=list)


def _submit(call: Callable[[], T]) -> Future[T]:
    # One call after another, not in threads: embedded calls run in process and cost little,
    # and CPython 3.11.7 can fail compiling annotations in two threads at once (gh-106905).
    future: Future[T] = Future()
    try:
        future.set_result(call())
    except Exception as error:  # kept for _answer, which says which service did not answer
        future.set_exception(error)
    return future


def _answer(future: Future[T], service: str, glance: Glance) -> T | None:
    """The answer, or None with the service named when it is down (or the part not for them)."""
    try:
        return future.result()
    except ServiceUnavailable:
        glance.unavailable.append(service)
    except PermissionDenied:
        pass
    return None


def plan_map(plan: PlanOut) -> dict[str, Any]:
    """A plan's tracks and meeting point as the map script reads them."""
    meeting = [plan.meeting_lat, plan.meeting_lon] if plan.meeting_lat is not None else None
    routes = [
        {"name": stop.route.name, "geometry": stop.geometry, "position": stop.position}
        for stop in plan.routes
    ]
    return {"routes": routes, "meeting": meeting}


def gather(event: EventOut) -> Glance:
    """The glance of an event for the person looking (a member: the page checked it)."""
    services, me = auth.services(), auth.principal()
    member = replace(me, event_id=event.id, event_role=event.my_role)
    routes, agenda = services.routes(member), services.agenda(member)
    ledger, gear = services.ledger(member), services.gear(member)
    glance = Glance()
    plan = _submit(lambda: routes.plan(event.id)) if event.kind == "excursion" else None
    now = _submit(lambda: agenda.now(event.id, NowQuery(limit=2)))
    balances = _submit(lambda: ledger.balances(event.id))
    settlement = _submit(lambda: ledger.settlement(event.id))
    reserved = _submit(
        lambda: gear.reservations(ReservationQuery(scope="event", event_id=event.id))
    )
    packing = _submit(lambda: gear.packing_list(event.id))
    if plan is not None and (answered := _answer(plan, "routes", glance)) is not None:
        glance.plan, glance.map_data = answered, plan_map(answered)
    if (happening := _answer(now, "agenda", glance)) is not None:
        glance.now, glance.next = happening.now, happening.next
    if (money := _answer(balances, "ledger", glance)) is not None:
        glance.currency = money.currency
        mine = [line.balance for line in money.members if line.user_id == me.user_id]
        glance.my_balance = mine[0] if mine else None
    if (settle := _answer(settlement, "ledger", glance)) is not None:
        glance.i_pay = [t for t in settle.transfers if t.payer.party == me.user_id]
        glance.i_get = [t for t in settle.transfers if t.payee.party == me.user_id]
    if (gear_reserved := _answer(reserved, "gear", glance)) is not None:
        glance.event_gear = gear_reserved
        glance.my_gear = [r for r in gear_reserved if r.user_id == me.user_id]
    glance.packing = _answer(packing, "gear", glance)
    glance.unavailable = sorted(set(glance.unavailable))
    return glance


def settled(balance: str | None) -> bool:
    """Whether a balance is zero (nothing owed either way)."""
    return balance is None or Decimal(balance) == 0
