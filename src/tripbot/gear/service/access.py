"""What every gear use case shares: the club's rules and people for a call, and who may do what
with the club's gear and an event's."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from sqlalchemy import ColumnElement, or_

from tripbot.events.client import EventsClient
from tripbot.gear import rules, store
from tripbot.gear.models import Item, Reservation
from tripbot.gear.schemas import ReservationCreate
from tripbot.platform.errors import (
    InvalidInput,
    Message,
    NotAuthenticated,
    NotFound,
    PermissionDenied,
)
from tripbot.platform.identity import EVENT_ROLE_RANK, Principal
from tripbot.platform.operations import Call

KEEPER_ROLES = ("admin", "gear_keeper")
POLICY = "policy"
"""Where a runtime keeps the club's gear rules (:class:`tripbot.gear.rules.GearPolicy`)."""
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

    def member_name(self, event_id: int, user_id: int) -> str:
        """The name of a member of an event (guests included); NotFound if not a member."""


@dataclass(frozen=True)
class Club:
    """What a use case needs beyond the database: the club's rules and its people."""

    policy: rules.GearPolicy
    people: People


class EventsPeople:
    """The events service, asked for names and event roles as the caller (answers are kept
    for the call: a use case may ask twice)."""

    def __init__(self, client: EventsClient) -> None:
        self._client = client
        self._seats: dict[int, Seat] = {}

    def my_name(self) -> str:
        """The caller's display name."""
        return self._client.me().display_name

    def name_of(self, user_id: int) -> str:
        """Someone's display name, asked as them (the gear service may sign for anyone)."""
        try:
            return self._client.acting_for(Principal(user_id=user_id)).me().display_name
        except NotAuthenticated:
            raise NotFound(
                Message("there is no user {user_id}"), field="user_id", user_id=user_id
            ) from None

    def member_name(self, event_id: int, user_id: int) -> str:
        """The name of a member of an event (guests included); NotFound if not a member."""
        for member in self._client.members(event_id):
            if member.user_id == user_id:
                return member.display_name
        raise NotFound(
            Message("user {user_ids} is not a member of this event"),
            field="user_id",
            user_ids=str(user_id),
        )

    def seat(self, event_id: int) -> Seat:
        """The caller's place in an event; NotFound if they are not a member."""
        if event_id not in self._seats:
            event = self._client.event(event_id)
            self._seats[event_id] = Seat(event.id, event.name, event.my_role)
        return self._seats[event_id]


def club_of(call: Call) -> Club:
    """What a call's use case needs beyond the database: the club's rules, and the events
    service asked as the caller."""
    policy = call.extra(rules.GearPolicy, POLICY)  # noqa: S610 - a runtime extra, not Django
    return Club(policy, EventsPeople(call.peer(EventsClient, "events")))


def is_keeper(principal: Principal) -> bool:
    """Whether someone manages the club's own gear (gear keepers and administrators)."""
    return principal.instance_role in KEEPER_ROLES


def ranks(role: str, minimum: str) -> bool:
    """Whether an event role is at least another."""
    return EVENT_ROLE_RANK.get(role, 0) >= EVENT_ROLE_RANK[minimum]


def may_manage(principal: Principal, people: People, event_id: int | None) -> bool:
    """Whether someone manages gear of the club (event_id None) or of an event.

    Non-members of the event get NotFound, as everywhere else.
    """
    if event_id is None:
        return is_keeper(principal)
    return ranks(people.seat(event_id).role, "organizer")


def require_manager(
    principal: Principal, people: People, event_id: int | None, action: str
) -> None:
    """Refuse someone who does not manage the gear (of the club, or of an event)."""
    principal.require_user()
    if may_manage(principal, people, event_id):
        return
    of_the_club, of_an_event = MANAGERS_ONLY[action]
    if event_id is None:
        raise PermissionDenied(of_the_club)
    raise PermissionDenied(of_an_event, event_id=event_id)


def require_viewer(principal: Principal, people: People, event_id: int | None) -> None:
    """Refuse anonymous callers, and with NotFound those outside the gear's event."""
    principal.require_user()
    if event_id is not None:
        people.seat(event_id)


def scope_filter(
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


def may_see_reservation(
    principal: Principal, people: People, reservation: store.Whose, *, manage: bool
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
            if ranks(role, "organizer" if manage else "participant"):
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


@dataclass(frozen=True)
class Holder:
    """Who a reservation is for: a person, and maybe the event it is for."""

    user_id: int
    user_name: str
    event_id: int | None = None
    event_name: str = ""
    made_by: int | None = None
    """Who made the reservation, when an organizer made it for someone else."""


def reservation_holder(
    principal: Principal, people: People, item_event: int | None, data: ReservationCreate
) -> Holder:
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
        return Holder(user_id, people.my_name())
    seat = people.seat(data.event_id)
    if not ranks(seat.role, "organizer"):
        raise PermissionDenied(
            Message("only an organizer of event {event_id} may reserve gear for it"),
            event_id=data.event_id,
        )
    if data.user_id is not None and data.user_id != user_id:
        # An organizer reserves for a member (a guest, who cannot reserve for themselves).
        name = people.member_name(seat.event_id, data.user_id)
        return Holder(data.user_id, name, seat.event_id, seat.event_name, made_by=user_id)
    return Holder(user_id, people.my_name(), seat.event_id, seat.event_name)
