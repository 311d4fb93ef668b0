"""A fake WooCommerce store on ``responses``: the REST API ``wc/v3`` as
PLATFORMS.md B and D2 describe it (Basic auth over https, ``page``/``per_page``
up to 100 with ``X-WP-Total``/``X-WP-TotalPages``/``Link`` headers,
``modified_after`` + ``dates_are_gmt``, variations, orders, webhooks, the
WooCommerce error body), with injectable failures."""
from __future__ import annotations

import base64
import copy
import json
import re
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, urlsplit

import responses

STORE = "https://shop.example.com"
API = f"{STORE}/wp-json/wc/v3"
KEY, SECRET = "ck_0123456789abcdef0123456789abcdef01234567", "cs_76543210fedcba9876543210fedcba9876543210"

#: The docs' product sample (B2/D2), extra fields kept so parsers stay tolerant.
PREMIUM_QUALITY: dict[str, Any] = {
    "id": 794, "name": "Premium Quality", "slug": "premium-quality-19",
    "permalink": "https://example.com/product/premium-quality-19/",
    "date_created": "2017-03-23T17:01:14", "date_created_gmt": "2017-03-23T20:01:14",
    "date_modified": "2017-03-23T17:01:14", "date_modified_gmt": "2017-03-23T20:01:14",
    "type": "simple", "status": "publish", "featured": False, "catalog_visibility": "visible",
    "description": "<p>Pellentesque habitant morbi tristique senectus et netus.</p>\n",
    "short_description": "<p>Pellentesque habitant.</p>\n", "sku": "", "price": "21.99",
    "regular_price": "21.99", "sale_price": "", "date_on_sale_from": None, "date_on_sale_to": None,
    "price_html": "<span class=\"woocommerce-Price-amount amount\">$21.99</span>", "on_sale": False,
    "purchasable": True, "total_sales": 0, "virtual": False, "downloadable": False, "external_url": "",
    "button_text": "", "tax_status": "taxable", "tax_class": "", "manage_stock": False, "stock_quantity": None,
    "stock_status": "instock", "backorders": "no", "backorders_allowed": False, "backordered": False,
    "weight": "", "dimensions": {"length": "", "width": "", "height": ""}, "shipping_required": True,
    "reviews_allowed": True, "average_rating": "0.00", "rating_count": 0, "related_ids": [53, 40],
    "upsell_ids": [], "cross_sell_ids": [], "parent_id": 0, "purchase_note": "",
    "categories": [{"id": 9, "name": "Clothing", "slug": "clothing"},
                   {"id": 14, "name": "T-shirts", "slug": "t-shirts"}],
    "tags": [], "images": [
        {"id": 792, "date_created": "2017-03-23T14:01:13", "date_created_gmt": "2017-03-23T20:01:13",
         "date_modified": "2017-03-23T14:01:13", "date_modified_gmt": "2017-03-23T20:01:13",
         "src": "https://example.com/wp-content/uploads/2017/03/T_2_front-4.jpg", "name": "", "alt": ""}],
    "attributes": [], "default_attributes": [], "variations": [], "grouped_products": [], "menu_order": 0,
    "meta_data": [],
    "_links": {"self": [{"href": "https://example.com/wp-json/wc/v3/products/794"}]},
}

SHIP_YOUR_IDEA: dict[str, Any] = {
    **copy.deepcopy(PREMIUM_QUALITY),
    "id": 22, "name": "Ship Your Idea", "slug": "ship-your-idea-22", "type": "variable",
    "permalink": "https://example.com/product/ship-your-idea-22/", "price": "9.00", "regular_price": "",
    "date_modified_gmt": "2017-03-23T20:02:00",
    "attributes": [{"id": 6, "name": "Color", "position": 0, "visible": False, "variation": True,
                    "options": ["Black", "Green"]}],
    "variations": [733, 732],
}


class Crash(RuntimeError):
    """Raised by the fake to stand for a worker dying mid-read."""


