"""The bot's Spanish catalogue: everything the code says is translated, placeholders kept."""

from __future__ import annotations

import re
from pathlib import Path

from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

from tripbot.bot import TRANSLATIONS

BOT = Path(__file__).resolve().parents[2] / "src" / "tripbot" / "bot"
KEYWORDS = {"tr": None, "t": (2,), "tn": (2, 3), "marked": None}
PLACEHOLDER = re.compile(r"\{(\w*)\}")


def _spanish() -> dict[str, str | tuple[str, ...] | list[str] | None]:
    with (TRANSLATIONS / "es" / "LC_MESSAGES" / "bot.po").open("rb") as po:
        catalogue = read_po(po)
    return {
        (m.id if isinstance(m.id, str) else m.id[0]): m.string
        for m in catalogue
        if m.id and "fuzzy" not in m.flags
    }


def _said_in_code() -> set[str]:
    found = extract_from_dir(str(BOT), keywords=KEYWORDS)
    return {
        message if isinstance(message, str) else message[0] for _f, _l, message, _c, _x in found
    }


def test_every_message_of_the_bot_has_its_spanish() -> None:
    spanish = _spanish()
    missing = sorted(m for m in _said_in_code() if not spanish.get(m))
    assert missing == [], "run the bot's catalogue update (make extract-messages) and translate"


def test_translations_keep_the_placeholders() -> None:
    for english, spanish in _spanish().items():
        for text in [spanish] if isinstance(spanish, str) else list(spanish or []):
            assert set(PLACEHOLDER.findall(text)) <= set(PLACEHOLDER.findall(english)) | {
                "count"
            }, (
                english,
                text,
            )
            assert set(PLACEHOLDER.findall(english)) - {"count"} <= set(
                PLACEHOLDER.findall(text)
            ), (
                english,
                text,
            )
