"""Use cases of the gear service. Each runs in one unit of work and raises domain errors.

A use case that needs the events service (names, event roles) asks it first, in a short
read-only unit of work if it must learn which event an item belongs to, and only then opens
the unit of work that writes: no lock is ever held while another service is called.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, Protocol, cast
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, Select, case, func, or_, select, union_all
from sqlalchemy.orm import Session

from tripbot.gear import OPERATIONS, csvfiles
from tripbot.gear.availability import Booking, days_between, free_by_day, holds_until, used_by_day
from tripbot.gear.models import (
    ACTIVE,
    HistoryEntry,
    Item,
    Loan,
    Photo,
    Reservation,
    Unit,
    idempotency_keys,
    outbox,
)
from tripbot.gear.schemas import (
    Availability,
    CheckIn,
    CheckOut,
    HistoryOut,
    ImportResult,
    ItemCreate,
    ItemOut,
    ItemQuery,
    ItemUpdate,
    LoanOut,
    LoanQuery,
    ReservationCreate,
    ReservationOut,
    ReservationQuery,
    Tracking,
    UnitCreate,
    UnitOut,
    UnitUpdate,
    WindowQuery,
)
from tripbot.platform import idempotency
from tripbot.platform.db import UnitOfWork, utcnow
from tripbot.platform.errors import (
    Conflict,
    InvalidInput,
    Message,
    NotFound,
    PayloadTooLarge,
    PermissionDenied,
)
from tripbot.platform.identity import EVENT_ROLE_RANK, Principal
from tripbot.platform.outbox import declare_feed, record_change

KEEPER_ROLES = ("admin", "gear_keeper")
NARROW_LISTS = 200
"""Up to this many items, counting what is free reads only their reservations."""
CONDITION_ORDER = {"new": 0, "good": 1, "worn": 2, "out_of_service": 3}
UNIT_OUT_OF_SERVICE = "the unit you reserved is out of service"
MANAGERS_ONLY = {
    "add gear": (
        Message("only a gear keeper or an administrator may add gear"),
        Message("only an organizer of event {event_id} may add gear"),
    ),
    "change gear": (
        Message("only a gear keeper or an administrator may change gear"),
        Message("only an organizer of event {event_id} may change gear"),
    ),
    "retire gear": (
        Message("only a gear keeper or an administrator may retire gear"),
        Message("only an organizer of event {event_id} may retire gear"),
    ),
    "hand out gear": (
        Message("only a gear keeper or an administrator may hand out gear"),
        Message("only an organizer of event {event_id} may hand out gear"),
    ),
    "take gear back": (
        Message("only a gear keeper or an administrator may take gear back"),
        Message("only an organizer of event {event_id} may take gear back"),
    ),
}
"""What refuses an action on gear to someone who does not manage it: of the club, of an event."""
NOT_ENOUGH_IN_SERVICE = "not enough of this item is in service for these days"
PHOTO_TYPES = {
    b"\x89PNG\r\n\x1a\n": "image/png",
    b"\xff\xd8\xff": "image/jpeg",
}


@dataclass(frozen=True)
class GearPolicy:
    """The club's rules: the longest reservation, the largest photo, and its time zone."""

    max_reservation_days: int = 90
    max_photo_bytes: int = 2_000_000
    timezone: str = "Europe/Madrid"
    clock: Callable[[], datetime] = field(default=utcnow)

    def __post_init__(self) -> None:
        # A wrong TRIPBOT_GEAR_TIMEZONE stops the service at start, not at the first request.
        ZoneInfo(self.timezone)

    def today(self) -> date:
        """Today in the club's time zone: reservations are made of its days."""
        return self.clock().astimezone(ZoneInfo(self.timezone)).date()


@dataclass(frozen=True)
class Seat:
    """Someone's place in an event, as the events service tells it."""

    event_id: int
    event_name: str
    role: str


class People(Protocol):
    """What the gear service asks the events service, for the principal of the call."""

    def my_name(self) -> str:
        """The principal's display name."""

    def name_of(self, user_id: int) -> str:
        """Someone's display name; NotFound if there is no such person."""

    def seat(self, event_id: int) -> Seat:
        """The principal's place in an event; NotFound if they are not a member."""


@dataclass(frozen=True)
class Club:
    """What a use case needs beyond the database: the club's rules and its people."""

    policy: GearPolicy
    people: People


def is_keeper(principal: Principal) -> bool:
    """Whether someone manages the club's own gear (gear keepers and administrators)."""
    return principal.instance_role in KEEPER_ROLES


def _ranks(role: str, minimum: str) -> bool:
    return EVENT_ROLE_RANK.get(role, 0) >= EVENT_ROLE_RANK[minimum]


def may_manage(principal: Principal, people: People, event_id: int | None) -> bool:
    """Whether someone manages gear of the club (event_id None) or of an event.

    Non-members of the event get NotFound, as everywhere else.
    """
    if event_id is None:
        return is_keeper(principal)
    return _ranks(people.seat(event_id).role, "organizer")


def _require_manager(
    principal: Principal, people: People, event_id: int | None, action: str
) -> None:
    principal.require_user()
    if may_manage(principal, people, event_id):
        return
    of_the_club, of_an_event = MANAGERS_ONLY[action]
    if event_id is None:
        raise PermissionDenied(of_the_club)
    raise PermissionDenied(of_an_event, event_id=event_id)


def _require_viewer(principal: Principal, people: People, event_id: int | None) -> None:
    principal.require_user()
    if event_id is not None:
        people.seat(event_id)


def _changed(uow: UnitOfWork, topic: str, event_id: int | None, payload: dict[str, Any]) -> None:
    record_change(uow.session, outbox, topic, event_id, payload)


def _log(uow: UnitOfWork, item_id: int, action: str, actor_id: int | None, **fields: Any) -> None:
    uow.session.add(HistoryEntry(item_id=item_id, action=action, actor_id=actor_id, **fields))


