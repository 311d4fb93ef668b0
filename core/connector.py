"""The connector port: the one module of core that connector packages import.

A connector adapts one platform (Shopify, WooCommerce, WordPress, a CSV file)
to StoreChat. It is found through the ``storechat.connectors`` entry-point
group, so a third party adds a platform by publishing a package with one
entry point naming a :class:`Connector` subclass.

Everything a connector exchanges with core is one of the plain, immutable
records below. Money is :class:`~decimal.Decimal` in the shop's currency;
times are timezone-aware UTC :class:`~datetime.datetime`.

Calls to a store or site whose address the merchant chose go through
:class:`OutboundSession` (public https addresses only, a deadline per request;
see ``core.outbound``), which this module offers with :class:`Deadline`,
:class:`OutboundRefused` and :func:`check_url`, and :func:`retried` to retry a
call on 429, 5xx and network errors within its deadline (``core.outbound.retry``).

To check a connector against the contract, subclass
``core.testing.connector_contract.ConnectorContract`` in its tests.
"""

from __future__ import annotations

import abc
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any, ClassVar, Protocol

from core import json_input
from core.errors import ConnectorError, RateLimited, RecordError, StoreChatError
from core.outbound import Deadline, OutboundRefused, OutboundSession, check_url
from core.outbound.retry import retried

__all__ = [
    "Connector",
    "ConnectorError",
    "Deadline",
    "DocumentRecord",
    "EmbeddedPage",
    "FulfillmentRecord",
    "AppUninstalled",
    "DeleteDocuments",
    "DeleteProducts",
    "InstallHost",
    "InstallResult",
    "OrderCreated",
    "OrderLineRecord",
    "OrderRecord",
    "OutboundRefused",
    "OutboundSession",
    "ProductOption",
    "ProductRecord",
    "RateLimited",
    "RecordError",
    "ShopDisconnected",
    "ShopRedact",
    "ShopperDataRequest",
    "ShopperRedact",
    "StaffAuthenticator",
    "StaffMember",
    "StaffSignIn",
    "StoreChatError",
    "UpsertDocuments",
    "UpsertProducts",
    "VariantRecord",
    "WebhookAction",
    "WebhookEvent",
    "WebhookNotSupported",
    "check_url",
    "normalize_order_reference",
    "payload_shape",
    "retried",
    "webhook_payload",
]

#: Inventory policies, as Shopify names them: ``deny`` stops selling at zero,
#: ``continue`` keeps selling (backorders).
INVENTORY_POLICIES = ("deny", "continue")
DOCUMENT_KINDS = ("page", "policy", "faq", "post")


#: The longest value each record field's column holds (core/db/models.py).
MAX_LENGTHS = {
    "external_id": 255,
    "handle": 255,
    "title": 500,
    "vendor": 255,
    "product_type": 255,
    "sku": 255,
    "image_url": 1000,
    "url": 1000,
}


def _typed(record: Any, kind: str, fields: Mapping[str, tuple[type, ...]], texts: tuple[str, ...]) -> None:
    """A record's fields hold the types the database columns take (a platform's payload may
    carry an object or a list anywhere): a :class:`RecordError` naming the field otherwise."""
    for name, types in fields.items():
        value = getattr(record, name)
        if not isinstance(value, types) or (isinstance(value, bool) and bool not in types):
            raise RecordError(
                f"{kind} {record.external_id}: {name} must be "
                f"{' or '.join(t.__name__ for t in types)}, not {type(value).__name__}"
            )
        if isinstance(value, str):
            # What no column stores (PostgreSQL refuses a NUL, and a string longer than its column).
            if problem := json_input.unstorable(value, name):
                raise RecordError(f"{kind} {record.external_id[:40]}: {problem}")
            if len(value) > MAX_LENGTHS.get(name, len(value)):
                raise RecordError(
                    f"{kind} {record.external_id[:40]}: {name} is longer than {MAX_LENGTHS[name]} characters"
                )
    for name in texts:
        if not all(isinstance(item, str) for item in getattr(record, name)):
            raise RecordError(f"{kind} {record.external_id}: every {name} item must be a string")


