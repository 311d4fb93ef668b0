"""The product CSV import (``storechat shop create --csv``: the CSV connector reads the
whole file, then a sync stores it) fed Shopify-format files made from a real sample
catalog by mutating cells (odd unicode, NUL, lone surrogates, numbers out of range
or not numbers), the header (columns dropped, duplicated, renamed) and the bytes
(BOM, line endings, not UTF-8, cut short). A file is read whole or refused with a
RecordError naming the line; a read file is stored whole; the catalog stays valid."""
from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Any

from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import delete

from connectors.csv import CsvConnector
from core.catalog.sync import create_run, run_sync
from core.connector import RecordError
from core.db import Database, Product, Shop
from core.errors import StoreChatError
from core.shops import create_shop
from tests.conftest import SHOPIFY_DATA
from tests.fuzz import invariants
from tests.fuzz.strategies import fuzz_settings, texts

BATCH = 50


def _sample(name: str, rows: int) -> tuple[list[str], list[list[str]]]:
    with open(SHOPIFY_DATA / name, newline="", encoding="utf-8") as f:
        reader = list(csv.reader(f))
    return reader[0], reader[1:rows + 1]


HEADER, ROWS = _sample("jewelry.csv", 8)
#: Cell values that are numbers to someone: out of range, signed, localized, not finite.
NUMBERISH = ["", "0", "-1", "-0.01", "1e400", "NaN", "inf", "-inf", "1,000.00", "1.000,00", "0x10", "１２",
             "99999999999999999999", "2147483648", "-2147483649", "12.345", " 5 ", "TRUE", "deny", "continue",
             "shopify", "yes"]


@st.composite
def csv_files(draw: st.DrawFn) -> bytes:
    header = list(HEADER)
    rows = [list(r) for r in ROWS[:draw(st.integers(min_value=0, max_value=len(ROWS)))]]
    for _ in range(draw(st.integers(min_value=0, max_value=5))):
        if not rows:
            break
        row = draw(st.sampled_from(rows))
        column = draw(st.integers(min_value=0, max_value=len(header) - 1))
        row[column] = draw(st.one_of(st.sampled_from(NUMBERISH), texts(300)))
    how = draw(st.sampled_from(["none"] * 6 + ["drop_column", "dup_column", "rename_column", "extra_cells",
                                                "short_row"]))
    column = draw(st.integers(min_value=0, max_value=len(header) - 1))
    if how == "drop_column":
        header.pop(column)
        rows = [r[:column] + r[column + 1:] for r in rows]
    elif how == "dup_column":
        header.append(header[column])
        rows = [r + [draw(st.sampled_from(NUMBERISH))] for r in rows]
    elif how == "rename_column":
        header[column] = draw(texts(20))
    elif how == "extra_cells" and rows:
        rows[-1] = rows[-1] + ["x", "y"]
    elif how == "short_row" and rows:
        rows[-1] = rows[-1][:column]
    out = io.StringIO()
    csv.writer(out, lineterminator=draw(st.sampled_from(["\n", "\r\n", "\r"]))).writerows([header, *rows])
    data = out.getvalue().encode("utf-8", "surrogatepass")
    twist = draw(st.sampled_from(["none"] * 6 + ["bom", "latin1", "cut", "quote", "empty"]))
    if twist == "bom":
        data = b"\xef\xbb\xbf" + data
    elif twist == "latin1":
        data = data.replace(b"a", b"\xe4", 3)
    elif twist == "cut":
        data = data[:draw(st.integers(min_value=0, max_value=len(data)))]
    elif twist == "quote":
        data = data + b'\n"unclosed,1,2'
    elif twist == "empty":
        data = b""
    return data


def test_csv_import(db: Database, tmp_path: Path, cases: Any) -> None:
    path = tmp_path / "products.csv"
    path.write_bytes(b"")
    shop = create_shop(db, "CSV Fuzz", "csv", {"csv_path": str(path)})
    state = {"n": 0, "imported": 0}

    @given(data=csv_files())
    @fuzz_settings(800)
    def run(data: bytes) -> None:
        cases()
        path.write_bytes(data)
        try:
            records = list(CsvConnector({"csv_path": str(path)}).iter_products())
        except RecordError as exc:
            assert exc.message, "a refusal names what is wrong"
            return
        # Read whole: stored by a sync, as `storechat shop create --csv` does next.
        with db.session() as session:
            session.execute(delete(Product).where(Product.shop_id == shop.id))
        run_id = create_run(db, shop.id).id
        try:
            run_sync(db, run_id)
        except StoreChatError as exc:
            raise AssertionError(f"a file the connector read whole failed to store: {exc}") from exc
        state["imported"] += 1
        state["n"] += 1
        if state["n"] % BATCH == 0:
            invariants.catalog(db)
        with db.session() as session:
            stored = session.get(Shop, shop.id)
            assert stored is not None
            count = session.query(Product).filter(Product.shop_id == shop.id).count()
        assert count == len({r.external_id for r in records}), "not every product read was stored"

    run()
    invariants.catalog(db)
