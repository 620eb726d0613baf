"""Reservation flags are stored as codes and worded where they are read: the migration turns the
English sentences stored before into codes, and the bot and the web word a code (or a sentence
told before the codes) in the reader's language."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Insert, column, insert, select, table

from tripbot.bot.notifications import NOTICES
from tripbot.bot.refusals import flag_text
from tripbot.gear import rules
from tripbot.gear.models import Reservation
from tripbot.platform.db import Database
from tripbot.platform.migrations import upgrade
from tripbot.system import MIGRATIONS

SENTENCES = {
    "the unit you reserved is out of service": rules.UNIT_OUT_OF_SERVICE,
    "not enough of this item is in service for these days": rules.NOT_ENOUGH_IN_SERVICE,
    "its event was deleted": rules.EVENT_DELETED,
}


def row(table_name: str, /, **values: Any) -> Insert:
    """A row as the tables stood at the time, whatever columns the models have now."""
    return insert(table(table_name, *map(column, values))).values(**values)


def test_the_migration_turns_stored_sentences_into_codes(tmp_path: Path) -> None:
    database = Database(f"sqlite:///{tmp_path / 'gear.db'}")
    upgrade(database, MIGRATIONS["gear"], "0002")
    now = datetime(2027, 3, 1, tzinfo=UTC)
    with database.engine.begin() as connection:
        connection.execute(
            row(
                "items", id=1, name="Tent", category="Shelter", description="", weight_grams=0,
                tracking="quantity", quantity=3, out_of_service=0, created_by=1,
                created_at=now, updated_at=now,
            )
        )  # fmt: skip
        for n, flag in enumerate([*SENTENCES, None, "a reason nobody knows"], start=1):
            connection.execute(
                row(
                    "reservations", id=n, item_id=1, quantity=1, start_date=date(2027, 3, 2),
                    end_date=date(2027, 3, 2), user_id=1, user_name="Ana", event_name="",
                    status="reserved", flag=flag, note="", created_by=1, created_at=now,
                )
            )  # fmt: skip
    upgrade(database, MIGRATIONS["gear"])
    with database.engine.connect() as connection:
        flags = connection.scalars(select(Reservation.flag).order_by(Reservation.id)).all()
    assert flags == [*SENTENCES.values(), None, "a reason nobody knows"]
    database.dispose()


def test_the_bot_words_each_code_in_the_readers_language() -> None:
    assert flag_text("es", rules.UNIT_OUT_OF_SERVICE) == (
        "la unidad que reservaste está fuera de servicio"
    )
    assert flag_text("en", rules.UNIT_OUT_OF_SERVICE) == "the unit you reserved is out of service"
    assert flag_text("es", rules.EVENT_DELETED) == "su evento se ha borrado"
    for sentence, code in SENTENCES.items():  # told before the codes: the same words
        assert flag_text("es", sentence) == flag_text("es", code)
        assert flag_text("en", sentence) == sentence
    assert all(flag_text("en", code) != code for code in rules.FLAGS)
    assert all(flag_text("es", code) != code for code in rules.FLAGS)


AFFECTED = {
    "quantity": 2,
    "item_name": "Tienda 2p",
    "start_date": "2027-05-01",
    "end_date": "2027-05-01",
    "user_id": 7,
}


def test_a_flag_is_told_to_the_holder_with_its_reason_in_their_language() -> None:
    notice = NOTICES["gear:reservation.affected"]({**AFFECTED, "flag": rules.NOT_ENOUGH_IN_SERVICE})
    assert notice.people == (7,)
    english, spanish = notice.words("en"), notice.words("es")
    assert "cannot be served as booked: not enough of this item is in service" in english
    assert "out of service" not in english
    assert "no se puede servir como se reservó: no hay bastantes" in spanish
    assert "not enough" not in spanish


def test_a_cleared_flag_is_told_as_good_news() -> None:
    notice = NOTICES["gear:reservation.affected"]({**AFFECTED, "flag": None})
    english, spanish = notice.words("en"), notice.words("es")
    assert english.startswith("✅")
    assert "can be served as booked again" in english
    assert "out of service" not in english
    assert "?" not in english
    assert spanish.startswith("✅")
    assert "vuelve a poderse servir como se reservó" in spanish
