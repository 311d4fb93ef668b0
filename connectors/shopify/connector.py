"""The Shopify connector: one shop, read through the Admin GraphQL API.

Config keys (stored by the install flow):

``shop_domain``
    ``example.myshopify.com``.
``access_token``, ``refresh_token``
    The shop's expiring offline token and the token that renews it.
``access_token_expires_at``
    When the access token expires (ISO 8601, UTC); it is refreshed five
    minutes before, and on any 401.
``storefront_url``
    Optional; the storefront's base URL for page and product links. Without
    it the shop's primary domain is asked for once per read.

App settings (``self.app``): ``api_version`` (default
:data:`~connectors.shopify.graphql.DEFAULT_API_VERSION`), ``client_id``,
``client_secret``.

Reading (products, documents, orders) lives in :mod:`.catalog` and
:mod:`.orders`; install and webhook handling are thin delegating methods
added next to them.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from datetime import datetime
from typing import Any, ClassVar

import requests

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

from . import catalog, orders, queries
from .graphql import DEFAULT_API_VERSION, AdminGraphQL, parse_time

TokenRefresher = Callable[["ShopifyConnector"], None]
#: How the client waits, tells time and opens HTTP sessions unless the
#: constructor is given others (tests use a fake clock; the benchmark points
#: the session at its loopback server).
SLEEP: Callable[[float], None] = time.sleep
CLOCK: Callable[[], float] = time.monotonic
HTTP: Callable[[], requests.Session] = requests.Session


class ShopifyConnector(Connector):
    name: ClassVar[str] = "shopify"
    secret_fields: ClassVar[frozenset[str]] = frozenset({"access_token", "refresh_token"})

    def __init__(
        self,
        config: Mapping[str, Any],
        *,
        token_refresher: TokenRefresher | None = None,
        sleep: Callable[[float], None] | None = None,
        clock: Callable[[], float] | None = None,
        session: requests.Session | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(config, **kwargs)
        self._token_refresher = token_refresher
        self._sleep, self._clock, self._session = sleep or SLEEP, clock or CLOCK, session
        self._client: AdminGraphQL | None = None
        self._shop: Mapping[str, Any] | None = None
        #: Where the read in progress is; :meth:`resume_point` reports it.
        self._checkpoint = catalog.Checkpoint()
        #: A checkpoint to continue from, set by :meth:`resume_from` for the next read.
        self._resume: catalog.Checkpoint | None = None

    # -- the API client -----------------------------------------------------

    @property
    def client(self) -> AdminGraphQL:
        if self._client is None:
            self._client = AdminGraphQL(
                self.config.get("shop_domain") or "",
                access_token=lambda: self.config.get("access_token") or "",
                api_version=self.app.get("api_version") or DEFAULT_API_VERSION,
                refresh=(
                    self.refresh_access_token if self.config.get("refresh_token") or self._token_refresher else None
                ),
                token_expires_at=lambda: parse_time(self.config.get("access_token_expires_at")),
                session=self._session or HTTP(),
                sleep=self._sleep,
                clock=self._clock,
                cost_hints=queries.REQUESTED_COSTS,
            )
        return self._client

    def refresh_access_token(self) -> None:
        """Renew the expiring offline token (stored through :meth:`update_config`)."""
        if self._token_refresher is not None:
            self._token_refresher(self)
            return
        try:
            from .tokens import refresh
        except ImportError:
            raise ConnectorError(
                "the Shopify access token expired and this install cannot refresh it",
                code="shopify_unauthorized",
            ) from None
        refresh(self)

    # -- reading the store -------------------------------------------------

    def iter_products(self, since: datetime | None = None) -> Iterator[ProductRecord]:
        # Generators, so nothing is asked of Shopify until the read starts.
        pending, self._resume = self._resume, None
        if pending is not None and pending.stage != "products":
            self._resume = pending  # products were all stored; the documents resume
            return
        self._checkpoint = pending or catalog.Checkpoint("products")
        yield from catalog.iter_products(self.client, since, self._storefront_url(), self._checkpoint)

    def iter_documents(self, since: datetime | None = None) -> Iterator[DocumentRecord]:
        pending, self._resume = self._resume, None
        self._checkpoint = pending or catalog.Checkpoint("pages")
        yield from catalog.iter_documents(
            self.client,
            since,
            self._storefront_url(),
            self._shop_info().get("shopPolicies") or [],
            self._checkpoint,
        )

    def fetch_product(self, product_id: str | int) -> ProductRecord | None:
        """One product (numeric id or GID) as Shopify has it now; ``None`` if it is gone."""
        return catalog.fetch_product(self.client, product_id, self._storefront_url())

    def resume_point(self) -> Mapping[str, Any] | None:
        return self._checkpoint.to_state()

    def resume_from(self, state: Mapping[str, Any]) -> None:
        self._resume = catalog.Checkpoint.from_state(state)

    def find_order(
        self,
        reference: str,
        *,
        email: str | None = None,
        customer_id: str | None = None,
    ) -> OrderRecord | None:
        return orders.find_order(self.client, reference, email=email, customer_id=customer_id)

    # -- helpers -------------------------------------------------------------

    def _shop_info(self) -> Mapping[str, Any]:
        if self._shop is None:
            self._shop = self.client.execute(queries.SHOP)["shop"]
        return self._shop

    def _storefront_url(self) -> str | None:
        configured = self.config.get("storefront_url")
        if configured:
            return str(configured).rstrip("/")
        url = (self._shop_info().get("primaryDomain") or {}).get("url")
        return url.rstrip("/") if url else None

    def storefront_url(self) -> str | None:
        """The storefront's base URL (from the config, else the shop's primary domain)."""
        return self._storefront_url()

    # -- webhooks and install (see .webhooks, .install, .proxy) -------------

    @classmethod
    def webhook_shop_ref(cls, headers: Mapping[str, str], raw_body: bytes) -> str | None:
        from . import webhooks

        return webhooks.shop_ref(headers)

    def verify_webhook(self, headers: Mapping[str, str], raw_body: bytes) -> bool:
        from . import webhooks

        return webhooks.verify(self, headers, raw_body)

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

    @classmethod
    def staff_authenticator(cls, host: InstallHost) -> Any | None:
        from .staff import ShopifyStaff

        return ShopifyStaff(host)

    @classmethod
    def cli_group(cls) -> Any | None:
        from .cli import shopify

        return shopify
