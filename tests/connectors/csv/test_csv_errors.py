"""Malformed input gives a RecordError naming the line, and nothing is imported.

Each case writes a small Shopify CSV whose last record is broken, after valid
products, so "nothing was yielded" proves the file is checked as a whole.
"""
from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest

from connectors.csv import CsvConnector
from core.connector import ProductRecord, RecordError

HEADER = [
    "Handle", "Title", "Body (HTML)", "Vendor", "Type", "Tags", "Published",
    "Option1 Name", "Option1 Value", "Option2 Name", "Option2 Value",
    "Variant SKU", "Variant Inventory Tracker", "Variant Inventory Qty",
    "Variant Inventory Policy", "Variant Price", "Variant Compare At Price",
    "Image Src", "Image Position",
]

# Line 2: a product with a description spanning lines 2-4; lines 5-6: a
# two-variant product. Any broken row appended after them starts at line 7.
VALID_ROWS: list[dict[str, str]] = [
    {"Handle": "tee", "Title": "Tee", "Body (HTML)": "<p>Soft.\nCotton.\nMade well.</p>",
     "Option1 Name": "Title", "Option1 Value": "Default Title", "Variant Price": "20",
     "Variant Inventory Qty": "3", "Variant Inventory Policy": "deny"},
    {"Handle": "cap", "Title": "Cap", "Option1 Name": "Size", "Option1 Value": "S",
     "Variant Price": "15", "Variant Inventory Tracker": "shopify", "Variant Inventory Qty": "2"},
    {"Handle": "cap", "Option1 Value": "M", "Variant Price": "15"},
]
NEXT_LINE = 7


def render(rows: list[dict[str, str]], header: list[str] = HEADER) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=header, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue()


def import_products(tmp_path: Path, content: str | bytes) -> list[ProductRecord]:
    """Import like a sync does, collecting what was yielded before any error."""
    path = tmp_path / "products.csv"
    if isinstance(content, str):
        path.write_text(content, encoding="utf-8", newline="")
    else:
        path.write_bytes(content)
    got: list[ProductRecord] = []
    try:
        for product in CsvConnector({"csv_path": str(path)}).iter_products():
            got.append(product)
    except RecordError:
        assert got == [], "products were yielded before the error"
        raise
    return got


def test_the_valid_rows_import(tmp_path: Path) -> None:
    products = import_products(tmp_path, render(VALID_ROWS))
    assert [p.handle for p in products] == ["tee", "cap"]
    assert products[0].body_html.count("\n") == 2
    assert [v.title for v in products[1].variants] == ["S", "M"]
    assert products[1].variants[0].available is True
    assert products[1].variants[1].inventory_quantity is None


@pytest.mark.parametrize(
    ("bad_row", "message"),
    [
        ({"Handle": "cap", "Option1 Value": "L", "Variant Price": "abc"}, "Variant Price 'abc' is not a number"),
        ({"Handle": "cap", "Option1 Value": "L", "Variant Price": "NaN"}, "not a number"),
        ({"Handle": "cap", "Option1 Value": "L", "Variant Price": "1,299"}, "not a number"),
        ({"Handle": "cap", "Option1 Value": "L", "Variant Price": "-5"}, "negative"),
        ({"Handle": "cap", "Option1 Value": "L"}, "has no Variant Price"),
        ({"Handle": "cap", "Option1 Value": "L", "Variant Price": "15",
          "Variant Compare At Price": "soon"}, "Variant Compare At Price"),
        ({"Handle": "hat", "Option1 Value": "L", "Variant Price": "15"}, "no product with that handle"),
        ({"Handle": "cap", "Option1 Value": "L", "Variant Price": "15",
          "Variant Inventory Policy": "backorder"}, "Variant Inventory Policy must be one of deny, continue"),
        ({"Handle": "cap", "Option1 Value": "L", "Variant Price": "15",
          "Variant Inventory Qty": "2.5"}, "not a whole number"),
        ({"Handle": "cap", "Option1 Value": "M", "Variant Price": "15"}, "duplicate variant 'M' of 'cap': already defined at line 6"),
        ({"Handle": "cap", "Variant Price": "15", "Variant SKU": "CAP-X"}, "Option1 Value is empty"),
        ({"Handle": "cap", "Option1 Value": "L", "Option2 Value": "Red", "Variant Price": "15"}, "no Option2 Name"),
        ({"Handle": "tee", "Option1 Value": "Blue", "Variant Price": "15"}, "has no options"),
        ({"Handle": "tee", "Variant Price": "20"}, "duplicate variant 'Default Title'"),
        ({"Handle": "tee", "Title": "Tee again", "Variant Price": "20"}, "already started at line 2"),
        ({"Handle": "", "Title": "Nameless", "Variant Price": "20"}, "Handle is empty"),
        ({"Handle": "two words", "Title": "Spaced", "Variant Price": "20"}, "may not contain spaces"),
        ({"Handle": "bag", "Title": "Bag", "Published": "yes", "Variant Price": "20"}, "Published must be true or false"),
        ({"Handle": "bag", "Title": "Bag"}, "has no Variant Price"),
        ({"Handle": "bag", "Title": "Bag", "Option2 Name": "Colour", "Option2 Value": "Red",
          "Variant Price": "20"}, "Option1 Name is empty"),
        ({"Handle": "cap", "Image Src": "cap.jpg"}, "Image Src must be an absolute http(s) URL"),
        ({"Handle": "cap", "Image Src": "https://cdn.example.com/cap.jpg", "Image Position": "first"}, "Image Position"),
    ],
)
def test_bad_row_names_its_line(tmp_path: Path, bad_row: dict[str, str], message: str) -> None:
    with pytest.raises(RecordError) as info:
        import_products(tmp_path, render([*VALID_ROWS, bad_row]))
    assert info.value.location == f"line {NEXT_LINE}"
    assert str(info.value).startswith(f"line {NEXT_LINE}: ")
    assert message in str(info.value)
    assert info.value.code == "record_invalid"


