"""An event's budget and the ledger's settings."""

from __future__ import annotations

from sqlalchemy import delete, select

from tripbot.ledger import OPERATIONS, rules, store
from tripbot.ledger.models import (
    BudgetLine,
)
from tripbot.ledger.money import MAX_AMOUNT, MoneyError, format_minor, parse_decimal, to_minor
from tripbot.ledger.schemas import (
    BudgetLineOut,
    BudgetOut,
    BudgetUpdate,
    FieldProblem,
    LedgerSettings,
    SettingsUpdate,
)
from tripbot.ledger.service.access import (
    currency_of,
    events_of,
    member,
    organizer,
    require_report,
)
from tripbot.platform.db import UnitOfWork
from tripbot.platform.errors import (
    Message,
)
from tripbot.platform.operations import Access, Call


def _budget_out(uow: UnitOfWork, event_id: int, currency: str) -> BudgetOut:
    lines = uow.session.scalars(
        select(BudgetLine)
        .where(BudgetLine.event_id == event_id)
        .order_by(BudgetLine.kind, BudgetLine.category)
    )
    return BudgetOut(
        currency=currency,
        lines=[
            BudgetLineOut.model_validate(
                {
                    "kind": line.kind,
                    "category": line.category,
                    "planned": format_minor(line.planned, currency),
                }
            )
            for line in lines
        ],
    )


@OPERATIONS.get("/events/<int:event_id>/ledger/budget", access=Access.EVENT)
def budget(call: Call, event_id: int) -> BudgetOut:
    """The budget: the amount planned per kind and category.

    Organizers, and members when the report is shared.
    """
    uow = call.unit_of_work()
    principal = call.principal
    events = events_of(call)
    member(principal, event_id, Message("read the budget"))
    with uow:
        require_report(principal, store.find_book(uow, event_id), "budget")
        return _budget_out(uow, event_id, currency_of(uow, events, event_id))


def _planned(data: BudgetUpdate, currency: str) -> dict[tuple[str, str], int]:
    problems: list[FieldProblem] = []
    planned: dict[tuple[str, str], int] = {}
    for index, line in enumerate(data.lines):
        where = f"lines.{index}.planned"
        try:
            value = parse_decimal(line.planned)
            minor = to_minor(value, currency)
        except MoneyError as error:
            problems.append(FieldProblem.of(where, error.message))
            continue
        if not 0 <= value <= MAX_AMOUNT:
            largest = f"{MAX_AMOUNT:,}"
            problems.append(
                FieldProblem.of(
                    where, Message("must be from 0 to {largest}").filled(largest=largest)
                )
            )
        if (line.kind, line.category) in planned:
            message = Message("{kind} in category {category} is already planned above").filled(
                kind=line.kind, category=repr(line.category)
            )
            problems.append(FieldProblem.of(f"lines.{index}", message))
        planned[(line.kind, line.category)] = minor
    if problems:
        raise rules.invalid(problems)
    return planned


@OPERATIONS.put("/events/<int:event_id>/ledger/budget", access=Access.EVENT)
def set_budget(call: Call, event_id: int, data: BudgetUpdate) -> BudgetOut:
    """Replace the budget (organizers); before and after stay in the audit trail."""
    uow = call.unit_of_work()
    principal = call.principal
    events = events_of(call)
    author = organizer(principal, event_id, Message("change the budget"))
    event = events.event(event_id)
    with uow:
        uow.lock_for_write()
        book = store.open_book(uow, event)
        planned = _planned(data, book.currency)
        before = _budget_out(uow, event_id, book.currency)
        uow.session.execute(delete(BudgetLine).where(BudgetLine.event_id == event_id))
        uow.session.add_all(
            BudgetLine(event_id=event_id, kind=kind, category=category, planned=amount)
            for (kind, category), amount in planned.items()
        )
        uow.session.flush()
        after = _budget_out(uow, event_id, book.currency)
        summary = {
            "before": [line.model_dump() for line in before.lines],
            "after": [line.model_dump() for line in after.lines],
        }
        store.audit(uow, event_id, author, "budget.changed", summary)
        total = format_minor(sum(planned.values()), book.currency)
        store.changed(
            uow,
            "budget.changed",
            event_id,
            {
                "lines": len(planned),
                "planned_total": total,
                "currency": book.currency,
                "by": author,
            },
        )
        uow.commit()
        return after


@OPERATIONS.get("/events/<int:event_id>/ledger/settings", access=Access.EVENT)
def settings(call: Call, event_id: int) -> LedgerSettings:
    """The ledger's currency and who may read its report."""
    uow = call.unit_of_work()
    principal = call.principal
    events = events_of(call)
    member(principal, event_id, Message("read the ledger"))
    with uow:
        book = store.find_book(uow, event_id)
        if book is None:
            return LedgerSettings(currency=events.event(event_id).currency, visibility="organizers")
        return LedgerSettings.model_validate(book, from_attributes=True)


@OPERATIONS.patch("/events/<int:event_id>/ledger/settings", access=Access.EVENT)
def change_settings(call: Call, event_id: int, data: SettingsUpdate) -> LedgerSettings:
    """Share the report with every member, or keep it to organizers (organizers)."""
    uow = call.unit_of_work()
    principal = call.principal
    events = events_of(call)
    author = organizer(principal, event_id, Message("change who reads the report"))
    event = events.event(event_id)
    with uow:
        uow.lock_for_write()
        book = store.open_book(uow, event)
        if book.visibility != data.visibility:
            summary = {"visibility": [book.visibility, data.visibility]}
            book.visibility = data.visibility
            store.audit(uow, event_id, author, "settings.changed", summary)
            store.changed(
                uow,
                "ledger.settings_changed",
                event_id,
                {"visibility": data.visibility, "by": author},
            )
        uow.commit()
        return LedgerSettings.model_validate(book, from_attributes=True)
