"""Loans: handing gear out (a reservation's, or free gear on the spot), taking it back in its
condition, and the loans out, overdue or returned."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tripbot.gear import OPERATIONS, rules, store
from tripbot.gear.models import Item, Loan, Reservation, Unit
from tripbot.gear.schemas import CheckIn, CheckOut, LoanOut, LoanQuery, ReservationCreate
from tripbot.gear.service import access, reservations
from tripbot.platform.db import UnitOfWork, utcnow
from tripbot.platform.errors import Conflict, InvalidInput, Message, NotFound
from tripbot.platform.operations import Call


def pick_units(
    session: Session, item: Item, reservation: Reservation, chosen: Sequence[int], today: date
) -> list[Unit]:
    """The units to hand out: those asked for, or the best free ones (newest condition first)."""
    on_loan = store.units_on_loan(session, item.id)
    promised = set(
        session.scalars(
            select(Reservation.unit_id).where(
                Reservation.item_id == item.id,
                Reservation.id != reservation.id,
                Reservation.status == "reserved",
                Reservation.unit_id.is_not(None),
                Reservation.start_date <= reservation.end_date,
                Reservation.end_date >= today,
            )
        )
    )
    if reservation.unit_id is not None:
        if chosen and list(chosen) != [reservation.unit_id]:
            raise InvalidInput(
                Message("unit_ids: reservation {reservation_id} is for unit {unit_id}"),
                field="unit_ids",
                reservation_id=reservation.id,
                unit_id=reservation.unit_id,
            )
        chosen = [reservation.unit_id]
    if chosen:
        if len(chosen) != reservation.quantity:
            raise InvalidInput(
                Message("unit_ids: give {quantity} unit(s), one per unit reserved"),
                field="unit_ids",
                quantity=reservation.quantity,
            )
        units = [store.find_unit(session, item, unit_id) for unit_id in chosen]
        for unit in units:
            if unit.condition == "out_of_service":
                raise Conflict(
                    Message("unit {label} is out of service"),
                    field="unit_ids",
                    label=repr(unit.label),
                )
            if unit.id in on_loan:
                raise Conflict(
                    Message("unit {label} is already out on loan"),
                    field="unit_ids",
                    label=repr(unit.label),
                )
            if unit.id in promised:
                raise Conflict(
                    Message("unit {label} is reserved by someone else on these days"),
                    field="unit_ids",
                    label=repr(unit.label),
                )
        return units
    free = [
        unit
        for unit in session.scalars(
            select(Unit).where(
                Unit.item_id == item.id,
                Unit.retired_at.is_(None),
                Unit.condition != "out_of_service",
            )
        )
        if unit.id not in on_loan and unit.id not in promised
    ]
    if len(free) < reservation.quantity:
        raise Conflict(
            Message(
                "only {available} unit(s) of {item_name} are here to hand out; {quantity} needed"
            ),
            available=len(free),
            item_name=item.name,
            quantity=reservation.quantity,
        )
    free.sort(key=lambda unit: rules.hand_out_order(unit.condition, unit.label, unit.id))
    return free[: reservation.quantity]


@OPERATIONS.post("/loans", status=201)
def check_out(call: Call, data: CheckOut) -> list[LoanOut]:
    """Check gear out.

    A reservation (`reservation_id`) on one of its days, or free gear on the spot (`item_id`,
    `quantity`, `end_date`, `user_id`). Gear keepers for the club's gear; organizers for an
    event's.
    """
    uow, principal, club = call.unit_of_work(), call.principal, access.club_of(call)
    actor = principal.require_user()
    today = club.policy.today()
    if data.reservation_id is not None:
        found = store.whose(uow, data.reservation_id)
        item_id, item_event = found.item_id, found.item_event
    else:
        assert data.item_id is not None  # the schema asks for one of the two
        item_id, item_event = data.item_id, store.item_scope(uow, data.item_id)
    access.require_manager(principal, club.people, item_event, "hand out gear")
    holder = None
    if data.reservation_id is None:
        assert data.end_date is not None  # the schema asks for it with item_id
        rules.check_dates(club.policy, today, data.end_date)
        borrower = data.user_id or actor
        name = club.people.my_name() if borrower == actor else club.people.name_of(borrower)
        holder = access.Holder(borrower, name)
    with uow:
        item = store.locked_item(uow, item_id)
        if holder is None:
            reservation = uow.session.get(Reservation, data.reservation_id)
            assert reservation is not None  # reservations are never deleted
            ready_to_go(reservation, today)
        else:
            assert data.end_date is not None
            walk_up = ReservationCreate(
                item_id=item.id,
                quantity=data.quantity,
                start_date=today,
                end_date=data.end_date,
                note=data.note,
            )
            reservation = reservations.book(uow, item, club.policy, walk_up, holder)
        loans = hand_out(uow, item, reservation, data, actor=actor, today=today)
        uow.commit()
        labels = {
            unit.id: unit.label
            for unit in uow.session.scalars(select(Unit).where(Unit.item_id == item.id))
        }
        return [
            store.loan_out(loan, reservation, item.name, labels.get(loan.unit_id or 0), today)
            for loan in loans
        ]


def ready_to_go(reservation: Reservation, today: date) -> None:
    """Refuse to hand out a reservation not waiting to go out, or not on one of its days."""
    if reservation.status != "reserved":
        raise Conflict(
            Message("reservation {reservation_id} is {reservation_status}, not waiting to go out"),
            reservation_id=reservation.id,
            reservation_status=reservation.status,
        )
    if today < reservation.start_date:
        raise Conflict(
            Message(
                "reservation {reservation_id} starts on {start_date}; "
                "its gear goes out from that day"
            ),
            reservation_id=reservation.id,
            start_date=reservation.start_date.isoformat(),
        )
    if today > reservation.end_date:
        raise Conflict(
            Message("reservation {reservation_id} ended on {end_date}"),
            reservation_id=reservation.id,
            end_date=reservation.end_date.isoformat(),
        )


def hand_out(
    uow: UnitOfWork,
    item: Item,
    reservation: Reservation,
    data: CheckOut,
    *,
    actor: int,
    today: date,
) -> list[Loan]:
    """Store the loans of a reservation going out (units picked, or a quantity here)."""
    session = uow.session
    if item.tracking == "units":
        units = pick_units(session, item, reservation, data.unit_ids, today)
        loans = [
            Loan(
                reservation_id=reservation.id,
                item_id=item.id,
                unit_id=unit.id,
                quantity=1,
                due_date=reservation.end_date,
                checked_out_by=actor,
                condition_out=unit.condition,
                note_out=data.note,
            )
            for unit in units
        ]
    else:
        if data.unit_ids:
            raise InvalidInput(
                Message("{field}: {item_name} is tracked by quantity"),
                field="unit_ids",
                item_name=item.name,
            )
        out_now = (
            session.scalar(
                select(func.coalesce(func.sum(Loan.quantity), 0)).where(
                    Loan.item_id == item.id, Loan.returned_at.is_(None)
                )
            )
            or 0
        )
        here = store.capacity(session, item) - out_now
        if here < reservation.quantity:
            raise Conflict(
                Message("only {available} of {item_name} are here to hand out; {quantity} needed"),
                available=max(here, 0),
                item_name=item.name,
                quantity=reservation.quantity,
            )
        units = []
        loans = [
            Loan(
                reservation_id=reservation.id,
                item_id=item.id,
                quantity=reservation.quantity,
                due_date=reservation.end_date,
                checked_out_by=actor,
                note_out=data.note,
            )
        ]
    session.add_all(loans)
    reservation.status = "out"
    session.flush()
    for loan in loans:
        store.log_loan(
            uow, reservation, loan, "loan.checked_out", actor, loan.condition_out, data.note
        )
    store.changed(
        uow,
        "loan.checked_out",
        reservation.event_id or item.event_id,
        {
            **store.reservation_payload(reservation, item, actor),
            "loan_ids": [loan.id for loan in loans],
            "units": [unit.label for unit in units],
            "due_date": reservation.end_date.isoformat(),
        },
    )
    return loans


@OPERATIONS.post("/loans/<int:loan_id>/check-in")
def check_in(
    call: Call,
    loan_id: int,
    data: CheckIn,
) -> LoanOut:
    """Check gear back in with its condition (409 if it is not out)."""
    uow, principal, club = call.unit_of_work(), call.principal, access.club_of(call)
    actor = principal.require_user()
    today = club.policy.today()
    with uow:
        found = uow.session.execute(
            select(Loan.item_id, Item.event_id)
            .join(Item, Item.id == Loan.item_id)
            .where(Loan.id == loan_id)
        ).first()
    if found is None:
        raise NotFound(Message("there is no loan {loan_id}"), loan_id=loan_id)
    item_id, item_event = found
    access.require_manager(principal, club.people, item_event, "take gear back")
    with uow:
        item = store.locked_item(uow, item_id)
        loan = uow.session.get(Loan, loan_id)
        assert loan is not None  # loans are never deleted
        if loan.returned_at is not None:
            raise Conflict(
                Message("loan {loan_id} is not out: it was checked in on {returned_on}"),
                loan_id=loan_id,
                returned_on=loan.returned_at.date().isoformat(),
            )
        reservation = uow.session.get(Reservation, loan.reservation_id)
        assert reservation is not None
        unit = None
        if loan.unit_id is not None:
            if data.condition is None:
                raise InvalidInput(
                    Message("condition: say in what condition the unit came back"),
                    field="condition",
                )
            if data.out_of_service:
                raise InvalidInput(
                    Message("out_of_service: a unit comes back with a condition, not a count"),
                    field="out_of_service",
                )
            unit = uow.session.get(Unit, loan.unit_id)
            assert unit is not None
            unit.condition = data.condition
            broken = data.condition == "out_of_service"
        else:
            if data.out_of_service > loan.quantity:
                raise InvalidInput(
                    Message("out_of_service: {out_of_service} is more than the {quantity} lent"),
                    field="out_of_service",
                    out_of_service=data.out_of_service,
                    quantity=loan.quantity,
                )
            item.out_of_service = min(item.out_of_service + data.out_of_service, item.quantity)
            broken = data.out_of_service > 0
        loan.returned_at = utcnow()
        loan.returned_by = actor
        loan.condition_in = data.condition
        loan.note_in = data.note
        loan.out_of_service = data.out_of_service
        uow.session.flush()
        still_out = uow.session.scalar(
            select(func.count()).where(
                Loan.reservation_id == reservation.id, Loan.returned_at.is_(None)
            )
        )
        if not still_out:
            reservation.status = "returned"
        store.log_loan(uow, reservation, loan, "loan.checked_in", actor, data.condition, data.note)
        store.changed(
            uow,
            "loan.checked_in",
            reservation.event_id or item.event_id,
            {
                **store.reservation_payload(reservation, item, actor),
                "loan_id": loan.id,
                "unit": unit.label if unit else None,
                "condition": data.condition,
                "out_of_service": data.out_of_service,
                "note": data.note,
            },
        )
        if broken:
            store.reconcile(uow, item, actor, today)
        uow.commit()
        return store.loan_out(loan, reservation, item.name, unit.label if unit else None, today)


@OPERATIONS.get("/loans")
def loans(call: Call, query: LoanQuery | None = None) -> list[LoanOut]:
    """Loans out, overdue or returned: yours, an event's, or the club's (gear keepers)."""
    uow, principal, club = call.unit_of_work(), call.principal, access.club_of(call)
    query = query or LoanQuery()
    today = club.policy.today()
    statement = store.loans_query().where(
        access.scope_filter(principal, club.people, query.scope, query.event_id),
        *store.state_filter(query.state, today),
    )
    if query.item_id is not None:
        statement = statement.where(Loan.item_id == query.item_id)
    return store.loans_of(uow, statement, today)


@OPERATIONS.get("/loans/overdue")
def overdue(call: Call) -> list[LoanOut]:
    """Loans past their last day: the club's for gear keepers, your own for everyone."""
    uow, principal, club = call.unit_of_work(), call.principal, access.club_of(call)
    today = club.policy.today()
    statement = store.loans_query().where(*store.state_filter("overdue", today))
    if not principal.system:
        user_id = principal.require_user()
        statement = statement.where(
            Item.event_id.is_(None)
            if access.is_keeper(principal)
            else Reservation.user_id == user_id
        )
    return store.loans_of(uow, statement, today)
