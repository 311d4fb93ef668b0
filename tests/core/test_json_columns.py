"""JSON columns are decoded by ``core.db.session.json_loads`` (orjson) on every engine, and read back as
they were written, including what only the standard library's parser accepts."""

from __future__ import annotations

import math

from sqlalchemy import select

from core.db import Database, Shop
from core.db.session import json_loads, make_store_engine
from core.shops import create_shop


def test_every_engine_decodes_json_columns_with_json_loads(db: Database) -> None:
    assert db.engine.dialect._json_deserializer is json_loads  # type: ignore[attr-defined]
    store = make_store_engine(str(db.engine.url.render_as_string(hide_password=False)))
    try:
        assert store.dialect._json_deserializer is json_loads  # type: ignore[attr-defined]
    finally:
        store.dispose()


def test_json_values_read_back_as_written(db: Database) -> None:
    value = {"greeting": "¡Hola! 👋 «Grüße»", "n": [1, 2.5, -3, None, True], "deep": {"a": [{"b": "c"}]}, "": ""}
    shop = create_shop(db, "Json", "csv", {"demo": True})
    with db.session() as session:
        session.get(Shop, shop.id).settings = value
        session.commit()
    with db.session() as session:
        assert session.scalar(select(Shop.settings).where(Shop.id == shop.id)) == value


def test_what_only_the_standard_parser_reads_still_loads() -> None:
    # SQLAlchemy writes JSON with json.dumps, which spells a float NaN or infinity as the bare tokens
    # (SQLite stores them as written); orjson refuses them, so they fall back to json.loads.
    loaded = json_loads(b'{"x": NaN, "y": Infinity, "z": [1]}')
    assert math.isnan(loaded["x"]) and loaded["y"] == math.inf and loaded["z"] == [1]
    assert json_loads('{"a": "b"}') == {"a": "b"}
    # Integers past 64 bits stay exact integers (orjson would read them as floats).
    for big in (2**64, 10**30, -(2**70)):
        assert json_loads(f'{{"n": {big}, "s": "{big}"}}'.encode()) == {"n": big, "s": str(big)}
        assert type(json_loads(str(big))) is int
    try:
        json_loads(b'{"a": ')
    except ValueError:
        pass
    else:
        raise AssertionError("a truncated document must be refused")
