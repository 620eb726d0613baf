"""Units of an item tracked by units (labelled, each in its own condition), and what happened to
an item and its units."""

from __future__ import annotations

from sqlalchemy import select

from tripbot.gear import OPERATIONS, store
from tripbot.gear.models import HistoryEntry, Unit
from tripbot.gear.schemas import HistoryOut, HistoryQuery, UnitCreate, UnitOut, UnitUpdate
from tripbot.gear.service import access
from tripbot.platform.db import utcnow
from tripbot.platform.errors import Conflict, InvalidInput, Message
from tripbot.platform.operations import Call


@OPERATIONS.get("/items/<int:item_id>/units")
def units(call: Call, item_id: int) -> list[UnitOut]:
    """An item's units, their condition and whether they are out."""
    uow, principal, club = call.unit_of_work(), call.principal, access.club_of(call)
    access.require_viewer(principal, club.people, store.item_scope(uow, item_id))
    with uow:
        store.find_item(uow.session, item_id)
        on_loan = store.units_on_loan(uow.session, item_id)
        units = uow.session.scalars(
            select(Unit)
            .where(Unit.item_id == item_id, Unit.retired_at.is_(None))
            .order_by(Unit.label, Unit.id)
        )
        return [store.unit_out(unit, on_loan) for unit in units]


@OPERATIONS.post("/items/<int:item_id>/units", status=201)
def add_unit(
    call: Call,
    item_id: int,
    data: UnitCreate,
) -> UnitOut:
    """Add a unit to an item tracked by units."""
    uow, principal, club = call.unit_of_work(), call.principal, access.club_of(call)
    access.require_manager(principal, club.people, store.item_scope(uow, item_id), "change gear")
    actor = principal.require_user()
    with uow:
        item = store.locked_item(uow, item_id)
        if item.tracking != "units":
            raise InvalidInput(
                Message("{item_name} is tracked by quantity; change its quantity instead"),
                field="label",
                item_name=item.name,
            )
        store.label_taken(uow.session, item, data.label)
        unit = store.new_unit(uow, item, data, actor)
        store.reconcile(uow, item, actor, club.policy.today())
        uow.commit()
        return store.unit_out(unit, set())


@OPERATIONS.patch("/items/<int:item_id>/units/<int:unit_id>")
def update_unit(call: Call, item_id: int, unit_id: int, data: UnitUpdate) -> UnitOut:
    """Relabel a unit or change its condition.

    Out of service, it leaves future availability, and the reservations it can no longer
    serve are flagged to their owners.
    """
    uow, principal, club = call.unit_of_work(), call.principal, access.club_of(call)
    access.require_manager(principal, club.people, store.item_scope(uow, item_id), "change gear")
    actor = principal.require_user()
    changes = data.model_dump(exclude_unset=True)
    with uow:
        item = store.locked_item(uow, item_id)
        unit = store.find_unit(uow.session, item, unit_id)
        for name, value in changes.items():
            if value is None:
                raise InvalidInput(Message("{field} cannot be empty"), field=name)
        if "label" in changes:
            store.label_taken(uow.session, item, changes["label"], unit.id)
        for name, value in changes.items():
            setattr(unit, name, value)
        store.log(
            uow,
            item.id,
            "unit.updated",
            actor,
            unit_id=unit.id,
            condition=unit.condition,
            note=unit.notes if "notes" in changes else ", ".join(sorted(changes)),
        )
        if "condition" in changes:
            store.reconcile(uow, item, actor, club.policy.today())
        uow.commit()
        return store.unit_out(unit, store.units_on_loan(uow.session, item.id))


@OPERATIONS.delete("/items/<int:item_id>/units/<int:unit_id>", status=204)
def retire_unit(call: Call, item_id: int, unit_id: int) -> None:
    """Retire a unit for good (not while it is out)."""
    uow, principal, club = call.unit_of_work(), call.principal, access.club_of(call)
    access.require_manager(principal, club.people, store.item_scope(uow, item_id), "change gear")
    actor = principal.require_user()
    with uow:
        item = store.locked_item(uow, item_id)
        unit = store.find_unit(uow.session, item, unit_id)
        if unit.id in store.units_on_loan(uow.session, item.id):
            raise Conflict(
                Message("unit {label} is out on loan; check it in first"), label=repr(unit.label)
            )
        unit.retired_at = utcnow()
        store.log(uow, item.id, "unit.retired", actor, unit_id=unit.id, note=unit.label)
        store.reconcile(uow, item, actor, club.policy.today())
        uow.commit()


@OPERATIONS.get("/items/<int:item_id>/history")
def history(call: Call, item_id: int, query: HistoryQuery | None = None) -> list[HistoryOut]:
    """The history of an item, or of one unit.

    Who reserved, took and returned it, in what condition and when; newest first. With
    `unit_id`, one unit's. History is never rewritten.
    """
    uow, principal, club = call.unit_of_work(), call.principal, access.club_of(call)
    unit_id = (query or HistoryQuery()).unit_id
    access.require_viewer(principal, club.people, store.item_scope(uow, item_id, retired=True))
    with uow:
        statement = (
            select(HistoryEntry, Unit.label)
            .outerjoin(Unit, Unit.id == HistoryEntry.unit_id)
            .where(HistoryEntry.item_id == item_id)
        )
        if unit_id is not None:
            statement = statement.where(HistoryEntry.unit_id == unit_id)
        rows = uow.session.execute(statement.order_by(HistoryEntry.id.desc()))
        return [
            HistoryOut(
                id=entry.id,
                at=entry.at,
                item_id=entry.item_id,
                unit_id=entry.unit_id,
                unit_label=label,
                reservation_id=entry.reservation_id,
                loan_id=entry.loan_id,
                action=entry.action,
                actor_id=entry.actor_id,
                user_id=entry.user_id,
                user_name=entry.user_name,
                quantity=entry.quantity,
                condition=entry.condition,
                note=entry.note,
            )
            for entry, label in rows
        ]
