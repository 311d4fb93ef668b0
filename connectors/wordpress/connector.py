"""The WordPress connector: a site's pages and posts as knowledge, no catalog.

It serves content-only WordPress sites and the content side of WooCommerce
stores (whose catalog and orders come from the WooCommerce connector).

Config keys:

``site_url``
    The site's address, ``https://example.com`` (required, http or https).
``username`` and ``application_password``
    A WordPress user and one of its application passwords (Users → Profile →
    Application Passwords). Optional: published pages and posts are public;
    give them when the site's REST API asks for a login.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from typing import Any, ClassVar
from urllib.parse import urlsplit

from core.connector import (
    Connector,
    ConnectorError,
    DocumentRecord,
    OrderRecord,
    ProductRecord,
    WebhookAction,
    WebhookEvent,
)

from .client import WordPressClient
from .content import FAQ_WORDS, to_document

#: ``modified_after`` is compared with WordPress's *local* modification time, so the
#: server is asked with this much margin (the widest UTC offset) and ``modified_gmt``
#: decides exactly.
TZ_MARGIN = timedelta(hours=14)
#: Below this, a Date header's difference from our clock is its one-second precision and latency.
MAX_NOISE = timedelta(seconds=2)
FIELDS = {
    "pages": "id,link,slug,title,content,modified_gmt",
    "posts": "id,link,slug,title,content,modified_gmt,categories",
}


class WordPressConnector(Connector):
    """Published pages and posts of a WordPress site, through its REST API."""

    name: ClassVar[str] = "wordpress"
    #: Stored encrypted by core.
    secret_fields: ClassVar[frozenset[str]] = frozenset({"application_password"})

    def __init__(
        self,
        config: Mapping[str, Any],
        *,
        app: Mapping[str, Any] | None = None,
        on_config_change: Callable[[dict[str, Any]], None] | None = None,
        sleep: Callable[[float], None] | None = None,
    ) -> None:
        super().__init__(config, app=app, on_config_change=on_config_change)
        if not self.config:  # app-only (core's webhook route for a site it has no shop for): verifies nothing
            self.site_url, self._client = "", None
            return
        self.site_url = _site_url(self.config.get("site_url"))
        username = _optional_text(self.config, "username")
        password = _optional_text(self.config, "application_password")
        if bool(username) != bool(password):
            raise _config_error("give both 'username' and 'application_password', or neither")
        extra = {"sleep": sleep} if sleep is not None else {}
        self._client = WordPressClient(self.site_url, username=username, application_password=password, **extra)

    @property
    def client(self) -> WordPressClient:
        if self._client is None:
            raise _config_error("the WordPress connector needs 'site_url' (https://example.com)")
        return self._client

    def iter_products(self, since: datetime | None = None) -> Iterator[ProductRecord]:
        """Nothing: a WordPress site's catalog (if any) is WooCommerce's."""
        return iter(())

    def iter_documents(self, since: datetime | None = None) -> Iterator[DocumentRecord]:
        """Published pages, then posts, modified after ``since`` (all when None).

        Posts in a category named FAQ, and pages whose slug or title says FAQ,
        become ``faq`` documents; pages about shipping, returns, privacy or
        terms become ``policy`` documents.
        """
        if self.client.username:
            self._check_login()
        faq_categories, skew = self.faq_categories()
        # ``since`` is StoreChat's clock; modification times are WordPress's. Shift by the
        # difference the site's Date header shows, and compare whole seconds (modified_gmt
        # has no fractions): an item edited in the second the last sync started comes again.
        cutoff = None if since is None else (_as_utc(since) + skew).replace(microsecond=0)
        for kind, path in (("page", "pages"), ("post", "posts")):
            params: dict[str, Any] = {"status": "publish", "orderby": "id", "order": "asc", "_fields": FIELDS[path]}
            if cutoff is not None:
                params["modified_after"] = (cutoff - TZ_MARGIN).strftime("%Y-%m-%dT%H:%M:%S")
            for item in self.client.iter_collection(path, params):
                doc = to_document(item, kind, faq_categories=faq_categories)
                if doc is None:
                    continue
                if cutoff is not None and doc.updated_at is not None and doc.updated_at < cutoff:
                    continue
                yield doc

    def _check_login(self) -> None:
        # WordPress answers public routes even when the login is wrong (as if anonymous),
        # so a mistyped application password would go unnoticed without this.
        self.client.get_json("users/me", {"_fields": "id"})

    def faq_categories(self) -> tuple[frozenset[int], timedelta]:
        """The ids of the categories named FAQ, and how far the site's clock is ahead of ours."""
        asked = datetime.now(UTC)
        found, resp = self.client.get_json(
            "categories", {"slug": ",".join(sorted(FAQ_WORDS)), "_fields": "id,slug", "per_page": 100}
        )
        if not isinstance(found, list):
            raise ConnectorError(f"{self.site_url}: categories are not a JSON list", code="platform_bad_response")
        ids = frozenset(c["id"] for c in found if isinstance(c, dict) and isinstance(c.get("id"), int))
        return ids, _clock_skew(resp.headers.get("Date"), asked)

    # -- the plugin's notifications (connectors/wordpress/webhooks.py) -------------

    @classmethod
    def webhook_shop_ref(cls, headers: Mapping[str, str], raw_body: bytes) -> str | None:
        from . import webhooks

        return webhooks.shop_ref(headers)

    def verify_webhook(self, headers: Mapping[str, str], raw_body: bytes) -> bool:
        from . import webhooks

        return webhooks.verify(str(self.config.get("identity_secret") or ""), headers, raw_body)

    def parse_webhook(self, headers: Mapping[str, str], raw_body: bytes) -> WebhookEvent:
        from . import webhooks

        return webhooks.parse(headers, raw_body)

    def webhook_actions(self, event: WebhookEvent) -> Iterable[WebhookAction]:
        from . import webhooks

        return list(webhooks.actions(self, event))

    def read_item(self, kind: str, item_id: int) -> DocumentRecord | None:
        """One page or post as it is now, or None when it is not published (or gone)."""
        from . import webhooks

        return webhooks.read_item(self, kind, item_id)

    def find_order(
        self,
        reference: str,
        *,
        email: str | None = None,
        customer_id: str | None = None,
    ) -> OrderRecord | None:
        """None: WordPress itself has no orders (WooCommerce's connector has)."""
        return None