def test_line_numbers_count_physical_lines_of_multi_line_cells(tmp_path: Path) -> None:
    rows = [
        *VALID_ROWS,
        {"Handle": "bag", "Title": "Bag", "Body (HTML)": "one\ntwo\nthree\nfour", "Variant Price": "9"},
        {"Handle": "bag", "Option1 Value": "Big", "Variant Price": "9"},
    ]
    # The bag starts at line 7 and spans 7-10; the broken row is line 11.
    with pytest.raises(RecordError) as info:
        import_products(tmp_path, render(rows))
    assert info.value.location == "line 11"


def test_error_inside_a_multi_line_record_names_its_first_line(tmp_path: Path) -> None:
    rows = [*VALID_ROWS, {"Handle": "bag", "Title": "Bag", "Body (HTML)": "a\nb", "Variant Price": "x"}]
    with pytest.raises(RecordError) as info:
        import_products(tmp_path, render(rows))
    assert info.value.location == f"line {NEXT_LINE}"
    assert f"spans lines {NEXT_LINE}-{NEXT_LINE + 1}" in str(info.value)


def test_blank_lines_are_skipped_but_counted(tmp_path: Path) -> None:
    text = render(VALID_ROWS) + "\n\n" + render([{"Handle": "cap", "Variant Price": "x"}]).split("\n", 1)[1]
    with pytest.raises(RecordError) as info:
        import_products(tmp_path, text)
    assert info.value.location == f"line {NEXT_LINE + 2}"


@pytest.mark.parametrize("missing", ["Handle", "Title", "Variant Price"])
def test_missing_required_column(tmp_path: Path, missing: str) -> None:
    header = [name for name in HEADER if name != missing]
    rows = [{k: v for k, v in row.items() if k != missing} for row in VALID_ROWS]
    with pytest.raises(RecordError) as info:
        import_products(tmp_path, render(rows, header))
    assert info.value.location == "line 1"
    assert repr(missing) in str(info.value)


def test_duplicate_column_in_header(tmp_path: Path) -> None:
    text = render(VALID_ROWS).replace("Image Position", "Image Src", 1)
    with pytest.raises(RecordError) as info:
        import_products(tmp_path, text)
    assert info.value.location == "line 1"


def test_empty_file(tmp_path: Path) -> None:
    with pytest.raises(RecordError) as info:
        import_products(tmp_path, "")
    assert info.value.location == "line 1"


def test_row_with_too_many_cells(tmp_path: Path) -> None:
    text = render(VALID_ROWS) + "cap,,,,,,,,L,,,,,,,15,,,,extra\n"
    with pytest.raises(RecordError) as info:
        import_products(tmp_path, text)
    assert info.value.location == f"line {NEXT_LINE}"
    assert "20 cells but the header has 19" in str(info.value)


