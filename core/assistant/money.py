"""Prices as shoppers read them."""
from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

_SYMBOLS = {"USD": "$", "CAD": "CA$", "AUD": "A$", "NZD": "NZ$", "EUR": "€", "GBP": "£", "JPY": "¥"}
_NO_DECIMALS = {"JPY", "KRW"}


def format_money(amount: Decimal | str, currency: str) -> str:
    value = Decimal(amount)
    places = Decimal("1") if currency in _NO_DECIMALS else Decimal("0.01")
    text = f"{value.quantize(places, rounding=ROUND_HALF_UP):,}"
    symbol = _SYMBOLS.get(currency.upper())
    return f"{symbol}{text}" if symbol else f"{text} {currency.upper()}"


def format_price_range(low: Decimal | str, high: Decimal | str, currency: str) -> str:
    if Decimal(low) == Decimal(high):
        return format_money(low, currency)
    return f"{format_money(low, currency)}–{format_money(high, currency)}"
