"""Exact money: decimal text to integer minor units of an ISO 4217 currency and back, currency
conversion at a rate people typed, and shares that always add up to the last cent."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import ROUND_HALF_EVEN, Decimal, InvalidOperation
from functools import cache

from babel.numbers import get_currency_precision

from tripbot.platform.errors import Message

MAX_AMOUNT = Decimal(1_000_000_000)
"""The largest amount of one entry, in major units of its currency (a billion)."""


class MoneyError(ValueError):
    """A text is not an amount this currency can hold exactly; ``message`` says why."""

    def __init__(self, message: Message) -> None:
        super().__init__(message)
        self.message = message


@cache
def precision(currency: str) -> int:
    """How many decimals the currency's minor unit has (EUR 2, JPY 0, BHD 3)."""
    return int(get_currency_precision(currency))


def parse_decimal(text: str) -> Decimal:
    """A decimal text as an exact Decimal (no exponent, no thousands separators)."""
    try:
        value = Decimal(text)
    except InvalidOperation as error:
        raise MoneyError(_not_a_number(text)) from error
    if not value.is_finite():
        raise MoneyError(_not_a_number(text))
    return value


def _not_a_number(text: str) -> Message:
    return Message("{text} is not a decimal number such as 23.50").filled(text=repr(text))


def to_minor(amount: Decimal, currency: str) -> int:
    """An amount in minor units; refused if it has more decimals than the currency has."""
    places = precision(currency)
    scaled = amount.scaleb(places)
    if scaled != scaled.to_integral_value():
        unit = (
            Message("no decimals")
            if places == 0
            else Message("at most {places} decimals").filled(places=places)
        )
        raise MoneyError(
            Message("{currency} amounts have {unit}; {amount} has more").filled(
                currency=currency, unit=unit, amount=str(amount)
            )
        )
    return int(scaled)


def to_decimal(minor: int, currency: str) -> Decimal:
    """Minor units as a Decimal with exactly the currency's decimals."""
    return Decimal(minor).scaleb(-precision(currency))


def format_minor(minor: int, currency: str) -> str:
    """Minor units as the decimal text the API speaks (``"23.50"``, ``"-7"`` for JPY)."""
    return f"{to_decimal(minor, currency):f}"


def convert(minor: int, source: str, target: str, rate: Decimal) -> int:
    """An amount in ``source`` minor units, in ``target`` minor units at ``rate`` (target units per
    source unit), rounded half to even to the target's minor unit."""
    value = to_decimal(minor, source) * rate
    return int(value.scaleb(precision(target)).quantize(Decimal(1), rounding=ROUND_HALF_EVEN))


def integer_weights(values: Sequence[Decimal]) -> list[int]:
    """Decimal weights as integers with the same proportions (scaled by a common power of ten)."""
    places = max((max(0, -int(v.as_tuple().exponent)) for v in values), default=0)
    return [int(v.scaleb(places)) for v in values]


def allocate(total: int, weights: Sequence[int]) -> list[int]:
    """Split ``total`` minor units in proportion to non-negative ``weights`` so that the parts add
    up to ``total`` exactly (largest remainder; ties go to the earlier weight).

    A negative total is split as its absolute value, then negated: a refund is shared the same way.
    """
    if not weights or any(w < 0 for w in weights) or sum(weights) == 0:
        raise ValueError("weights must be non-negative and not all zero")
    if total < 0:
        return [-part for part in allocate(-total, weights)]
    whole = sum(weights)
    parts = [total * w // whole for w in weights]
    remainders = [total * w % whole for w in weights]
    left = total - sum(parts)
    # Integer arithmetic only: the remainder numerators share the denominator ``whole``.
    for index in sorted(range(len(weights)), key=lambda i: (-remainders[i], i))[:left]:
        parts[index] += 1
    return parts