@dataclass(frozen=True)
class VariantRecord:
    """One purchasable variant of a product."""

    external_id: str
    title: str
    price: Decimal
    #: The option values of this variant, in the order of the product's options.
    option_values: tuple[str, ...] = ()
    compare_at_price: Decimal | None = None
    sku: str | None = None
    #: False when the platform does not track stock: the variant is always available.
    inventory_tracked: bool = True
    inventory_quantity: int | None = None
    inventory_policy: str = "deny"
    image_url: str | None = None

    def __post_init__(self) -> None:
        _typed(
            self,
            "variant",
            {
                "external_id": (str,),
                "title": (str,),
                "sku": (str, type(None)),
                "image_url": (str, type(None)),
                "inventory_quantity": (int, type(None)),
            },
            ("option_values",),
        )
        if self.inventory_quantity is not None and not -(2**31) <= self.inventory_quantity <= 2**31 - 1:
            raise RecordError(f"variant {self.external_id[:40]}: stock {self.inventory_quantity} is out of range")
        for price in (self.price, self.compare_at_price):
            # The money columns: 12 digits, 2 after the point (a price is stored rounded to cents).
            if price is not None and abs(_cents(price, self.external_id)) >= 10**10:
                raise RecordError(f"variant {self.external_id[:40]}: price {price} is out of range")
        if self.price < 0:
            raise RecordError(f"variant {self.external_id}: negative price {self.price}")
        if self.compare_at_price is not None and self.compare_at_price < 0:
            raise RecordError(f"variant {self.external_id}: negative compare-at price")
        if self.inventory_policy not in INVENTORY_POLICIES:
            raise RecordError(
                f"variant {self.external_id}: inventory policy must be one of "
                f"{', '.join(INVENTORY_POLICIES)}, not {self.inventory_policy!r}"
            )

    @property
    def available(self) -> bool:
        if not self.inventory_tracked or self.inventory_policy == "continue":
            return True
        return (self.inventory_quantity or 0) > 0


@dataclass(frozen=True)
class ProductOption:
    name: str
    values: tuple[str, ...]


@dataclass(frozen=True)
class ProductRecord:
    """A product with all its variants, as the platform has it now."""

    external_id: str
    handle: str
    title: str
    variants: tuple[VariantRecord, ...]
    body_html: str = ""
    vendor: str | None = None
    product_type: str | None = None
    tags: tuple[str, ...] = ()
    options: tuple[ProductOption, ...] = ()
    image_url: str | None = None
    images: tuple[str, ...] = ()
    #: Absolute URL of the product page on the storefront.
    url: str | None = None
    published: bool = True
    updated_at: datetime | None = None

    def __post_init__(self) -> None:
        _typed(
            self,
            "product",
            {
                "external_id": (str,),
                "handle": (str,),
                "title": (str,),
                "body_html": (str,),
                "vendor": (str, type(None)),
                "product_type": (str, type(None)),
                "image_url": (str, type(None)),
                "url": (str, type(None)),
            },
            ("tags", "images"),
        )
        if not self.title.strip():
            raise RecordError(f"product {self.external_id}: empty title")
        if not self.variants:
            raise RecordError(f"product {self.external_id}: no variants")


@dataclass(frozen=True)
class DocumentRecord:
    """A piece of store content the assistant can quote: a page, policy or FAQ."""

    external_id: str
    kind: str
    title: str
    body: str
    url: str | None = None
    updated_at: datetime | None = None

    def __post_init__(self) -> None:
        if self.kind not in DOCUMENT_KINDS:
            raise RecordError(
                f"document {self.external_id}: kind must be one of {', '.join(DOCUMENT_KINDS)}, not {self.kind!r}"
            )


