"""The connector contract: one pytest suite every connector runs against itself.

Core relies on a few promises from every connector (see ``core.connector``):
ids are stable and unique, prices are ``Decimal``, reading twice gives the
same answer, and an order is only ever returned to the shopper it belongs
to. This suite checks those promises, so a new platform is known to fit
before it meets a merchant.

How to use it
-------------

Subclass :class:`ConnectorContract` in your connector's test module under a
name pytest collects (``Test...``), provide a ``connector`` fixture returning
a ready instance wired to *recorded or fake* platform data (never a live
store), and describe one order that exists in that data::

    # tests/connectors/acme/test_acme_contract.py
    import pytest
    import responses

    from core.testing import ConnectorContract
    from acme_storechat import AcmeConnector


    class TestAcmeContract(ConnectorContract):
        known_order_reference = "#1001"          # as the shopper would type it
        known_order_email = "bob.norman@hostmail.com"
        known_order_customer_id = "207119551"    # optional; None skips those checks

        @pytest.fixture
        def connector(self):
            with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
                add_recorded_acme_responses(rsps)   # your fixture data
                yield AcmeConnector({"shop": "demo.acme.test", "token": "t"})

Every ``test_*`` method below then runs against your connector; add your
platform-specific tests as further methods or in other modules. Override
``unknown_order_reference`` if ``#987654321`` could exist in your data. A
connector with no orders at all sets ``known_order_reference = None``: the
checks that need an order are skipped and the "never leaks" checks still run.

Only ``pytest`` is needed: no plugin, conftest or entry point has to be
configured. The base class's name does not start with ``Test``, so pytest
does not collect it on its own.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from datetime import UTC, datetime
from decimal import Decimal
from typing import ClassVar
from urllib.parse import urlsplit

import pytest

from core.connector import (
    Connector,
    DocumentRecord,
    OrderRecord,
    ProductRecord,
    normalize_order_reference,
)

__all__ = ["ConnectorContract"]


def _duplicates(values: Iterable[str]) -> list[str]:
    return sorted(value for value, count in Counter(values).items() if count > 1)


def _assert_absolute_http_url(url: str | None, what: str) -> None:
    if url is None:
        return
    parts = urlsplit(url)
    assert parts.scheme in ("http", "https") and parts.netloc, f"{what}: {url!r} is not an absolute http(s) URL"


class ConnectorContract:
    """Base class of a connector's contract tests; see the module docstring."""

    #: The order number of an order present in the connector's test data, as a
    #: shopper would type it ("#1001"). ``None`` when the connector has no orders.
    known_order_reference: ClassVar[str | None] = None
    #: The email that order was placed with.
    known_order_email: ClassVar[str | None] = None
    #: The platform customer id that owns the order, when the platform has one.
    known_order_customer_id: ClassVar[str | None] = None
    #: An order number that does not exist in the test data.
    unknown_order_reference: ClassVar[str] = "#987654321"

    # -- fixtures a subclass provides or may override ----------------------

    @pytest.fixture
    def connector(self) -> Connector:
        pytest.fail(
            f"{type(self).__name__} must define a `connector` fixture returning a "
            "Connector wired to recorded/fake platform data"
        )

    @pytest.fixture
    def products(self, connector: Connector) -> list[ProductRecord]:
        return list(connector.iter_products(None))

    @pytest.fixture
    def documents(self, connector: Connector) -> list[DocumentRecord]:
        return list(connector.iter_documents(None))

    def _known_order(self) -> tuple[str, str]:
        if self.known_order_reference is None:
            pytest.skip("the connector declares no known order (known_order_reference = None)")
        assert self.known_order_email, f"{type(self).__name__} sets known_order_reference but not known_order_email"
        return self.known_order_reference, self.known_order_email

    # -- products ----------------------------------------------------------

    def test_products_are_product_records(self, products: list[ProductRecord]) -> None:
        assert products, "iter_products yielded nothing: give the test shop some products"
        for product in products:
            assert isinstance(product, ProductRecord), f"{product!r} is not a ProductRecord"

    def test_product_ids_and_handles_are_unique_and_non_empty(self, products: list[ProductRecord]) -> None:
        for product in products:
            assert product.external_id.strip(), f"product {product.title!r} has an empty id"
            assert product.handle.strip(), f"product {product.external_id} has an empty handle"
        assert not _duplicates(p.external_id for p in products), "duplicate product ids"
        assert not _duplicates(p.handle for p in products), "duplicate product handles"

    def test_every_product_has_uniquely_identified_variants(self, products: list[ProductRecord]) -> None:
        for product in products:
            assert len(product.variants) >= 1, f"{product.external_id} has no variants"
            ids = [variant.external_id for variant in product.variants]
            assert all(i.strip() for i in ids), f"{product.external_id}: empty variant id"
            assert not _duplicates(ids), f"{product.external_id}: duplicate variant ids"
            for variant in product.variants:
                assert variant.title.strip(), f"{variant.external_id}: empty variant title"

    def test_prices_are_non_negative_decimals(self, products: list[ProductRecord]) -> None:
        for product in products:
            for variant in product.variants:
                where = f"{product.external_id} / {variant.external_id}"
                assert isinstance(variant.price, Decimal), f"{where}: price is not a Decimal"
                assert variant.price.is_finite() and variant.price >= 0, f"{where}: bad price"
                compare_at = variant.compare_at_price
                assert compare_at is None or isinstance(compare_at, Decimal), (
                    f"{where}: compare-at price is neither None nor a Decimal"
                )
                assert compare_at is None or (compare_at.is_finite() and compare_at >= 0)
                quantity = variant.inventory_quantity
                assert quantity is None or isinstance(quantity, int), (
                    f"{where}: inventory quantity is neither None nor an int"
                )

    def test_option_values_line_up_with_options(self, products: list[ProductRecord]) -> None:
        for product in products:
            names = [option.name for option in product.options]
            assert not _duplicates(names), f"{product.external_id}: repeated option names"
            for variant in product.variants:
                assert len(variant.option_values) == len(product.options), (
                    f"{variant.external_id}: {len(variant.option_values)} option values "
                    f"for {len(product.options)} options"
                )
                for option, value in zip(product.options, variant.option_values, strict=True):
                    assert value in option.values, (
                        f"{variant.external_id}: {value!r} is not a value of option {option.name!r}"
                    )

    def test_urls_are_absolute(self, products: list[ProductRecord]) -> None:
        for product in products:
            _assert_absolute_http_url(product.url, f"{product.external_id} url")
            _assert_absolute_http_url(product.image_url, f"{product.external_id} image_url")
            for image in product.images:
                _assert_absolute_http_url(image, f"{product.external_id} image")
            for variant in product.variants:
                _assert_absolute_http_url(variant.image_url, f"{variant.external_id} image_url")

    def test_reading_products_twice_gives_the_same_records(
        self, connector: Connector, products: list[ProductRecord]
    ) -> None:
        # A sync may be retried or resumed; it must see the same catalog.
        assert list(connector.iter_products(None)) == products

    def test_products_since_a_time_are_a_subset(self, connector: Connector, products: list[ProductRecord]) -> None:
        since = datetime(2000, 1, 1, tzinfo=UTC)
        recent = list(connector.iter_products(since))
        assert all(isinstance(p, ProductRecord) for p in recent)
        assert {p.external_id for p in recent} <= {p.external_id for p in products}

    # -- documents ---------------------------------------------------------

    def test_documents_are_unique_document_records(self, documents: list[DocumentRecord]) -> None:
        for document in documents:
            assert isinstance(document, DocumentRecord), f"{document!r} is not a DocumentRecord"
            assert document.external_id.strip(), f"document {document.title!r} has an empty id"
            assert document.title.strip(), f"document {document.external_id} has no title"
            _assert_absolute_http_url(document.url, f"document {document.external_id} url")
        assert not _duplicates(d.external_id for d in documents), "duplicate document ids"

    def test_reading_documents_twice_gives_the_same_records(
        self, connector: Connector, documents: list[DocumentRecord]
    ) -> None:
        assert list(connector.iter_documents(None)) == documents

    # -- orders: found for their owner ---------------------------------------

    def _assert_is_known_order(self, order: OrderRecord | None, how: str) -> None:
        reference, email = self._known_order()
        assert isinstance(order, OrderRecord), f"known order not found {how}"
        assert normalize_order_reference(order.name) == normalize_order_reference(reference), (
            f"asked for {reference!r}, got order {order.name!r}"
        )
        if order.email is not None:
            assert order.email.strip().casefold() == email.strip().casefold()
        assert isinstance(order.total_price, Decimal) and order.total_price >= 0
        assert order.created_at is None or order.created_at.tzinfo is not None, "created_at must be timezone-aware"
        for line in order.lines:
            assert isinstance(line.price, Decimal) and isinstance(line.quantity, int)

    def test_find_order_for_its_email(self, connector: Connector) -> None:
        reference, email = self._known_order()
        self._assert_is_known_order(connector.find_order(reference, email=email), f"by {reference!r} and its email")

    def test_find_order_email_ignores_case_and_whitespace(self, connector: Connector) -> None:
        reference, email = self._known_order()
        for variant in (email.upper(), f"  {email} ", email.title()):
            self._assert_is_known_order(connector.find_order(reference, email=variant), f"with email {variant!r}")

    def test_find_order_accepts_every_reference_form(self, connector: Connector) -> None:
        reference, email = self._known_order()
        number = normalize_order_reference(reference)
        for form in (f"#{number}", number, f"order {number}", f" Order #{number} "):
            self._assert_is_known_order(connector.find_order(form, email=email), f"by reference {form!r}")

    def test_find_order_for_its_customer_id(self, connector: Connector) -> None:
        reference, _ = self._known_order()
        if self.known_order_customer_id is None:
            pytest.skip("no known_order_customer_id declared")
        self._assert_is_known_order(
            connector.find_order(reference, customer_id=self.known_order_customer_id),
            "by its customer id",
        )

    # -- orders: never shown to anyone else ----------------------------------
    # These use the known order when there is one, so they prove the order is
    # withheld, not merely absent.

    def _probe(self) -> tuple[str, str]:
        return (
            self.known_order_reference or "#1001",
            self.known_order_email or "bob.norman@hostmail.com",
        )

    def test_find_order_refuses_a_wrong_email(self, connector: Connector) -> None:
        reference, email = self._probe()
        local, _, domain = email.partition("@")
        for wrong in (
            "someone.else@example.invalid",
            f"x{email}",
            f"{email}x",
            f"{local}@x{domain}",
            "",
        ):
            assert connector.find_order(reference, email=wrong) is None, (
                f"order {reference} was returned for email {wrong!r}"
            )

    def test_find_order_refuses_without_email_or_customer_id(self, connector: Connector) -> None:
        reference, _ = self._probe()
        assert connector.find_order(reference) is None
        assert connector.find_order(reference, email=None, customer_id=None) is None

    def test_find_order_refuses_a_wrong_customer_id(self, connector: Connector) -> None:
        reference, _ = self._probe()
        for wrong in ("1", "999999999999", "", "gid://shopify/Customer/1"):
            if wrong == self.known_order_customer_id:
                continue
            assert connector.find_order(reference, customer_id=wrong) is None, (
                f"order {reference} was returned for customer id {wrong!r}"
            )

    def test_find_order_returns_none_for_an_unknown_reference(self, connector: Connector) -> None:
        _, email = self._probe()
        for reference in (self.unknown_order_reference, "", "   ", "#"):
            assert connector.find_order(reference, email=email) is None, (
                f"an order was returned for reference {reference!r}"
            )