def variation(vid: int, color: str, **overrides: Any) -> dict[str, Any]:
    return {
        "id": vid, "date_created": "2017-03-23T00:36:38", "date_modified": "2017-03-23T00:36:38",
        "date_modified_gmt": "2017-03-23T03:36:38", "description": "", "sku": "", "price": "9.00",
        "regular_price": "9.00", "sale_price": "", "on_sale": False, "status": "publish", "purchasable": True,
        "virtual": False, "downloadable": False, "manage_stock": False, "stock_quantity": None,
        "stock_status": "instock", "backorders": "no", "backorders_allowed": False, "backordered": False,
        "weight": "", "dimensions": {"length": "", "width": "", "height": ""}, "shipping_class": "",
        "permalink": f"https://example.com/product/ship-your-idea-22/?attribute_pa_color={color.lower()}",
        "image": {"id": 423, "src": f"https://example.com/wp-content/uploads/2017/03/{color}.jpg",
                  "name": "", "alt": ""},
        "attributes": [{"id": 6, "name": "Color", "option": color}], "menu_order": 0, "meta_data": [],
        **overrides,
    }


VARIATIONS = {22: [
    variation(733, "Black", manage_stock=True, stock_quantity=5, backorders="notify", sale_price="7.50",
              price="7.50", on_sale=True),
    variation(732, "Green", manage_stock=True, stock_quantity=0, stock_status="outofstock"),
]}

#: The docs' order sample (B3/D2), with the tracking meta variant (B7) and the plugin's conversation meta.
ORDER_727: dict[str, Any] = {
    "id": 727, "parent_id": 0, "number": "727", "order_key": "wc_order_58d2d042d1d", "created_via": "rest-api",
    "version": "3.0.0", "status": "processing", "currency": "USD", "date_created": "2017-03-22T16:28:02",
    "date_created_gmt": "2017-03-22T19:28:02", "date_modified": "2017-03-22T16:28:08",
    "date_modified_gmt": "2017-03-22T19:28:08", "discount_total": "0.00", "discount_tax": "0.00",
    "shipping_total": "10.00", "shipping_tax": "0.00", "cart_tax": "1.35", "total": "29.35",
    "total_tax": "1.35", "prices_include_tax": False, "customer_id": 0, "customer_ip_address": "",
    "customer_user_agent": "", "customer_note": "",
    "billing": {"first_name": "John", "last_name": "Doe", "company": "", "address_1": "969 Market",
                "address_2": "", "city": "San Francisco", "state": "CA", "postcode": "94103", "country": "US",
                "email": "john.doe@example.com", "phone": "(555) 555-5555"},
    "shipping": {"first_name": "John", "last_name": "Doe", "company": "", "address_1": "969 Market",
                 "address_2": "", "city": "San Francisco", "state": "CA", "postcode": "94103", "country": "US"},
    "payment_method": "bacs", "payment_method_title": "Direct Bank Transfer", "transaction_id": "",
    "date_paid": "2017-03-22T16:28:08", "date_paid_gmt": "2017-03-22T19:28:08", "date_completed": None,
    "date_completed_gmt": None, "cart_hash": "",
    "meta_data": [
        {"id": 13106, "key": "_download_permissions_granted", "value": "yes"},
        {"id": 13107, "key": "_wc_shipment_tracking_items", "value": [
            {"tracking_provider": "usps", "custom_tracking_provider": "", "custom_tracking_link": "",
             "tracking_number": "9400111899223344556677", "date_shipped": 1700000000,
             "tracking_id": "7f49a4b1cb1d0a6c1b3e5f3e8b2a9c10"}]},
        {"id": 13108, "key": "_storechat_conversation", "value": "CONVERSATION"},
    ],
    "line_items": [
        {"id": 315, "name": "Woo Single #1", "product_id": 93, "variation_id": 0, "quantity": 2,
         "tax_class": "", "subtotal": "6.00", "subtotal_tax": "0.45", "total": "6.00", "total_tax": "0.45",
         "taxes": [], "meta_data": [], "sku": "", "price": 3},
        {"id": 316, "name": "Ship Your Idea &ndash; Color: Black", "product_id": 22, "variation_id": 733,
         "quantity": 1, "tax_class": "", "subtotal": "12.00", "subtotal_tax": "0.90", "total": "12.00",
         "total_tax": "0.90", "taxes": [], "meta_data": [], "sku": "Bar3", "price": 12},
    ],
    "tax_lines": [], "shipping_lines": [{"id": 317, "method_title": "Flat Rate", "method_id": "flat_rate",
                                         "total": "10.00", "total_tax": "0.00", "taxes": []}],
    "fee_lines": [], "coupon_lines": [], "refunds": [], "payment_url": "https://example.com/checkout/",
    "is_editable": False, "needs_payment": False, "needs_processing": True,
    "_links": {"self": [{"href": "https://example.com/wp-json/wc/v3/orders/727"}]},
}