def _log_for(
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
    _log(uow, reservation.item_id, action, actor_id, **(known | fields))


def _log_loan(  # noqa: PLR0917 - one history line's parts
    uow: UnitOfWork,
    reservation: Reservation,
    loan: Loan,
    action: str,
    actor_id: int,
    condition: str | None,
    note: str,
) -> None:
    """A history line about a loan of a reservation: going out or coming back."""
    _log_for(
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


# ---- reading items -------------------------------------------------------------------------


def _item(session: Session, item_id: int, *, lock: bool = False, retired: bool = False) -> Item:
    query = select(Item).where(Item.id == item_id)
    if not retired:
        query = query.where(Item.retired_at.is_(None))
    item = session.scalar(query.with_for_update() if lock else query)
    if item is None:
        raise NotFound(Message("there is no item {item_id}"), item_id=item_id)
    return item


def _item_scope(uow: UnitOfWork, item_id: int, *, retired: bool = False) -> int | None:
    """The event an item belongs to (None: the club's); it never changes once created."""
    with uow:
        return _item(uow.session, item_id, retired=retired).event_id


def _locked_item(uow: UnitOfWork, item_id: int) -> Item:
    """The item, locked until commit: reservations and loans of one item take turns."""
    uow.lock_for_write()
    return _item(uow.session, item_id, lock=True)


def _capacity(session: Session, item: Item) -> int:
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
            Item.name,
            Item.category,
            Item.description,
            Item.weight_grams,
            Item.tracking,
            Item.quantity,
            Item.out_of_service,
            Item.created_at,
            Item.updated_at,
            func.coalesce(units.c.units, 0),
            func.coalesce(units.c.in_service, 0),
            func.coalesce(loans.c.on_loan, 0),
            Photo.item_id.is_not(None),
        )
        .outerjoin(units, units.c.item_id == Item.id)
        .outerjoin(loans, loans.c.item_id == Item.id)
        .outerjoin(Photo, Photo.item_id == Item.id)
        .where(Item.retired_at.is_(None), *filters)
    )


@dataclass(frozen=True, slots=True)
class _Stock:
    """An item and what there is of it, as the stock query reads it."""

    id: int
    event_id: int | None
    name: str
    category: str
    description: str
    weight_grams: int
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


def _stocks(session: Session, *filters: ColumnElement[bool]) -> list[_Stock]:
    rows = session.execute(_stock_query(*filters).order_by(Item.category, Item.name, Item.id))
    return [_Stock(*row) for row in rows]


