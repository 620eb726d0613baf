"""A small, realistic demo club so that a newcomer sees something on first run."""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable
from dataclasses import replace
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from tripbot.agenda.schemas import ActivityCreate, PlaceCreate
from tripbot.events.schemas import (
    EventCreate,
    GuestCreate,
    InvitationCreate,
    MemberRoleChange,
    UserOut,
    UserRegister,
)
from tripbot.gateway.services import Services
from tripbot.gear.schemas import ItemCreate, ReservationCreate, UnitCreate
from tripbot.ledger.schemas import (
    BudgetLineIn,
    BudgetUpdate,
    EntryCreate,
    PartyAmount,
    Split,
    SplitPart,
)
from tripbot.platform.errors import Conflict
from tripbot.platform.identity import Principal
from tripbot.platform.operations import Upload
from tripbot.routes.schemas import PlanUpdate, RouteDetails

DEMO_PASSWORD = "tripbot-demo-2026"  # noqa: S105 - printed to the person who asked for the demo
DEMO_PEOPLE = (
    ("ana@demo.tripbot.example", "Ana García"),
    ("luis@demo.tripbot.example", "Luis Fernández"),
    ("marta@demo.tripbot.example", "Marta Ruiz"),
)


def load_demo(
    services: Services, open_account: Callable[[UserRegister], UserOut] | None = None
) -> bool:
    """Create the demo club through the services' own API; False if it was already there.

    ``open_account`` opens the demo people's accounts as the operator would (``tripbot user
    create``), which an instance whose registration is by invitation only needs; by default
    they register as anyone may on an open instance."""
    open_account = open_account or services.events().register
    try:
        people = [
            open_account(
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
    ana.change_member_role(fiesta.id, people[1].id, MemberRoleChange(role="organizer"))
    # The club's cook never opens the app: the organizers added him by name.
    cook = ana.add_guest(fiesta.id, GuestCreate(display_name="Pepe Rivas")).user_id
    owner = Principal(user_id=people[0].id, instance_role="admin")
    _cares_story(services, owner, [p.id for p in people], cares.id, soon)
    fiesta_starts = soon + timedelta(days=30)
    _fiesta_agenda(services, owner, [p.id for p in people], fiesta.id, fiesta_starts, cook)
    return True


CARES_PATH = (
    (43.2606, -4.8325, 220.0),
    (43.2520, -4.8400, 330.0),
    (43.2440, -4.8530, 410.0),
    (43.2350, -4.8680, 450.0),
    (43.2270, -4.8820, 470.0),
    (43.2190, -4.8950, 480.0),
    (43.2140, -4.9045, 460.0),
)
"""Poncebos to Caín along the gorge: (latitude, longitude, elevation) of its turns."""


def cares_gpx(steps: int = 40) -> bytes:
    """The Cares path as a GPX track, points every ~40 m with the small ups and downs of a
    path cut in the rock (a made-up but plausible profile)."""
    points = []
    for (lat1, lon1, ele1), (lat2, lon2, ele2) in itertools.pairwise(CARES_PATH):
        for step in range(steps):
            f = step / steps
            wiggle = 6 * math.sin(step * 0.9)
            points.append(
                (
                    lat1 + (lat2 - lat1) * f,
                    lon1 + (lon2 - lon1) * f,
                    ele1 + (ele2 - ele1) * f + wiggle,
                )
            )
    points.append(CARES_PATH[-1])
    track = "".join(
        f'<trkpt lat="{lat:.6f}" lon="{lon:.6f}"><ele>{ele:.1f}</ele></trkpt>'
        for lat, lon, ele in points
    )
    return (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<gpx version="1.1" creator="TripBot demo" xmlns="http://www.topografix.com/GPX/1/1">'
        '<wpt lat="43.2606" lon="-4.8325"><name>Poncebos</name></wpt>'
        '<wpt lat="43.2140" lon="-4.9045"><name>Caín</name></wpt>'
        f"<trk><name>Ruta del Cares</name><trkseg>{track}</trkseg></trk></gpx>"
    ).encode()


def _cares_story(
    services: Services, owner: Principal, people: list[int], event_id: int, starts: datetime
) -> None:
    """The excursion's route and plan, gear for it, and its first expenses."""
    ana, luis, marta = people
    organizer = replace(owner, event_id=event_id, event_role="owner")
    route = services.routes(owner).import_route(
        Upload("cares.gpx", cares_gpx()),
        RouteDetails(
            description="Sendero clásico por la garganta del Cares, tallado en la roca.",
            region="Picos de Europa",
            signage="PR-PNPE 3",
        ),
    )
    services.routes(organizer).set_plan(
        event_id,
        PlanUpdate(
            route_ids=[route.id],
            meeting_point="Aparcamiento de Poncebos",
            meeting_lat=43.2606,
            meeting_lon=-4.8325,
            meeting_at=starts - timedelta(minutes=30),
            capacity=20,
            notes="Coches compartidos desde Oviedo a las 6:30.",
        ),
    )
    gear = services.gear(owner)
    tents = gear.create_item(
        ItemCreate(
            name="Tienda 2 plazas",
            category="refugio",
            weight_grams=2100,
            tracking="units",
            units=[UnitCreate(label=label) for label in ("T1", "T2", "T3")],
        )
    )
    headlamps = gear.create_item(
        ItemCreate(name="Frontal", category="iluminación", weight_grams=90, quantity=10)
    )
    gear.create_item(ItemCreate(name="Casco", category="seguridad", weight_grams=350, quantity=6))
    day = starts.date()
    services.gear(organizer).reserve(
        ReservationCreate(
            item_id=headlamps.id, quantity=3, start_date=day, end_date=day, event_id=event_id
        )
    )
    services.gear(organizer).reserve(
        ReservationCreate(item_id=tents.id, quantity=1, start_date=day, end_date=day)
    )
    ledger = services.ledger(organizer)
    ledger.set_budget(
        event_id,
        BudgetUpdate(
            lines=[
                BudgetLineIn(kind="expense", category="transporte", planned="90.00"),
                BudgetLineIn(kind="expense", category="comida", planned="60.00"),
            ]
        ),
    )
    ledger.record_entry(
        event_id,
        EntryCreate(description="Gasolina", amount="45.60", category="transporte"),
    )
    services.ledger(replace(organizer, user_id=luis, event_role="participant")).record_entry(
        event_id,
        EntryCreate(
            description="Pan y embutido",
            amount="23.10",
            category="comida",
            paid_by=[PartyAmount(party=luis)],
        ),
    )
    ledger.record_entry(
        event_id,
        EntryCreate(
            description="Parking en Poncebos",
            amount="12.00",
            category="transporte",
            paid_by=[PartyAmount(party=marta)],
            split=Split(among=[SplitPart(user_id=ana), SplitPart(user_id=marta)]),
        ),
    )


def _fiesta_agenda(  # noqa: PLR0917 - the demo's cast
    services: Services,
    owner: Principal,
    people: list[int],
    event_id: int,
    starts: datetime,
    cook: int,
) -> None:
    """The annual meeting's timetable over its two days (its dinner led by a guest)."""
    agenda = services.agenda(replace(owner, event_id=event_id, event_role="owner"))
    hall = agenda.add_place(event_id, PlaceCreate(name="Sala grande", capacity=60))
    hostel = agenda.add_place(event_id, PlaceCreate(name="Comedor del albergue", capacity=40))
    plan = (
        ("Llegada y café", 10, 1, hall.id),
        ("Ruta corta al embalse", 11, 3, None),
        ("Comida", 14, 1.5, hostel.id),
        ("Asamblea del club", 17, 2, hall.id),
        ("Cena", 21, 2, hostel.id),
    )
    for title, hour, hours, place in plan:
        begin = starts.replace(hour=hour, minute=0)
        agenda.add_activity(
            event_id,
            ActivityCreate(
                title=title,
                starts_at=begin,
                ends_at=begin + timedelta(hours=hours),
                place_id=place,
                people={"Asamblea del club": [people[0]], "Cena": [cook]}.get(title, []),
            ),
        )
