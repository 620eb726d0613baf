"""What the ledger stores for people to read (audit summaries, a correction's before and after)
said in the reader's language: the ledger writes codes and plain numbers, the web words them."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from flask import Blueprint
from flask_babel import format_currency, format_date, format_decimal
from flask_babel import gettext as _
from flask_babel.speaklater import LazyString

TREASURY = "treasury"
_AMOUNT_IN = re.compile(r"(-?\d+(?:\.\d+)?) ([A-Z]{3})")
"""How the ledger stores an amount in a summary: ``12.00 EUR`` (a number and its ISO code)."""
_PERSON_AMOUNT = re.compile(r"(.+) (-?\d+(?:\.\d+)?)")
"""One person of a stored list with what they paid: ``Ana 10.00``."""


def number(text: str) -> str:
    """A plain decimal (``137.50``) in the reader's way (``137,50``), its decimals kept."""
    try:
        value = Decimal(text)
    except (InvalidOperation, ValueError):
        return text
    decimals = max(0, -int(value.as_tuple().exponent))
    pattern = "#,##0" + ("." + "0" * decimals if decimals else "")
    return str(format_decimal(value, pattern))


def money(text: str | None) -> str:
    """A stored ``12.00 EUR`` in the reader's way (``12,00 €``); other text as it is."""
    found = _AMOUNT_IN.fullmatch((text or "").strip())
    if found is None:
        return text or ""
    return str(format_currency(Decimal(found[1]), found[2]))


def party(name: str) -> str:
    """A stored party: the treasury in the reader's words, a member by name."""
    return _("Treasury") if name.strip() == TREASURY else name


def _people(text: str) -> str:
    said = []
    for part in text.split(", "):
        found = _PERSON_AMOUNT.fullmatch(part)
        said.append(f"{party(found[1])} {number(found[2])}" if found else party(part))
    return ", ".join(said)


def stored(value: Any, field: str, labels: Mapping[str, Mapping[str, LazyString]]) -> str:
    """One field of an entry as the ledger stored it for the audit trail and the history,
    said in the reader's language (``labels``: the words of kinds and split methods)."""
    text = "" if value is None else str(value)
    if not text:
        return ""
    sayers: dict[str, Callable[[str], str]] = {
        "amount": money,
        "rate": number,
        "kind": lambda kind: str(labels["kind"].get(kind, kind)),
        "in_kind": lambda flag: _("Yes") if flag == "yes" else _("No") if flag == "no" else flag,
        "date": _day,
        "paid_by": _people,
        "received_by": _people,
        "split": lambda split: _split(split, labels["split"]),
    }
    sayer = sayers.get(field)
    return sayer(text) if sayer else text


def _day(text: str) -> str:
    try:
        return str(format_date(date.fromisoformat(text), "medium"))
    except ValueError:
        return text


def _split(text: str, methods: Mapping[str, LazyString]) -> str:
    method, sep, people = text.partition(": ")
    if not sep:
        return text
    return f"{methods.get(method, method)}: {_people(people)}"


def day(value: date) -> str:
    """A day in the reader's way, short (7 dic 2026), as the entries list says it."""
    return str(format_date(value, "medium"))


def _money(amount: str | None, currency: str) -> str:
    """An amount in the UI language's way (1.234,50 €)."""
    if amount is None:
        return ""
    return str(format_currency(Decimal(amount), currency))


def _sign(amount: str | None) -> str:
    """``positive``, ``negative`` or ``zero``: how an amount is coloured."""
    value = Decimal(amount or 0)
    return "positive" if value > 0 else "negative" if value < 0 else "zero"


def install(bp: Blueprint, labels: Mapping[str, Mapping[str, LazyString]]) -> None:
    """The filters the ledger's templates word amounts, codes and stored values with
    (``labels``: the words of kinds, split methods, audit actions and fields)."""

    def named(group: str) -> Callable[[str], str]:
        return lambda key: str(labels[group].get(key, key))

    bp.add_app_template_filter(_money, "ledger_money")
    bp.add_app_template_filter(_sign, "sign")
    bp.add_app_template_filter(day, "ledger_day")
    for group, name in (
        ("kind", "kind_name"),
        ("split", "split_name"),
        ("action", "action_name"),
        ("field", "field_name"),
    ):
        bp.add_app_template_filter(named(group), name)
    bp.add_app_template_filter(money, "ledger_stored_money")
    bp.add_app_template_filter(number, "ledger_number")
    bp.add_app_template_filter(party, "ledger_party")
    bp.add_app_template_filter(lambda value, field: stored(value, field, labels), "ledger_stored")
