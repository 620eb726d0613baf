"""The report against the budget, its bottom line, and the audit trail."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from typing import Any

from sqlalchemy import and_, case, exists, func, or_, select
from sqlalchemy.orm import aliased

from tripbot.ledger import OPERATIONS, rules, store
from tripbot.ledger.models import (
    Allocation,
    AuditRecord,
    BudgetLine,
    Entry,
    Revision,
)
from tripbot.ledger.money import format_minor
from tripbot.ledger.schemas import (
    TREASURY,
    AuditOut,
    AuditPage,
    CategoryLine,
    DayPoint,
    HolderCash,
    KindTotal,
    PageQuery,
    Report,
    ReportTotals,
)
from tripbot.ledger.service.access import (
    events_of,
    member,
    require_report,
)
from tripbot.ledger.words import SETTLE_UP
from tripbot.platform.db import UnitOfWork
from tripbot.platform.errors import (
    Message,
)
from tripbot.platform.operations import Access, Call

KIND_ORDER = ("sale", "donation", "sponsorship", "investment", "purchase", "expense", "transfer")
"""The order kinds are reported in: income, capital, costs, internal."""


def _kind_rank(kind: str) -> int:
    return KIND_ORDER.index(kind) if kind in KIND_ORDER else len(KIND_ORDER)


_TREASURY_SIDE = aliased(Allocation)
_EVENT_MONEY = and_(
    Revision.split_method.is_(None),
    or_(
        func.coalesce(Revision.code, "") != SETTLE_UP,
        exists().where(_TREASURY_SIDE.revision_id == Revision.id, _TREASURY_SIDE.user_id.is_(None)),
    ),
)
"""Revisions that move the event's own money. Not a cost shared among members (who paid it
advanced it for them, as their balance says), nor a settle-up between two members (it settles
what they owe each other: the event's money is settled through the treasury)."""

_CASH_FLOW = case(
    (Allocation.role == "received", Allocation.book_amount), else_=-Allocation.book_amount
)
"""Money into a holder's hands (collected) is positive, out of them (paid) negative."""


def _category_lines(
    actual: dict[tuple[str, str], int],
    planned: dict[tuple[str, str], int],
    money: Callable[[int], str],
) -> list[CategoryLine]:
    lines = []
    for kind, category in sorted(
        set(actual) | set(planned), key=lambda kc: (_kind_rank(kc[0]), kc[1].casefold())
    ):
        done = actual.get((kind, category), 0)
        plan = planned.get((kind, category))
        lines.append(
            CategoryLine.model_validate(
                {
                    "kind": kind,
                    "category": category,
                    "planned": None if plan is None else money(plan),
                    "actual": money(done),
                    "difference": None if plan is None else money(done - plan),
                }
            )
        )
    return lines


def _holders(
    uow: UnitOfWork, event_id: int, money: Callable[[int], str]
) -> tuple[list[HolderCash], int]:
    rows = uow.session.execute(
        select(Allocation.user_id, func.sum(_CASH_FLOW))
        .join(Revision, Revision.id == Allocation.revision_id)
        .join(Entry, store.is_active_current())
        # The event's money only (_EVENT_MONEY).
        .where(
            Revision.event_id == event_id,
            Allocation.role != "share",
            _EVENT_MONEY,
        )
        .group_by(Allocation.user_id)
    ).all()
    names = store.names_of(uow, event_id, [user_id for user_id, _ in rows])
    holders = [
        HolderCash(
            party=store.party_of(user_id),
            name=store.name_of(names, user_id),
            cash=money(int(total or 0)),
        )
        for user_id, total in rows
    ]
    total = sum(int(amount or 0) for _, amount in rows)
    return sorted(holders, key=lambda h: (h.party != TREASURY, h.name.casefold())), total


def _over_time(uow: UnitOfWork, event_id: int, money: Callable[[int], str]) -> list[DayPoint]:
    days: dict[Any, list[int]] = defaultdict(lambda: [0, 0, 0])
    by_day = uow.session.execute(
        select(Revision.date, Revision.kind, func.sum(Revision.book_amount))
        .join(Entry, store.is_active_current())
        # The event's own income and costs, as the net result counts them.
        .where(
            Revision.event_id == event_id,
            Revision.in_kind.is_(False),
            Revision.split_method.is_(None),
        )
        .group_by(Revision.date, Revision.kind)
    )
    for day, kind, amount in by_day:
        if kind in rules.INCOME:
            days[day][0] += int(amount or 0)
        elif kind in rules.OUTFLOWS:
            days[day][1] += int(amount or 0)
    cash_by_day = uow.session.execute(
        select(Revision.date, func.sum(_CASH_FLOW))
        .join(Revision, Revision.id == Allocation.revision_id)
        .join(Entry, store.is_active_current())
        .where(
            Revision.event_id == event_id,
            Allocation.role != "share",
            _EVENT_MONEY,
        )
        .group_by(Revision.date)
    )
    for day, amount in cash_by_day:
        days[day][2] += int(amount or 0)
    points, running = [], 0
    for day in sorted(days):
        income, costs, cash = days[day]
        running += cash
        points.append(
            DayPoint(date=day, income=money(income), costs=money(costs), cash=money(running))
        )
    return points


def _grouped(
    uow: UnitOfWork, event_id: int
) -> tuple[dict[str, list[int]], dict[tuple[str, str], int], dict[str, int]]:
    """The active entries summed by the database: per kind (amount, count), per budget line,
    and per use (in-kind apart)."""
    shared = Revision.split_method.is_not(None)
    grouped = uow.session.execute(
        select(
            Revision.kind,
            Revision.category,
            Revision.in_kind,
            shared,
            func.sum(Revision.book_amount),
            func.count(),
        )
        .join(Entry, store.is_active_current())
        .where(Revision.event_id == event_id)
        .group_by(Revision.kind, Revision.category, Revision.in_kind, shared)
    ).all()
    totals: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    actual: dict[tuple[str, str], int] = defaultdict(int)
    by_use: dict[str, int] = defaultdict(int)
    for kind, category, in_kind, is_shared, summed, count in grouped:
        amount = int(summed or 0)
        totals[kind][0] += amount
        totals[kind][1] += count
        if kind != "transfer":  # money moving inside the group is no budget line
            actual[(kind, category)] += amount
        # A cost split among members is theirs, not the event's: it moves their balances and
        # writes nothing on the event's result (rules.Plan.legs), so the net result leaves it out
        # and matches the event's own balance.
        use = "shared" if kind in rules.OUTFLOWS and is_shared else kind
        by_use["in_kind" if in_kind else use] += amount
    return totals, actual, by_use


@OPERATIONS.get("/events/<int:event_id>/ledger/report/totals", access=Access.EVENT)
def report_totals(call: Call, event_id: int) -> ReportTotals:
    """The report's bottom line: income, costs and net result.

    One aggregate query, for the overview and the bot; for who may read the report.
    """
    uow = call.unit_of_work()
    principal = call.principal
    events = events_of(call)
    member(principal, event_id, Message("read the report"))
    with uow:
        book = store.find_book(uow, event_id)
        require_report(principal, book, "report")
        currency = book.currency if book else events.event(event_id).currency
        _totals, _actual, by_use = _grouped(uow, event_id)
        income = sum(by_use[k] for k in rules.INCOME)
        costs = sum(by_use[k] for k in rules.OUTFLOWS)
        return ReportTotals(
            currency=currency,
            income=format_minor(income, currency),
            costs=format_minor(costs, currency),
            net_result=format_minor(income - costs, currency),
            shared_costs=format_minor(by_use["shared"], currency),
        )


@OPERATIONS.get("/events/<int:event_id>/ledger/report", access=Access.EVENT)
def report(call: Call, event_id: int) -> Report:
    """Totals per kind and category, budget vs actual, net result, cash by holder and over time.

    All aggregated by the database.
    """
    uow = call.unit_of_work()
    principal = call.principal
    events = events_of(call)
    member(principal, event_id, Message("read the report"))
    with uow:
        book = store.find_book(uow, event_id)
        require_report(principal, book, "report")
        currency = book.currency if book else events.event(event_id).currency

        def money(minor: int) -> str:
            return format_minor(minor, currency)

        totals, actual, by_use = _grouped(uow, event_id)
        income = sum(by_use[k] for k in rules.INCOME)
        costs = sum(by_use[k] for k in rules.OUTFLOWS)
        planned = {
            (line.kind, line.category): line.planned
            for line in uow.session.scalars(
                select(BudgetLine).where(BudgetLine.event_id == event_id)
            )
        }
        holders, cash_total = _holders(uow, event_id, money)
        kinds = sorted(totals, key=_kind_rank)
        return Report(
            currency=currency,
            totals=[
                KindTotal.model_validate(
                    {"kind": k, "total": money(totals[k][0]), "count": totals[k][1]}
                )
                for k in kinds
            ],
            categories=_category_lines(actual, planned, money),
            income=money(income),
            costs=money(costs),
            net_result=money(income - costs),
            shared_costs=money(by_use["shared"]),
            investments=money(by_use["investment"]),
            in_kind=money(by_use["in_kind"]),
            cash_total=money(cash_total),
            cash=holders,
            over_time=_over_time(uow, event_id, money),
        )


@OPERATIONS.get("/events/<int:event_id>/ledger/audit", access=Access.EVENT)
def audit(call: Call, event_id: int, query: PageQuery) -> AuditPage:
    """Everything done to the ledger, newest first.

    Organizers, and members when the report is shared.
    """
    uow = call.unit_of_work()
    principal = call.principal
    member(principal, event_id, Message("read the audit trail"))
    with uow:
        require_report(principal, store.find_book(uow, event_id), "audit trail")
        condition = AuditRecord.event_id == event_id
        total = (
            uow.session.scalar(select(func.count()).select_from(AuditRecord).where(condition)) or 0
        )
        records = list(
            uow.session.scalars(
                select(AuditRecord)
                .where(condition)
                .order_by(AuditRecord.id.desc())
                .limit(query.limit)
                .offset(query.offset)
            )
        )
        names = store.names_of(uow, event_id, [r.actor_id for r in records])
        items = [
            AuditOut(
                id=r.id,
                at=r.at,
                actor_id=r.actor_id,
                actor_name=store.name_of(names, r.actor_id),
                action=r.action,
                entry_id=r.entry_id,
                revision=r.revision,
                summary=r.summary,
            )
            for r in records
        ]
        return AuditPage(items=items, total=total, limit=query.limit, offset=query.offset)
