"""Notifications from the change feeds: once each, caught up after downtime, within the limits."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from telegram.error import NetworkError

from tests.bot.conftest import BotDriver, a_telegram_user, close_driver, link, make_driver
from tests.builders import (
    Person,
    a_member,
    a_person,
    a_route,
    an_activity,
    an_event,
    an_expense,
)
from tripbot.bot import service as store
from tripbot.bot.limits import TelegramLimits
from tripbot.platform.db import Database
from tripbot.system import System

GROUP = -100_200_300


def a_bound_group(
    bot: BotDriver, http: httpx.Client, system: System, **event: Any
) -> tuple[Person, dict[str, Any]]:
    """An organizer, their event, and a group chat that follows it; the feeds' cursors set."""
    owner = a_person(http)
    created = an_event(http, owner, **event)
    store.bind_chat(bot.runtime.unit_of_work(), GROUP, created["id"], "Club", owner.id)
    bot.notify()  # the bot's first round: cursors start at the feeds' ends
    return owner, created


def group_texts(bot: BotDriver) -> list[str]:
    """What the group chat was told."""
    return [sent.text for sent in bot.telegram.messages(GROUP)]


def test_many_groups_are_told_at_once_each_in_order(
    bot: BotDriver, http: httpx.Client, system: System
) -> None:
    owner, event = a_bound_group(bot, http, system)
    groups = [GROUP - n for n in range(1, 13)]
    for chat_id in groups:
        store.bind_chat(bot.runtime.unit_of_work(), chat_id, event["id"], "Club", owner.id)
    for number in range(3):
        an_expense(http, event, owner, description=f"many {number}")
    assert bot.notify() == 3 * (len(groups) + 1)
    for chat_id in [GROUP, *groups]:
        texts = [m.text.split(",")[0] for m in bot.telegram.messages(chat_id)]
        assert texts == [f"💶 Nuevo gasto: many {n}" for n in range(3)], chat_id
    assert bot.notify() == 0


def test_update_ids_are_forgotten_after_a_week(bot: BotDriver) -> None:
    store.claim_update(bot.runtime.unit_of_work(), 31)
    assert store.forget_old_updates(bot.runtime.unit_of_work(), datetime.now(UTC)) == 0
    later = datetime.now(UTC) + timedelta(days=8)
    assert store.forget_old_updates(bot.runtime.unit_of_work(), later) == 1
    assert store.claim_update(bot.runtime.unit_of_work(), 31)


def test_a_new_bot_does_not_announce_the_past(
    bot: BotDriver, http: httpx.Client, system: System
) -> None:
    owner = a_person(http)
    event = an_event(http, owner)
    an_expense(http, event, owner, description="old fuel")
    store.bind_chat(bot.runtime.unit_of_work(), GROUP, event["id"], "Club", owner.id)
    assert bot.notify() == 0
    assert group_texts(bot) == []


def test_an_expense_is_announced_once_in_the_groups_language(
    bot: BotDriver, http: httpx.Client, system: System
) -> None:
    owner, event = a_bound_group(bot, http, system)
    an_expense(http, event, owner, description="gasolina", amount="23.50")
    assert bot.notify() == 1
    (text,) = group_texts(bot)
    assert "Nuevo gasto: gasolina" in text
    assert "23,50\xa0€" in text
    assert bot.notify() == 0
    store.choose_language(bot.runtime.unit_of_work(), GROUP, "en")
    an_expense(http, event, owner, description="tolls", amount="4")
    bot.notify()
    assert group_texts(bot)[-1].startswith("💶 New expense: tolls, €4.00, paid by")


def test_a_bot_that_was_down_catches_up_without_duplicates(
    bot: BotDriver, http: httpx.Client, system: System, bot_database: Database
) -> None:
    owner, event = a_bound_group(bot, http, system)
    activity = an_activity(http, event, owner, title="Desayuno")
    for number in range(3):
        an_expense(http, event, owner, description=f"gasto {number}")
    moved = http.patch(
        f"/api/v1/events/{event['id']}/activities/{activity['id']}",
        json={"starts_at": "2027-05-01T08:30:00+02:00", "ends_at": "2027-05-01T09:30:00+02:00"},
        headers=owner.headers,
    )
    assert moved.status_code == 200, moved.text
    cancelled = http.post(
        f"/api/v1/events/{event['id']}/activities/{activity['id']}/cancel", headers=owner.headers
    )
    assert cancelled.status_code == 200, cancelled.text

    restarted = make_driver(system, bot_database)  # a new process: same database, new loop
    try:
        assert restarted.notify() == 5
        texts = group_texts(restarted)
        assert [t.split(":")[0] for t in texts] == [
            "💶 Nuevo gasto",
            "💶 Nuevo gasto",
            "💶 Nuevo gasto",
            "🕒 Cambio",
            "❌ Cancelada",
        ]
        assert "gasto 0" in texts[0]
        assert "gasto 2" in texts[2]
        assert "Desayuno" in texts[3]
        assert "sáb, 1 may, 8:30" in texts[3]
        assert restarted.notify() == 0
    finally:
        restarted.close()


