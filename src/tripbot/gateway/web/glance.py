"""The event page as the outing's home: where and when we meet, what comes next, what I owe or
am owed and to whom, the gear I hold and the gear the event reserved, and the packing list.

Each part comes from its service, all asked at the same time; a service that does not answer
leaves its part out and the page says which (the rest still shows).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any, TypeVar

from tripbot.agenda.schemas import ActivityOut, NowQuery
from tripbot.events.schemas import EventOut
from tripbot.gateway import auth
from tripbot.gateway.web import maps
from tripbot.gear.schemas import PackingListOut, ReservationOut, ReservationQuery
from tripbot.ledger.schemas import PartyRef, TransferOut
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
    treasury_keeper: PartyRef | None = None
    my_gear: list[ReservationOut] = field(default_factory=list)
    event_gear: list[ReservationOut] = field(default_factory=list)
    packing: PackingListOut | None = None
    unavailable: list[str] = field(default_factory=list)


def _answer(call: Callable[[], T], service: str, glance: Glance) -> T | None:
    """A service's answer, or None with the service named when it is down (or nothing when
    the part is not for this person)."""
    # One call after another, not in threads: embedded calls run in process and cost little,
    # and CPython 3.11.7 can fail compiling annotations in two threads at once (gh-106905).
    try:
        return call()
    except ServiceUnavailable:
        if service not in glance.unavailable:
            glance.unavailable.append(service)
    except PermissionDenied:
        pass
    return None


def gather(event: EventOut) -> Glance:
    """The glance of an event for the person looking (a member: the page checked it)."""
    services, me = auth.services(), auth.principal()
    member = replace(me, event_id=event.id, event_role=event.my_role)
    routes, agenda = services.routes(member), services.agenda(member)
    ledger, gear = services.ledger(member), services.gear(member)
    glance = Glance()
    if event.kind == "excursion" and (
        plan := _answer(lambda: routes.plan(event.id), "routes", glance)
    ):
        glance.plan, glance.map_data = plan, maps.plan_map(plan)
    happening = _answer(lambda: agenda.now(event.id, NowQuery(limit=2)), "agenda", glance)
    if happening is not None:
        glance.now, glance.next = happening.now, happening.next
    if (money := _answer(lambda: ledger.balances(event.id), "ledger", glance)) is not None:
        glance.currency = money.currency
        mine = [line.balance for line in money.members if line.user_id == me.user_id]
        glance.my_balance = mine[0] if mine else None
    if (settle := _answer(lambda: ledger.settlement(event.id), "ledger", glance)) is not None:
        glance.i_pay = [t for t in settle.transfers if t.payer.party == me.user_id]
        glance.i_get = [t for t in settle.transfers if t.payee.party == me.user_id]
        glance.treasury_keeper = settle.treasury_keeper
    for_event = ReservationQuery(scope="event", event_id=event.id)
    if (reserved := _answer(lambda: gear.reservations(for_event), "gear", glance)) is not None:
        glance.event_gear = reserved
        glance.my_gear = [r for r in reserved if r.user_id == me.user_id]
    glance.packing = _answer(lambda: gear.packing_list(event.id), "gear", glance)
    glance.unavailable.sort()
    return glance