@dataclass(frozen=True)
class OrderLineRecord:
    title: str
    quantity: int
    price: Decimal
    variant_title: str | None = None
    sku: str | None = None


@dataclass(frozen=True)
class FulfillmentRecord:
    status: str | None = None
    tracking_company: str | None = None
    tracking_numbers: tuple[str, ...] = ()
    tracking_urls: tuple[str, ...] = ()


@dataclass(frozen=True)
class OrderRecord:
    """An order as the platform reports it at the moment of the lookup."""

    external_id: str
    #: What the shopper calls it: ``"#1001"``.
    name: str
    email: str | None
    created_at: datetime | None
    currency: str
    total_price: Decimal
    financial_status: str | None = None
    fulfillment_status: str | None = None
    cancelled: bool = False
    lines: tuple[OrderLineRecord, ...] = ()
    fulfillments: tuple[FulfillmentRecord, ...] = ()
    customer_id: str | None = None
    status_url: str | None = None


@dataclass(frozen=True)
class WebhookEvent:
    topic: str
    #: The platform's delivery/event id, used to drop duplicate deliveries.
    delivery_id: str
    payload: Mapping[str, Any] = field(default_factory=dict)
    shop_ref: str | None = None


@dataclass(frozen=True)
class InstallResult:
    """What an install flow learned: which shop, and its credentials."""

    platform: str
    shop_ref: str
    config: Mapping[str, Any]
    name: str | None = None
    storefront_url: str | None = None
    currency: str | None = None
    locale: str | None = None
    #: An https URL where the merchant turns the storefront widget on (Shopify:
    #: the theme editor deep link that activates the app embed); shown on the
    #: page the merchant lands on after the install.
    activation_url: str | None = None
    #: The site key of a shop the merchant already set up (the WordPress plugin's):
    #: when no shop has this platform and ``shop_ref`` yet, that shop becomes this
    #: install's, keeping its site key, settings and conversations.
    site_key: str | None = None


# -- what a webhook asks core to do ------------------------------------------
# A connector turns each verified webhook into zero or more of these actions;
# core carries them out (store, index, purge, ...) on a worker.


@dataclass(frozen=True)
class UpsertProducts:
    """These products, as the platform has them now, replace the stored ones."""

    records: tuple[ProductRecord, ...]


@dataclass(frozen=True)
class DeleteProducts:
    external_ids: tuple[str, ...]


@dataclass(frozen=True)
class UpsertDocuments:
    """These pages or posts, as the platform has them now, replace the stored ones."""

    records: tuple[DocumentRecord, ...]


@dataclass(frozen=True)
class DeleteDocuments:
    external_ids: tuple[str, ...]


@dataclass(frozen=True)
class ShopDisconnected:
    """The merchant disconnected the site from its side (the WordPress plugin's Disconnect):
    stop trusting and reading it, keep the shop and its conversations. ``sent_at``: when the
    site said so, by StoreChat's clock (a notice from before the latest connect is ignored).
    ``uninstalled``: the plugin was deleted from the site; the shop is then also uninstalled as
    :class:`AppUninstalled` is (stops being served, purged later unless connected again)."""

    sent_at: datetime | None = None
    uninstalled: bool = False


@dataclass(frozen=True)
class OrderCreated:
    """An order was placed; ``conversation_ref`` is the chat it came from, if any."""

    order: OrderRecord
    conversation_ref: str | None = None


@dataclass(frozen=True)
class AppUninstalled:
    """The merchant removed the app: stop serving the shop and forget its credentials."""


@dataclass(frozen=True)
class ShopperDataRequest:
    """The platform asks for everything StoreChat holds about one shopper."""

    email: str | None = None
    customer_id: str | None = None
    request_id: str | None = None


@dataclass(frozen=True)
class ShopperRedact:
    """Delete everything StoreChat holds about one shopper."""

    email: str | None = None
    customer_id: str | None = None


@dataclass(frozen=True)
class ShopRedact:
    """Delete everything StoreChat holds about the shop."""


