"""The agenda service's use cases over a real database (both backends) and the events service
stood in for at its client boundary."""

from __future__ import annotations

import threading
from datetime import date, datetime
from typing import Any

import pytest
from sqlalchemy import select

from tests.agenda.conftest import EVENT_ID, Club
from tripbot.agenda import service
from tripbot.agenda.models import Activity, ActivityPerson, FeedToken, Place, outbox
from tripbot.agenda.schemas import (
    ActivityCreate,
    ActivityOut,
    ActivityQuery,
    ActivityUpdate,
    CalendarQuery,
    NowQuery,
    PlaceCreate,
    PlaceOut,
    PlaceUpdate,
)
from tripbot.platform.errors import Conflict, InvalidInput, NotFound, PermissionDenied

MADRID = "+02:00"


def at(clock: str, day: str = "2027-05-01") -> datetime:
    """An instant on a day of the event, in Madrid's summer time."""
    return datetime.fromisoformat(f"{day}T{clock}:00{MADRID}")


def a_place(club: Club, name: str = "Refugio", capacity: int | None = None) -> PlaceOut:
    """A place of the club's event."""
    data = PlaceCreate(name=name, capacity=capacity)
    return club.run("organizer", service.add_place, club.event.id, data)


def an_activity(club: Club, start: str = "08:00", end: str = "09:00", **fields: Any) -> ActivityOut:
    """An activity of the club's event, put there by its organizer."""
    fields.setdefault("title", "Desayuno")
    data = ActivityCreate(starts_at=at(start), ends_at=at(end), **fields)
    return club.run("organizer", service.add_activity, club.event.id, data)


def change(club: Club, activity: ActivityOut, **fields: Any) -> ActivityOut:
    """Change an activity as the organizer."""
    data = ActivityUpdate(**fields)
    return club.run("organizer", service.change_activity, club.event.id, activity.id, data)


# ---- building the timetable ---------------------------------------------------------------


def test_an_organizer_builds_the_timetable_and_members_read_it(club: Club) -> None:
    hut = a_place(club, capacity=30)
    participant = club.people["participant"]
    made = an_activity(
        club,
        title="  Charla de seguridad ",
        place_id=hut.id,
        people=[participant.id, participant.id],
        capacity=20,
        track="Montaña",
    )
    assert (made.title, made.place_name, made.track, made.status) == (
        "Charla de seguridad",
        "Refugio",
        "Montaña",
        "scheduled",
    )
    assert [(p.user_id, p.display_name) for p in made.people] == [
        (participant.id, participant.display_name)
    ]
    assert made.starts_at == at("08:00")
    assert made.starts_at.utcoffset() is not None
    assert str(made.starts_at.tzinfo) == "UTC"
    listed = club.run("participant", service.list_activities, club.event.id, ActivityQuery())
    assert listed == [made]
    assert club.run("participant", service.get_activity, club.event.id, made.id) == made
    assert club.run("participant", service.list_places, club.event.id) == [hut]
    assert club.changes()[-1] == (
        "activity.added",
        {
            "event_id": club.event.id,
            "by": club.people["organizer"].id,
            "activity_id": made.id,
            "title": "Charla de seguridad",
            "starts_at": "2027-05-01T08:00:00+02:00",
            "ends_at": "2027-05-01T09:00:00+02:00",
            "place": "Refugio",
            "status": "scheduled",
        },
    )


def test_each_activity_gets_its_own_random_uid_that_never_changes(club: Club) -> None:
    first, second = an_activity(club), an_activity(club, title="Otra")
    assert first.uid != second.uid
    assert len(first.uid) == 36
    assert first.uid.count("-") == 4
    moved = change(club, first, starts_at=at("10:00"), ends_at=at("11:00"), title="Nueva")
    assert moved.uid == first.uid


