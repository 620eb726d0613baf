"""The Spanish catalogue is complete and every translation keeps its placeholders."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog, Message
from babel.messages.pofile import read_po

import tripbot.gateway

CATALOGUE = Path(tripbot.gateway.__file__).parent / "translations/es/LC_MESSAGES/messages.po"
PLACEHOLDER = re.compile(r"%\((\w+)\)[sd]")


def _catalogue() -> Catalog:
    with CATALOGUE.open("rb") as po:
        return read_po(po)


def _messages() -> list[Message]:
    return [m for m in _catalogue() if m.id]


def _texts(value: object) -> list[str]:
    return [value] if isinstance(value, str) else [str(v) for v in value]  # type: ignore[attr-defined]


def test_no_spanish_entry_is_fuzzy_or_missing() -> None:
    problems = [
        m.id
        for m in _messages()
        if m.fuzzy or not all(_texts(m.string)) or not any(_texts(m.string))
    ]
    assert problems == [], f"untranslated or fuzzy: {problems[:10]}"


@pytest.mark.parametrize("message", _messages(), ids=lambda m: str(m.id)[:40])
def test_a_translation_keeps_the_placeholders_of_its_message(message: Message) -> None:
    wanted = set(PLACEHOLDER.findall(" ".join(_texts(message.id))))
    for text in _texts(message.string):
        assert set(PLACEHOLDER.findall(text)) == wanted, (message.id, text)
