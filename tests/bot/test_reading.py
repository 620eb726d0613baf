"""Dates and amounts as people type them: read back by property, in Spanish and English."""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from datetime import date, timedelta
from decimal import Decimal

import pytest
from babel.dates import format_date
from babel.numbers import format_currency, format_decimal
from hypothesis import assume, given
from hypothesis import strategies as st

from tripbot.bot.reading import (
    Amount,
    BadAmount,
    BadDates,
    Days,
    read_amount,
    read_days,
    split_days,
)

TODAY = date(2026, 11, 25)  # a Wednesday
Written = Callable[[date, str], str]

WITHOUT_YEAR: list[Written] = [
    lambda d, _: f"{d.day}/{d.month}",
    lambda d, _: f"{d.day:02d}-{d.month:02d}",
    lambda d, _: f"{d.day}.{d.month}",
    lambda d, lang: format_date(d, "d MMMM", locale=lang),
    lambda d, lang: format_date(d, "d MMM", locale=lang),
    lambda d, lang: format_date(d, "MMMM d", locale=lang),
    lambda d, lang: (
        format_date(d, "d 'de' MMMM", locale=lang)
        if lang == "es"
        else format_date(d, "MMM d", locale=lang)
    ),
]
WITH_YEAR: list[Written] = [
    lambda d, _: d.isoformat(),
    lambda d, _: f"{d.day}/{d.month}/{d.year}",
    lambda d, _: f"{d.day}.{d.month}.{d.year % 100:02d}",
    lambda d, lang: format_date(d, "long", locale=lang),
    lambda d, lang: format_date(d, "medium", locale=lang).replace(",", ""),
]
languages = st.sampled_from(["es", "en"])
coming = st.integers(0, 364).map(lambda n: TODAY + timedelta(days=n))


@given(coming, st.sampled_from(WITHOUT_YEAR), languages)
def test_a_coming_day_written_without_its_year_reads_back(
    day: date, written: Written, language: str
) -> None:
    assert read_days(written(day, language), language, TODAY) == Days(day, day)


@given(st.dates(date(2000, 1, 1), date(2099, 12, 31)), st.sampled_from(WITH_YEAR), languages)
def test_any_day_written_with_its_year_reads_back(
    day: date, written: Written, language: str
) -> None:
    assert read_days(written(day, language), language, TODAY) == Days(day, day)


@given(
    st.integers(0, 300).map(lambda n: TODAY + timedelta(days=n)),
    st.integers(0, 59),
    st.sampled_from(WITHOUT_YEAR),
)
def test_a_range_reads_back_in_both_languages(first: date, span: int, written: Written) -> None:
    last = first + timedelta(days=span)
    spanish = f"del {written(first, 'es')} al {written(last, 'es')}"
    english = f"from {written(first, 'en')} to {written(last, 'en')}"
    assert read_days(spanish, "es", TODAY) == Days(first, last)
    assert read_days(english, "en", TODAY) == Days(first, last)


@given(st.integers(0, 330).map(lambda n: TODAY + timedelta(days=n)), st.integers(1, 27))
def test_a_range_typed_backwards_is_read_backwards_for_the_bot_to_offer_the_swap(
    last: date, back: int
) -> None:
    first = last + timedelta(days=back)
    assume(first.year == last.year)  # "del 1/1 al 5/12" reads as January to December
    days = read_days(f"del {first.day}/{first.month} al {last.day}/{last.month}", "es", TODAY)
    assert days.reversed
    assert (days.first, days.last) == (first, last)


@given(st.text(max_size=40), languages)
def test_any_text_is_read_or_refused_never_crashes(text: str, language: str) -> None:
    with contextlib.suppress(BadDates):
        read_days(text, language, TODAY)


@pytest.mark.parametrize(
    ("text", "language", "first", "last"),
    [
        ("21-12", "es", date(2026, 12, 21), None),
        ("21.12", "es", date(2026, 12, 21), None),
        ("21 de diciembre", "es", date(2026, 12, 21), None),
        ("mañana", "es", date(2026, 11, 26), None),
        ("manana", "es", date(2026, 11, 26), None),
        ("pasado mañana", "es", date(2026, 11, 27), None),
        ("el sábado", "es", date(2026, 11, 28), None),
        ("el miércoles", "es", TODAY, None),
        ("del 21 al 23", "es", date(2026, 12, 21), date(2026, 12, 23)),
        ("del 2 al 4", "es", date(2026, 12, 2), date(2026, 12, 4)),
        ("del 28 de diciembre al 2 de enero", "es", date(2026, 12, 28), date(2027, 1, 2)),
        ("12/05-14/05", "es", date(2027, 5, 12), date(2027, 5, 14)),
        ("tomorrow", "en", date(2026, 11, 26), None),
        ("on Saturday", "en", date(2026, 11, 28), None),
        ("Dec 21st", "en", date(2026, 12, 21), None),
        ("from the 21st to the 23rd", "en", date(2026, 12, 21), date(2026, 12, 23)),
        ("29/2", "es", date(2028, 2, 29), None),
        ("del 1 de enero al 31 de diciembre", "es", date(2026, 1, 1), date(2026, 12, 31)),
        ("del 23 al 21 de diciembre", "es", date(2026, 12, 23), date(2026, 12, 21)),
    ],
)
def test_days_as_people_write_them(
    text: str, language: str, first: date, last: date | None
) -> None:
    assert read_days(text, language, TODAY) == Days(first, last or first)


GEAR_TODAY = date(2026, 11, 21)