def test_a_day_is_read_in_the_event_time_zone(club: Club) -> None:
    late = an_activity(club, "23:30", "23:59", title="Tarde")
    # 00:30 on 2 May in Madrid is still 1 May in UTC.
    night = club.run(
        "organizer",
        service.add_activity,
        club.event.id,
        ActivityCreate(
            title="Noche", starts_at=at("00:30", "2027-05-02"), ends_at=at("01:30", "2027-05-02")
        ),
    )

    def day(value: str) -> list[str]:
        query = ActivityQuery(day=date.fromisoformat(value))
        return [
            a.title for a in club.run("participant", service.list_activities, club.event.id, query)
        ]

    assert day("2027-05-01") == [late.title]
    assert day("2027-05-02") == [night.title]
    assert day("2027-05-03") == []


def test_activities_are_listed_by_place(club: Club) -> None:
    hut, river = a_place(club, "Refugio"), a_place(club, "Río")
    an_activity(club, title="A", place_id=hut.id)
    an_activity(club, title="B", place_id=river.id)
    query = ActivityQuery(place_id=river.id)
    listed = club.run("participant", service.list_activities, club.event.id, query)
    assert [a.title for a in listed] == ["B"]


# ---- changes: moved, updated, cancelled, sequence -------------------------------------------


def test_moving_an_activity_marks_it_moved_and_tells_old_and_new(club: Club) -> None:
    hut, river = a_place(club, "Refugio"), a_place(club, "Río")
    made = an_activity(club, place_id=hut.id)
    moved = change(club, made, starts_at=at("10:00"), ends_at=at("11:30"), place_id=river.id)
    assert (moved.status, moved.sequence, moved.place_name) == ("moved", 1, "Río")
    topic, payload = club.changes()[-1]
    assert topic == "activity.moved"
    assert payload["before"] == {
        "starts_at": "2027-05-01T08:00:00+02:00",
        "ends_at": "2027-05-01T09:00:00+02:00",
        "place": "Refugio",
    }
    assert (payload["starts_at"], payload["ends_at"], payload["place"]) == (
        "2027-05-01T10:00:00+02:00",
        "2027-05-01T11:30:00+02:00",
        "Río",
    )
    assert payload["changed"] == ["ends_at", "place_id", "starts_at"]


def test_other_edits_keep_the_sequence_and_are_recorded_as_updates(club: Club) -> None:
    made = an_activity(club)
    same_time = change(club, made, description="Traed taza", starts_at=at("08:00"))
    assert (same_time.status, same_time.sequence, same_time.description) == (
        "scheduled",
        0,
        "Traed taza",
    )
    assert club.changes()[-1][0] == "activity.updated"


def test_cancelling_keeps_the_activity_raises_its_sequence_and_can_be_undone(club: Club) -> None:
    made = an_activity(club)
    cancelled = club.run("organizer", service.cancel_activity, club.event.id, made.id)
    assert (cancelled.status, cancelled.sequence) == ("cancelled", 1)
    again = club.run("organizer", service.cancel_activity, club.event.id, made.id)
    assert again.sequence == 1
    topics = [topic for topic, _ in club.changes()]
    assert topics.count("activity.cancelled") == 1
    restored = change(club, made, status="scheduled")
    assert (restored.status, restored.sequence) == ("scheduled", 2)
    assert club.changes()[-1][0] == "activity.restored"
    listed = club.run("participant", service.list_activities, club.event.id, ActivityQuery())
    assert [a.id for a in listed] == [made.id]


def test_the_people_in_charge_can_be_reordered_and_replaced(club: Club) -> None:
    organizer, participant = club.people["organizer"], club.people["participant"]
    made = an_activity(club, people=[organizer.id, participant.id])
    swapped = change(club, made, people=[participant.id, organizer.id])
    assert [p.user_id for p in swapped.people] == [participant.id, organizer.id]
    cleared = change(club, made, people=[])
    assert cleared.people == []
    assert club.count(ActivityPerson) == 0


def test_deleting_an_activity_removes_it_and_its_people(club: Club) -> None:
    made = an_activity(club, people=[club.people["participant"].id])
    club.run("organizer", service.remove_activity, club.event.id, made.id)
    assert (club.count(Activity), club.count(ActivityPerson)) == (0, 0)
    assert club.changes()[-1][0] == "activity.deleted"
    with pytest.raises(NotFound, match=f"no activity {made.id}"):
        club.run("participant", service.get_activity, club.event.id, made.id)


# ---- refusals: they store nothing -----------------------------------------------------------