def generated_products(count: int, start: int = 1000) -> list[dict[str, Any]]:
    out = []
    for i in range(count):
        p = copy.deepcopy(PREMIUM_QUALITY)
        pid = start + i
        p.update(id=pid, name=f"Generated product {pid}", slug=f"generated-{pid}", sku=f"GEN-{pid}",
                 permalink=f"https://example.com/product/generated-{pid}/", price=f"{10 + i % 50}.00",
                 regular_price=f"{10 + i % 50}.00",
                 date_modified_gmt=f"2026-0{1 + i % 9}-15T10:00:00")
        out.append(p)
    return out


def basic_auth(key: str = KEY, secret: str = SECRET) -> str:
    return "Basic " + base64.b64encode(f"{key}:{secret}".encode()).decode()


def wc_error(status: int, code: str, message: str) -> tuple[int, dict[str, str], str]:
    return status, {"Content-Type": "application/json"}, json.dumps(
        {"code": code, "message": message, "data": {"status": status}})


@dataclass
class FakeWoo:
    """The store's data plus what happened to it; ``install(rsps)`` registers the routes."""

    products: list[dict[str, Any]] = field(default_factory=list)
    variations: dict[int, list[dict[str, Any]]] = field(default_factory=dict)
    orders: list[dict[str, Any]] = field(default_factory=list)
    webhooks: list[dict[str, Any]] = field(default_factory=list)
    key: str = KEY
    secret: str = SECRET
    #: Statuses answered (with a WooCommerce error body) before the real answers, in order.
    failures: list[int] = field(default_factory=list)
    #: Product list pages that fail with 500 every time (a store dying mid-read).
    broken_pages: set[int] = field(default_factory=set)
    #: The site's public WordPress content (``/wp-json/wp/v2/pages`` and ``/posts``).
    pages: list[dict[str, Any]] = field(default_factory=list)
    posts: list[dict[str, Any]] = field(default_factory=list)
    #: A product list page whose request kills the worker (raises :class:`Crash`).
    crash_on_page: int | None = None
    calls: list[str] = field(default_factory=list)

    def install(self, rsps: responses.RequestsMock, store: str = STORE) -> FakeWoo:
        api = f"{store}/wp-json/wc/v3"
        rsps.add_callback(responses.GET, re.compile(re.escape(api) + r"/[^?]*(\?.*)?$"), callback=self._get)
        rsps.add_callback(responses.POST, re.compile(re.escape(api) + r"/webhooks(\?.*)?$"), callback=self._post)
        rsps.add_callback(responses.GET, re.compile(re.escape(store) + r"/wp-json/wp/v2/(pages|posts)(\?.*)?$"),
                          callback=self._content)
        rsps.add_callback(responses.PUT, re.compile(re.escape(api) + r"/webhooks/\d+(\?.*)?$"), callback=self._put)
        return self

    # -- plumbing --------------------------------------------------------------

    def _auth_failure(self, request: Any) -> tuple[int, dict[str, str], str] | None:
        self.calls.append(f"{request.method} {request.url}")
        if self.failures:
            status = self.failures.pop(0)
            return wc_error(status, "internal_server_error" if status >= 500 else "too_many_requests",
                            "try again")
        if request.headers.get("Authorization") != basic_auth(self.key, self.secret):
            return wc_error(401, "woocommerce_rest_cannot_view", "Sorry, you cannot list resources.")
        return None

    @staticmethod
    def _split(request: Any) -> tuple[list[str], dict[str, str]]:
        parts = urlsplit(request.url)
        path = parts.path.split("/wp-json/wc/v3/", 1)[1].strip("/").split("/")
        return path, {k: v[-1] for k, v in parse_qs(parts.query).items()}

    @staticmethod
    def _page(items: list[dict[str, Any]], query: dict[str, str], url: str) -> tuple[int, dict[str, str], str]:
        per_page = int(query.get("per_page", "10"))
        if per_page > 100:
            return wc_error(400, "rest_invalid_param", "Invalid parameter(s): per_page")
        page = int(query.get("page", "1"))
        pages = max(1, -(-len(items) // per_page))
        headers = {"Content-Type": "application/json", "X-WP-Total": str(len(items)), "X-WP-TotalPages": str(pages)}
        if page < pages:
            headers["Link"] = f'<{url.split("?")[0]}?page={page + 1}>; rel="next"'
        chunk = items[(page - 1) * per_page: page * per_page]
        return 200, headers, json.dumps(chunk)

    @staticmethod
    def _one(item: dict[str, Any] | None, code: str) -> tuple[int, dict[str, str], str]:
        if item is None:
            return wc_error(404, code, "Invalid ID.")
        return 200, {"Content-Type": "application/json"}, json.dumps(item)

    # -- routes ----------------------------------------------------------------

    def _get(self, request: Any) -> tuple[int, dict[str, str], str]:
        failure = self._auth_failure(request)
        if failure:
            return failure
        path, query = self._split(request)
        if path == ["products"]:
            if int(query.get("page", "1")) == self.crash_on_page:
                raise Crash(f"worker died reading products page {self.crash_on_page}")
            if int(query.get("page", "1")) in self.broken_pages:
                return wc_error(500, "internal_server_error", "The site is experiencing technical difficulties.")
            items = sorted(self.products, key=lambda p: p["id"])
            if "modified_after" in query:
                assert query.get("dates_are_gmt") == "true", "modified_after without dates_are_gmt"
                items = [p for p in items if p["date_modified_gmt"] > query["modified_after"]]
            return self._page(items, query, request.url)
        if len(path) == 2 and path[0] == "products":
            return self._one(next((p for p in self.products if str(p["id"]) == path[1]), None),
                             "woocommerce_rest_product_invalid_id")
        if len(path) == 3 and path[0] == "products" and path[2] == "variations":
            return self._page(self.variations.get(int(path[1]), []), query, request.url)
        if path == ["orders"]:
            items = self.orders
            if "customer" in query:
                items = [o for o in items if str(o["customer_id"]) == query["customer"]]
            if "search" in query:
                needle = query["search"].lower()
                items = [o for o in items if needle in json.dumps([o["billing"], o["shipping"]]).lower()]
            return self._page(items, query, request.url)
        if len(path) == 2 and path[0] == "orders":
            return self._one(next((o for o in self.orders if str(o["id"]) == path[1]), None),
                             "woocommerce_rest_shop_order_invalid_id")
        if path == ["webhooks"]:
            return self._page(self.webhooks, query, request.url)
        return wc_error(404, "rest_no_route", "No route was found matching the URL and request method.")

    def _content(self, request: Any) -> tuple[int, dict[str, str], str]:
        self.calls.append(f"{request.method} {request.url}")
        if request.headers.get("Authorization"):  # WooCommerce keys are no WordPress login
            return wc_error(401, "invalid_username", "Unknown username. Check again or try your email address.")
        parts = urlsplit(request.url)
        query = {k: v[-1] for k, v in parse_qs(parts.query).items()}
        items = sorted(self.pages if parts.path.endswith("/pages") else self.posts, key=lambda i: i["id"])
        if query.get("status") != "publish":
            return wc_error(400, "rest_invalid_param", "status must be publish here")
        if "modified_after" in query:
            items = [i for i in items if i["modified"] > query["modified_after"]]
        page, pages = int(query.get("page", "1")), max(1, -(-len(items) // int(query.get("per_page", "10"))))
        if page > pages:
            return wc_error(400, "rest_post_invalid_page_number",
                            "The page number requested is larger than the number of pages available.")
        return self._page(items, query, request.url)

    def _post(self, request: Any) -> tuple[int, dict[str, str], str]:
        failure = self._auth_failure(request)
        if failure:
            return failure
        body = json.loads(request.body)
        hook = {"id": 142 + len(self.webhooks), "name": body["name"], "status": body["status"],
                "topic": body["topic"], "resource": body["topic"].split(".")[0],
                "event": body["topic"].split(".")[1], "hooks": [], "delivery_url": body["delivery_url"],
                "date_created": "2026-11-25T10:00:00", "date_created_gmt": "2026-11-25T10:00:00",
                "date_modified": "2026-11-25T10:00:00", "date_modified_gmt": "2026-11-25T10:00:00",
                "secret": body["secret"]}  # write-only: kept here for the test, not in the answer
        self.webhooks.append(hook)
        return 201, {"Content-Type": "application/json"}, json.dumps({k: v for k, v in hook.items() if k != "secret"})

    def _put(self, request: Any) -> tuple[int, dict[str, str], str]:
        failure = self._auth_failure(request)
        if failure:
            return failure
        path, _ = self._split(request)
        hook = next((w for w in self.webhooks if str(w["id"]) == path[1]), None)
        if hook is None:
            return wc_error(404, "woocommerce_rest_webhook_invalid_id", "Invalid ID.")
        hook.update(json.loads(request.body))
        return 200, {"Content-Type": "application/json"}, json.dumps({k: v for k, v in hook.items() if k != "secret"})


def wp_item(item_id: int, slug: str, title: str, html: str, *, kind: str = "page",
            modified_gmt: str = "2026-05-01T09:30:00") -> dict[str, Any]:
    """A page or post as ``/wp/v2`` answers it (PLATFORMS.md D3; ``modified`` is local time, UTC+2 here)."""
    local = f"{modified_gmt[:11]}{int(modified_gmt[11:13]) + 2:02d}{modified_gmt[13:]}" \
        if int(modified_gmt[11:13]) < 22 else modified_gmt
    return {"id": item_id, "link": f"{STORE}/{slug}/", "slug": slug, "type": kind,
            "title": {"rendered": title}, "content": {"rendered": html, "protected": False},
            "modified": local, "modified_gmt": modified_gmt}


def default_store() -> FakeWoo:
    return FakeWoo(products=[copy.deepcopy(PREMIUM_QUALITY), copy.deepcopy(SHIP_YOUR_IDEA)],
                   variations=copy.deepcopy(VARIATIONS), orders=[copy.deepcopy(ORDER_727)],
                   pages=[wp_item(2, "shipping-returns", "Shipping &amp; Returns",
                                  "<h2>Shipping</h2>\n<p>We ship in 2&#8211;3 days.</p>\n<ul><li>Free over $50</li></ul>"
                                  "<script>track()</script>"),
                          wp_item(7, "faq", "FAQ", "<p>Do you ship abroad? Yes.</p>")],
                   posts=[wp_item(11, "hello-world", "Hello world!", "<p>Welcome to our store&#8217;s blog.</p>",
                                  kind="post")])


def connector_config(**overrides: Any) -> dict[str, Any]:
    return {"store_url": STORE, "consumer_key": KEY, "consumer_secret": SECRET, "key_permissions": "read_write",
            **overrides}
