"""The tools every engine answers from. Each call is recorded for audit."""
from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.assistant.engine import Card
from core.catalog.search import search_products
from core.db import Product, Shop


class Tools:
    def __init__(self, session: Session, shop: Shop) -> None:
        self.session = session
        self.shop = shop
        self.calls: list[dict[str, Any]] = []

    def _record(self, tool: str, args: dict[str, Any], result: Any) -> None:
        self.calls.append({"tool": tool, "args": args, "result": result})

    def search_products(self, query: str, *, limit: int = 5, in_stock_only: bool = False) -> list[Card]:
        hits = search_products(
            self.session, self.shop.id, query, limit=limit, in_stock_only=in_stock_only
        )
        by_id = {
            p.id: p
            for p in self.session.scalars(select(Product).where(Product.id.in_([h.id for h in hits])))
        }
        cards = [product_card(by_id[h.id], self.shop.currency) for h in hits if h.id in by_id]
        self._record(
            "search_products",
            {"query": query, "limit": limit, "in_stock_only": in_stock_only},
            [c.to_dict() for c in cards],
        )
        return cards


def product_card(product: Product, currency: str) -> Card:
    return Card(
        product_id=product.id,
        title=product.title,
        url=product.url,
        image_url=product.image_url,
        price=f"{product.price_min:.2f}",
        price_max=f"{product.price_max:.2f}",
        compare_at=f"{product.compare_at_max:.2f}" if product.compare_at_max else None,
        currency=currency,
        available=product.available,
    )