def _refused_store_nothing(club: Club, call: Any, error: type[Exception], match: str) -> None:
    before = (club.count(Activity), club.count(ActivityPerson), club.count(outbox))
    with pytest.raises(error, match=match):
        call()
    assert (club.count(Activity), club.count(ActivityPerson), club.count(outbox)) == before


def test_an_absurd_duration_is_refused(club: Club) -> None:
    def week() -> ActivityOut:
        data = ActivityCreate(
            title="Semana", starts_at=at("08:00"), ends_at=at("08:01", "2027-05-04")
        )
        return club.run("organizer", service.add_activity, club.event.id, data)

    _refused_store_nothing(
        club, week, InvalidInput, "at most 72 hours; this one would last 72.0167"
    )
    three_days = ActivityCreate(
        title="Tres días", starts_at=at("08:00"), ends_at=at("08:00", "2027-05-04")
    )
    club.run("organizer", service.add_activity, club.event.id, three_days)
    assert club.count(Activity) == 1


def test_an_unknown_place_or_person_is_refused_naming_it(club: Club) -> None:
    outsider = club.people["outsider"]
    _refused_store_nothing(
        club, lambda: an_activity(club, place_id=999_999), InvalidInput, "no place 999999"
    )
    with pytest.raises(InvalidInput) as raised:
        an_activity(club, people=[club.people["participant"].id, outsider.id, 888_888])
    assert raised.value.detail == f"users {outsider.id}, 888888 are not members of this event"
    assert raised.value.extensions == {
        "field": "people",
        "unknown": [outsider.id, 888_888],
        "user_ids": f"{outsider.id}, 888888",
    }
    assert club.count(Activity) == 0


def test_places_and_activities_of_another_event_are_unknown_there(club: Club) -> None:
    other = club.new_event(EVENT_ID + 1, "Otra", owner="organizer")
    hut = a_place(club)
    made = an_activity(club, place_id=hut.id)
    club.event = other  # the organizer owns the other event
    club.people["organizer"], club.people["owner"] = club.people["owner"], club.people["organizer"]
    with pytest.raises(NotFound, match=f"no activity {made.id} in event {other.id}"):
        club.run("owner", service.get_activity, other.id, made.id)
    data = ActivityCreate(title="X", starts_at=at("08:00"), ends_at=at("09:00"), place_id=hut.id)
    with pytest.raises(InvalidInput, match=f"no place {hut.id} in this event"):
        club.run("owner", service.add_activity, other.id, data)


def test_an_update_that_would_end_before_it_starts_is_refused(club: Club) -> None:
    made = an_activity(club)
    _refused_store_nothing(
        club, lambda: change(club, made, ends_at=at("07:00")), InvalidInput, "after starts_at"
    )
    _refused_store_nothing(
        club, lambda: change(club, made, title=None), InvalidInput, "title cannot be empty"
    )
    stored = club.run("participant", service.get_activity, club.event.id, made.id)
    assert stored == made


# ---- permissions ----------------------------------------------------------------------------


@pytest.mark.parametrize("who", ["owner", "organizer"])
def test_owners_and_organizers_edit(club: Club, who: str) -> None:
    data = ActivityCreate(title="Cena", starts_at=at("20:00"), ends_at=at("21:00"))
    made = club.run(who, service.add_activity, club.event.id, data)
    assert made.created_at <= made.updated_at


def test_participants_read_but_do_not_edit(club: Club) -> None:
    made = an_activity(club)
    data = ActivityCreate(title="Cena", starts_at=at("20:00"), ends_at=at("21:00"))
    with pytest.raises(PermissionDenied, match="organizer or above may change the agenda"):
        club.run("participant", service.add_activity, club.event.id, data)
    with pytest.raises(PermissionDenied):
        club.run("participant", service.cancel_activity, club.event.id, made.id)
    with pytest.raises(PermissionDenied):
        club.run("participant", service.add_place, club.event.id, PlaceCreate(name="Mío"))
    assert club.run("participant", service.find_conflicts, club.event.id) == []


