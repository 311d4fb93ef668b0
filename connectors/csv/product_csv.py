"""Parse Shopify's product CSV (the import/export format) into ProductRecords.

The format: one header row, then one or more rows per product, grouped by
``Handle``. The row that has a ``Title`` starts the product and carries its
fields, its option names and its first variant. Later rows with the same
handle and no title add a variant (when they have option values or a price)
and/or an image (``Image Src``). A single option named ``Title`` with the
value ``Default Title`` is Shopify's way of saying "no options".

The whole file is parsed and checked before anything is returned, so a sync
never imports half a catalog: the first malformed line raises a
``RecordError`` whose location names that line.
"""

from __future__ import annotations

from pathlib import Path

from core.connector import ProductRecord

from .product_draft import ProductDraft
from .rows import Row, iter_rows, read_text

__all__ = ["REQUIRED_COLUMNS", "parse_product_csv", "read_product_csv"]

#: Without these a row cannot be placed or priced.
REQUIRED_COLUMNS = ("Handle", "Title", "Variant Price")


def read_product_csv(path: Path, *, storefront_url: str | None = None) -> list[ProductRecord]:
    """Every product of the file at ``path``, in file order."""
    return parse_product_csv(read_text(path), storefront_url=storefront_url)


def parse_product_csv(text: str, *, storefront_url: str | None = None) -> list[ProductRecord]:
    """Every product of a CSV document, in the order their first rows appear."""
    drafts: dict[str, ProductDraft] = {}
    for row in iter_rows(text, required=REQUIRED_COLUMNS):
        handle = _handle(row)
        if row.get("Title").strip():
            if handle in drafts:
                raise row.error(
                    f"product {handle!r} was already started at line {drafts[handle].line}; "
                    "rows after the first must leave Title empty"
                )
            drafts[handle] = ProductDraft.start(row, handle)
            continue
        draft = drafts.get(handle)
        if draft is None:
            raise row.error(
                f"row for handle {handle!r} has no Title, but no product with that handle was started above it"
            )
        draft.add_row(row)
    return [draft.finish(storefront_url) for draft in drafts.values()]


def _handle(row: Row) -> str:
    handle = row.get("Handle").strip()
    if not handle:
        raise row.error("Handle is empty")
    if any(char.isspace() for char in handle) or "/" in handle or "?" in handle or "#" in handle:
        raise row.error(f"Handle {handle!r} may not contain spaces, '/', '?' or '#'")
    return handle
