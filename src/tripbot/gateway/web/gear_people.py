"""Whom the gear desk lends to, found by name: the people a keeper knows (every account for
an administrator; otherwise the members of the keeper's events and whoever has reserved or
borrowed the club's gear), each under a label that tells namesakes apart."""

from __future__ import annotations

from collections import Counter

from flask_babel import gettext as _

from tripbot.gateway import auth
from tripbot.gear.client import GearClient
from tripbot.gear.schemas import LoanQuery, ReservationQuery


def known_people(gear: GearClient) -> dict[str, int]:
    """Each person the desk may lend to, by the label shown among the suggestions."""
    people: dict[int, str] = {}
    if auth.principal().instance_role == "admin":
        people.update({user.id: user.display_name for user in auth.events().users()})
    else:
        for event in auth.events().events():
            people.update({m.user_id: m.display_name for m in auth.events().members(event.id)})
        held = gear.reservations(ReservationQuery(scope="all", status="any"))
        people.update({r.user_id: r.user_name for r in held})
        people.update(
            {
                loan.user_id: loan.user_name
                for loan in gear.loans(LoanQuery(scope="all", state="any"))
            }
        )
    # Two Martas are told apart by their number, the only thing the desk and the bot share.
    names = Counter(people.values())
    return {
        (name if names[name] == 1 else f"{name} (#{user_id})"): user_id
        for user_id, name in sorted(people.items(), key=lambda pair: pair[1].casefold())
    }


def borrower(typed: str, people: dict[str, int]) -> int | None:
    """The person a typed name means: its exact label, or the only one it matches."""
    typed = typed.strip()
    if typed in people:
        return people[typed]
    matches = {
        uid for label, uid in people.items() if label.casefold().startswith(typed.casefold())
    }
    return matches.pop() if len(matches) == 1 else None


def holders(event_id: int) -> list[tuple[str, str]]:
    """Whom an organizer may reserve an event's gear for: themselves, or one of its members
    (a person without an account too), namesakes told apart by their number."""
    members = auth.events().members(event_id)
    names = Counter(m.display_name for m in members)
    me = auth.require_user().id
    return [("", _("Me"))] + [
        (
            str(m.user_id),
            (m.display_name if names[m.display_name] == 1 else f"{m.display_name} (#{m.user_id})")
            + (f" · {_('guest')}" if m.role == "guest" else ""),
        )
        for m in members
        if m.user_id != me
    ]