def test_unclosed_quote_names_where_the_record_starts(tmp_path: Path) -> None:
    text = render(VALID_ROWS) + 'cap,,"never closed,,,,,,L\nmore\n'
    with pytest.raises(RecordError) as info:
        import_products(tmp_path, text)
    assert info.value.location == f"line {NEXT_LINE}"
    assert "malformed CSV" in str(info.value)


def test_text_after_a_closing_quote(tmp_path: Path) -> None:
    text = render(VALID_ROWS) + 'cap,,"ab"c,,,,,,L,,,,,,,15,,,\n'
    with pytest.raises(RecordError) as info:
        import_products(tmp_path, text)
    assert info.value.location == f"line {NEXT_LINE}"


def test_non_utf8_names_the_line(tmp_path: Path) -> None:
    rows = [*VALID_ROWS, {"Handle": "bag", "Title": "Sac \u00e0 main", "Variant Price": "9"}]
    data = render(rows).encode("latin-1")
    with pytest.raises(RecordError) as info:
        import_products(tmp_path, data)
    assert info.value.location == f"line {NEXT_LINE}"
    assert "not UTF-8" in str(info.value)


def test_utf8_with_byte_order_mark_is_fine(tmp_path: Path) -> None:
    data = b"\xef\xbb\xbf" + render(VALID_ROWS).encode("utf-8")
    assert [p.handle for p in import_products(tmp_path, data)] == ["tee", "cap"]


def test_crlf_line_endings(tmp_path: Path) -> None:
    text = render([*VALID_ROWS, {"Handle": "cap", "Variant Price": "x"}]).replace("\n", "\r\n")
    with pytest.raises(RecordError) as info:
        import_products(tmp_path, text)
    assert info.value.location == f"line {NEXT_LINE}"


# -- pages and orders ----------------------------------------------------------


def test_non_utf8_page_names_the_file(tmp_path: Path) -> None:
    pages = tmp_path / "pages"
    pages.mkdir()
    (pages / "about.md").write_bytes("# About\n\nCaf\u00e9".encode("latin-1"))
    connector = CsvConnector({"demo": True, "pages_dir": str(pages)})
    with pytest.raises(RecordError) as info:
        connector.iter_documents()
    assert info.value.location == "about.md"


def test_empty_page_is_refused(tmp_path: Path) -> None:
    pages = tmp_path / "pages"
    pages.mkdir()
    (pages / "faq.md").write_text("# FAQ\n", encoding="utf-8")
    with pytest.raises(RecordError, match="faq.md"):
        CsvConnector({"demo": True, "pages_dir": str(pages)}).iter_documents()


def test_invalid_orders_json_names_the_line(tmp_path: Path) -> None:
    path = tmp_path / "orders.json"
    path.write_text('{"orders": [\n  {"id": 1,}\n]}', encoding="utf-8")
    connector = CsvConnector({"demo": True, "orders_path": str(path)})
    with pytest.raises(RecordError) as info:
        connector.find_order("#1001", email="bob.norman@hostmail.com")
    assert info.value.location == "orders.json line 2"


def test_orders_json_of_the_wrong_shape(tmp_path: Path) -> None:
    path = tmp_path / "orders.json"
    path.write_text(json.dumps({"order": {"id": 1}}), encoding="utf-8")
    connector = CsvConnector({"demo": True, "orders_path": str(path)})
    with pytest.raises(RecordError, match="orders"):
        connector.find_order("#1001", email="bob.norman@hostmail.com")


def test_matching_order_with_missing_fields(tmp_path: Path) -> None:
    path = tmp_path / "orders.json"
    order = {"id": 7, "name": "#1007", "email": "a@example.com", "currency": "USD"}
    path.write_text(json.dumps({"orders": [order]}), encoding="utf-8")
    connector = CsvConnector({"demo": True, "orders_path": str(path)})
    with pytest.raises(RecordError) as info:
        connector.find_order("#1007", email="a@example.com")
    assert info.value.location == "order #1007"
    assert "total_price" in str(info.value)
    # Someone else's lookup learns nothing, not even that the record is broken.
    assert connector.find_order("#1007", email="b@example.com") is None


def test_negative_stock_from_an_oversold_store_is_sold_out(tmp_path: Path) -> None:
    rows = [*VALID_ROWS, {"Handle": "cap", "Option1 Value": "L", "Variant Price": "15",
                          "Variant Inventory Tracker": "shopify", "Variant Inventory Qty": "-2",
                          "Variant Inventory Policy": "deny"}]
    products = {p.handle: p for p in import_products(tmp_path, render(rows))}
    large = products["cap"].variants[-1]
    assert large.inventory_quantity == -2 and large.available is False