WebhookAction = (
    UpsertProducts
    | DeleteProducts
    | UpsertDocuments
    | DeleteDocuments
    | OrderCreated
    | AppUninstalled
    | ShopDisconnected
    | ShopperDataRequest
    | ShopperRedact
    | ShopRedact
)


# -- platform staff signing in to the admin ---------------------------------
# A platform that embeds StoreChat's inbox in its own admin (Shopify) vouches
# for the staff member at the keyboard with a token; the connector checks the
# token, core signs the staff member in as one of the shop's users.


@dataclass(frozen=True)
class StaffMember:
    """Who a platform says one of its staff is (asked once per staff member)."""

    email: str
    name: str = ""
    #: The shop's owner on the platform: becomes an owner in StoreChat, else an agent.
    owner: bool = False
    #: Whether the platform checked the address; an unchecked one never takes
    #: over an existing StoreChat account with that address.
    email_verified: bool = False


@dataclass(frozen=True)
class StaffSignIn:
    """A verified token: staff member ``staff_id`` of shop ``shop_ref`` is signing in."""

    platform: str
    shop_ref: str
    staff_id: str
    #: Asks the platform who the staff member is (may make a request); core
    #: calls it only for a staff member it has not linked to a user yet.
    lookup: Callable[[], StaffMember]


@dataclass(frozen=True)
class EmbeddedPage:
    """What an admin page needs to be shown inside a platform's admin (an iframe)."""

    #: The origins allowed to frame it: its ``Content-Security-Policy: frame-ancestors``.
    frame_ancestors: tuple[str, ...]
    #: ``<meta name=... content=...>`` elements, then scripts (https URLs, loaded
    #: first and in order, without async or defer) the platform requires in the page's head.
    meta: Mapping[str, str] = field(default_factory=dict)
    scripts: tuple[str, ...] = ()


class StaffAuthenticator(Protocol):
    """A connector's check of the tokens its platform gives staff members.

    Core asks it about every admin request that carries ``Authorization:
    Bearer <token>`` (and about the token an embedded page is opened with)."""

    platform: str

    def verify(self, token: str) -> StaffSignIn | None:
        """The sign-in the token proves, or None when it is not a genuine, live token
        of this platform (forged, expired, for another app, malformed)."""

    def embedded_page(self, shop_ref: str | None) -> EmbeddedPage:
        """How pages for this shop's staff (or, with None, for a token that did not
        verify) are framed inside the platform's admin."""


class InstallHost(Protocol):
    """What core offers a connector's install (and app proxy) routes.

    A connector's blueprint gets one of these; it is the only way an install
    flow touches StoreChat's state.
    """

    @property
    def public_url(self) -> str:
        """StoreChat's public base URL (``https://chat.example.com``), no trailing slash."""

    def app_config(self, platform: str) -> Mapping[str, Any]:
        """The platform app's settings (client id and secret, scopes, API version)."""

    def issue_state(self, platform: str, shop_ref: str) -> str:
        """A single-use, expiring state token bound to ``shop_ref``.

        Each is stored, so they are rate-limited per client address: past the
        limit this raises :class:`RateLimited` (answer 429 with its ``retry_after``)."""

    def consume_state(self, platform: str, state: str, shop_ref: str) -> bool:
        """True once, for a live state issued for this shop; False otherwise."""

    def claim_connect_state(self, site_key: str, store_url: str, state: str) -> Mapping[str, Any] | None:
        """Check a connect state a store signed with the identity secret of the shop with
        ``site_key`` (the WordPress plugin's, see ``core.security.connect_state``) and use it up.

        Returns that shop's ``platform``, ``shop_ref``, ``name``, ``currency``, ``locale`` and
        ``identity_secret`` the first time; None when the state is forged, expired, used or the
        site key unknown."""

    def complete_install(self, result: InstallResult) -> str:
        """Create or update the shop, store its credentials, register webhooks,
        queue the first sync; returns the URL to send the merchant to."""

    def sign_identity(self, platform: str, shop_ref: str, customer_id: str) -> str:
        """A short-lived signed shopper identity the widget presents for order lookups."""

    def widget_settings(self, platform: str, shop_ref: str) -> Mapping[str, str] | None:
        """What a storefront needs to load the widget for an installed shop:
        ``site_key`` and ``origin`` (StoreChat's public URL); None if not installed."""

    def embedded_admin(self, platform: str, token: str) -> Any:
        """The response to a platform admin opening StoreChat embedded: the inbox of
        the staff member ``token`` names (checked by the platform's
        :class:`StaffAuthenticator`), signed in for this page only; 401 when the
        token does not verify, 403 when the shop is not installed or not active."""