def test_outsiders_see_nothing(club: Club) -> None:
    made = an_activity(club)
    for call in (
        lambda: club.run("outsider", service.list_activities, club.event.id, ActivityQuery()),
        lambda: club.run("outsider", service.get_activity, club.event.id, made.id),
        lambda: club.run("outsider", service.list_places, club.event.id),
        lambda: club.run("outsider", service.find_conflicts, club.event.id),
        lambda: club.run("outsider", service.issue_feed_token, club.event.id),
        lambda: club.run("outsider", service.calendar_feed, club.event.id, CalendarQuery()),
    ):
        with pytest.raises(NotFound, match=f"no event {club.event.id}"):
            call()


# ---- places -------------------------------------------------------------------------------


def test_place_names_are_unique_in_an_event(club: Club) -> None:
    hut = a_place(club, "Refugio")
    with pytest.raises(Conflict, match="already has a place called 'Refugio'"):
        a_place(club, " Refugio ")
    river = a_place(club, "Río")
    with pytest.raises(Conflict):
        club.run(
            "organizer", service.change_place, club.event.id, river.id, PlaceUpdate(name="Refugio")
        )
    renamed = club.run(
        "organizer",
        service.change_place,
        club.event.id,
        hut.id,
        PlaceUpdate(capacity=None, name="Cabaña"),
    )
    assert (renamed.name, renamed.capacity) == ("Cabaña", None)
    assert club.count(Place) == 2


def test_a_place_in_use_cannot_be_removed(club: Club) -> None:
    hut = a_place(club)
    made = an_activity(club, place_id=hut.id)
    with pytest.raises(Conflict, match="place of 1 activities"):
        club.run("organizer", service.remove_place, club.event.id, hut.id)
    change(club, made, place_id=None)
    club.run("organizer", service.remove_place, club.event.id, hut.id)
    assert club.count(Place) == 0
    assert [t for t, _ in club.changes()][-1] == "place.removed"


# ---- conflicts and now/next ------------------------------------------------------------------


def test_conflicts_are_warned_of_but_everything_is_stored(club: Club) -> None:
    hut = a_place(club, "Refugio", capacity=10)
    guide = club.people["participant"].id
    first = an_activity(club, "09:00", "10:00", title="A", place_id=hut.id, people=[guide])
    second = an_activity(club, "09:30", "10:30", title="B", place_id=hut.id, people=[guide])
    an_activity(club, "10:30", "11:00", title="Back to back", place_id=hut.id, people=[guide])
    early = an_activity(club, "07:00", "07:30", title="Antes")
    crowded = an_activity(club, "12:00", "13:00", title="Llena", place_id=hut.id, capacity=11)
    cancelled = an_activity(club, "09:00", "10:00", title="C", place_id=hut.id)
    club.run("organizer", service.cancel_activity, club.event.id, cancelled.id)

    found = club.run("participant", service.find_conflicts, club.event.id)
    assert [(c.kind, c.activity_ids) for c in found] == [
        ("place_double_booked", [first.id, second.id]),
        ("person_double_booked", [first.id, second.id]),
        ("outside_event", [early.id]),
        ("over_capacity", [crowded.id]),
    ]
    assert found[0].place_id == hut.id
    assert found[1].user_id == guide
    assert found[3].detail == "'Llena' expects 11 people but Refugio holds 10"
    assert club.count(Activity) == 6


def test_now_and_next_leave_out_what_is_cancelled(club: Club) -> None:
    breakfast = an_activity(club, "08:00", "09:00", title="Desayuno")
    walk = an_activity(club, "08:30", "13:00", title="Ruta")
    lunch = an_activity(club, "13:00", "14:00", title="Comida")
    called_off = an_activity(club, "10:00", "11:00", title="Baño")
    club.run("organizer", service.cancel_activity, club.event.id, called_off.id)
    answer = club.run("participant", service.now_and_next, club.event.id, NowQuery(at=at("08:45")))
    assert [a.id for a in answer.now] == [breakfast.id, walk.id]
    assert [a.id for a in answer.next] == [lunch.id]
    assert answer.timezone == "Europe/Madrid"
    ending = club.run(
        "participant", service.now_and_next, club.event.id, NowQuery(at=at("09:00"), limit=1)
    )
    assert [a.id for a in ending.now] == [walk.id]