def _item_out(stock: _Stock, can_manage: bool, availability: Availability | None = None) -> ItemOut:
    units = stock.tracking == "units"
    return ItemOut(
        id=stock.id,
        event_id=stock.event_id,
        name=stock.name,
        category=stock.category,
        description=stock.description,
        weight_grams=stock.weight_grams,
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


def _bookings(
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


def _check_window(policy: GearPolicy, first: date, last: date, field: str) -> None:
    days = (last - first).days + 1
    if days > policy.max_reservation_days:
        raise InvalidInput(
            Message(
                "{field}: a window of days can span at most {max_days} days; this one spans {days}"
            ),
            field=field,
            max_days=policy.max_reservation_days,
            days=days,
        )


def list_items(
    uow: UnitOfWork, principal: Principal, club: Club, query: ItemQuery
) -> list[ItemOut]:
    """The club's gear, or an event's; with free counts when a window of days is given.

    Two queries whatever the number of items: the items with their stock, then the
    reservations that touch the window.
    """
    _require_viewer(principal, club.people, query.event_id)
    manager = may_manage(principal, club.people, query.event_id)
    filters: list[ColumnElement[bool]] = [
        Item.event_id.is_(None) if query.event_id is None else Item.event_id == query.event_id
    ]
    if query.q:
        filters.append(
            or_(
                Item.name.icontains(query.q, autoescape=True),
                Item.description.icontains(query.q, autoescape=True),
            )
        )
    if query.category:
        filters.append(func.lower(Item.category) == query.category.strip().lower())
    first, last = query.available_from, query.available_to
    if first is not None and last is not None:
        _check_window(club.policy, first, last, "available_to")
    with uow:
        stocks = _stocks(uow.session, *filters)
        if first is None or last is None:
            return [_item_out(stock, manager) for stock in stocks]
        # Reservations of items not listed are skipped while counting; narrowing the query to
        # the listed items pays only when they are few.
        ids = [stock.id for stock in stocks]
        narrow = [Reservation.item_id.in_(ids)] if len(ids) <= NARROW_LISTS else []
        bookings = _bookings(uow.session, first, last, *narrow)
    used = used_by_day(ids, bookings, first, last, club.policy.today())
    free = free_by_day([stock.capacity for stock in stocks], used)
    least = free.min(axis=1).tolist()
    items = []
    for stock, by_day, fewest in zip(stocks, free.tolist(), least, strict=True):
        if query.min_free is not None and fewest < query.min_free:
            continue
        window = Availability(
            available_from=first,
            available_to=last,
            capacity=stock.capacity,
            free=fewest,
            by_day=by_day,
        )
        items.append(_item_out(stock, manager, window))
    return items


def _one_stock(session: Session, item_id: int) -> _Stock:
    stocks = _stocks(session, Item.id == item_id)
    if not stocks:
        raise NotFound(Message("there is no item {item_id}"), item_id=item_id)
    return stocks[0]


def get_item(uow: UnitOfWork, principal: Principal, club: Club, item_id: int) -> ItemOut:
    """One item and its stock."""
    event_id = _item_scope(uow, item_id)
    _require_viewer(principal, club.people, event_id)
    manager = may_manage(principal, club.people, event_id)
    with uow:
        return _item_out(_one_stock(uow.session, item_id), manager)


def item_availability(
    uow: UnitOfWork,
    principal: Principal,
    club: Club,
    item_id: int,
    window: WindowQuery,
) -> Availability:
    """What is free of one item, day by day."""
    event_id = _item_scope(uow, item_id)
    _require_viewer(principal, club.people, event_id)
    _check_window(club.policy, window.available_from, window.available_to, "available_to")
    with uow:
        item = _item(uow.session, item_id)
        first, last = window.available_from, window.available_to
        return _availability(uow.session, item, first, last, club.policy.today())


def _availability(
    session: Session, item: Item, first: date, last: date, today: date
) -> Availability:
    capacity = _capacity(session, item)
    bookings = _bookings(session, first, last, Reservation.item_id == item.id)
    used = used_by_day([item.id], bookings, first, last, today)
    by_day: list[int] = free_by_day([capacity], used)[0].tolist()
    return Availability(
        available_from=first, available_to=last, capacity=capacity, free=min(by_day), by_day=by_day
    )


# ---- managing items ------------------------------------------------------------------------


def create_item(uow: UnitOfWork, principal: Principal, club: Club, data: ItemCreate) -> ItemOut:
    """Add gear to the club's inventory (keepers) or to an event's (its organizers)."""
    _require_manager(principal, club.people, data.event_id, "add gear")
    with uow:
        uow.lock_for_write()
        item = _add_item(uow, principal.require_user(), data)
        uow.commit()
        return _item_out(_one_stock(uow.session, item.id), True)


def _add_item(uow: UnitOfWork, actor: int, data: ItemCreate, *, announce: bool = True) -> Item:
    item = Item(
        event_id=data.event_id,
        name=data.name,
        category=data.category,
        description=data.description,
        weight_grams=data.weight_grams,
        tracking=data.tracking,
        quantity=data.quantity or 0,
        out_of_service=0,
        created_by=actor,
    )
    uow.session.add(item)
    uow.session.flush()
    _log(uow, item.id, "item.created", actor, quantity=data.quantity, note=item.name)
    for unit_data in data.units:
        _new_unit(uow, item, unit_data, actor)
    if announce:
        _changed(
            uow,
            "item.created",
            item.event_id,
            {"item_id": item.id, "name": item.name, "category": item.category, "by": actor},
        )
    return item


def export_inventory(
    uow: UnitOfWork, principal: Principal, club: Club, event_id: int | None
) -> str:
    """The club's inventory (or an event's) as CSV: a line per quantity item, a line per unit."""
    _require_viewer(principal, club.people, event_id)
    scope = Item.event_id.is_(None) if event_id is None else Item.event_id == event_id
    with uow:
        items = uow.session.scalars(
            select(Item).where(Item.retired_at.is_(None), scope).order_by(Item.category, Item.name)
        ).all()
        units: dict[int, list[Unit]] = defaultdict(list)
        for unit in uow.session.scalars(
            select(Unit)
            .join(Item, Item.id == Unit.item_id)
            .where(Item.retired_at.is_(None), Unit.retired_at.is_(None), scope)
            .order_by(Unit.label)
        ):
            units[unit.item_id].append(unit)
        rows: list[tuple[object, ...]] = []
        for item in items:
            common = (item.name, item.category, item.description, item.weight_grams, item.tracking)
            if item.tracking == "quantity":
                rows.append((*common, item.quantity, "", "", ""))
                continue
            rows.extend((*common, "", u.label, u.condition, u.notes) for u in units[item.id])
            if not units[item.id]:
                rows.append((*common, "", "", "", ""))
    return csvfiles.write_csv(csvfiles.INVENTORY_COLUMNS, rows)


def import_inventory(
    uow: UnitOfWork, principal: Principal, club: Club, event_id: int | None, data: bytes
) -> ImportResult:
    """Add the items of an inventory CSV, all or none: the first bad line is reported by
    number and column, and nothing is stored. An item already in the inventory (same name
    and category) is refused, so importing a file twice adds nothing twice."""
    _require_manager(principal, club.people, event_id, "add gear")
    actor = principal.require_user()
    items = csvfiles.read_inventory(data, event_id)
    scope = Item.event_id.is_(None) if event_id is None else Item.event_id == event_id
    with uow:
        uow.lock_for_write()
        existing = {
            (name.casefold(), category.casefold())
            for name, category in uow.session.execute(
                select(Item.name, Item.category).where(Item.retired_at.is_(None), scope)
            )
        }
        for line, item in items:
            if (item.name.casefold(), item.category.casefold()) in existing:
                raise InvalidInput(
                    Message(
                        "line {line}, column {column}: {name} in {category} is already "
                        "in the inventory"
                    ),
                    line=line,
                    column="name",
                    name=repr(item.name),
                    category=repr(item.category),
                )
        for _line, item in items:
            _add_item(uow, actor, item, announce=False)
        _changed(uow, "inventory.imported", event_id, {"items": len(items), "by": actor})
        uow.commit()
    return ImportResult(created=len(items))


def update_item(
    uow: UnitOfWork,
    principal: Principal,
    club: Club,
    item_id: int,
    data: ItemUpdate,
) -> ItemOut:
    """Change an item; a smaller stock flags the reservations it can no longer serve."""
    _require_manager(principal, club.people, _item_scope(uow, item_id), "change gear")
    actor = principal.require_user()
    changes = data.model_dump(exclude_unset=True)
    with uow:
        item = _locked_item(uow, item_id)
        for name, value in changes.items():
            if value is None:
                raise InvalidInput(Message("{field} cannot be empty"), field=name)
        stock_fields = {"quantity", "out_of_service"} & changes.keys()
        if stock_fields and item.tracking != "quantity":
            name = sorted(stock_fields)[0]
            raise InvalidInput(
                Message("{field}: an item tracked by units changes through its units"), field=name
            )
        for name, value in changes.items():
            setattr(item, name, value)
        if item.out_of_service > item.quantity:
            raise InvalidInput(
                Message(
                    "out_of_service: {out_of_service} out of service is more than the "
                    "{quantity} there are"
                ),
                field="out_of_service",
                out_of_service=item.out_of_service,
                quantity=item.quantity,
            )
        _log(
            uow,
            item.id,
            "item.updated",
            actor,
            quantity=item.quantity,
            note=", ".join(sorted(changes)),
        )
        _changed(
            uow,
            "item.updated",
            item.event_id,
            {"item_id": item.id, "name": item.name, "changed": sorted(changes), "by": actor},
        )
        if stock_fields:
            _reconcile(uow, item, actor, club.policy.today())
        uow.commit()
        return _item_out(_one_stock(uow.session, item.id), True)


def retire_item(uow: UnitOfWork, principal: Principal, club: Club, item_id: int) -> None:
    """Take an item out of the inventory; its history stays. Not while it is reserved or out."""
    _require_manager(principal, club.people, _item_scope(uow, item_id), "retire gear")
    actor = principal.require_user()
    with uow:
        item = _locked_item(uow, item_id)
        active = uow.session.scalar(
            select(func.count()).where(
                Reservation.item_id == item.id, Reservation.status.in_(ACTIVE)
            )
        )
        if active:
            raise Conflict(
                Message(
                    "{item_name} has {active} reservation(s) or loan(s) in course; "
                    "cancel them or check the gear in first"
                ),
                item_name=item.name,
                active=int(active),
            )
        item.retired_at = utcnow()
        _log(uow, item.id, "item.retired", actor, note=item.name)
        _changed(
            uow, "item.retired", item.event_id, {"item_id": item.id, "name": item.name, "by": actor}
        )
        uow.commit()


def _sniff(data: bytes) -> str:
    for magic, content_type in PHOTO_TYPES.items():
        if data.startswith(magic):
            return content_type
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    raise InvalidInput(Message("the photo must be a PNG, JPEG or WebP image"), field="photo")


def set_photo(
    uow: UnitOfWork,
    principal: Principal,
    club: Club,
    item_id: int,
    data: bytes,
) -> ItemOut:
    """Give an item a photo (PNG, JPEG or WebP, up to the configured size)."""
    _require_manager(principal, club.people, _item_scope(uow, item_id), "change gear")
    if len(data) > club.policy.max_photo_bytes:
        raise PayloadTooLarge(
            Message("the photo is {size} bytes; the largest accepted is {max_bytes}"),
            size=len(data),
            max_bytes=club.policy.max_photo_bytes,
        )
    content_type = _sniff(data)
    with uow:
        item = _locked_item(uow, item_id)
        photo = uow.session.get(Photo, item.id)
        if photo is None:
            uow.session.add(Photo(item_id=item.id, content_type=content_type, data=data))
        else:
            photo.content_type, photo.data, photo.updated_at = content_type, data, utcnow()
        _log(uow, item.id, "item.photo", principal.require_user(), note=content_type)
        uow.commit()
        return _item_out(_one_stock(uow.session, item.id), True)


def get_photo(uow: UnitOfWork, principal: Principal, club: Club, item_id: int) -> tuple[str, bytes]:
    """An item's photo: its type and bytes."""
    _require_viewer(principal, club.people, _item_scope(uow, item_id))
    with uow:
        photo = uow.session.get(Photo, item_id)
        if photo is None:
            raise NotFound(Message("item {item_id} has no photo"), item_id=item_id)
        return photo.content_type, photo.data


def delete_photo(uow: UnitOfWork, principal: Principal, club: Club, item_id: int) -> None:
    """Remove an item's photo."""
    _require_manager(principal, club.people, _item_scope(uow, item_id), "change gear")
    with uow:
        item = _locked_item(uow, item_id)
        photo = uow.session.get(Photo, item.id)
        if photo is None:
            raise NotFound(Message("item {item_id} has no photo"), item_id=item_id)
        uow.session.delete(photo)
        _log(uow, item.id, "item.photo_removed", principal.require_user())
        uow.commit()


# ---- units ---------------------------------------------------------------------------------


def _units_on_loan(session: Session, item_id: int) -> set[int]:
    return set(
        session.scalars(
            select(Loan.unit_id).where(
                Loan.item_id == item_id, Loan.returned_at.is_(None), Loan.unit_id.is_not(None)
            )
        )
    )


def _unit_out(unit: Unit, on_loan: set[int]) -> UnitOut:
    return UnitOut(
        id=unit.id,
        item_id=unit.item_id,
        label=unit.label,
        condition=unit.condition,
        notes=unit.notes,
        on_loan=unit.id in on_loan,
        created_at=unit.created_at,
    )


def _unit(session: Session, item: Item, unit_id: int) -> Unit:
    unit = session.get(Unit, unit_id)
    if unit is None or unit.item_id != item.id or unit.retired_at is not None:
        raise NotFound(
            Message("item {item_id} has no unit {unit_id}"), item_id=item.id, unit_id=unit_id
        )
    return unit


def _label_taken(session: Session, item: Item, label: str, unit_id: int | None = None) -> None:
    # Compared in Python: SQLite's lower() folds ASCII only, so "Õ1" and "õ1" would both pass
    # the check and then one would break the unique index (a 500, found by the API fuzzer).
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


def _new_unit(uow: UnitOfWork, item: Item, data: UnitCreate, actor: int) -> Unit:
    unit = Unit(item_id=item.id, label=data.label, condition=data.condition, notes=data.notes)
    uow.session.add(unit)
    uow.session.flush()
    _log(
        uow,
        item.id,
        "unit.added",
        actor,
        unit_id=unit.id,
        condition=unit.condition,
        note=unit.label,
    )
    return unit


def list_units(uow: UnitOfWork, principal: Principal, club: Club, item_id: int) -> list[UnitOut]:
    """The units of an item, by label."""
    _require_viewer(principal, club.people, _item_scope(uow, item_id))
    with uow:
        _item(uow.session, item_id)
        on_loan = _units_on_loan(uow.session, item_id)
        units = uow.session.scalars(
            select(Unit)
            .where(Unit.item_id == item_id, Unit.retired_at.is_(None))
            .order_by(Unit.label, Unit.id)
        )
        return [_unit_out(unit, on_loan) for unit in units]


def add_unit(
    uow: UnitOfWork,
    principal: Principal,
    club: Club,
    item_id: int,
    data: UnitCreate,
) -> UnitOut:
    """Add a unit to an item tracked by units."""
    _require_manager(principal, club.people, _item_scope(uow, item_id), "change gear")
    actor = principal.require_user()
    with uow:
        item = _locked_item(uow, item_id)
        if item.tracking != "units":
            raise InvalidInput(
                Message("{item_name} is tracked by quantity; change its quantity instead"),
                field="label",
                item_name=item.name,
            )
        _label_taken(uow.session, item, data.label)
        unit = _new_unit(uow, item, data, actor)
        _reconcile(uow, item, actor, club.policy.today())
        uow.commit()
        return _unit_out(unit, set())


def update_unit(
    uow: UnitOfWork,
    principal: Principal,
    club: Club,
    data: UnitUpdate,
    *,
    item_id: int,
    unit_id: int,
) -> UnitOut:
    """Relabel a unit or change its condition; out of service, it leaves future availability
    and the reservations it can no longer serve are flagged to their owners."""
    _require_manager(principal, club.people, _item_scope(uow, item_id), "change gear")
    actor = principal.require_user()
    changes = data.model_dump(exclude_unset=True)
    with uow:
        item = _locked_item(uow, item_id)
        unit = _unit(uow.session, item, unit_id)
        for name, value in changes.items():
            if value is None:
                raise InvalidInput(Message("{field} cannot be empty"), field=name)
        if "label" in changes:
            _label_taken(uow.session, item, changes["label"], unit.id)
        for name, value in changes.items():
            setattr(unit, name, value)
        _log(
            uow,
            item.id,
            "unit.updated",
            actor,
            unit_id=unit.id,
            condition=unit.condition,
            note=unit.notes if "notes" in changes else ", ".join(sorted(changes)),
        )
        if "condition" in changes:
            _reconcile(uow, item, actor, club.policy.today())
        uow.commit()
        return _unit_out(unit, _units_on_loan(uow.session, item.id))


def retire_unit(
    uow: UnitOfWork,
    principal: Principal,
    club: Club,
    *,
    item_id: int,
    unit_id: int,
) -> None:
    """Take a unit out of the inventory for good (not while it is out on loan)."""
    _require_manager(principal, club.people, _item_scope(uow, item_id), "change gear")
    actor = principal.require_user()
    with uow:
        item = _locked_item(uow, item_id)
        unit = _unit(uow.session, item, unit_id)
        if unit.id in _units_on_loan(uow.session, item.id):
            raise Conflict(
                Message("unit {label} is out on loan; check it in first"), label=repr(unit.label)
            )
        unit.retired_at = utcnow()
        _log(uow, item.id, "unit.retired", actor, unit_id=unit.id, note=unit.label)
        _reconcile(uow, item, actor, club.policy.today())
        uow.commit()


# ---- history -------------------------------------------------------------------------------


def item_history(
    uow: UnitOfWork, principal: Principal, club: Club, item_id: int, unit_id: int | None
) -> list[HistoryOut]:
    """Everything that happened to an item (or one of its units), newest first; the history
    of a retired item stays readable."""
    _require_viewer(principal, club.people, _item_scope(uow, item_id, retired=True))
    with uow:
        query = (
            select(HistoryEntry, Unit.label)
            .outerjoin(Unit, Unit.id == HistoryEntry.unit_id)
            .where(HistoryEntry.item_id == item_id)
        )
        if unit_id is not None:
            query = query.where(HistoryEntry.unit_id == unit_id)
        rows = uow.session.execute(query.order_by(HistoryEntry.id.desc()))
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


# ---- reservations --------------------------------------------------------------------------


def _reservation_out(
    reservation: Reservation, item_name: str, unit_label: str | None
) -> ReservationOut:
    return ReservationOut(
        id=reservation.id,
        item_id=reservation.item_id,
        item_name=item_name,
        unit_id=reservation.unit_id,
        unit_label=unit_label,
        quantity=reservation.quantity,
        start_date=reservation.start_date,
        end_date=reservation.end_date,
        user_id=reservation.user_id,
        user_name=reservation.user_name,
        event_id=reservation.event_id,
        event_name=reservation.event_name,
        status=reservation.status,
        flag=reservation.flag,
        note=reservation.note,
        created_at=reservation.created_at,
        cancelled_at=reservation.cancelled_at,
    )


def _reservation_payload(reservation: Reservation, item: Item, by: int) -> dict[str, Any]:
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


def _check_dates(policy: GearPolicy, start: date, end: date) -> None:
    if end < start:
        raise InvalidInput(
            Message("end_date {end_date} is before the first day, {start_date}"),
            field="end_date",
            end_date=end.isoformat(),
            start_date=start.isoformat(),
        )
    if start < policy.today():
        raise InvalidInput(
            Message("start_date {start_date} is in the past; the club's today is {today}"),
            field="start_date",
            start_date=start.isoformat(),
            today=policy.today().isoformat(),
        )
    _check_window(policy, start, end, "end_date")


@dataclass(frozen=True)
class _Holder:
    """Who a reservation is for: a person, and maybe the event it is for."""

    user_id: int
    user_name: str
    event_id: int | None = None
    event_name: str = ""


def _reservation_holder(
    principal: Principal, people: People, item_event: int | None, data: ReservationCreate
) -> _Holder:
    """Check who may reserve what: anyone their own club gear; an event's members its gear;
    its organizers gear for the event."""
    user_id = principal.require_user()
    if item_event is not None:
        people.seat(item_event)
        if data.event_id not in (None, item_event):
            raise InvalidInput(
                Message(
                    "event_id: the gear of event {item_event_id} is only reserved for that event"
                ),
                field="event_id",
                item_event_id=item_event,
            )
    if data.event_id is None:
        return _Holder(user_id, people.my_name())
    seat = people.seat(data.event_id)
    if not _ranks(seat.role, "organizer"):
        raise PermissionDenied(
            Message("only an organizer of event {event_id} may reserve gear for it"),
            event_id=data.event_id,
        )
    return _Holder(user_id, people.my_name(), seat.event_id, seat.event_name)


def _short_of(
    session: Session, item: Item, data: ReservationCreate, today: date
) -> Conflict | None:
    """The 409 to answer if the quantity asked is not free on every day, with what is free."""
    first, last, quantity = data.start_date, data.end_date, data.quantity
    availability = _availability(session, item, first, last, today)
    if availability.free >= quantity:
        return None
    days = days_between(first, last)
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


def _unit_is_free(session: Session, item: Item, unit: Unit, first: date, last: date) -> None:
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


def reserve(
    uow: UnitOfWork,
    principal: Principal,
    club: Club,
    data: ReservationCreate,
    idempotency_key: str | None = None,
) -> ReservationOut:
    """Book gear for a range of days; it succeeds only if enough is free on every day.

    Reservations of one item take turns (the item's row is locked on PostgreSQL, the write
    lock is taken on SQLite), so two club.people racing for the last units cannot both get them.
    """
    _check_dates(club.policy, data.start_date, data.end_date)
    holder = _reservation_holder(principal, club.people, _item_scope(uow, data.item_id), data)
    with uow:
        uow.lock_for_write()
        if idempotency_key is not None:
            scope = f"reserve:{holder.user_id}"
            body = data.model_dump(mode="json")
            answered = idempotency.claim(
                uow.session, idempotency_keys, scope, idempotency_key, body
            )
            if answered is not None:
                return ReservationOut.model_validate(answered)
        item = _item(uow.session, data.item_id, lock=True)
        reservation = _book(uow, item, club.policy, data, holder)
        out = _reservation_out(reservation, item.name, _label_of(uow.session, reservation.unit_id))
        if idempotency_key is not None:
            idempotency.complete(
                uow.session, idempotency_keys, scope, idempotency_key, out.model_dump(mode="json")
            )
        uow.commit()
        return out


def _book(
    uow: UnitOfWork,
    item: Item,
    policy: GearPolicy,
    data: ReservationCreate,
    holder: _Holder,
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
        _unit_is_free(
            uow.session,
            item,
            _unit(uow.session, item, data.unit_id),
            data.start_date,
            data.end_date,
        )
    short = _short_of(uow.session, item, data, today)
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
        created_by=holder.user_id,
    )
    uow.session.add(reservation)
    uow.session.flush()
    _log_for(
        uow,
        reservation,
        "reservation.made",
        holder.user_id,
        note=f"{data.start_date.isoformat()}..{data.end_date.isoformat()}",
    )
    _changed(
        uow,
        "reservation.made",
        reservation.event_id or item.event_id,
        _reservation_payload(reservation, item, holder.user_id),
    )
    return reservation


def _label_of(session: Session, unit_id: int | None) -> str | None:
    return None if unit_id is None else session.scalar(select(Unit.label).where(Unit.id == unit_id))


def _reservations_query() -> Select[Reservation, str, str]:
    return (
        select(Reservation, Item.name, Unit.label)
        .join(Item, Item.id == Reservation.item_id)
        .outerjoin(Unit, Unit.id == Reservation.unit_id)
    )


def _scope_filter(
    principal: Principal, people: People, scope: str, event_id: int | None
) -> ColumnElement[bool]:
    """Whose reservations (and loans) a list shows: one's own, an event's, or the club's."""
    user_id = principal.require_user()
    if scope == "mine":
        return Reservation.user_id == user_id
    if scope == "event" and event_id is not None:
        people.seat(event_id)
        return or_(Reservation.event_id == event_id, Item.event_id == event_id)
    if not is_keeper(principal):
        raise PermissionDenied(
            Message("only a gear keeper or an administrator may see every reservation")
        )
    return Item.event_id.is_(None)


def list_reservations(
    uow: UnitOfWork, principal: Principal, club: Club, query: ReservationQuery
) -> list[ReservationOut]:
    """Reservations: one's own, an event's, or all of the club's gear (keepers); soonest first."""
    scope = _scope_filter(principal, club.people, query.scope, query.event_id)
    statement = _reservations_query().where(scope)
    if query.item_id is not None:
        statement = statement.where(Reservation.item_id == query.item_id)
    if query.status == "active":
        statement = statement.where(Reservation.status.in_(ACTIVE))
    elif query.status != "any":
        statement = statement.where(Reservation.status == query.status)
    with uow:
        rows = uow.session.execute(statement.order_by(Reservation.start_date, Reservation.id))
        return [_reservation_out(r, name, label) for r, name, label in rows]


@dataclass(frozen=True)
class _Whose:
    """Whose a reservation is: what its permissions depend on (read before asking others)."""

    id: int
    item_id: int
    user_id: int
    event_id: int | None
    item_event: int | None


def _whose(uow: UnitOfWork, reservation_id: int) -> _Whose:
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
    return _Whose(reservation_id, *row)


def _may_see_reservation(
    principal: Principal, people: People, reservation: _Whose, *, manage: bool
) -> None:
    """Owners, the gear's managers and (to see) the event's members; NotFound for others."""
    user_id = principal.require_user()
    if reservation.user_id == user_id:
        return
    try:
        if may_manage(principal, people, reservation.item_event):
            return
        if reservation.event_id is not None:
            role = people.seat(reservation.event_id).role
            if _ranks(role, "organizer" if manage else "participant"):
                return
            if manage:
                raise PermissionDenied(
                    Message("only an organizer of event {event_id} may change its reservations"),
                    event_id=reservation.event_id,
                )
    except NotFound:
        pass
    raise NotFound(
        Message("there is no reservation {reservation_id}"), reservation_id=reservation.id
    )


def get_reservation(
    uow: UnitOfWork, principal: Principal, club: Club, reservation_id: int
) -> ReservationOut:
    """One reservation, for its owner, the gear's managers and the event's members."""
    _may_see_reservation(principal, club.people, _whose(uow, reservation_id), manage=False)
    with uow:
        row = uow.session.execute(
            _reservations_query().where(Reservation.id == reservation_id)
        ).one()
        return _reservation_out(*row)


def cancel_reservation(
    uow: UnitOfWork, principal: Principal, club: Club, reservation_id: int
) -> ReservationOut:
    """Cancel a reservation not yet checked out (its owner, the gear's managers, or the
    organizers of the event it is for)."""
    actor = principal.require_user()
    found = _whose(uow, reservation_id)
    _may_see_reservation(principal, club.people, found, manage=True)
    with uow:
        item = _locked_item(uow, found.item_id)
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
        _log_for(uow, reservation, "reservation.cancelled", actor)
        _changed(
            uow,
            "reservation.cancelled",
            reservation.event_id or item.event_id,
            _reservation_payload(reservation, item, actor),
        )
        _reconcile(uow, item, actor, club.policy.today())
        uow.commit()
        return _reservation_out(reservation, item.name, _label_of(uow.session, reservation.unit_id))


def forget_event(uow: UnitOfWork, policy: GearPolicy, event_id: int) -> int:
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
            item = items.get(reservation.item_id) or _item(
                uow.session, reservation.item_id, lock=True
            )
            items[item.id] = item
            reservation.status = "cancelled"
            reservation.cancelled_at = utcnow()
            reservation.flag = "its event was deleted"
            _log_for(uow, reservation, "reservation.cancelled", None)
            _changed(
                uow,
                "reservation.cancelled",
                event_id,
                {**_reservation_payload(reservation, item, 0), "reason": "event deleted"},
            )
        for item in items.values():
            _reconcile(uow, item, 0, policy.today())
        uow.commit()
        return len(pending)


def _reconcile(uow: UnitOfWork, item: Item, actor: int, today: date) -> None:
    """Flag the reservations an item's stock can no longer serve, and clear the flags of those
    it can serve again. First come, first served: gear out on loan first, then reservations in
    the order they were made; the later ones that no longer fit are flagged to their owners."""
    session = uow.session
    session.flush()
    capacity = _capacity(session, item)
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
    used: dict[date, int] = defaultdict(int)
    for reservation in reservations:
        reason = None
        if reservation.status == "reserved" and reservation.unit_id in unusable:
            reason = UNIT_OUT_OF_SERVICE
        else:
            days = days_between(
                max(reservation.start_date, today),
                holds_until(reservation.end_date, reservation.status, today),
            )
            if reservation.status == "reserved" and any(
                used[d] + reservation.quantity > capacity for d in days
            ):
                reason = NOT_ENOUGH_IN_SERVICE
            else:
                for day in days:
                    used[day] += reservation.quantity
        if reservation.status == "out" or reason == reservation.flag:
            continue
        reservation.flag = reason
        _log(
            uow,
            item.id,
            "reservation.flagged" if reason else "reservation.unflagged",
            actor,
            reservation_id=reservation.id,
            user_id=reservation.user_id,
            user_name=reservation.user_name,
            note=reason or "",
        )
        _changed(
            uow,
            "reservation.affected",
            reservation.event_id or item.event_id,
            {**_reservation_payload(reservation, item, actor), "flag": reason},
        )


# ---- loans ---------------------------------------------------------------------------------


def _loan_out(
    loan: Loan, reservation: Reservation, item_name: str, label: str | None, today: date
) -> LoanOut:
    overdue = loan.returned_at is None and loan.due_date < today
    return LoanOut(
        id=loan.id,
        reservation_id=loan.reservation_id,
        item_id=loan.item_id,
        item_name=item_name,
        unit_id=loan.unit_id,
        unit_label=label,
        quantity=loan.quantity,
        user_id=reservation.user_id,
        user_name=reservation.user_name,
        event_id=reservation.event_id,
        event_name=reservation.event_name,
        due_date=loan.due_date,
        checked_out_at=loan.checked_out_at,
        condition_out=loan.condition_out,
        note_out=loan.note_out,
        returned_at=loan.returned_at,
        condition_in=loan.condition_in,
        note_in=loan.note_in,
        out_of_service=loan.out_of_service,
        overdue=overdue,
        days_overdue=(today - loan.due_date).days if overdue else 0,
    )


def _pick_units(
    session: Session, item: Item, reservation: Reservation, chosen: Sequence[int], today: date
) -> list[Unit]:
    """The units to hand out: those asked for, or the best free ones (newest condition first)."""
    on_loan = _units_on_loan(session, item.id)
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
        units = [_unit(session, item, unit_id) for unit_id in chosen]
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
    free.sort(key=lambda unit: (CONDITION_ORDER[unit.condition], unit.label.lower(), unit.id))
    return free[: reservation.quantity]


def check_out(uow: UnitOfWork, principal: Principal, club: Club, data: CheckOut) -> list[LoanOut]:
    """Hand out a reservation's gear on one of its days, or free gear on the spot (which
    reserves it from today to ``end_date`` first, so nothing booked is given away)."""
    actor = principal.require_user()
    today = club.policy.today()
    if data.reservation_id is not None:
        found = _whose(uow, data.reservation_id)
        item_id, item_event = found.item_id, found.item_event
    else:
        assert data.item_id is not None  # the schema asks for one of the two
        item_id, item_event = data.item_id, _item_scope(uow, data.item_id)
    _require_manager(principal, club.people, item_event, "hand out gear")
    holder = None
    if data.reservation_id is None:
        assert data.end_date is not None  # the schema asks for it with item_id
        _check_dates(club.policy, today, data.end_date)
        borrower = data.user_id or actor
        name = club.people.my_name() if borrower == actor else club.people.name_of(borrower)
        holder = _Holder(borrower, name)
    with uow:
        item = _locked_item(uow, item_id)
        if holder is None:
            reservation = uow.session.get(Reservation, data.reservation_id)
            assert reservation is not None  # reservations are never deleted
            _ready_to_go(reservation, today)
        else:
            assert data.end_date is not None
            walk_up = ReservationCreate(
                item_id=item.id,
                quantity=data.quantity,
                start_date=today,
                end_date=data.end_date,
                note=data.note,
            )
            reservation = _book(uow, item, club.policy, walk_up, holder)
        loans = _hand_out(uow, item, reservation, data, actor=actor, today=today)
        uow.commit()
        labels = {
            unit.id: unit.label
            for unit in uow.session.scalars(select(Unit).where(Unit.item_id == item.id))
        }
        return [
            _loan_out(loan, reservation, item.name, labels.get(loan.unit_id or 0), today)
            for loan in loans
        ]


def _ready_to_go(reservation: Reservation, today: date) -> None:
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


def _hand_out(
    uow: UnitOfWork,
    item: Item,
    reservation: Reservation,
    data: CheckOut,
    *,
    actor: int,
    today: date,
) -> list[Loan]:
    session = uow.session
    if item.tracking == "units":
        units = _pick_units(session, item, reservation, data.unit_ids, today)
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
        here = _capacity(session, item) - out_now
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
        _log_loan(uow, reservation, loan, "loan.checked_out", actor, loan.condition_out, data.note)
    _changed(
        uow,
        "loan.checked_out",
        reservation.event_id or item.event_id,
        {
            **_reservation_payload(reservation, item, actor),
            "loan_ids": [loan.id for loan in loans],
            "units": [unit.label for unit in units],
            "due_date": reservation.end_date.isoformat(),
        },
    )
    return loans


def check_in(
    uow: UnitOfWork,
    principal: Principal,
    club: Club,
    loan_id: int,
    data: CheckIn,
) -> LoanOut:
    """Take gear back and record its condition; gear back out of service leaves future
    availability and the reservations it can no longer serve are flagged."""
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
    _require_manager(principal, club.people, item_event, "take gear back")
    with uow:
        item = _locked_item(uow, item_id)
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
        _log_loan(uow, reservation, loan, "loan.checked_in", actor, data.condition, data.note)
        _changed(
            uow,
            "loan.checked_in",
            reservation.event_id or item.event_id,
            {
                **_reservation_payload(reservation, item, actor),
                "loan_id": loan.id,
                "unit": unit.label if unit else None,
                "condition": data.condition,
                "out_of_service": data.out_of_service,
                "note": data.note,
            },
        )
        if broken:
            _reconcile(uow, item, actor, today)
        uow.commit()
        return _loan_out(loan, reservation, item.name, unit.label if unit else None, today)


def _loans_query() -> Select[Loan, Reservation, str, str]:
    return (
        select(Loan, Reservation, Item.name, Unit.label)
        .join(Reservation, Reservation.id == Loan.reservation_id)
        .join(Item, Item.id == Loan.item_id)
        .outerjoin(Unit, Unit.id == Loan.unit_id)
    )


def _state_filter(state: str, today: date) -> list[ColumnElement[bool]]:
    if state == "out":
        return [Loan.returned_at.is_(None)]
    if state == "overdue":
        return [Loan.returned_at.is_(None), Loan.due_date < today]
    if state == "returned":
        return [Loan.returned_at.is_not(None)]
    return []


def _loans(
    uow: UnitOfWork, statement: Select[Loan, Reservation, str, str], today: date
) -> list[LoanOut]:
    with uow:
        rows = uow.session.execute(statement.order_by(Loan.due_date, Loan.id))
        return [
            _loan_out(loan, reservation, name, label, today)
            for loan, reservation, name, label in rows
        ]


def list_loans(
    uow: UnitOfWork, principal: Principal, club: Club, query: LoanQuery
) -> list[LoanOut]:
    """Loans: one's own, an event's, or all of the club's gear (keepers); due soonest first."""
    today = club.policy.today()
    statement = _loans_query().where(
        _scope_filter(principal, club.people, query.scope, query.event_id),
        *_state_filter(query.state, today),
    )
    if query.item_id is not None:
        statement = statement.where(Loan.item_id == query.item_id)
    return _loans(uow, statement, today)


def overdue_loans(uow: UnitOfWork, principal: Principal, club: Club) -> list[LoanOut]:
    """Loans past their last day: all of them for TripBot's bot, the club's for its keepers,
    one's own for everyone else."""
    today = club.policy.today()
    statement = _loans_query().where(*_state_filter("overdue", today))
    if not principal.system:
        user_id = principal.require_user()
        statement = statement.where(
            Item.event_id.is_(None) if is_keeper(principal) else Reservation.user_id == user_id
        )
    return _loans(uow, statement, today)


feed = declare_feed(OPERATIONS, outbox)
"""The service's changes after a cursor, for TripBot's own readers."""
