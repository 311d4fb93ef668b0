"""Prices as shoppers read them, in their language's number format.

English keeps the engine's own format (``$80.00``, ``1,234.50 CHF``); the other
languages use the widget's format of the same locale (``core/widget/i18n.py``):
``80,00 $`` in Spanish, ``80,00 €`` in German, ``1 234,50 €`` in French.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

from core.widget.i18n import NUMBERS, money_format

_SYMBOLS = {"USD": "$", "CAD": "CA$", "AUD": "A$", "NZD": "NZ$", "EUR": "€", "GBP": "£", "JPY": "¥"}
_NO_DECIMALS = {"JPY", "KRW"}


def format_money(amount: Decimal | str, currency: str, locale: str = "en") -> str:
    value = Decimal(amount)
    if locale != "en" and locale in NUMBERS:
        return _localized(value, currency, locale)
    places = Decimal("1") if currency in _NO_DECIMALS else Decimal("0.01")
    text = f"{value.quantize(places, rounding=ROUND_HALF_UP):,}"
    symbol = _SYMBOLS.get(currency.upper())
    return f"{symbol}{text}" if symbol else f"{text} {currency.upper()}"


def format_price_range(low: Decimal | str, high: Decimal | str, currency: str, locale: str = "en") -> str:
    if Decimal(low) == Decimal(high):
        return format_money(low, currency, locale)
    return f"{format_money(low, currency, locale)}–{format_money(high, currency, locale)}"


def _localized(value: Decimal, currency: str, locale: str) -> str:
    fmt = money_format(locale, currency)
    places = Decimal(1).scaleb(-fmt["n"])
    whole, _, fraction = f"{abs(value.quantize(places, rounding=ROUND_HALF_UP)):f}".partition(".")
    groups: list[str] = []
    while len(whole) > 3:
        groups.insert(0, whole[-3:])
        whole = whole[:-3]
    groups.insert(0, whole)
    number = fmt["g"].join(groups) + (fmt["d"] + fraction if fraction else "")
    return ("-" if value < 0 else "") + fmt["p"] + number + fmt["s"]
