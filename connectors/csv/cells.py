"""Parsers for single cells of a Shopify product CSV.

Each parser takes the raw cell text and the column name and either returns a
typed value or raises :class:`CellError`. They know nothing about line numbers:
the row reader catches ``CellError`` and re-raises it as a ``RecordError``
naming the line, so every message a merchant sees says where to look.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from core.connector import INVENTORY_POLICIES


class CellError(ValueError):
    """One cell holds a value its column cannot take."""


def parse_money(raw: str, column: str) -> Decimal:
    """A non-negative, finite amount such as ``"42.99"``.

    Thousands separators and currency signs are refused rather than guessed:
    ``"1,299"`` is one thousand two hundred in one locale and one point two in
    another, and a wrong price shown to a shopper is worse than a failed import.
    """
    text = raw.strip()
    try:
        value = Decimal(text)
    except InvalidOperation:
        raise CellError(f"{column} {raw!r} is not a number") from None
    if not value.is_finite():
        raise CellError(f"{column} {raw!r} is not a number")
    if value < 0:
        raise CellError(f"{column} {raw!r} is negative")
    return value


def parse_optional_money(raw: str, column: str) -> Decimal | None:
    """Like :func:`parse_money`, but an empty cell means "no value"."""
    return parse_money(raw, column) if raw.strip() else None


def parse_stock(raw: str, column: str) -> int | None:
    """A whole stock count; an empty cell means unknown.

    Negative counts are real: a store that oversold exports them. Such a
    variant is simply out of stock.
    """
    text = raw.strip()
    if not text:
        return None
    try:
        return int(text)
    except ValueError:
        raise CellError(f"{column} {raw!r} is not a whole number") from None


def parse_quantity(raw: str, column: str) -> int | None:
    """A whole, non-negative count; an empty cell means unknown."""
    text = raw.strip()
    if not text:
        return None
    try:
        value = int(text)
    except ValueError:
        raise CellError(f"{column} {raw!r} is not a whole number") from None
    if value < 0:
        raise CellError(f"{column} {raw!r} is negative")
    return value


def parse_position(raw: str, column: str) -> int | None:
    """An image position (1 is the main image); empty means "after the numbered ones"."""
    value = parse_quantity(raw, column)
    if value == 0:
        raise CellError(f"{column} must start at 1, not 0")
    return value


def parse_bool(raw: str, column: str, *, default: bool) -> bool:
    """Shopify writes ``true``/``false``; spreadsheets often upper-case them."""
    text = raw.strip().lower()
    if not text:
        return default
    if text in ("true", "false"):
        return text == "true"
    raise CellError(f"{column} must be true or false, not {raw!r}")


def parse_policy(raw: str, column: str) -> str:
    """``deny`` (stop selling at zero) or ``continue`` (allow backorders); empty is ``deny``,
    as in Shopify's importer."""
    text = raw.strip().lower()
    if not text:
        return "deny"
    if text not in INVENTORY_POLICIES:
        raise CellError(f"{column} must be one of {', '.join(INVENTORY_POLICIES)}, not {raw!r}")
    return text


def parse_status_published(raw: str, column: str) -> bool | None:
    """Newer Shopify exports add ``Status`` (active/draft/archived).

    Returns ``None`` when empty (the ``Published`` column decides), else
    whether the product may be shown to shoppers.
    """
    text = raw.strip().lower()
    if not text:
        return None
    if text not in ("active", "draft", "archived"):
        raise CellError(f"{column} must be active, draft or archived, not {raw!r}")
    return text == "active"


def parse_url(raw: str, column: str) -> str | None:
    """An absolute http(s) URL; Shopify's protocol-relative ``//cdn...`` becomes https."""
    text = raw.strip()
    if not text:
        return None
    if text.startswith("//"):
        text = "https:" + text
    if not text.lower().startswith(("http://", "https://")) or len(text.split("/", 3)[2]) == 0:
        raise CellError(f"{column} must be an absolute http(s) URL, not {raw!r}")
    return text


def parse_tags(raw: str) -> tuple[str, ...]:
    """Comma-separated, stripped, empties and repeats dropped, order kept."""
    seen: dict[str, None] = {}
    for tag in raw.split(","):
        tag = tag.strip()
        if tag:
            seen.setdefault(tag, None)
    return tuple(seen)


def optional_text(raw: str) -> str | None:
    text = raw.strip()
    return text or None
