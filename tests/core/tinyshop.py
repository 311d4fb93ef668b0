"""A tiny connector for core's webhook, install and privacy tests: core is
tested without any real platform. Its webhooks are signed like most
platforms sign them (hex HMAC-SHA256 of the raw body with the app secret)."""
from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterable, Iterator, Mapping
from datetime import datetime
from decimal import Decimal
from typing import Any

import pytest

from core import connector_registry
from core.connector import (
    AppUninstalled,
    Connector,
    DeleteProducts,
    InstallHost,
    InstallResult,
    OrderCreated,
    OrderRecord,
    ProductRecord,
    ShopperDataRequest,
    ShopperRedact,
    ShopRedact,
    UpsertProducts,
    VariantRecord,
    WebhookAction,
    WebhookEvent,
    webhook_payload,
)

SECRET = "tiny-app-secret"


def sign(body: bytes, secret: str = SECRET) -> str:
    return hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def product(pid: str, title: str, qty: int = 3, price: str = "10.00") -> dict[str, Any]:
    return {"id": pid, "title": title, "price": price, "qty": qty}


class TinyShop(Connector):
    name = "tiny"
    secret_fields = frozenset({"token"})
    registered: list[str] = []

    def iter_products(self, since: datetime | None = None) -> Iterator[ProductRecord]:
        return iter(())

    def find_order(self, reference: str, *, email: str | None = None,
                   customer_id: str | None = None) -> OrderRecord | None:
        return None

    @classmethod
    def webhook_shop_ref(cls, headers: Mapping[str, str], raw_body: bytes) -> str | None:
        return headers.get("X-Tiny-Shop")

    def verify_webhook(self, headers: Mapping[str, str], raw_body: bytes) -> bool:
        secret = self.app.get("client_secret")
        return bool(secret) and hmac.compare_digest(sign(raw_body, secret), headers.get("X-Tiny-Signature") or "")

    def parse_webhook(self, headers: Mapping[str, str], raw_body: bytes) -> WebhookEvent:
        # As the real connectors read their bodies.
        return WebhookEvent(topic=headers.get("X-Tiny-Topic", ""), delivery_id=headers.get("X-Tiny-Id", ""),
                            payload=webhook_payload(raw_body), shop_ref=headers.get("X-Tiny-Shop"))

    def webhook_actions(self, event: WebhookEvent) -> Iterable[WebhookAction]:
        p = event.payload
        if event.topic == "product":
            yield UpsertProducts((ProductRecord(
                external_id=p["id"], handle=p["id"], title=p["title"],
                variants=(VariantRecord(external_id=p["id"] + "-v", title="Default", price=Decimal(p["price"]),
                                        inventory_quantity=p["qty"]),),
            ),))
        elif event.topic == "product_deleted":
            yield DeleteProducts((p["id"],))
        elif event.topic == "order":
            yield OrderCreated(OrderRecord(external_id=p["id"], name=p["name"], email=p.get("email"),
                                           created_at=None, currency="USD", total_price=Decimal(p["total"])),
                               conversation_ref=p.get("conversation"))
        elif event.topic == "uninstalled":
            yield AppUninstalled()
        elif event.topic == "data_request":
            yield ShopperDataRequest(email=p.get("email"), customer_id=p.get("customer_id"), request_id=p.get("rid"))
        elif event.topic == "redact":
            yield ShopperRedact(email=p.get("email"), customer_id=p.get("customer_id"))
        elif event.topic == "shop_redact":
            yield ShopRedact()
        elif event.topic == "boom":
            raise RuntimeError("the platform is down")

    def register_webhooks(self, address: str) -> None:
        if self.config.get("token") == "refuse-webhooks":
            raise RuntimeError("the platform refused the subscription")
        TinyShop.registered.append(address)

    @classmethod
    def install_blueprint(cls, host: InstallHost) -> Any:
        """A two-step install: ``/start?shop=`` issues state, ``/back?shop=&state=&token=`` completes."""
        from flask import Blueprint, abort, redirect, request

        bp = Blueprint("tiny_install", __name__)

        @bp.get("/start")
        def start() -> Any:
            shop = request.args["shop"]
            return {"state": host.issue_state(cls.name, shop)}

        @bp.get("/back")
        def back() -> Any:
            shop = request.args["shop"]
            if not host.consume_state(cls.name, request.args.get("state", ""), shop):
                abort(403)
            landing = host.complete_install(InstallResult(
                platform=cls.name, shop_ref=shop, name=request.args.get("name"),
                config={"token": request.args["token"], "domain": shop},
                storefront_url=f"https://{shop}", activation_url=request.args.get("activate"),
            ))
            return redirect(landing)

        return bp


@pytest.fixture
def tiny(monkeypatch: pytest.MonkeyPatch, settings: Any) -> type[TinyShop]:
    """TinyShop registered (beside the real connectors), with its app secret in the settings."""
    real = dict(connector_registry.available())
    monkeypatch.setattr(connector_registry, "available", lambda: {**real, "tiny": TinyShop})
    settings.apps["tiny"] = {"client_id": "tiny-id", "client_secret": SECRET}
    TinyShop.registered = []
    return TinyShop
