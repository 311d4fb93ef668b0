"""Option values as the assistant compares them, kept with each variant (migration 0013).

A shopper's "navy", "Extra  Large" or "Écru" is a variant's option value when the two are equal once
case-folded, with each run of whitespace made one space (:func:`key`): the engine's own test, in Python
(``core.assistant.tools.catalog``, ``core.catalog.ranking``). Each variant keeps its values' keys
(``variants.option_keys``, written by the sync), so a search narrowed by option values compares them in the
database as they are (an array's containment in PostgreSQL) instead of reading every candidate variant's
JSON and folding its values there: about 7 us less a product tested in PostgreSQL, and a value of any
script compares, where the database's own folding agrees with Python's only for printable ASCII
(``core.catalog.search._PLAIN``).

A variant without keys (stored before migration 0013, or by an older host during a rolling deploy) is
compared the old way; the next sync of its shop gives it keys (:func:`fill`, a batch at a time), found
through the partial index of the variants still without them.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from sqlalchemy import select, update

from core.db.models import Product, Variant

if TYPE_CHECKING:
    from core.db.session import Database

#: Variants given their keys per transaction by :func:`fill`.
FILL_BATCH = 5000


def key(value: object) -> str:
    """An option value as compared: case-folded, each run of whitespace one space, none at the ends."""
    return " ".join(str(value).casefold().split())


def keys(values: Iterable[object]) -> list[str]:
    """The keys of a variant's option values (or of the values asked), each once, sorted."""
    return sorted({key(v) for v in values})


def fill(db: Database, shop_id: int) -> int:
    """Give the shop's variants without keys theirs, a batch at a time, each in its own transaction; the
    number given. Run by every sync (``core.catalog.sync.run_sync``); once a shop's variants all have
    keys, it reads the empty partial index and writes nothing."""
    filled = 0
    while True:
        with db.session() as session:
            rows = session.execute(
                select(Variant.id, Variant.option_values)
                .join(Product, Product.id == Variant.product_id)
                .where(Product.shop_id == shop_id, Variant.option_keys.is_(None))
                .limit(FILL_BATCH)
            ).all()
            if rows:
                session.execute(
                    update(Variant),
                    [{"id": vid, "option_keys": keys(values or [])} for vid, values in rows],
                )
        filled += len(rows)
        if len(rows) < FILL_BATCH:
            return filled
