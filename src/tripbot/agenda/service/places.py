"""An event's places: where its activities happen, and how many fit."""

from __future__ import annotations

import uuid

from sqlalchemy import func, select

from tripbot.agenda import OPERATIONS
from tripbot.agenda.models import Activity, Place
from tripbot.agenda.schemas import PlaceCreate, PlaceOut, PlaceUpdate
from tripbot.agenda.service.access import READ, changed, writer
from tripbot.platform.db import UnitOfWork, utcnow
from tripbot.platform.errors import Conflict, InvalidInput, Message, NotFound
from tripbot.platform.operations import Access, Call

EVENT = "/events/<int:event_id>"


def place_out(place: Place) -> PlaceOut:
    """A place as the agenda shows it."""
    return PlaceOut.model_validate(place, from_attributes=True)


def _place(uow: UnitOfWork, event_id: int, place_id: int) -> Place:
    place = uow.session.get(Place, place_id)
    if place is None or place.event_id != event_id:
        raise NotFound(
            Message("there is no place {place_id} in event {event_id}"),
            place_id=place_id,
            event_id=event_id,
        )
    return place


def _name_taken(uow: UnitOfWork, event_id: int, name: str, but: int | None = None) -> None:
    query = select(Place.id).where(Place.event_id == event_id, Place.name == name)
    if but is not None:
        query = query.where(Place.id != but)
    if uow.session.scalar(query) is not None:
        raise Conflict(
            Message("this event already has a place called {name}"), field="name", name=repr(name)
        )


@OPERATIONS.get(f"{EVENT}/places", access=Access.EVENT)
def list_places(call: Call, event_id: int) -> list[PlaceOut]:
    """An event's places (members)."""
    # By name.
    principal = call.principal
    with call.unit_of_work() as uow:
        principal.require_event_role(event_id, "participant", READ)
        places = uow.session.scalars(
            select(Place).where(Place.event_id == event_id).order_by(Place.name, Place.id)
        )
        return [place_out(p) for p in places]


@OPERATIONS.post(f"{EVENT}/places", status=201, access=Access.EVENT)
def add_place(call: Call, event_id: int, data: PlaceCreate) -> PlaceOut:
    """Give the event a new place, with its capacity (organizers)."""
    principal = call.principal
    with call.unit_of_work() as uow:
        agenda = writer(uow, principal, event_id)
        _name_taken(uow, event_id, data.name)
        place = Place(event_id=event_id, uid=str(uuid.uuid4()), **data.model_dump())
        uow.session.add(place)
        uow.session.flush()
        changed(uow, agenda, principal, "place.added", {"place_id": place.id, "name": place.name})
        uow.commit()
        return place_out(place)


@OPERATIONS.patch(f"{EVENT}/places/<int:place_id>", access=Access.EVENT)
def change_place(call: Call, event_id: int, place_id: int, data: PlaceUpdate) -> PlaceOut:
    """Rename a place or change its capacity (organizers)."""
    # Its description too.
    principal = call.principal
    with call.unit_of_work() as uow:
        agenda = writer(uow, principal, event_id)
        place = _place(uow, event_id, place_id)
        changes = data.model_dump(exclude_unset=True)
        for name in ("name", "description"):
            if name in changes and changes[name] is None:
                raise InvalidInput(Message("{field} cannot be empty"), field=name)
        if "name" in changes:
            _name_taken(uow, event_id, changes["name"], but=place_id)
        for name, value in changes.items():
            setattr(place, name, value)
        place.updated_at = utcnow()
        changed(
            uow,
            agenda,
            principal,
            "place.updated",
            {"place_id": place.id, "name": place.name, "changed": sorted(changes)},
        )
        uow.commit()
        return place_out(place)


@OPERATIONS.delete(f"{EVENT}/places/<int:place_id>", status=204, access=Access.EVENT)
def remove_place(call: Call, event_id: int, place_id: int) -> None:
    """Remove a place no activity uses (organizers)."""
    principal = call.principal
    with call.unit_of_work() as uow:
        agenda = writer(uow, principal, event_id)
        place = _place(uow, event_id, place_id)
        used = uow.session.scalar(
            select(func.count()).select_from(Activity).where(Activity.place_id == place_id)
        )
        if used:
            raise Conflict(
                Message("{place} is the place of {used} activities; move or delete them first"),
                place=repr(place.name),
                used=used,
            )
        changed(uow, agenda, principal, "place.removed", {"place_id": place.id, "name": place.name})
        uow.session.delete(place)
        uow.commit()
