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
through the partial index of the variants still without them. Keys are never stale: an update that
changes a variant's values without changing its keys (an older host's write) clears them (a trigger,
migration 0013), and the ORM sets them with the values (``Variant.option_values``' validator).
"""

from __future__ import annotations

import json
import typing
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

from sqlalchemy import CursorResult, Row, Text, cast, select, text
from sqlalchemy.orm import Session

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
                select(Variant.id, cast(Variant.option_values, Text))
                .join(Product, Product.id == Variant.product_id)
                .where(Product.shop_id == shop_id, Variant.option_keys.is_(None))
                .limit(FILL_BATCH)
            ).all()
            done = _give(session, rows)
        filled += done
        # A batch none of which could be given keys is being rewritten meanwhile: the next sync goes on.
        if len(rows) < FILL_BATCH or not done:
            return filled


def refill(session: Session, product_ids: Sequence[int]) -> int:
    """Give keys to the variants of these products that a write just left without (the trigger clears the
    keys of a variant whose values an update changes and whose keys it does not: an older host's write,
    or this host's when the values changed only in case or order, so their keys are the same). Read
    through the partial index of the variants without keys: nearly always nothing. The number given."""
    if not product_ids:
        return 0
    rows = session.execute(
        select(Variant.id, cast(Variant.option_values, Text)).where(
            Variant.product_id.in_(list(product_ids)), Variant.option_keys.is_(None)
        )
    ).all()
    return _give(session, rows)


def _give(session: Session, rows: Sequence[Row[int, str]]) -> int:
    """Give each ``(variant id, its values as JSON text)`` the keys of those values, if they are still its
    values: a write in between (a webhook, an older host's sync) is never given keys of the values it
    replaced. The number given."""
    if not rows:
        return 0
    postgres = session.get_bind().dialect.name == "postgresql"
    # By primary key alone: with ``option_keys IS NULL`` too, PostgreSQL walked the partial index of every
    # variant without keys for each row (its statistics, older than a mass write, call that index small).
    given = text(
        "UPDATE variants SET option_keys = "
        + ("CAST(:keys AS text[])" if postgres else ":keys")
        + " WHERE id = :id AND "
        + ("CAST(option_values AS text)" if postgres else "option_values")
        + " = :seen"
    )
    result = session.execute(
        given,
        [{"id": vid, "seen": seen, "keys": _bound(keys(json.loads(seen) or []), postgres)} for vid, seen in rows],
    )
    return typing.cast(CursorResult[Any], result).rowcount


def _bound(found: list[str], postgres: bool) -> list[str] | str:
    return found if postgres else json.dumps(found)