# ---- calendar feed tokens and the feed ------------------------------------------------------


def test_a_feed_token_opens_the_calendar_without_a_login(club: Club) -> None:
    an_activity(club)
    with pytest.raises(NotFound, match="no calendar feed link"):
        club.run("participant", service.feed_token, club.event.id)
    issued = club.run("participant", service.issue_feed_token, club.event.id)
    assert club.run("participant", service.feed_token, club.event.id) == issued
    feed = club.run(
        "outsider", service.calendar_feed, club.event.id, CalendarQuery(token=issued.token)
    )
    assert feed.body is not None
    assert "SUMMARY:Desayuno" in feed.body
    with club.database.unit_of_work() as uow:
        stored = uow.session.scalars(select(FeedToken)).one()
        assert issued.token not in (stored.nonce, stored.token_hash)


def test_a_regenerated_or_revoked_token_stops_working(club: Club) -> None:
    first = club.run("participant", service.issue_feed_token, club.event.id)
    second = club.run("participant", service.issue_feed_token, club.event.id)
    assert first.token != second.token
    for token in (first.token, "not-a-token", "A" * 32):
        with pytest.raises(NotFound, match="no such calendar feed"):
            club.run("outsider", service.calendar_feed, club.event.id, CalendarQuery(token=token))
    club.run("participant", service.revoke_feed_token, club.event.id)
    with pytest.raises(NotFound, match="no such calendar feed"):
        club.run(
            "outsider", service.calendar_feed, club.event.id, CalendarQuery(token=second.token)
        )
    assert club.count(FeedToken) == 0


def test_a_token_opens_only_its_own_event_and_only_while_its_holder_is_a_member(club: Club) -> None:
    issued = club.run("participant", service.issue_feed_token, club.event.id)
    with pytest.raises(NotFound):
        club.run(
            "outsider", service.calendar_feed, club.event.id + 1, CalendarQuery(token=issued.token)
        )
    club.leave("participant")
    with pytest.raises(NotFound, match="no such calendar feed"):
        club.run(
            "outsider", service.calendar_feed, club.event.id, CalendarQuery(token=issued.token)
        )


def test_the_etag_changes_with_the_agenda_and_the_event_and_answers_polls(club: Club) -> None:
    made = an_activity(club)
    first = club.run("participant", service.calendar_feed, club.event.id, CalendarQuery())
    assert club.run("participant", service.calendar_feed, club.event.id, CalendarQuery()) == first
    unchanged = club.run(
        "participant",
        service.calendar_feed,
        club.event.id,
        CalendarQuery(),
        if_none_match=f'"{first.etag}"',
    )
    assert (unchanged.etag, unchanged.body) == (first.etag, None)
    weak = club.run(
        "participant",
        service.calendar_feed,
        club.event.id,
        CalendarQuery(),
        if_none_match=f'"x", W/"{first.etag}"',
    )
    assert weak.body is None

    change(club, made, title="Desayuno largo")
    second = club.run(
        "participant",
        service.calendar_feed,
        club.event.id,
        CalendarQuery(),
        if_none_match=f'"{first.etag}"',
    )
    assert second.etag != first.etag
    assert second.body is not None

    club.rename_event("Ruta renombrada")
    third = club.run("participant", service.calendar_feed, club.event.id, CalendarQuery())
    assert third.etag != second.etag
    assert third.body is not None
    assert "X-WR-CALNAME:Ruta renombrada" in third.body


def test_two_organizers_adding_the_same_place_at_once_get_one_place(club: Club) -> None:
    a_place(club, "Río")  # the agenda exists: only its row lock makes them take turns
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def add(who: str) -> None:
        barrier.wait()
        try:
            club.run(who, service.add_place, club.event.id, PlaceCreate(name="Refugio"))
            outcomes.append("added")
        except Conflict:
            outcomes.append("conflict")

    threads = [threading.Thread(target=add, args=(who,)) for who in ("owner", "organizer")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert sorted(outcomes) == ["added", "conflict"]
    assert club.count(Place) == 2
    assert [topic for topic, _ in club.changes()] == ["place.added", "place.added"]