class WebhookNotSupported(ConnectorError):
    code = "webhooks_not_supported"


class Connector(abc.ABC):
    """Base class of every platform connector.

    A connector instance serves one shop. It is built from that shop's
    ``config`` (the credentials and settings its install flow stored) and must
    be cheap to construct: no network in ``__init__``.
    """

    #: The platform's name, as used in ``Shop.platform`` and the entry point.
    name: ClassVar[str]
    #: Config fields that are secrets (tokens, API keys): core stores them
    #: encrypted and never shows them.
    secret_fields: ClassVar[frozenset[str]] = frozenset()

    def __init__(
        self,
        config: Mapping[str, Any],
        *,
        app: Mapping[str, Any] | None = None,
        on_config_change: Callable[[dict[str, Any]], None] | None = None,
    ) -> None:
        self.config = dict(config)
        #: Settings of the platform app (client id/secret, API version), shared by all shops.
        self.app = dict(app or {})
        self._on_config_change = on_config_change

    #: Set by core: reads this shop's config as stored now (another process may have changed it).
    stored_config: Callable[[], Mapping[str, Any]] | None = None

    def reload_config(self) -> bool:
        """Take this shop's config as stored now; True when it differs from the one held.

        For state several processes share, such as a token another worker has
        just refreshed (the platform may have retired the one held here)."""
        if self.stored_config is None:
            return False
        latest = dict(self.stored_config())
        changed = latest != self.config
        self.config = latest
        return changed

    def update_config(self, **changes: Any) -> None:
        """Change this shop's stored config (a refreshed token, say); core persists it."""
        self.config.update(changes)
        if self._on_config_change is not None:
            self._on_config_change(dict(self.config))

    # -- reading the store -------------------------------------------------

    @abc.abstractmethod
    def iter_products(self, since: datetime | None = None) -> Iterator[ProductRecord]:
        """Yield products changed since ``since`` (all when ``None``)."""

    def resume_point(self) -> Mapping[str, Any] | None:
        """A JSON-able checkpoint of the read in progress (a page cursor, say).

        Core saves it with each stored batch; a run restarted after a crash
        passes it back through :meth:`resume_from` before reading again.
        ``None`` means the connector cannot resume and reads from the start.
        """
        return None

    def resume_from(self, state: Mapping[str, Any]) -> None:  # noqa: B027 - an optional hook, a no-op by default
        """Continue the next read from a checkpoint :meth:`resume_point` gave."""

    def iter_documents(self, since: datetime | None = None) -> Iterator[DocumentRecord]:
        """Yield pages, policies and FAQ entries changed since ``since``."""
        return iter(())

    @abc.abstractmethod
    def find_order(
        self,
        reference: str,
        *,
        email: str | None = None,
        customer_id: str | None = None,
    ) -> OrderRecord | None:
        """Look an order up live on the platform.

        Returns the order only when it belongs to the shopper who asked: its
        email equals ``email`` (case-insensitive) or its customer equals the
        verified ``customer_id``. Returns ``None`` otherwise, without saying
        whether the order exists. Never answers from a cached copy.
        """

    # -- webhooks and install ----------------------------------------------

    @classmethod
    def webhook_shop_ref(cls, headers: Mapping[str, str], raw_body: bytes) -> str | None:
        """Which shop (``Shop.platform_ref``) a webhook delivery is for, from its headers."""
        raise WebhookNotSupported(f"{cls.name} does not send webhooks")

    @classmethod
    def webhook_ping(cls, headers: Mapping[str, str], raw_body: bytes) -> bool:
        """True for a platform's unsigned "is this address alive?" request (WooCommerce's
        ping when a webhook is created): core answers it 200 and records nothing."""
        return False

    def verify_webhook(self, headers: Mapping[str, str], raw_body: bytes) -> bool:
        """True when the delivery is authentic (HMAC over the raw body, compared in constant time)."""
        raise WebhookNotSupported(f"{self.name} does not send webhooks")

    def parse_webhook(self, headers: Mapping[str, str], raw_body: bytes) -> WebhookEvent:
        raise WebhookNotSupported(f"{self.name} does not send webhooks")

    def webhook_actions(self, event: WebhookEvent) -> Iterable[WebhookAction]:
        """What core should do about a verified event; runs on a worker, may call the platform."""
        return ()

    def register_webhooks(self, address: str) -> None:  # noqa: B027 - an optional hook, a no-op by default
        """Ask the platform to deliver webhooks to ``address``; no-op where none exist."""

    @classmethod
    def install_blueprint(cls, host: InstallHost) -> Any | None:
        """A Flask blueprint mounted at ``/connect/<name>/``, or ``None``."""
        return None

    @classmethod
    def staff_authenticator(cls, host: InstallHost) -> StaffAuthenticator | None:
        """Checks the tokens the platform gives its staff (an embedded admin's), or ``None``."""
        return None

    @classmethod
    def cli_group(cls) -> Any | None:
        """A click group of the connector's own commands, run as ``storechat <name> ...``, or ``None``."""
        return None


