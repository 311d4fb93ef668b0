"""The WooCommerce connector: one store, read through the REST API ``wc/v3``.

Config keys:

``store_url``
    The store's home URL, ``https://shop.example.com`` (required).
``consumer_key``, ``consumer_secret``
    REST API keys (``ck_…``, ``cs_…``) WooCommerce's key authorization sent.
``webhook_secret``
    The secret this shop's webhooks are signed with; made by
    :meth:`register_webhooks`.
``identity_secret``
    The secret the WordPress plugin signs shopper identities and connect
    states with (see docs/connectors.md, "WordPress").

Reading lives in :mod:`.catalog` and :mod:`.orders`; webhooks in
:mod:`.webhooks`; the key callback in :mod:`.install`.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from datetime import datetime
from typing import Any, ClassVar
from urllib.parse import urlsplit

from core.connector import (
    Connector,
    ConnectorError,
    DocumentRecord,
    InstallHost,
    OrderRecord,
    ProductRecord,
    WebhookAction,
    WebhookEvent,
)

from . import catalog, content, orders
from .client import WooClient

#: How the client waits between retries unless the constructor is given another (tests).
SLEEP: Callable[[float], None] = time.sleep


class WooCommerceConnector(Connector):
    name: ClassVar[str] = "woocommerce"
    secret_fields: ClassVar[frozenset[str]] = frozenset(
        {"consumer_key", "consumer_secret", "webhook_secret", "identity_secret"}
    )

    def __init__(
        self, config: Mapping[str, Any], *, sleep: Callable[[float], None] | None = None, **kwargs: Any
    ) -> None:
        super().__init__(config, **kwargs)
        self._sleep = sleep or SLEEP
        self._client: WooClient | None = None
        self._checkpoint = catalog.Checkpoint()
        self._resume: catalog.Checkpoint | None = None

    @property
    def store_url(self) -> str:
        return store_url(self.config.get("store_url"))

    @property
    def client(self) -> WooClient:
        if self._client is None:
            key, secret = self.config.get("consumer_key"), self.config.get("consumer_secret")
            if not key or not secret:
                raise ConnectorError(
                    "this WooCommerce shop has no API keys; connect it from the StoreChat plugin", code="config_invalid"
                )
            self._client = WooClient(self.store_url, str(key), str(secret), sleep=self._sleep)
        return self._client

    # -- reading the store -------------------------------------------------

    def iter_products(self, since: datetime | None = None) -> Iterator[ProductRecord]:
        pending, self._resume = self._resume, None
        if pending is not None and pending.stage != "products":
            self._resume = pending  # the products were all stored; the documents resume
            return
        self._checkpoint = pending or catalog.Checkpoint()
        yield from catalog.iter_products(self.client, since, self._checkpoint)

    def iter_documents(self, since: datetime | None = None) -> Iterator[DocumentRecord]:
        """The site's published WordPress pages and posts (see :mod:`.content`)."""
        pending, self._resume = self._resume, None
        if pending is None and self._checkpoint.stage not in ("pages", "posts"):
            pending = catalog.Checkpoint("pages")
        if pending is not None:
            self._checkpoint = pending
        if self._checkpoint.stage == "done":
            return
        yield from content.iter_documents(
            self.client, since, self._checkpoint.stage, self._checkpoint.page, self._checkpoint
        )

    def resume_point(self) -> Mapping[str, Any] | None:
        return self._checkpoint.to_state()

    def resume_from(self, state: Mapping[str, Any]) -> None:
        self._resume = catalog.Checkpoint.from_state(state)

    def fetch_product(self, product_id: int | str) -> ProductRecord | None:
        """One product as the store has it now (variations included); None when it is gone."""
        resp = self.client.request("get", f"products/{int(product_id)}")
        if resp.status_code == 404:
            return None
        self.client.raise_for_status(resp, f"products/{product_id}")
        body = resp.json()
        if not isinstance(body, dict):
            raise ConnectorError(
                f"/wc/v3/products/{int(product_id)} did not answer a product", code="platform_bad_response"
            )
        return catalog.product_with_variations(self.client, body)

    def find_order(
        self, reference: str, *, email: str | None = None, customer_id: str | None = None
    ) -> OrderRecord | None:
        return orders.find_order(self.client, reference, email=email, customer_id=customer_id)

    # -- webhooks and install (see .webhooks, .install) ---------------------

    @classmethod
    def webhook_shop_ref(cls, headers: Mapping[str, str], raw_body: bytes) -> str | None:
        from . import webhooks

        return webhooks.shop_ref(headers)

    @classmethod
    def webhook_ping(cls, headers: Mapping[str, str], raw_body: bytes) -> bool:
        from . import webhooks

        return webhooks.is_ping(headers, raw_body)

    def verify_webhook(self, headers: Mapping[str, str], raw_body: bytes) -> bool:
        from . import webhooks

        return webhooks.verify(str(self.config.get("webhook_secret") or ""), headers, raw_body)

    def parse_webhook(self, headers: Mapping[str, str], raw_body: bytes) -> WebhookEvent:
        from . import webhooks

        return webhooks.parse(headers, raw_body)

    def webhook_actions(self, event: WebhookEvent) -> Iterable[WebhookAction]:
        from . import webhooks

        return list(webhooks.actions(self, event))

    def register_webhooks(self, address: str) -> None:
        from . import webhooks

        webhooks.register(self, address)

    @classmethod
    def install_blueprint(cls, host: InstallHost) -> Any | None:
        from . import install

        return install.blueprint(host)


def store_url(value: Any) -> str:
    """The store's home URL as StoreChat keys the shop: scheme and host lower-case, no trailing slash."""
    if not isinstance(value, str) or not value.strip():
        raise ConnectorError(
            "the WooCommerce connector needs 'store_url' (https://shop.example.com)", code="config_invalid"
        )
    parts = urlsplit(value.strip())
    if parts.scheme.lower() not in ("http", "https") or not parts.netloc or parts.query or parts.fragment:
        raise ConnectorError(f"'store_url' must be an absolute http(s) URL, not {value!r}", code="config_invalid")
    return f"{parts.scheme.lower()}://{parts.netloc.lower()}{parts.path.rstrip('/')}"
