"""One product of a Shopify CSV while its rows are being read.

A product's rows arrive one at a time (its first row, then variant and image
rows), so it is assembled in a mutable draft and turned into an immutable
``ProductRecord`` once the whole file has been read.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from urllib.parse import quote

from core.connector import ProductOption, ProductRecord, RecordError, VariantRecord

from .cells import (
    CellError,
    optional_text,
    parse_bool,
    parse_money,
    parse_optional_money,
    parse_policy,
    parse_position,
    parse_status_published,
    parse_stock,
    parse_tags,
    parse_url,
)
from .rows import Row

#: Shopify's marker for a product without options: one option "Title" whose
#: only value is "Default Title". Its single variant keeps that title.
DEFAULT_OPTION_NAME = "Title"
DEFAULT_TITLE = "Default Title"
OPTION_SLOTS = (1, 2, 3)

#: A row that fills any of these describes a variant; rows that fill none of
#: them only add an image.
VARIANT_COLUMNS = (
    "Option1 Value",
    "Option2 Value",
    "Option3 Value",
    "Variant SKU",
    "Variant Price",
    "Variant Compare At Price",
    "Variant Inventory Qty",
)


def variant_external_id(handle: str, option_values: tuple[str, ...]) -> str:
    """``"classic-varsity-top:Small"``; ``"ocean-blue-shirt:Default Title"``.

    Built from the handle and option values, never from the SKU (often empty
    or reused), so it is the same on every re-import of the same file. A ``/``
    inside a value is escaped so that values ``("a/b", "c")`` and ``("a", "b/c")``
    cannot produce the same id.
    """
    if not option_values:
        return f"{handle}:{DEFAULT_TITLE}"
    escaped = (value.replace("%", "%25").replace("/", "%2F") for value in option_values)
    return f"{handle}:{'/'.join(escaped)}"


def product_url(storefront_url: str | None, handle: str) -> str | None:
    if not storefront_url:
        return None
    return f"{storefront_url.rstrip('/')}/products/{quote(handle, safe='')}"


@dataclass
class _Image:
    position: int | None
    order: int
    src: str


@dataclass
class ProductDraft:
    handle: str
    line: int
    title: str
    body_html: str
    vendor: str | None
    product_type: str | None
    tags: tuple[str, ...]
    published: bool
    option_names: tuple[str, ...]
    variants: list[VariantRecord] = field(default_factory=list)
    variant_lines: dict[tuple[str, ...], int] = field(default_factory=dict)
    images: list[_Image] = field(default_factory=list)

    @classmethod
    def start(cls, row: Row, handle: str) -> ProductDraft:
        """A draft from the product's first row (the one with a Title)."""
        try:
            published = parse_bool(row.get("Published"), "Published", default=True)
            active = parse_status_published(row.get("Status"), "Status")
        except CellError as exc:
            raise row.error(str(exc)) from None
        draft = cls(
            handle=handle,
            line=row.first_line,
            title=row.get("Title").strip(),
            body_html=row.get("Body (HTML)"),
            vendor=optional_text(row.get("Vendor")),
            product_type=optional_text(row.get("Type")),
            tags=parse_tags(row.get("Tags")),
            published=published and active is not False,
            option_names=_option_names(row),
        )
        if not draft._is_variant_row(row):
            raise row.error(
                f"the first row of product {handle!r} must describe its first variant, but it has no Variant Price"
            )
        draft.add_row(row)
        return draft

    def add_row(self, row: Row) -> None:
        """Take a variant and/or an image from one row of this product."""
        if self._is_variant_row(row):
            self._add_variant(row)
        try:
            src = parse_url(row.get("Image Src"), "Image Src")
            position = parse_position(row.get("Image Position"), "Image Position")
        except CellError as exc:
            raise row.error(str(exc)) from None
        if src:
            self.images.append(_Image(position, len(self.images), src))

    def finish(self, storefront_url: str | None) -> ProductRecord:
        images = self._ordered_images()
        try:
            return ProductRecord(
                external_id=self.handle,
                handle=self.handle,
                title=self.title,
                variants=tuple(self.variants),
                body_html=self.body_html,
                vendor=self.vendor,
                product_type=self.product_type,
                tags=self.tags,
                options=self._options(),
                image_url=images[0] if images else None,
                images=images,
                url=product_url(storefront_url, self.handle),
                published=self.published,
            )
        except RecordError as exc:
            raise RecordError(exc.message, location=f"line {self.line}") from None

    # -- internals ----------------------------------------------------------

    @staticmethod
    def _is_variant_row(row: Row) -> bool:
        return any(row.get(column).strip() for column in VARIANT_COLUMNS)

    def _add_variant(self, row: Row) -> None:
        values = self._option_values(row)
        title = " / ".join(values) if values else DEFAULT_TITLE
        if values in self.variant_lines:
            raise row.error(
                f"duplicate variant {title!r} of {self.handle!r}: already defined at line {self.variant_lines[values]}"
            )
        if not row.get("Variant Price").strip():
            raise row.error(f"variant {title!r} of {self.handle!r} has no Variant Price")
        external_id = variant_external_id(self.handle, values)
        try:
            variant = VariantRecord(
                external_id=external_id,
                title=title,
                price=parse_money(row.get("Variant Price"), "Variant Price"),
                option_values=values,
                compare_at_price=parse_optional_money(row.get("Variant Compare At Price"), "Variant Compare At Price"),
                sku=optional_text(row.get("Variant SKU")),
                # An empty tracker means Shopify does not count stock: always available.
                inventory_tracked=bool(row.get("Variant Inventory Tracker").strip()),
                inventory_quantity=parse_stock(row.get("Variant Inventory Qty"), "Variant Inventory Qty"),
                inventory_policy=parse_policy(row.get("Variant Inventory Policy"), "Variant Inventory Policy"),
                image_url=parse_url(row.get("Variant Image"), "Variant Image"),
            )
        except (CellError, RecordError) as exc:
            raise row.error(str(exc)) from None
        self.variants.append(variant)
        self.variant_lines[values] = row.first_line

    def _option_values(self, row: Row) -> tuple[str, ...]:
        raw = [row.get(f"Option{slot} Value").strip() for slot in OPTION_SLOTS]
        if not self.option_names:
            if raw[0] not in ("", DEFAULT_TITLE) or any(raw[1:]):
                raise row.error(
                    f"option values {', '.join(v for v in raw if v)!r} given, "
                    f"but product {self.handle!r} has no options"
                )
            return ()
        for slot, value in zip(OPTION_SLOTS, raw, strict=True):
            if slot <= len(self.option_names) and not value:
                raise row.error(
                    f"Option{slot} Value is empty, but product {self.handle!r} "
                    f"has option {self.option_names[slot - 1]!r}"
                )
            if slot > len(self.option_names) and value:
                raise row.error(
                    f"Option{slot} Value {value!r} given, but product {self.handle!r} has no Option{slot} Name"
                )
        return tuple(raw[: len(self.option_names)])

    def _options(self) -> tuple[ProductOption, ...]:
        return tuple(
            ProductOption(
                name=name,
                values=tuple(dict.fromkeys(v.option_values[index] for v in self.variants)),
            )
            for index, name in enumerate(self.option_names)
        )

    def _ordered_images(self) -> tuple[str, ...]:
        """Numbered images by position, then unnumbered ones in file order, then
        variant images not listed otherwise (Shopify adds those to the product too)."""
        ordered = sorted(
            self.images,
            key=lambda image: (image.position is None, image.position or 0, image.order),
        )
        srcs = [image.src for image in ordered]
        srcs += [v.image_url for v in self.variants if v.image_url]
        return tuple(dict.fromkeys(srcs))


def _option_names(row: Row) -> tuple[str, ...]:
    """The product's option names; ``()`` for Shopify's "Title / Default Title"."""
    names = [row.get(f"Option{slot} Name").strip() for slot in OPTION_SLOTS]
    while names and not names[-1]:
        names.pop()
    for slot, name in zip(OPTION_SLOTS, names, strict=False):
        if not name:
            raise row.error(f"Option{slot} Name is empty but a later option is named")
    if len(set(names)) != len(names):
        raise row.error(f"option names repeat: {', '.join(names)}")
    if names == [DEFAULT_OPTION_NAME] and row.get("Option1 Value").strip() == DEFAULT_TITLE:
        return ()
    return tuple(names)