def test_a_deleted_event_is_announced_and_its_groups_unbound(
    bot: BotDriver, http: httpx.Client, system: System
) -> None:
    owner, event = a_bound_group(bot, http, system, name="Sierra Nevada")
    assert http.delete(f"/api/v1/events/{event['id']}", headers=owner.headers).status_code == 204
    assert bot.notify() == 1
    assert "Sierra Nevada" in group_texts(bot)[0]
    assert store.bound_event(bot.runtime.unit_of_work(), GROUP) is None


def test_reminders_go_once_a_day_and_an_hour_before(
    bot: BotDriver, http: httpx.Client, system: System
) -> None:
    now = datetime.now(UTC).replace(microsecond=0)
    starts = now + timedelta(hours=20)
    _owner, _event = a_bound_group(
        bot,
        http,
        system,
        name="Travesía",
        starts_at=starts.isoformat(),
        ends_at=(starts + timedelta(hours=8)).isoformat(),
    )
    # the round that set the cursors (a_bound_group) found the event 20 hours away
    (coming_up,) = group_texts(bot)
    assert "Travesía" in coming_up
    assert "Se acerca" in coming_up
    assert bot.notify(now + timedelta(minutes=5)) == 0
    assert bot.notify(starts - timedelta(minutes=50)) == 1
    assert "dentro de una hora" in group_texts(bot)[-1]
    assert bot.notify(starts - timedelta(minutes=40)) == 0


def test_an_affected_reservation_is_told_privately_to_its_holder(
    bot: BotDriver, http: httpx.Client, system: System
) -> None:
    from tests.builders import a_gear_keeper_in

    owner, event = a_bound_group(bot, http, system)
    keeper = a_gear_keeper_in(system)
    telegram = a_telegram_user("en")
    link(system, owner.id, telegram)
    english = http.patch("/api/v1/me", json={"language": "en"}, headers=owner.headers)
    assert english.status_code == 200, english.text
    item = http.post(
        "/api/v1/gear/items",
        json={
            "name": "Tienda 2p",
            "category": "shelter",
            "tracking": "units",
            "units": [{"label": "A"}, {"label": "B"}],
        },
        headers=keeper.headers,
    )
    assert item.status_code == 201, item.text
    item_id = item.json()["id"]
    reserved = http.post(
        "/api/v1/gear/reservations",
        json={
            "item_id": item_id,
            "quantity": 2,
            "start_date": "2027-05-01",
            "end_date": "2027-05-01",
            "event_id": event["id"],
        },
        headers=owner.headers,
    )
    assert reserved.status_code == 201, reserved.text
    units = http.get(f"/api/v1/gear/items/{item_id}/units", headers=keeper.headers).json()
    broken = http.patch(
        f"/api/v1/gear/items/{item_id}/units/{units[0]['id']}",
        json={"condition": "out_of_service"},
        headers=keeper.headers,
    )
    assert broken.status_code == 200, broken.text
    assert bot.notify() == 1
    (private,) = bot.telegram.messages(telegram.id)
    assert "Your reservation of 2 x Tienda 2p (Sat, May 1 to Sat, May 1)" in private.text
    assert group_texts(bot) == []


def test_a_route_its_author_removes_is_told_to_the_group_and_the_planner(
    bot: BotDriver, http: httpx.Client, system: System
) -> None:
    owner, event = a_bound_group(bot, http, system, kind="excursion")
    telegram = a_telegram_user("en")
    link(system, owner.id, telegram)
    english = http.patch("/api/v1/me", json={"language": "en"}, headers=owner.headers)
    assert english.status_code == 200, english.text
    author = a_person(http)
    route = a_route(http, author, name="Ruta del Cares")
    plan = {"route_ids": [route["id"]]}
    planned = http.put(f"/api/v1/events/{event['id']}/plan", json=plan, headers=owner.headers)
    assert planned.status_code == 200, planned.text
    bot.notify()
    removed = http.delete(f"/api/v1/routes/{route['id']}", headers=author.headers)
    assert removed.status_code == 204, removed.text
    assert bot.notify() == 2  # the group, and the organizer who planned it, privately
    (told,) = group_texts(bot)
    assert "Quien añadió la ruta Ruta del Cares la ha quitado del catálogo" in told
    (private,) = bot.telegram.messages(telegram.id)
    assert "The route Ruta del Cares was removed from the catalogue" in private.text


