"""The gear service's persistence: the queries its use cases share, the rows they write beside
their change (history lines, outbox changes) and the answers built from rows."""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import date, datetime
from functools import cache
from typing import Any, cast

from pydantic import BaseModel
from sqlalchemy import ColumnElement, Select, case, func, inspect, or_, select, union_all
from sqlalchemy.orm import Session

from tripbot.gear import rules
from tripbot.gear.models import (
    ACTIVE,
    Base,
    HistoryEntry,
    Item,
    Loan,
    Photo,
    Reservation,
    Unit,
    outbox,
)
from tripbot.gear.rules import Booking
from tripbot.gear.schemas import (
    ITEM_DETAILS,
    Availability,
    ItemOut,
    LoanOut,
    ReservationOut,
    Tracking,
    UnitCreate,
    UnitOut,
)
from tripbot.platform.db import UnitOfWork
from tripbot.platform.errors import Conflict, Message, NotFound
from tripbot.platform.outbox import record_change

NARROW_LISTS = 200
"""Up to this many items, counting what is free reads only their reservations."""


def changed(uow: UnitOfWork, topic: str, event_id: int | None, payload: dict[str, Any]) -> None:
    """Record a change in the outbox, in the same transaction as the change."""
    record_change(uow.session, outbox, topic, event_id, payload)


def log(uow: UnitOfWork, item_id: int, action: str, actor_id: int | None, **fields: Any) -> None:
    """Add a line to an item's history (never rewritten)."""
    uow.session.add(HistoryEntry(item_id=item_id, action=action, actor_id=actor_id, **fields))


def log_for(
    uow: UnitOfWork,
    reservation: Reservation,
    action: str,
    actor_id: int | None,
    **fields: Any,
) -> None:
    """A history line about a reservation (or one of its loans): who holds it and how many
    unless ``fields`` say otherwise."""
    known: dict[str, Any] = {
        "unit_id": reservation.unit_id,
        "reservation_id": reservation.id,
        "user_id": reservation.user_id,
        "user_name": reservation.user_name,
        "quantity": reservation.quantity,
    }
    log(uow, reservation.item_id, action, actor_id, **(known | fields))


def log_loan(  # noqa: PLR0917 - one history line's parts
    uow: UnitOfWork,
    reservation: Reservation,
    loan: Loan,
    action: str,
    actor_id: int,
    condition: str | None,
    note: str,
) -> None:
    """A history line about a loan of a reservation: going out or coming back."""
    log_for(
        uow,
        reservation,
        action,
        actor_id,
        unit_id=loan.unit_id,
        loan_id=loan.id,
        quantity=loan.quantity,
        condition=condition,
        note=note,
    )


def find_item(session: Session, item_id: int, *, lock: bool = False, retired: bool = False) -> Item:
    """An item (not retired unless asked), locked for the transaction if asked; NotFound if none."""
    query = select(Item).where(Item.id == item_id)
    if not retired:
        query = query.where(Item.retired_at.is_(None))
    item = session.scalar(query.with_for_update() if lock else query)
    if item is None:
        raise NotFound(Message("there is no item {item_id}"), item_id=item_id)
    return item


def item_scope(uow: UnitOfWork, item_id: int, *, retired: bool = False) -> int | None:
    """The event an item belongs to (None: the club's); it never changes once created."""
    with uow:
        return find_item(uow.session, item_id, retired=retired).event_id


def locked_item(uow: UnitOfWork, item_id: int) -> Item:
    """The item, locked until commit: reservations and loans of one item take turns."""
    uow.lock_for_write()
    return find_item(uow.session, item_id, lock=True)


def capacity(session: Session, item: Item) -> int:
    """How many of an item can be lent: those in service."""
    if item.tracking == "quantity":
        return item.quantity - item.out_of_service
    return (
        session.scalar(
            select(func.count()).where(
                Unit.item_id == item.id,
                Unit.retired_at.is_(None),
                Unit.condition != "out_of_service",
            )
        )
        or 0
    )


