"""What the gear service accepts and answers: the schemas its API and its client share."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Literal

from pydantic import (
    BaseModel,
    Field,
    StringConstraints,
    model_validator,
)

from tripbot.platform.errors import FieldError, Message
from tripbot.platform.schemas import Input

Condition = Literal["new", "good", "worn", "out_of_service"]
Tracking = Literal["units", "quantity"]
ReservationStatus = Literal["reserved", "out", "returned", "cancelled"]
ReservationFilter = Literal["active", "reserved", "out", "returned", "cancelled", "any"]
LoanState = Literal["out", "overdue", "returned", "any"]
Scope = Literal["mine", "event", "all"]
Provider = Literal["participant", "club"]

CONDITIONS: tuple[Condition, ...] = ("new", "good", "worn", "out_of_service")
MAX_WEIGHT_GRAMS = 1_000_000
MAX_QUANTITY = 100_000
MAX_UNITS_PER_ITEM = 1_000

Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=120)]
Category = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=60)]
Label = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=60)]
Note = Annotated[str, StringConstraints(strip_whitespace=True, max_length=500)]
Grams = Annotated[int, Field(ge=0, le=MAX_WEIGHT_GRAMS)]
Count = Annotated[int, Field(ge=1, le=MAX_QUANTITY)]
Id = Annotated[int, Field(ge=1, le=2**31 - 1)]


# ---- inventory ---------------------------------------------------------------------------


class UnitCreate(Input):
    """A new unit of an item tracked by units."""

    label: Label
    condition: Condition = "good"
    notes: Note = ""


class UnitUpdate(Input):
    """Changes to a unit; fields left out stay as they are."""

    label: Label | None = None
    condition: Condition | None = None
    notes: Note | None = None


class UnitOut(BaseModel):
    """A unit, its condition, and whether it is out on loan now."""

    id: int
    item_id: int
    label: str
    condition: Condition
    notes: str
    on_loan: bool
    created_at: datetime


class ItemCreate(Input):
    """A new item: a quantity (``quantity``) or individually tracked units (``units``)."""

    name: Name
    category: Category
    description: str = Field("", max_length=2000)
    weight_grams: Grams = 0
    tracking: Tracking = "quantity"
    quantity: Count | None = None
    units: list[UnitCreate] = Field(default_factory=list, max_length=MAX_UNITS_PER_ITEM)
    event_id: Id | None = None

    @model_validator(mode="after")
    def _stock_matches_tracking(self) -> ItemCreate:
        if self.tracking == "quantity":
            if self.quantity is None:
                raise ValueError("quantity is required for an item tracked by quantity")
            if self.units:
                raise ValueError("units are only for items tracked by units")
        elif self.quantity is not None:
            raise ValueError("an item tracked by units counts its units; leave quantity out")
        labels = [unit.label.casefold() for unit in self.units]
        if len(set(labels)) != len(labels):
            raise ValueError("unit labels must be different from each other")
        return self


class ItemUpdate(Input):
    """Changes to an item; ``quantity`` and ``out_of_service`` only for quantity items."""

    name: Name | None = None
    category: Category | None = None
    description: str | None = Field(None, max_length=2000)
    weight_grams: Grams | None = None
    quantity: Count | None = None
    out_of_service: Annotated[int, Field(ge=0, le=MAX_QUANTITY)] | None = None


class DayFree(BaseModel):
    """How many are free on one day."""

    day: date
    free: int


class Availability(BaseModel):
    """What is free over a window of days: the least free on any day, and day by day."""

    available_from: date
    available_to: date
    capacity: int
    free: int
    by_day: list[int]


class ItemOut(BaseModel):
    """An item with its stock: ``in_service`` can be lent, ``on_loan`` is out right now."""

    id: int
    event_id: int | None
    name: str
    category: str
    description: str
    weight_grams: int
    tracking: Tracking
    quantity: int
    in_service: int
    out_of_service: int
    on_loan: int
    has_photo: bool
    can_manage: bool
    created_at: datetime
    updated_at: datetime
    availability: Availability | None = None


class ItemQuery(BaseModel):
    """Filters of the inventory: words, category, whose gear, and free counts over dates."""

    q: str | None = Field(None, max_length=100)
    category: str | None = Field(None, max_length=60)
    event_id: Id | None = None
    available_from: date | None = None
    available_to: date | None = None
    min_free: Annotated[int, Field(ge=0, le=MAX_QUANTITY)] | None = None

    @model_validator(mode="after")
    def _window(self) -> ItemQuery:
        if (self.available_from is None) != (self.available_to is None):
            raise ValueError("give both available_from and available_to, or neither")
        if self.available_from and self.available_to and self.available_to < self.available_from:
            raise ValueError("available_to must not be before available_from")
        if self.min_free is not None and self.available_from is None:
            raise ValueError("min_free needs available_from and available_to")
        return self


class ScopeQuery(BaseModel):
    """Whose gear: the club's (no event_id) or an event's."""

    event_id: Id | None = None


class WindowQuery(BaseModel):
    """A window of days, both ends included."""

    available_from: date
    available_to: date

    @model_validator(mode="after")
    def _ordered(self) -> WindowQuery:
        if self.available_to < self.available_from:
            raise ValueError("available_to must not be before available_from")
        return self


class HistoryQuery(BaseModel):
    """Whose history: the whole item's, or one unit's."""

    unit_id: Id | None = None


class HistoryOut(BaseModel):
    """One thing that happened to an item or unit."""

    id: int
    at: datetime
    item_id: int
    unit_id: int | None
    unit_label: str | None
    reservation_id: int | None
    loan_id: int | None
    action: str
    actor_id: int | None
    user_id: int | None
    user_name: str
    quantity: int | None
    condition: str | None
    note: str


class ImportResult(BaseModel):
    """What a CSV import created: items, or packing list lines."""

    created: int


# ---- reservations ----------------------------------------------------------------------


class ReservationCreate(Input):
    """Book gear for whole days (both ends included, in the club's time zone).

    For oneself, or for an event (``event_id``, organizers only), held by one of its members
    (``user_id``: a person without an account, say); a specific unit with ``unit_id``, or any
    ``quantity`` of the item.
    """

    item_id: Id
    quantity: Count = 1
    start_date: date
    end_date: date
    unit_id: Id | None = None
    event_id: Id | None = None
    user_id: Id | None = None
    note: Note = ""

    @model_validator(mode="after")
    def _ends_after_start(self) -> ReservationCreate:
        if self.end_date < self.start_date:
            raise ValueError("end_date must not be before start_date")
        if self.unit_id is not None and self.quantity != 1:
            raise ValueError("a reservation of a specific unit is for quantity 1")
        if self.user_id is not None and self.event_id is None:
            raise FieldError(
                "user_id", Message("gear is reserved for someone else only for an event")
            )
        return self


MAX_BASKET_LINES = 50


class BasketLine(Input):
    """One line of a basket: an item, and how many of it or which unit."""

    item_id: Id
    quantity: Count = 1
    unit_id: Id | None = None

    @model_validator(mode="after")
    def _one_unit(self) -> BasketLine:
        if self.unit_id is not None and self.quantity != 1:
            raise ValueError("a reservation of a specific unit is for quantity 1")
        return self


class BasketCreate(Input):
    """Several items reserved at once over the same days, all or nothing.

    For oneself, or for an event (``event_id``, organizers only). If one line cannot be
    served, none is reserved.
    """

    start_date: date
    end_date: date
    event_id: Id | None = None
    user_id: Id | None = None
    note: Note = ""
    lines: Annotated[list[BasketLine], Field(min_length=1, max_length=MAX_BASKET_LINES)]

    @model_validator(mode="after")
    def _ends_after_start(self) -> BasketCreate:
        if self.end_date < self.start_date:
            raise ValueError("end_date must not be before start_date")
        if self.user_id is not None and self.event_id is None:
            raise FieldError(
                "user_id", Message("gear is reserved for someone else only for an event")
            )
        return self

    def reservation(self, line: BasketLine) -> ReservationCreate:
        """The reservation one line asks for."""
        return ReservationCreate(
            item_id=line.item_id,
            quantity=line.quantity,
            unit_id=line.unit_id,
            start_date=self.start_date,
            end_date=self.end_date,
            event_id=self.event_id,
            user_id=self.user_id,
            note=self.note,
        )


class ReservationOut(BaseModel):
    """A reservation; ``flag`` says why it cannot be served as booked, if so."""

    id: int
    item_id: int
    item_name: str
    unit_id: int | None
    unit_label: str | None
    quantity: int
    start_date: date
    end_date: date
    user_id: int
    user_name: str
    event_id: int | None
    event_name: str
    status: ReservationStatus
    flag: str | None
    note: str
    created_at: datetime
    cancelled_at: datetime | None


class ReservationQuery(BaseModel):
    """Whose reservations: one's own, an event's (``event_id``), or all the club's (keepers)."""

    scope: Scope = "mine"
    event_id: Id | None = None
    item_id: Id | None = None
    status: ReservationFilter = "active"

    @model_validator(mode="after")
    def _event_scope(self) -> ReservationQuery:
        if (self.scope == "event") != (self.event_id is not None):
            raise ValueError("scope=event goes with event_id, and event_id with scope=event")
        return self


# ---- loans -------------------------------------------------------------------------------


class CheckOut(Input):
    """Hand gear out: a reservation (``reservation_id``), or free gear on the spot
    (``item_id``, ``quantity``, ``end_date`` and the borrower's ``user_id``).
    ``unit_ids`` picks the units; otherwise the best free ones are chosen."""

    reservation_id: Id | None = None
    item_id: Id | None = None
    quantity: Count = 1
    end_date: date | None = None
    user_id: Id | None = None
    unit_ids: list[Id] = Field(default_factory=list, max_length=MAX_UNITS_PER_ITEM)
    note: Note = ""

    @model_validator(mode="after")
    def _one_way(self) -> CheckOut:
        if (self.reservation_id is None) == (self.item_id is None):
            raise ValueError("give either reservation_id or item_id")
        if self.item_id is not None and self.end_date is None:
            raise ValueError("end_date is required to check out gear without a reservation")
        if self.reservation_id is not None and (
            self.end_date is not None or self.user_id is not None
        ):
            raise ValueError("end_date and user_id come from the reservation")
        if len(set(self.unit_ids)) != len(self.unit_ids):
            raise ValueError("unit_ids must not repeat a unit")
        return self


class CheckIn(Input):
    """Take gear back. A unit comes back in a ``condition``; for a quantity,
    ``out_of_service`` says how many came back unusable."""

    condition: Condition | None = None
    out_of_service: Annotated[int, Field(ge=0, le=MAX_QUANTITY)] = 0
    note: Note = ""


class LoanOut(BaseModel):
    """Gear out (or back): who has it, until when, and in what condition it left and came back."""

    id: int
    reservation_id: int
    item_id: int
    item_name: str
    unit_id: int | None
    unit_label: str | None
    quantity: int
    user_id: int
    user_name: str
    event_id: int | None
    event_name: str
    due_date: date
    checked_out_at: datetime
    condition_out: str | None
    note_out: str
    returned_at: datetime | None
    condition_in: str | None
    note_in: str
    out_of_service: int
    overdue: bool
    days_overdue: int


class LoanQuery(BaseModel):
    """Whose loans (as for reservations) and which: out, overdue, returned or any."""

    scope: Scope = "mine"
    event_id: Id | None = None
    item_id: Id | None = None
    state: LoanState = "out"

    @model_validator(mode="after")
    def _event_scope(self) -> LoanQuery:
        if (self.scope == "event") != (self.event_id is not None):
            raise ValueError("scope=event goes with event_id, and event_id with scope=event")
        return self


# ---- packing lists -----------------------------------------------------------------------


class PackingEntryCreate(Input):
    """A line of a packing list: each participant brings it, or the club lends it
    (optionally one of its items, ``item_id``, whose name and weight are used by default)."""

    name: Name | None = None
    category: str = Field("", max_length=60)
    description: str = Field("", max_length=500)
    quantity: Annotated[int, Field(ge=1, le=1000)] = 1
    weight_grams: Grams | None = None
    worn: bool = False
    consumable: bool = False
    url: str = Field("", max_length=500)
    price: Annotated[Decimal, Field(ge=0, max_digits=10, decimal_places=2)] | None = None
    provided_by: Provider = "participant"
    item_id: Id | None = None

    @model_validator(mode="after")
    def _club_items(self) -> PackingEntryCreate:
        if self.item_id is not None and self.provided_by != "club":
            raise ValueError("an inventory item is lent by the club: use provided_by=club")
        if self.item_id is None and self.name is None:
            raise ValueError("name is required unless item_id names an inventory item")
        return self


class PackingEntryUpdate(Input):
    """Changes to a packing list line; fields left out stay as they are."""

    name: Name | None = None
    category: str | None = Field(None, max_length=60)
    description: str | None = Field(None, max_length=500)
    quantity: Annotated[int, Field(ge=1, le=1000)] | None = None
    weight_grams: Grams | None = None
    worn: bool | None = None
    consumable: bool | None = None
    url: str | None = Field(None, max_length=500)
    price: Annotated[Decimal, Field(ge=0, max_digits=10, decimal_places=2)] | None = None
    provided_by: Provider | None = None


class PackingEntryOut(BaseModel):
    """A packing list line and its weight (``weight_grams`` each, ``total_grams`` in all)."""

    id: int
    event_id: int
    name: str
    category: str
    description: str
    quantity: int
    weight_grams: int
    total_grams: int
    worn: bool
    consumable: bool
    url: str
    price: Decimal | None
    provided_by: Provider
    item_id: int | None


class Weights(BaseModel):
    """LighterPack's weights in grams: base = total - worn - consumable."""

    total: int
    base: int
    worn: int
    consumable: int


class CategoryWeights(Weights):
    """The weights of one category."""

    category: str


class PackingListOut(BaseModel):
    """An event's packing list with its weights: all of it, what each participant brings,
    what the club lends, and by category."""

    event_id: int
    entries: list[PackingEntryOut]
    totals: Weights
    participant: Weights
    club: Weights
    categories: list[CategoryWeights]