@pytest.mark.parametrize(
    ("text", "first", "last"),
    [
        ("12/05", date(2027, 5, 12), date(2027, 5, 12)),
        ("12/05-14/05", date(2027, 5, 12), date(2027, 5, 14)),
        ("12/05 - 14/05", date(2027, 5, 12), date(2027, 5, 14)),
        ("20/11-22/11", date(2026, 11, 20), date(2026, 11, 22)),  # under way: this year's
        ("1/11-2/11", date(2027, 11, 1), date(2027, 11, 2)),  # over: next year's
        ("28/12-2/1", date(2026, 12, 28), date(2027, 1, 2)),
        ("12/05/26", date(2026, 5, 12), date(2026, 5, 12)),
        ("2027-05-12", date(2027, 5, 12), date(2027, 5, 12)),
        ("2027-5-12..2027-05-14", date(2027, 5, 12), date(2027, 5, 14)),
        ("2027-05-12-2027-05-14", date(2027, 5, 12), date(2027, 5, 14)),
        ("30/12/2026-2/1", date(2026, 12, 30), date(2027, 1, 2)),
        ("14/05/2027-12/05/2027", date(2027, 5, 14), date(2027, 5, 12)),  # backwards: offered
    ],
)
def test_the_numeric_days_gear_has_always_read(text: str, first: date, last: date) -> None:
    assert read_days(text, "es", GEAR_TODAY) == Days(first, last)


@pytest.mark.parametrize("text", ["31/02", "12/13", "2027-02-30", "1/2/3/4", "32 de mayo"])
def test_days_that_do_not_exist_are_not_read(text: str) -> None:
    with pytest.raises(BadDates):
        read_days(text, "es", GEAR_TODAY)


@pytest.mark.parametrize(
    ("words", "kept", "days"),
    [
        ("tienda 21-12", "tienda", Days(date(2026, 12, 21), date(2026, 12, 21))),
        ("tienda del 21 al 23", "tienda", Days(date(2026, 12, 21), date(2026, 12, 23))),
        ("saco el sábado", "saco", Days(date(2026, 11, 28), date(2026, 11, 28))),
        ("cuerda 30", "cuerda 30", None),
        ("rope 60 m", "rope 60 m", None),
        ("saco de dormir", "saco de dormir", None),
        ("mañana", "", Days(date(2026, 11, 26), date(2026, 11, 26))),
    ],
)
def test_the_days_at_the_end_of_a_search_are_told_apart_from_its_words(
    words: str, kept: str, days: Days | None
) -> None:
    assert split_days(words.split(), "es", TODAY) == (kept.split(), days)


# ---- amounts ------------------------------------------------------------------------------------

cents = st.integers(1, 10**11).map(lambda n: Decimal(n).scaleb(-2))


@given(cents, languages)
def test_an_amount_written_the_locales_way_reads_back_or_asks(
    amount: Decimal, language: str
) -> None:
    written = format_decimal(amount, format="#,##0.00", locale=language)
    read, rest = read_amount([written, "cena"])
    assert rest == ["cena"]
    assert read.value == amount
    assert read.other is None


@given(cents, languages, st.sampled_from(["{}", "{} €", "€{}", "{}€"]))
def test_an_amount_with_the_euro_sign_anywhere_reads_its_currency(
    amount: Decimal, language: str, shape: str
) -> None:
    written = shape.format(format_decimal(amount, format="#,##0.00", locale=language))
    read, rest = read_amount([*written.split(), "cena"])
    assert (read.value, rest) == (amount, ["cena"])
    assert read.currency == ("EUR" if "€" in shape else None)


@given(cents, languages)
def test_babels_own_currency_format_reads_back(amount: Decimal, language: str) -> None:
    written = format_currency(amount, "EUR", locale=language)
    read, _ = read_amount(written.split())
    assert (read.value, read.currency) == (amount, "EUR")


@pytest.mark.parametrize(
    ("typed", "amount", "rest"),
    [
        ("1.000 alquiler", Amount(Decimal(1000), Decimal(1)), ["alquiler"]),
        ("1,000 rent", Amount(Decimal(1000), Decimal(1)), ["rent"]),
        ("1.000,50 alquiler", Amount(Decimal("1000.50")), ["alquiler"]),
        ("1,000.50 rent", Amount(Decimal("1000.50")), ["rent"]),
        ("23€ cena", Amount(Decimal(23), None, "EUR"), ["cena"]),
        ("€23 cena", Amount(Decimal(23), None, "EUR"), ["cena"]),
        ("23 € cena", Amount(Decimal(23), None, "EUR"), ["cena"]),
        ("23 euros cena", Amount(Decimal(23), None, "EUR"), ["cena"]),
        ("23,50 gasolina", Amount(Decimal("23.50")), ["gasolina"]),
        ("0,500 pan", Amount(Decimal("0.500")), ["pan"]),
        ("1.234.567 obra", Amount(Decimal(1234567)), ["obra"]),
        ("5 all inclusive", Amount(Decimal(5)), ["all", "inclusive"]),
        ("5 USD taxi", Amount(Decimal(5), None, "USD"), ["taxi"]),
    ],
)
def test_amounts_as_people_type_them(typed: str, amount: Amount, rest: list[str]) -> None:
    assert read_amount(typed.split()) == (amount, rest)


@pytest.mark.parametrize(
    ("typed", "why"),
    [
        ("abc", "{amount} is not an amount of money."),
        ("-5", "{amount} is not an amount of money."),
        ("12,5,0", "{amount} is not an amount of money."),
        ("1.23.4", "{amount} is not an amount of money."),
        ("€€5", "{amount} is not an amount of money."),
        ("0", "The amount must be more than zero."),
        ("0,00", "The amount must be more than zero."),
        ("9.999.999.999", "{amount} is more than the ledger takes in one entry."),
    ],
)
def test_what_is_not_an_amount_says_why(typed: str, why: str) -> None:
    with pytest.raises(BadAmount) as refused:
        read_amount([typed, "x"])
    assert refused.value.args[0] == why
