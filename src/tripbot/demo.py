"""A small, realistic demo club so that a newcomer sees something on first run."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from tripbot.events.schemas import EventCreate, InvitationCreate, UserRegister
from tripbot.gateway.services import Services
from tripbot.platform.errors import Conflict
from tripbot.platform.identity import Principal

DEMO_PASSWORD = "tripbot-demo-2026"  # noqa: S105 - printed to the person who asked for the demo
DEMO_PEOPLE = (
    ("ana@demo.tripbot.example", "Ana García"),
    ("luis@demo.tripbot.example", "Luis Fernández"),
    ("marta@demo.tripbot.example", "Marta Ruiz"),
)


def load_demo(services: Services) -> bool:
    """Create the demo club through the services' own API; False if it was already there."""
    anonymous = services.events()
    try:
        people = [
            anonymous.register(
                UserRegister(email=email, password=DEMO_PASSWORD, display_name=name, language="es")
            )
            for email, name in DEMO_PEOPLE
        ]
    except Conflict:
        return False
    ana, luis, marta = (services.events(Principal(user_id=p.id)) for p in people)
    madrid = ZoneInfo("Europe/Madrid")
    soon = datetime.now(madrid).replace(hour=8, minute=0, second=0, microsecond=0) + timedelta(
        days=14
    )
    cares = ana.create_event(
        EventCreate(
            name="Ruta del Cares",
            kind="excursion",
            description="Poncebos - Caín por la garganta del Cares. Llevad agua y frontal.",
            place="Poncebos, Asturias",
            starts_at=soon,
            ends_at=soon + timedelta(hours=10),
            timezone="Europe/Madrid",
            currency="EUR",
        )
    )
    fiesta = ana.create_event(
        EventCreate(
            name="Encuentro anual del club",
            kind="event",
            description="Fin de semana de actividades, cena y asamblea.",
            place="Albergue de Riaño, León",
            starts_at=soon + timedelta(days=30),
            ends_at=soon + timedelta(days=32),
            timezone="Europe/Madrid",
            currency="EUR",
        )
    )
    for event in (cares, fiesta):
        code = ana.create_invitation(event.id, InvitationCreate(max_uses=10)).code
        luis.accept_invitation(code)
        marta.accept_invitation(code)
    ana.change_member_role(fiesta.id, people[1].id, "organizer")
    return True
