"""Reservations: booking gear for a range of days without ever overbooking, reading and
cancelling them, and what becomes of them when their event is deleted."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from tripbot.gear import OPERATIONS, rules, store
from tripbot.gear.models import ACTIVE, Item, Reservation, Unit, idempotency_keys
from tripbot.gear.schemas import (
    BasketCreate,
    ReservationCreate,
    ReservationOut,
    ReservationQuery,
)
from tripbot.gear.service import access
from tripbot.platform import idempotency
from tripbot.platform.db import UnitOfWork, utcnow
from tripbot.platform.errors import Conflict, DomainError, InvalidInput, Message
from tripbot.platform.operations import Call, IdempotencyKey

NOT_ENOUGH_FREE: dict[int | str, Any] = {
    409: "Not enough is free: `available` is the least free on any day"
}


@OPERATIONS.post("/reservations", status=201, responses=NOT_ENOUGH_FREE)
def reserve(call: Call, data: ReservationCreate, key: IdempotencyKey = None) -> ReservationOut:
    """Reserve gear for a range of days.

    Whole days, both included, in the club's time zone; for yourself, or for an event you
    organize (`event_id`); a specific unit (`unit_id`) or any `quantity`. It succeeds only if
    enough is free on every day; otherwise 409 with `available` (the least free on any day)
    and `by_day`. Send an `Idempotency-Key` header to retry safely.
    """
    uow, principal, club = call.unit_of_work(), call.principal, access.club_of(call)
    rules.check_dates(club.policy, data.start_date, data.end_date)
    holder = access.reservation_holder(
        principal, club.people, store.item_scope(uow, data.item_id), data
    )
    with uow:
        uow.lock_for_write()
        if key is not None:
            scope = f"reserve:{holder.user_id}"
            body = data.model_dump(mode="json")
            answered = idempotency.claim(uow.session, idempotency_keys, scope, key, body)
            if answered is not None:
                return ReservationOut.model_validate(answered)
        item = store.find_item(uow.session, data.item_id, lock=True)
        reservation = book(uow, item, club.policy, data, holder)
        out = store.reservation_out(
            reservation, item.name, store.label_of(uow.session, reservation.unit_id)
        )
        if key is not None:
            idempotency.complete(
                uow.session, idempotency_keys, scope, key, out.model_dump(mode="json")
            )
        uow.commit()
        return out


@OPERATIONS.post("/reservations/basket", status=201, responses=NOT_ENOUGH_FREE)
def reserve_basket(
    call: Call, data: BasketCreate, key: IdempotencyKey = None
) -> list[ReservationOut]:
    """Reserve several items over the same days, all or nothing.

    Each line is checked as a reservation of its own (who may reserve it, what is free on
    every day, counting the lines before it); if one line cannot be served the answer is its
    refusal, with the line's `item_id`, and nothing is reserved. Send an `Idempotency-Key`
    header to retry safely.
    """
    uow, principal, club = call.unit_of_work(), call.principal, access.club_of(call)
    rules.check_dates(club.policy, data.start_date, data.end_date)
    asked = [data.reservation(line) for line in data.lines]
    holders = []
    for line in asked:
        with naming(line.item_id):
            scope_of_item = store.item_scope(uow, line.item_id)
            holders.append(access.reservation_holder(principal, club.people, scope_of_item, line))
    with uow:
        uow.lock_for_write()
        scope = f"basket:{holders[0].user_id}"
        if key is not None:
            body = data.model_dump(mode="json")
            answered = idempotency.claim(uow.session, idempotency_keys, scope, key, body)
            if answered is not None:
                return [ReservationOut.model_validate(one) for one in answered["reservations"]]
        # Items locked in id order, so two baskets sharing items cannot deadlock.
        items = {}
        for item_id in sorted({line.item_id for line in asked}):
            with naming(item_id):
                items[item_id] = store.find_item(uow.session, item_id, lock=True)
        made = []
        for line, holder in zip(asked, holders, strict=True):
            item = items[line.item_id]
            with naming(item.id):
                reservation = book(uow, item, club.policy, line, holder)
            made.append(
                store.reservation_out(
                    reservation, item.name, store.label_of(uow.session, reservation.unit_id)
                )
            )
        if key is not None:
            idempotency.complete(
                uow.session,
                idempotency_keys,
                scope,
                key,
                {"reservations": [one.model_dump(mode="json") for one in made]},
            )
        uow.commit()
        return made


@contextmanager
def naming(item_id: int) -> Iterator[None]:
    """A refusal within says which item (`item_id`) of a basket it is about."""
    try:
        yield
    except DomainError as error:
        error.extensions.setdefault("item_id", item_id)
        raise


def book(
    uow: UnitOfWork,
    item: Item,
    policy: rules.GearPolicy,
    data: ReservationCreate,
    holder: access.Holder,
) -> Reservation:
    """Check what is free and store a reservation; the item is locked by the caller."""
    today = policy.today()
    if data.unit_id is not None:
        if item.tracking != "units":
            raise InvalidInput(
                Message("{field}: {item_name} is tracked by quantity"),
                field="unit_id",
                item_name=item.name,
            )
        unit_is_free(
            uow.session,
            item,
            store.find_unit(uow.session, item, data.unit_id),
            data.start_date,
            data.end_date,
        )
    short = short_of(uow.session, item, data, today)
    if short is not None:
        raise short
    reservation = Reservation(
        item_id=item.id,
        unit_id=data.unit_id,
        quantity=data.quantity,
        start_date=data.start_date,
        end_date=data.end_date,
        user_id=holder.user_id,
        user_name=holder.user_name,
        event_id=holder.event_id,
        event_name=holder.event_name,
        status="reserved",
        note=data.note,
        created_by=holder.made_by or holder.user_id,
    )
    uow.session.add(reservation)
    uow.session.flush()
    store.log_for(
        uow,
        reservation,
        "reservation.made",
        holder.made_by or holder.user_id,
        note=f"{data.start_date.isoformat()}..{data.end_date.isoformat()}",
    )
    store.changed(
        uow,
        "reservation.made",
        reservation.event_id or item.event_id,
        store.reservation_payload(reservation, item, holder.made_by or holder.user_id),
    )
    return reservation


def short_of(session: Session, item: Item, data: ReservationCreate, today: date) -> Conflict | None:
    """The 409 to answer if the quantity asked is not free on every day, with what is free."""
    first, last, quantity = data.start_date, data.end_date, data.quantity
    availability = store.availability_of(session, item, first, last, today)
    if availability.free >= quantity:
        return None
    days = rules.days_between(first, last)
    return Conflict(
        Message(
            "only {available} of {item_name} free on every day from {first_day} to {last_day}; "
            "{quantity} asked"
        ),
        available=availability.free,
        item_name=repr(item.name),
        first_day=first.isoformat(),
        last_day=last.isoformat(),
        quantity=quantity,
        by_day=[
            {"day": day.isoformat(), "free": free}
            for day, free in zip(days, availability.by_day, strict=True)
        ],
    )


def unit_is_free(session: Session, item: Item, unit: Unit, first: date, last: date) -> None:
    """Refuse a unit out of service or already reserved on some of the days."""
    if unit.condition == "out_of_service":
        raise Conflict(
            Message("unit {label} of {item_name} is out of service"),
            field="unit_id",
            label=repr(unit.label),
            item_name=item.name,
        )
    taken = session.scalar(
        select(Reservation.id).where(
            Reservation.unit_id == unit.id,
            Reservation.status.in_(ACTIVE),
            Reservation.start_date <= last,
            Reservation.end_date >= first,
        )
    )
    if taken is not None:
        raise Conflict(
            Message("unit {label} of {item_name} is already reserved on some of these days"),
            field="unit_id",
            label=repr(unit.label),
            item_name=item.name,
        )


@OPERATIONS.get("/reservations")
def reservations(call: Call, query: ReservationQuery | None = None) -> list[ReservationOut]:
    """Reservations: yours, an event's, or the club's.

    `scope=mine` (yours), `scope=event&event_id=` (an event's, for its members) or
    `scope=all` (all of the club's gear, gear keepers). A `flag` says why a reservation can
    no longer be served as booked.
    """
    uow, principal, club = call.unit_of_work(), call.principal, access.club_of(call)
    query = query or ReservationQuery()
    scope = access.scope_filter(principal, club.people, query.scope, query.event_id)
    statement = store.reservations_query().where(scope)
    if query.item_id is not None:
        statement = statement.where(Reservation.item_id == query.item_id)
    if query.status == "active":
        statement = statement.where(Reservation.status.in_(ACTIVE))
    elif query.status != "any":
        statement = statement.where(Reservation.status == query.status)
    with uow:
        rows = uow.session.execute(statement.order_by(Reservation.start_date, Reservation.id))
        return [store.reservation_out(r, name, label) for r, name, label in rows]


@OPERATIONS.get("/reservations/<int:reservation_id>")
def reservation(call: Call, reservation_id: int) -> ReservationOut:
    """One reservation."""
    uow, principal, club = call.unit_of_work(), call.principal, access.club_of(call)
    access.may_see_reservation(
        principal, club.people, store.whose(uow, reservation_id), manage=False
    )
    with uow:
        row = uow.session.execute(
            store.reservations_query().where(Reservation.id == reservation_id)
        ).one()
        return store.reservation_out(*row)


@OPERATIONS.post("/reservations/<int:reservation_id>/cancel")
def cancel(call: Call, reservation_id: int) -> ReservationOut:
    """Cancel a reservation not yet checked out.

    Its owner, the gear's keepers, and the organizers of the event it is for may.
    """
    uow, principal, club = call.unit_of_work(), call.principal, access.club_of(call)
    actor = principal.require_user()
    found = store.whose(uow, reservation_id)
    access.may_see_reservation(principal, club.people, found, manage=True)
    with uow:
        item = store.locked_item(uow, found.item_id)
        reservation = uow.session.get(Reservation, reservation_id)
        assert reservation is not None  # reservations are never deleted
        if reservation.status != "reserved":
            raise Conflict(
                Message(
                    "reservation {reservation_id} is {reservation_status}; only a reservation not "
                    "yet checked out can be cancelled"
                ),
                reservation_id=reservation_id,
                reservation_status=reservation.status,
            )
        reservation.status = "cancelled"
        reservation.cancelled_at = utcnow()
        store.log_for(uow, reservation, "reservation.cancelled", actor)
        store.changed(
            uow,
            "reservation.cancelled",
            reservation.event_id or item.event_id,
            store.reservation_payload(reservation, item, actor),
        )
        store.reconcile(uow, item, actor, club.policy.today())
        uow.commit()
        return store.reservation_out(
            reservation, item.name, store.label_of(uow.session, reservation.unit_id)
        )


def forget_event(uow: UnitOfWork, policy: rules.GearPolicy, event_id: int) -> int:
    """An event was deleted: cancel its reservations not yet checked out, so its gear is free
    again (gear out on loan stays out until it is checked in); the number cancelled. Running it
    twice cancels nothing more."""
    with uow:
        uow.lock_for_write()
        pending = list(
            uow.session.scalars(
                select(Reservation)
                .where(Reservation.event_id == event_id, Reservation.status == "reserved")
                .order_by(Reservation.id)
            )
        )
        items: dict[int, Item] = {}
        for reservation in pending:
            item = items.get(reservation.item_id) or store.find_item(
                uow.session, reservation.item_id, lock=True
            )
            items[item.id] = item
            reservation.status = "cancelled"
            reservation.cancelled_at = utcnow()
            reservation.flag = rules.EVENT_DELETED
            store.log_for(uow, reservation, "reservation.cancelled", None)
            store.changed(
                uow,
                "reservation.cancelled",
                event_id,
                {**store.reservation_payload(reservation, item, 0), "reason": "event deleted"},
            )
        for item in items.values():
            store.reconcile(uow, item, 0, policy.today())
        uow.commit()
        return len(pending)


def merge_person(uow: UnitOfWork, guest_id: int, user_id: int, name: str) -> int:
    """A guest's place was claimed by another account: the reservations made for the guest are
    now that person's, each with a history line saying so (the history itself is never
    rewritten); the number of reservations handed over. Running it twice changes nothing
    more."""
    with uow:
        uow.lock_for_write()
        held = list(uow.session.scalars(select(Reservation).where(Reservation.user_id == guest_id)))
        for reservation in held:
            guest_name = reservation.user_name
            reservation.user_id, reservation.user_name = user_id, name
            store.log_for(uow, reservation, "reservation.claimed", user_id, note=guest_name)
        uow.commit()
        return len(held)
