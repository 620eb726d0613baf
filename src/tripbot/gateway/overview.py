"""An event at a glance: one call to the events service to know the asker's role, then every
other service asked at the same time, so the overview costs about its slowest call."""

from __future__ import annotations

import contextvars
import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor, wait
from dataclasses import replace
from datetime import date, datetime
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

from tripbot.agenda.schemas import ActivityOut, ActivityQuery, NowNextOut, NowQuery
from tripbot.gateway.schemas import (
    AgendaSummary,
    EventOverview,
    GearSummary,
    Hidden,
    MoneySummary,
    PlanSummary,
    Spending,
    Unavailable,
)
from tripbot.gateway.services import Services
from tripbot.gear.schemas import ReservationOut, ReservationQuery
from tripbot.ledger.schemas import Balances, ReportTotals
from tripbot.platform.errors import PermissionDenied, ServiceUnavailable
from tripbot.platform.identity import Principal
from tripbot.routes.schemas import PlanOut

T = TypeVar("T")
CALLS = 6
"""Service calls an overview makes at once (after the events service said who is asking)."""


POOL_THREADS = 8 * CALLS
"""Threads the overviews of one process share: eight overviews' calls at once, the rest wait
their turn (a thread per call made anew for each overview cost more than some calls)."""
_pool: ThreadPoolExecutor | None = None
_pool_lock = threading.Lock()


def _shared_pool() -> ThreadPoolExecutor:
    """The process's pool for the overviews' calls, made with the first overview (after a
    server's workers were forked: threads do not survive a fork)."""
    global _pool  # noqa: PLW0603 - one pool per process, made when first needed
    with _pool_lock:
        if _pool is None:
            _pool = ThreadPoolExecutor(max_workers=POOL_THREADS, thread_name_prefix="overview")
        return _pool


def _submit(pool: ThreadPoolExecutor, call: Callable[[], T]) -> Future[T]:
    # Each call runs in a copy of the request's context: Flask's `g` (the request id the
    # client forwards as X-Request-ID) and the log fields bound to the request go along.
    return pool.submit(contextvars.copy_context().run, call)


def _settled(future: Future[T]) -> T | ServiceUnavailable:
    """The call's answer, or the outage that replaces its section; any other error (a 404
    because the person just left the event, say) fails the whole overview."""
    try:
        return future.result()
    except ServiceUnavailable as error:
        return error


def _unless_denied(future: Future[T]) -> T | ServiceUnavailable | PermissionDenied:
    """Like ``_settled``, with a refusal kept too: it says why the part is hidden."""
    try:
        return _settled(future)
    except PermissionDenied as error:
        return error


def gather(services: Services, principal: Principal, event_id: int) -> EventOverview:
    """The overview of an event for one of its members (NotFound for anyone else)."""
    event = services.events(principal).event(event_id)
    member = replace(principal, event_id=event_id, event_role=event.my_role)
    routes, agenda = services.routes(member), services.agenda(member)
    ledger, gear = services.ledger(member), services.gear(member)
    today = datetime.now(ZoneInfo(event.timezone)).date()
    pool = _shared_pool()
    plan = _submit(pool, lambda: routes.plan(event_id))
    now = _submit(pool, lambda: agenda.now(event_id, NowQuery()))
    todays = _submit(pool, lambda: agenda.activities(event_id, ActivityQuery(day=today)))
    balances = _submit(pool, lambda: ledger.balances(event_id))
    report = _submit(pool, lambda: ledger.report_totals(event_id))
    reserved = _submit(
        pool, lambda: gear.reservations(ReservationQuery(scope="event", event_id=event_id))
    )
    # Every call ends within the request, even when one of them fails the whole overview.
    calls: list[Future[Any]] = [plan, now, todays, balances, report, reserved]
    wait(calls)
    return EventOverview(
        event=event,
        members=event.member_count,
        plan=_plan(plan),
        agenda=_agenda(today, now, todays),
        money=_money(balances, report),
        gear=_gear(reserved),
    )


def _plan(fetched: Future[PlanOut]) -> PlanSummary | Unavailable:
    plan = _settled(fetched)
    if isinstance(plan, ServiceUnavailable):
        return Unavailable(unavailable="routes")
    return PlanSummary(
        routes=[stop.route for stop in plan.routes],
        **plan.model_dump(
            include={
                "meeting_point",
                "meeting_at",
                "capacity",
                "total_distance_m",
                "total_ascent_m",
                "total_time_mide_min",
            }
        ),
    )


def _agenda(
    today: date, fetched_now: Future[NowNextOut], fetched_today: Future[list[ActivityOut]]
) -> AgendaSummary | Unavailable:
    now, todays = _settled(fetched_now), _settled(fetched_today)
    if isinstance(now, ServiceUnavailable) or isinstance(todays, ServiceUnavailable):
        return Unavailable(unavailable="agenda")
    return AgendaSummary(
        timezone=now.timezone,
        now=now.now,
        next=now.next,
        today=today,
        today_count=sum(1 for activity in todays if activity.status != "cancelled"),
    )


def _money(
    fetched_balances: Future[Balances], fetched_report: Future[ReportTotals]
) -> MoneySummary | Unavailable:
    balances, report = _settled(fetched_balances), _unless_denied(fetched_report)
    if isinstance(balances, ServiceUnavailable) or isinstance(report, ServiceUnavailable):
        return Unavailable(unavailable="ledger")
    spending: Spending | Hidden = (
        Hidden(hidden=report.detail)
        if isinstance(report, PermissionDenied)
        else Spending(
            costs=report.costs,
            income=report.income,
            net_result=report.net_result,
            shared_costs=report.shared_costs,
        )
    )
    return MoneySummary(currency=balances.currency, balances=balances, spending=spending)


def _gear(fetched: Future[list[ReservationOut]]) -> GearSummary | Unavailable:
    reserved = _settled(fetched)
    if isinstance(reserved, ServiceUnavailable):
        return Unavailable(unavailable="gear")
    return GearSummary(reservations=len(reserved), quantity=sum(each.quantity for each in reserved))
