"""Ticking a packing list on a real database (both backends): each member packs their own bag,
organizers pack what the club lends once for everyone, and what each sees of it."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import func, select

from tests.gear.conftest import Clubhouse
from tripbot.gear import rules
from tripbot.gear.models import PackingTick, outbox
from tripbot.gear.schemas import PackedChange, PackingEntryCreate, PackingListOut, Progress
from tripbot.gear.service import packing
from tripbot.platform.errors import NotFound, PermissionDenied
from tripbot.platform.identity import Principal

EVENT = 10
ORGANIZER = Principal(user_id=4, event_id=EVENT, event_role="organizer")
PARTICIPANT = Principal(user_id=5, event_id=EVENT, event_role="participant")
OTHER = Principal(user_id=7, event_id=EVENT, event_role="participant")
OUTSIDER = Principal(user_id=6)


def add(house: Clubhouse, **fields: Any) -> int:
    entry = packing.add_entry(house.club(ORGANIZER), EVENT, PackingEntryCreate(**fields))
    return entry.id


def tick(house: Clubhouse, who: Principal, entry_id: int, packed: bool = True) -> bool:
    changed = packing.tick_entry(house.club(who), EVENT, entry_id, PackedChange(packed=packed))
    return changed.packed


def seen_by(house: Clubhouse, who: Principal) -> PackingListOut:
    return packing.packing_list(house.club(who), EVENT)


def packed_names(listed: PackingListOut) -> set[str]:
    return {entry.name for entry in listed.entries if entry.packed}


def ticks(house: Clubhouse) -> int:
    with house.database.unit_of_work() as uow:
        return uow.session.scalar(select(func.count()).select_from(PackingTick)) or 0


def test_each_member_ticks_their_own_bag(house: Clubhouse) -> None:
    headlamp = add(house, name="Headlamp")
    add(house, name="Gloves")
    assert tick(house, PARTICIPANT, headlamp) is True
    assert tick(house, ORGANIZER, headlamp) is True
    mine = seen_by(house, PARTICIPANT)
    assert packed_names(mine) == {"Headlamp"}
    assert mine.mine == Progress(packed=1, total=2)
    # Someone else's bag is theirs: nothing of it is packed for them.
    assert packed_names(seen_by(house, OTHER)) == set()
    assert seen_by(house, OTHER).mine == Progress(packed=0, total=2)
    assert tick(house, PARTICIPANT, headlamp, packed=False) is False
    assert packed_names(seen_by(house, PARTICIPANT)) == set()
    assert packed_names(seen_by(house, ORGANIZER)) == {"Headlamp"}


def test_what_the_club_lends_is_packed_once_by_an_organizer(house: Clubhouse) -> None:
    rope = add(house, name="Rope", provided_by="club")
    add(house, name="Stove", provided_by="club")
    with pytest.raises(PermissionDenied) as refused:
        tick(house, PARTICIPANT, rope)
    assert "pack what the club lends" in refused.value.detail
    assert ticks(house) == 0
    assert tick(house, ORGANIZER, rope) is True
    for who in (PARTICIPANT, OTHER, ORGANIZER):
        listed = seen_by(house, who)
        assert packed_names(listed) == {"Rope"}
        assert listed.club_packed == Progress(packed=1, total=2)
        assert listed.mine == Progress(packed=0, total=0)
    owner = Principal(user_id=8, event_id=EVENT, event_role="owner")
    assert tick(house, owner, rope, packed=False) is False  # another organizer unpacks it
    assert packed_names(seen_by(house, PARTICIPANT)) == set()


def test_ticking_twice_is_one_tick_and_leaves_no_news(house: Clubhouse) -> None:
    headlamp = add(house, name="Headlamp")
    with house.database.unit_of_work() as uow:
        news = uow.session.scalar(select(func.count()).select_from(outbox)) or 0
    tick(house, PARTICIPANT, headlamp)
    tick(house, PARTICIPANT, headlamp)
    assert ticks(house) == 1
    tick(house, OTHER, headlamp, packed=False)  # unticking what one never ticked: nothing
    assert ticks(house) == 1
    with house.database.unit_of_work() as uow:
        assert uow.session.scalar(select(func.count()).select_from(outbox)) == news


def test_a_line_of_another_event_or_a_stranger_is_not_found(house: Clubhouse) -> None:
    headlamp = add(house, name="Headlamp")
    elsewhere = Principal(user_id=4, event_id=11, event_role="organizer")
    other_line = packing.add_entry(house.club(elsewhere), 11, PackingEntryCreate(name="Map"))
    with pytest.raises(NotFound):
        tick(house, PARTICIPANT, other_line.id)
    with pytest.raises(NotFound):
        tick(house, PARTICIPANT, 10**6)
    with pytest.raises(NotFound):
        tick(house, OUTSIDER, headlamp)
    assert ticks(house) == 0


def test_a_removed_line_takes_its_ticks_with_it(house: Clubhouse) -> None:
    headlamp = add(house, name="Headlamp")
    tick(house, PARTICIPANT, headlamp)
    tick(house, OTHER, headlamp)
    packing.remove_entry(house.club(ORGANIZER), EVENT, headlamp)
    assert ticks(house) == 0


@pytest.mark.parametrize(
    ("provider", "tickers", "user", "packed"),
    [
        ("participant", {5}, 5, True),
        ("participant", {5}, 7, False),
        ("participant", {5}, None, False),
        ("club", {4}, 7, True),
        ("club", set(), 4, False),
    ],
)
def test_a_line_is_packed_for_someone(
    provider: str, tickers: set[int], user: int | None, packed: bool
) -> None:
    assert rules.packed(provider, tickers, user) is packed


def test_progress_counts_the_packed_lines() -> None:
    assert rules.progress([True, False, True]) == Progress(packed=2, total=3)
    assert rules.progress([]) == Progress(packed=0, total=0)