def test_the_member_charged_hears_of_it_and_a_dispute_goes_to_the_organizers_and_back(
    bot: BotDriver, http: httpx.Client, system: System
) -> None:
    owner, event = a_bound_group(bot, http, system)
    pedro, marta = a_member(http, event, owner), a_member(http, event, owner)
    told_owner, told_marta = a_telegram_user("es"), a_telegram_user("es")
    link(system, owner.id, told_owner)
    link(system, marta.id, told_marta)
    entry = an_expense(
        http,
        event,
        pedro,
        description="gasolina",
        amount="80",
        split={"among": [{"user_id": marta.id}]},
    )
    bot.notify()
    (charged,) = bot.telegram.messages(told_marta.id)
    assert "Nuevo gasto: gasolina, 80,00\xa0€" in charged.text
    assert bot.telegram.messages(told_owner.id) == []  # not charged: told in the group only

    url = f"/api/v1/events/{event['id']}/ledger/entries/{entry['id']}"
    disputed = http.post(f"{url}/dispute", json={"reason": "No fui"}, headers=marta.headers)
    assert disputed.status_code == 201, disputed.text
    bot.notify()
    (to_owner,) = bot.telegram.messages(told_owner.id)
    assert "impugna gasolina (80,00\xa0€): «No fui»" in to_owner.text
    assert not any("impugna" in text for text in group_texts(bot))  # the group is not told

    reversed_ = http.post(f"{url}/reverse", json={"reason": "error"}, headers=owner.headers)
    assert reversed_.status_code == 200, reversed_.text
    bot.notify()
    assert "Se ha anulado gasolina (80,00\xa0€), que habías impugnado." in (
        bot.telegram.messages(told_marta.id)[-1].text
    )


def test_a_round_cut_half_way_resumes_without_telling_anyone_twice(
    bot: BotDriver, http: httpx.Client, system: System
) -> None:
    owner, event = a_bound_group(bot, http, system)
    for number in range(3):
        an_expense(http, event, owner, description=f"cut {number}")
    bot.telegram.clear()
    bot.telegram.break_next("sendMessage")
    # the first message fails (network error): the round stops, its cursor stays
    with pytest.raises(NetworkError):
        bot.notify()
    assert bot.notify() == 3
    assert bot.notify() == 0
    texts = [t.split(",")[0] for t in group_texts(bot)]
    assert texts == [f"💶 Nuevo gasto: cut {n}" for n in range(3)]


def test_a_round_cut_after_some_messages_does_not_repeat_them(
    bot: BotDriver, http: httpx.Client, system: System
) -> None:
    owner, event = a_bound_group(bot, http, system)
    for number in range(3):
        an_expense(http, event, owner, description=f"half {number}")
    original = bot.telegram.do_request
    calls = 0

    async def cut_at_the_third(url: str, method: str, *args: Any, **kwargs: Any) -> Any:
        nonlocal calls
        if url.endswith("sendMessage"):
            calls += 1
            if calls == 3:
                bot.telegram.break_next("sendMessage")
        return await original(url, method, *args, **kwargs)

    bot.telegram.do_request = cut_at_the_third  # type: ignore[method-assign]
    with pytest.raises(NetworkError):
        bot.notify()
    assert len(group_texts(bot)) == 2
    assert bot.notify() == 1
    texts = [t.split(",")[0] for t in group_texts(bot)]
    assert texts == [f"💶 Nuevo gasto: half {n}" for n in range(3)]


def test_a_burst_keeps_within_the_group_limit_and_honours_retry_after(
    system: System, http: httpx.Client, bot_database: Database
) -> None:
    capacity, period = 4, 0.5
    limits = TelegramLimits(
        per_second=1000,
        per_chat_per_second=1000,
        per_group_per_minute=capacity,
        group_period=period,
    )
    bot = make_driver(system, bot_database, limits=limits)
    try:
        owner, event = a_bound_group(bot, http, system)
        for number in range(12):
            an_expense(http, event, owner, description=f"burst {number}")
        bot.telegram.refuse_next("sendMessage", retry_after=1)
        started = time.monotonic()
        assert bot.notify() == 12
        sent = bot.telegram.messages(GROUP)
        assert [s.text.split(",")[0] for s in sent] == [
            f"💶 Nuevo gasto: burst {n}" for n in range(12)
        ]
        # no window of `period` seconds ever holds more than `capacity` messages
        for earlier, later in zip(sent, sent[capacity:], strict=False):
            assert later.at - earlier.at >= period - 0.01, (earlier.text, later.text)
        # the first message was refused with "retry after 1": it was sent after waiting
        assert sent[0].at - started >= 1.0
    finally:
        close_driver(bot)


def test_the_bot_reports_how_far_behind_each_feed_it_is(
    bot: BotDriver, http: httpx.Client, system: System
) -> None:
    from tripbot.platform.metrics import REGISTRY

    owner, event = a_bound_group(bot, http, system)
    an_expense(http, event, owner, description="gasolina", amount="23.50")
    assert bot.notify() == 1
    for source in ("ledger", "agenda", "gear", "events", "routes"):
        labels = {"reader": "bot", "source": source}
        assert REGISTRY.get_sample_value("tripbot_feed_lag_changes", labels) == 0, source
        seconds = REGISTRY.get_sample_value("tripbot_feed_lag_seconds", labels)
        assert seconds is not None
        assert seconds < 5
