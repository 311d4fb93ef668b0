"""The Shopify connector: one shop, read through the Admin GraphQL API.

Reading (products, documents, orders) lives here and in the modules it
delegates to; install and webhook handling are added as thin delegating
methods next to them.
"""
from __future__ import annotations

from collections.abc import Iterator, Mapping
from datetime import datetime
from typing import Any, ClassVar

from core.connector import Connector, DocumentRecord, OrderRecord, ProductRecord


class ShopifyConnector(Connector):
    name: ClassVar[str] = "shopify"

    def iter_products(self, since: datetime | None = None) -> Iterator[ProductRecord]:
        raise NotImplementedError("ShopifyConnector.iter_products is being written")

    def iter_documents(self, since: datetime | None = None) -> Iterator[DocumentRecord]:
        raise NotImplementedError("ShopifyConnector.iter_documents is being written")

    def find_order(
        self,
        reference: str,
        *,
        email: str | None = None,
        customer_id: str | None = None,
    ) -> OrderRecord | None:
        raise NotImplementedError("ShopifyConnector.find_order is being written")

    def resume_point(self) -> Mapping[str, Any] | None:
        return None

    def resume_from(self, state: Mapping[str, Any]) -> None:
        pass