def _stock_query(*filters: ColumnElement[bool]) -> Select[*tuple[Any, ...]]:
    """Items with their units, units in service, quantity on loan and photo, in one query.

    Plain columns, not ORM objects: lists of thousands of items skip the identity map.
    """
    units = (
        select(
            Unit.item_id,
            func.count().label("units"),
            func.sum(case((Unit.condition != "out_of_service", 1), else_=0)).label("in_service"),
        )
        .where(Unit.retired_at.is_(None))
        .group_by(Unit.item_id)
        .subquery()
    )
    loans = (
        select(Loan.item_id, func.sum(Loan.quantity).label("on_loan"))
        .where(Loan.returned_at.is_(None))
        .group_by(Loan.item_id)
        .subquery()
    )
    return (
        select(
            Item.id,
            Item.event_id,
            Item.tracking,
            Item.quantity,
            Item.out_of_service,
            Item.created_at,
            Item.updated_at,
            func.coalesce(units.c.units, 0),
            func.coalesce(units.c.in_service, 0),
            func.coalesce(loans.c.on_loan, 0),
            Photo.item_id.is_not(None),
            *(getattr(Item, name) for name in ITEM_DETAILS),
        )
        .outerjoin(units, units.c.item_id == Item.id)
        .outerjoin(loans, loans.c.item_id == Item.id)
        .outerjoin(Photo, Photo.item_id == Item.id)
        .where(Item.retired_at.is_(None), *filters)
    )


@dataclass(frozen=True, slots=True)
class Stock:
    """An item and what there is of it, as the stock query reads it."""

    details: dict[str, Any]
    """What people say of the item (``ITEM_DETAILS``), by name."""
    id: int
    event_id: int | None
    tracking: Tracking
    quantity: int
    out_of_service: int
    created_at: datetime
    updated_at: datetime
    units: int
    in_service: int
    on_loan: int
    has_photo: bool

    @property
    def capacity(self) -> int:
        """How many can be lent: in service, out on loan or not."""
        if self.tracking == "quantity":
            return self.quantity - self.out_of_service
        return self.in_service


def stocks(session: Session, *filters: ColumnElement[bool]) -> list[Stock]:
    """Items with their stock, by category and name."""
    rows = session.execute(_stock_query(*filters).order_by(Item.category, Item.name, Item.id))
    known = len(fields(Stock)) - 1  # the columns before the details
    return [Stock(dict(zip(ITEM_DETAILS, row[known:], strict=True)), *row[:known]) for row in rows]


def item_out(stock: Stock, can_manage: bool, availability: Availability | None = None) -> ItemOut:
    """An item's answer from its stock."""
    units = stock.tracking == "units"
    return ItemOut(
        id=stock.id,
        event_id=stock.event_id,
        **stock.details,
        tracking=stock.tracking,
        quantity=stock.units if units else stock.quantity,
        in_service=stock.capacity,
        out_of_service=(stock.units - stock.in_service) if units else stock.out_of_service,
        on_loan=stock.on_loan,
        has_photo=bool(stock.has_photo),
        can_manage=can_manage,
        created_at=stock.created_at,
        updated_at=stock.updated_at,
        availability=availability,
    )


def bookings(
    session: Session, first: date, last: date, *filters: ColumnElement[bool]
) -> list[Booking]:
    """Reservations holding gear on some day of a window, in one query of two halves that
    each can use an index: those booked over the window, and loans still out after their
    last day (they hold their gear until they come back)."""
    columns = (
        Reservation.item_id,
        Reservation.start_date,
        Reservation.end_date,
        Reservation.quantity,
        Reservation.status,
    )
    booked = select(*columns).where(
        Reservation.status.in_(ACTIVE),
        Reservation.end_date >= first,
        Reservation.start_date <= last,
        *filters,
    )
    late = select(Loan.reservation_id).where(Loan.returned_at.is_(None), Loan.due_date < first)
    overdue = select(*columns).where(
        Reservation.id.in_(late), Reservation.status == "out", *filters
    )
    # Rows are tuples already: no copy of thousands of them into another shape.
    return cast(list[Booking], session.execute(union_all(booked, overdue)).all())


def one_stock(session: Session, item_id: int) -> Stock:
    """One item with its stock; NotFound if there is none."""
    found = stocks(session, Item.id == item_id)
    if not found:
        raise NotFound(Message("there is no item {item_id}"), item_id=item_id)
    return found[0]