def webhook_payload(raw_body: bytes) -> dict[str, Any]:
    """A webhook's body as the JSON object platforms send; :class:`RecordError` otherwise.
    A string (or key) no database column stores (a NUL, half a surrogate pair) is made
    storable rather than refused: the delivery is signed by the platform, and refusing it
    would lose the update (and WooCommerce disables a webhook after a few refusals)."""
    try:
        payload = json_input.load_object(raw_body or b"{}")
    except json_input.JSONInputError as exc:
        raise RecordError(f"the webhook body must be a JSON object: {exc.message}") from None
    if json_input.unstorable(payload):
        payload = json_input.storable(payload)
    return payload


@contextmanager
def payload_shape(what: str) -> Iterator[None]:
    """Reading a platform's payload: a field of another JSON type than the platform documents
    (an object where a list is, a number where a string is) is a :class:`RecordError` naming
    the payload, not a TypeError deep in a mapping; StoreChat's own errors pass as they are."""
    try:
        yield
    except StoreChatError:
        raise
    except (AttributeError, TypeError, ValueError, KeyError, IndexError) as exc:
        raise RecordError(
            f"{what} is not shaped as the platform documents it ({type(exc).__name__}: {str(exc)[:200]})"
        ) from exc


def _cents(price: Decimal, external_id: str) -> Decimal:
    """``price`` rounded to cents as the money columns store it; a RecordError if it cannot be."""
    try:
        cents = Decimal(price).quantize(Decimal("0.01"))
    except (InvalidOperation, TypeError, ValueError):
        cents = Decimal("NaN")
    if not cents.is_finite():
        raise RecordError(f"variant {external_id[:40]}: price {str(price)[:40]} is not a price")
    return cents


def normalize_order_reference(reference: str) -> str:
    """``"#1001"``, ``"1001"``, ``"order 1001"`` -> ``"1001"``."""
    ref = reference.strip().lower()
    for prefix in ("order", "no.", "no", "number", "nr."):
        if ref.startswith(prefix):
            ref = ref[len(prefix) :].strip()
    return ref.lstrip("#").strip()