def _as_utc(moment: datetime) -> datetime:
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _clock_skew(date_header: str | None, asked: datetime) -> timedelta:
    """The site's clock minus ours, from its ``Date`` header; zero within the header's precision."""
    try:
        theirs = parsedate_to_datetime(date_header) if date_header else None
    except (TypeError, ValueError):
        theirs = None
    if theirs is None or theirs.tzinfo is None:
        return timedelta(0)
    skew = theirs - asked
    return skew if abs(skew) > MAX_NOISE else timedelta(0)


def _site_url(value: Any) -> str:
    if not isinstance(value, str) or not value.strip():
        raise _config_error("the WordPress connector needs 'site_url' (https://example.com)")
    parts = urlsplit(value.strip())
    if parts.scheme not in ("http", "https") or not parts.netloc or parts.query or parts.fragment:
        raise _config_error(f"'site_url' must be an absolute http(s) URL, not {value!r}")
    return value.strip().rstrip("/")


def normalize_site_url(value: Any) -> str:
    """The site's address as StoreChat keys the shop: scheme and host lower-case, no trailing slash."""
    url = _site_url(value)
    parts = urlsplit(url)
    return f"{parts.scheme.lower()}://{parts.netloc.lower()}{parts.path.rstrip('/')}"


def _optional_text(config: Mapping[str, Any], key: str) -> str | None:
    value = config.get(key)
    if value in (None, ""):
        return None
    if not isinstance(value, str):
        raise _config_error(f"'{key}' must be a string")
    return value.strip() or None


def _config_error(message: str) -> ConnectorError:
    return ConnectorError(message, code="config_invalid")