def availability_of(
    session: Session, item: Item, first: date, last: date, today: date
) -> Availability:
    """What is free of one item each day of a window."""
    most = capacity(session, item)
    held = bookings(session, first, last, Reservation.item_id == item.id)
    used = rules.used_by_day([item.id], held, first, last, today)
    by_day: list[int] = rules.free_by_day([most], used)[0].tolist()
    return Availability(
        available_from=first, available_to=last, capacity=most, free=min(by_day), by_day=by_day
    )


def units_on_loan(session: Session, item_id: int) -> set[int]:
    """The units of an item that are out on loan."""
    return set(
        session.scalars(
            select(Loan.unit_id).where(
                Loan.item_id == item_id, Loan.returned_at.is_(None), Loan.unit_id.is_not(None)
            )
        )
    )


def columns_of(row: Base, answer: type[BaseModel]) -> dict[str, Any]:
    """The columns of ``row`` that ``answer`` carries under the same name: a column added to a
    table and to its answer needs no line here."""
    names = _shared(type(row), answer)
    return {name: getattr(row, name) for name in names}


@cache
def _shared(table: type[Base], answer: type[BaseModel]) -> tuple[str, ...]:
    """The names a table's columns and an answer's fields share, in the answer's order."""
    columns = set(inspect(table).column_attrs.keys())
    return tuple(name for name in answer.model_fields if name in columns)


def unit_out(unit: Unit, on_loan: set[int]) -> UnitOut:
    """A unit's answer."""
    return UnitOut(**columns_of(unit, UnitOut), on_loan=unit.id in on_loan)


def find_unit(session: Session, item: Item, unit_id: int) -> Unit:
    """A unit of an item still in the inventory; NotFound if none."""
    unit = session.get(Unit, unit_id)
    if unit is None or unit.item_id != item.id or unit.retired_at is not None:
        raise NotFound(
            Message("item {item_id} has no unit {unit_id}"), item_id=item.id, unit_id=unit_id
        )
    return unit


def label_taken(session: Session, item: Item, label: str, unit_id: int | None = None) -> None:
    # Compared in Python: SQLite's lower() folds ASCII only, so "Õ1" and "õ1" would both pass
    # the check and then one would break the unique index (a 500, found by the API fuzzer).
    """Refuse a unit label the item already has, in any case."""
    labels = session.scalars(
        select(Unit.label).where(Unit.item_id == item.id, Unit.id != (unit_id or 0))
    )
    if any(taken.casefold() == label.casefold() for taken in labels):
        raise Conflict(
            Message("{item_name} already has a unit labelled {label}"),
            field="label",
            item_name=item.name,
            label=repr(label),
        )


def new_unit(uow: UnitOfWork, item: Item, data: UnitCreate, actor: int) -> Unit:
    """Store a new unit of an item and its history line."""
    unit = Unit(item_id=item.id, label=data.label, condition=data.condition, notes=data.notes)
    uow.session.add(unit)
    uow.session.flush()
    log(
        uow,
        item.id,
        "unit.added",
        actor,
        unit_id=unit.id,
        condition=unit.condition,
        note=unit.label,
    )
    return unit


def reservation_out(
    reservation: Reservation, item_name: str, unit_label: str | None
) -> ReservationOut:
    """A reservation's answer."""
    return ReservationOut(
        **columns_of(reservation, ReservationOut), item_name=item_name, unit_label=unit_label
    )


def reservation_payload(reservation: Reservation, item: Item, by: int) -> dict[str, Any]:
    """What the outbox tells about a reservation."""
    return {
        "reservation_id": reservation.id,
        "item_id": item.id,
        "item_name": item.name,
        "quantity": reservation.quantity,
        "start_date": reservation.start_date.isoformat(),
        "end_date": reservation.end_date.isoformat(),
        "user_id": reservation.user_id,
        "user_name": reservation.user_name,
        "event_id": reservation.event_id,
        "event_name": reservation.event_name,
        "by": by,
    }


def label_of(session: Session, unit_id: int | None) -> str | None:
    """A unit's label, if there is a unit."""
    return None if unit_id is None else session.scalar(select(Unit.label).where(Unit.id == unit_id))


def reservations_query() -> Select[Reservation, str, str]:
    """Reservations with their item's name and unit's label."""
    return (
        select(Reservation, Item.name, Unit.label)
        .join(Item, Item.id == Reservation.item_id)
        .outerjoin(Unit, Unit.id == Reservation.unit_id)
    )


@dataclass(frozen=True)
class Whose:
    """Whose a reservation is: what its permissions depend on (read before asking others)."""

    id: int
    item_id: int
    user_id: int
    event_id: int | None
    item_event: int | None


def whose(uow: UnitOfWork, reservation_id: int) -> Whose:
    """Whose a reservation is (read before asking the events service); NotFound if none."""
    with uow:
        row = uow.session.execute(
            select(Reservation.item_id, Reservation.user_id, Reservation.event_id, Item.event_id)
            .join(Item, Item.id == Reservation.item_id)
            .where(Reservation.id == reservation_id)
        ).first()
    if row is None:
        raise NotFound(
            Message("there is no reservation {reservation_id}"), reservation_id=reservation_id
        )
    return Whose(reservation_id, *row)


def reconcile(uow: UnitOfWork, item: Item, actor: int, today: date) -> None:
    """Flag the reservations an item's stock can no longer serve, and clear the flags of those
    it can serve again. First come, first served: gear out on loan first, then reservations in
    the order they were made; the later ones that no longer fit are flagged to their owners."""
    session = uow.session
    session.flush()
    in_service = capacity(session, item)
    unusable = set(
        session.scalars(
            select(Unit.id).where(
                Unit.item_id == item.id,
                or_(Unit.condition == "out_of_service", Unit.retired_at.is_not(None)),
            )
        )
    )
    reservations = session.scalars(
        select(Reservation)
        .where(
            Reservation.item_id == item.id,
            Reservation.status.in_(ACTIVE),
            or_(Reservation.end_date >= today, Reservation.status == "out"),
        )
        .order_by(
            case((Reservation.status == "out", 0), else_=1), Reservation.created_at, Reservation.id
        )
    )
    held = list(reservations)
    for reservation, reason in zip(
        held, rules.flags(in_service, unusable, held, today), strict=True
    ):
        if reservation.status == "out" or reason == reservation.flag:
            continue
        reservation.flag = reason
        log(
            uow,
            item.id,
            "reservation.flagged" if reason else "reservation.unflagged",
            actor,
            reservation_id=reservation.id,
            user_id=reservation.user_id,
            user_name=reservation.user_name,
            note=reason or "",
        )
        changed(
            uow,
            "reservation.affected",
            reservation.event_id or item.event_id,
            {**reservation_payload(reservation, item, actor), "flag": reason},
        )


def loan_out(
    loan: Loan, reservation: Reservation, item_name: str, label: str | None, today: date
) -> LoanOut:
    """A loan's answer, with whether it is overdue today."""
    overdue = loan.returned_at is None and loan.due_date < today
    # The loan's own columns (its id, quantity, unit) over the reservation's, which say whose
    # it is and for which event.
    return LoanOut(
        **(columns_of(reservation, LoanOut) | columns_of(loan, LoanOut)),
        item_name=item_name,
        unit_label=label,
        overdue=overdue,
        days_overdue=(today - loan.due_date).days if overdue else 0,
    )


def loans_query() -> Select[Loan, Reservation, str, str]:
    """Loans with their reservation, item's name and unit's label."""
    return (
        select(Loan, Reservation, Item.name, Unit.label)
        .join(Reservation, Reservation.id == Loan.reservation_id)
        .join(Item, Item.id == Loan.item_id)
        .outerjoin(Unit, Unit.id == Loan.unit_id)
    )


def state_filter(state: str, today: date) -> list[ColumnElement[bool]]:
    """The conditions of a loans list's state: out, overdue, returned or any."""
    if state == "out":
        return [Loan.returned_at.is_(None)]
    if state == "overdue":
        return [Loan.returned_at.is_(None), Loan.due_date < today]
    if state == "returned":
        return [Loan.returned_at.is_not(None)]
    return []


def loans_of(
    uow: UnitOfWork, statement: Select[Loan, Reservation, str, str], today: date
) -> list[LoanOut]:
    """The loans a statement finds, due soonest first."""
    with uow:
        rows = uow.session.execute(statement.order_by(Loan.due_date, Loan.id))
        return [
            loan_out(loan, reservation, name, label, today)
            for loan, reservation, name, label in rows
        ]
