"""A fake of one shop's Shopify Admin GraphQL API, faithful where it matters.

Every query is validated against Shopify's real 2026-10 schema (a query
with a field Shopify does not have fails here, not in a merchant's store)
and answered with ``graphql-core`` from fixture data, so responses hold
exactly the fields asked for. Cost-based throttling follows Shopify's
rules: a bucket of ``maximum`` points refilled at ``restore_rate`` points a
second, the requested cost checked before running, the actual cost
charged, ``THROTTLED`` when the bucket is short, ``MAX_COST_EXCEEDED`` above
1,000 points.

:class:`AdminAPI` is the HTTP-free core (the benchmark serves it over a
socket); :class:`FakeAdmin` mounts it on ``responses`` for tests and adds
the faults tests need (HTTP errors, a crash on a given page, a revoked
token). Fixture data comes from ``tests/data/shopify`` (Admin REST
payloads converted to GraphQL shapes) and a seeded generator.
"""
from __future__ import annotations

import base64
import gzip
import json
import random
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from functools import cache
from pathlib import Path
from typing import Any

from graphql import GraphQLError, GraphQLSchema, build_client_schema, execute, parse, validate

from tests.fakes.shopify_cost import MAX_QUERY_COST, query_cost

DATA = Path(__file__).resolve().parents[1] / "data" / "shopify"
SHOP = "test-shop.myshopify.com"
API_VERSION = "2026-10"
URL = f"https://{SHOP}/admin/api/{API_VERSION}/graphql.json"
TOKEN = "shpat_test"
STOREFRONT = "https://shop.example.com"


@cache
def schema() -> GraphQLSchema:
    data = json.load(gzip.open(DATA / "admin-graphql-2026-10.json.gz"))["data"]
    built = build_client_schema(data)
    # Shopify's schema trips one of graphql-core's own deprecation checks (tests/data/README.md).
    built._validation_errors = []
    return built


@cache
def _parsed(query: str) -> Any:
    return parse(query)


@cache
def _validated(query: str) -> list[GraphQLError]:
    return validate(schema(), _parsed(query))


def gid(kind: str, number: int | str) -> str:
    return f"gid://shopify/{kind}/{number}"


def iso(value: datetime) -> str:
    return value.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


# -- fixture data -----------------------------------------------------------------


def variant(vid: int, title: str, price: str, *, options: list[tuple[str, str]] = (), sku: str | None = None,
            compare_at: str | None = None, quantity: int | None = 5, policy: str = "DENY",
            tracked: bool = True) -> dict[str, Any]:
    return {
        "id": gid("ProductVariant", vid), "legacyResourceId": str(vid), "title": title, "sku": sku,
        "price": price, "compareAtPrice": compare_at, "inventoryQuantity": quantity,
        "inventoryPolicy": policy, "selectedOptions": [{"name": n, "value": v} for n, v in options],
        "inventoryItem": {"id": gid("InventoryItem", vid), "tracked": tracked},
    }


def product(pid: int, title: str, handle: str, variants: list[dict[str, Any]], *, updated_at: str,
            options: list[dict[str, Any]] | None = None, images: list[str] = (), body: str = "",
            vendor: str = "", product_type: str = "", tags: list[str] = (), status: str = "ACTIVE",
            published: bool = True) -> dict[str, Any]:
    return {
        "id": gid("Product", pid), "legacyResourceId": str(pid), "title": title, "handle": handle,
        "descriptionHtml": body, "vendor": vendor, "productType": product_type, "tags": list(tags),
        "status": status, "updatedAt": updated_at,
        "publishedAt": "2026-01-01T00:00:00Z" if published else None,
        "onlineStoreUrl": f"{STOREFRONT}/products/{handle}" if published and status == "ACTIVE" else None,
        "options": options or [{"name": "Title", "values": ["Default Title"]}],
        "_variants": variants,
        "_images": list(images),
    }


def products_from_rest() -> list[dict[str, Any]]:
    """The Admin REST product payloads of ``product.json`` and ``products.json``, in GraphQL shape.

    ``products.json`` repeats one product under ids 1-4 with the same handle and
    variant id; the copies get distinct handles and variant ids, as a real shop has.
    """
    payloads = [json.loads((DATA / "product.json").read_text())["product"]]
    for copy in json.loads((DATA / "products.json").read_text()):
        copy = dict(copy, handle=f"{copy['handle']}-{copy['id']}")
        copy["variants"] = [dict(v, id=v["id"] * 10 + copy["id"]) for v in copy["variants"]]
        payloads.append(copy)
    out = []
    for p in payloads:
        names = [o["name"] for o in p.get("options") or []]
        variants = []
        for v in p["variants"]:
            values = [v.get(f"option{i}") for i in (1, 2, 3)]
            variants.append(variant(
                v["id"], v["title"], v["price"], sku=v.get("sku") or None, compare_at=v.get("compare_at_price"),
                options=[(n, val) for n, val in zip(names, values) if val is not None],
                quantity=v.get("inventory_quantity"), policy=v.get("inventory_policy", "deny").upper(),
                tracked=v.get("inventory_management") is not None,
            ))
        updated = datetime.fromisoformat(p["updated_at"])
        out.append(product(
            p["id"], p["title"], p["handle"], variants, updated_at=iso(updated), body=p.get("body_html") or "",
            vendor=p.get("vendor") or "", product_type=p.get("product_type") or "",
            tags=[t.strip() for t in (p.get("tags") or "").split(",") if t.strip()],
            options=[{"name": n, "values": list(dict.fromkeys(
                v.get(f"option{i}") for v in p["variants"] if v.get(f"option{i}") is not None))}
                for i, n in enumerate(names, start=1)] or None,
            images=[i["src"] for i in p.get("images") or []],
        ))
    return out


def generated_products(count: int, *, seed: int = 7, start_id: int = 10_000,
                       updated_at: datetime = datetime(2026, 6, 1, tzinfo=timezone.utc)) -> list[dict[str, Any]]:
    """``count`` seeded products; every 37th has more variants than one page nests."""
    rng = random.Random(seed)
    out = []
    for i in range(count):
        pid = start_id + i
        n_variants = 14 if i % 37 == 5 else rng.randint(1, 4)
        sizes = [f"S{k}" for k in range(n_variants)]
        variants = [
            variant(pid * 100 + k, size, f"{rng.randint(5, 400)}.{rng.choice(['00', '50', '99'])}",
                    options=[("Size", size)], sku=f"SKU-{pid}-{k}",
                    compare_at=None if rng.random() < 0.7 else "999.00",
                    quantity=rng.randint(-2, 30), policy=rng.choice(["DENY", "DENY", "CONTINUE"]),
                    tracked=rng.random() < 0.85)
            for k, size in enumerate(sizes)
        ]
        out.append(product(
            pid, f"Generated product {i}", f"generated-{i}", variants,
            updated_at=iso(updated_at + timedelta(minutes=i)),
            options=[{"name": "Size", "values": sizes}],
            images=[f"https://cdn.shopify.com/s/files/gen/{pid}-{k}.jpg" for k in range(rng.randint(0, 3))],
            vendor=rng.choice(["Acme", "Globex", "Initech"]), product_type=rng.choice(["Shirt", "Mug", ""]),
            tags=rng.sample(["eco", "sale", "new", "gift"], rng.randint(0, 2)),
            status="ACTIVE" if i % 50 else "DRAFT",
        ))
    return out


def default_pages() -> list[dict[str, Any]]:
    return [
        {"id": gid("Page", 1), "title": "Contact", "handle": "contact", "isPublished": True,
         "body": "<p>Write to help@shop.example.com.</p>", "updatedAt": "2026-05-01T09:30:00Z"},
        {"id": gid("Page", 2), "title": "About us", "handle": "about", "isPublished": True,
         "body": "<p>Family business since 1999.</p>", "updatedAt": "2026-05-02T09:30:00Z"},
        {"id": gid("Page", 3), "title": "Secret sale", "handle": "secret", "isPublished": False,
         "body": "<p>Draft.</p>", "updatedAt": "2026-05-03T09:30:00Z"},
    ]


def default_policies() -> list[dict[str, Any]]:
    def policy(n: int, kind: str, title: str, body: str) -> dict[str, Any]:
        slug = title.lower().replace(" ", "-")
        return {"id": gid("ShopPolicy", n), "type": kind, "title": title, "body": body,
                "url": f"https://{SHOP}/policies/{slug}", "updatedAt": "2026-04-01T00:00:00Z",
                "createdAt": "2025-04-01T00:00:00Z"}
    return [
        policy(1, "REFUND_POLICY", "Refund policy", "<p>Returns within 30 days.</p>"),
        policy(2, "SHIPPING_POLICY", "Shipping policy", "<p>Ships in 2 business days.</p>"),
        policy(3, "PRIVACY_POLICY", "Privacy policy", "<p>We keep your data safe.</p>"),
        policy(4, "TERMS_OF_SERVICE", "Terms of service", "<p>Be nice.</p>"),
        policy(5, "SUBSCRIPTION_POLICY", "Subscription policy", "<p>Not quoted.</p>"),
        policy(6, "LEGAL_NOTICE", "Legal notice", ""),
    ]


def _order_from_rest(o: Mapping[str, Any], *, fulfillments: list[Mapping[str, Any]] | None = None) -> dict[str, Any]:
    fulfillments = o.get("fulfillments") or [] if fulfillments is None else fulfillments
    customer = o.get("customer") or {}
    status = o.get("fulfillment_status")
    return {
        "id": gid("Order", o["id"]), "legacyResourceId": str(o["id"]), "name": o["name"], "email": o.get("email"),
        "createdAt": iso(datetime.fromisoformat(o["created_at"])), "cancelledAt": o.get("cancelled_at"),
        "displayFinancialStatus": (o.get("financial_status") or "pending").upper(),
        "displayFulfillmentStatus": {None: "UNFULFILLED", "partial": "PARTIALLY_FULFILLED"}.get(status, str(status).upper()),
        "statusPageUrl": o.get("order_status_url") or f"https://{SHOP}/{o['id']}/orders/{o.get('token', 'x')}/authenticate",
        "totalPriceSet": {"shopMoney": {"amount": o["total_price"], "currencyCode": o["currency"]}},
        "customer": {"id": gid("Customer", customer["id"])} if customer.get("id") else None,
        "_lines": [
            {"title": li["title"], "quantity": li["quantity"], "variantTitle": li.get("variant_title"),
             "sku": li.get("sku"), "originalUnitPriceSet": {"shopMoney": {"amount": li["price"], "currencyCode": o["currency"]}}}
            for li in o.get("line_items") or []
        ],
        "fulfillments": [
            {"status": (f.get("status") or "success").upper(),
             "displayStatus": {"in_transit": "IN_TRANSIT", "delivered": "DELIVERED"}.get(f.get("shipment_status") or "", None),
             "trackingInfo": [
                 {"company": f.get("tracking_company"), "number": n, "url": u}
                 for n, u in zip(f.get("tracking_numbers") or [], (f.get("tracking_urls") or []) + [None] * 9)
             ]}
            for f in fulfillments
        ],
    }


def default_orders() -> list[dict[str, Any]]:
    """#1001 is ``order.json``; #1002 the fulfilled order of PLATFORMS.md D1.4; #1003 with its PII redacted."""
    base = json.loads((DATA / "order.json").read_text())["order"]
    first = _order_from_rest(base)
    shipped = dict(base, id=450789470, name="#1002", email="Carol@Example.com", fulfillment_status="fulfilled",
                   financial_status="paid", customer={"id": 207119552}, total_price="598.94")
    second = _order_from_rest(shipped, fulfillments=[{
        "status": "success", "shipment_status": "in_transit", "tracking_company": "USPS",
        "tracking_numbers": ["1Z1234512345123456"],
        "tracking_urls": ["https://tools.usps.com/go/TrackConfirmAction_input?qtc_tLabels1=1Z1234512345123456"],
    }])
    redacted = _order_from_rest(dict(base, id=450789471, name="#1003", email=None, customer={"id": 207119553}))
    return [first, second, redacted]


# -- the API ----------------------------------------------------------------------


def _cursor(index: int) -> str:
    return base64.b64encode(json.dumps({"last": index}).encode()).decode()


def _paginate(items: list[Any], first: int | None, after: str | None, build: Callable[[Any], Any] = lambda x: x) -> dict[str, Any]:
    if first is None or not 0 < first <= 250:
        raise GraphQLError("`first` must be between 1 and 250 on this connection")
    start = json.loads(base64.b64decode(after))["last"] + 1 if after else 0
    page = items[start:start + first]
    return {
        "nodes": [build(item) for item in page],
        "edges": [{"cursor": _cursor(start + i), "node": build(item)} for i, item in enumerate(page)],
        "pageInfo": {"hasNextPage": start + first < len(items), "hasPreviousPage": start > 0,
                     "endCursor": _cursor(start + len(page) - 1) if page else None,
                     "startCursor": _cursor(start) if page else None},
    }


_UPDATED = re.compile(r"updated_at:\s*(>=|>)\s*'?([0-9T:\-Z+.]+)'?")


def _updated_filter(query: str | None) -> Callable[[Mapping[str, Any]], bool]:
    match = _UPDATED.search(query or "")
    if not match:
        return lambda item: True
    op, bound = match.group(1), datetime.fromisoformat(match.group(2).replace("Z", "+00:00"))

    def keep(item: Mapping[str, Any]) -> bool:
        updated = datetime.fromisoformat(item["updatedAt"].replace("Z", "+00:00"))
        return updated >= bound if op == ">=" else updated > bound
    return keep


@dataclass
class Store:
    products: list[dict[str, Any]] = field(default_factory=list)
    pages: list[dict[str, Any]] = field(default_factory=default_pages)
    policies: list[dict[str, Any]] = field(default_factory=default_policies)
    orders: list[dict[str, Any]] = field(default_factory=default_orders)
    primary_domain: str = STOREFRONT

    def root(self) -> dict[str, Any]:
        return {
            "products": self._products,
            "product": lambda info, id: next((self._product_node(p) for p in self.products if p["id"] == id), None),
            "pages": lambda info, first=None, after=None, query=None, **_: _paginate(
                [p for p in self.pages if _updated_filter(query)(p)], first, after),
            "shop": {"primaryDomain": {"url": self.primary_domain, "host": self.primary_domain.split("//")[-1]},
                     "shopPolicies": self.policies},
            "orders": self._orders,
        }

    def _products(self, info: Any, first: int | None = None, after: str | None = None,
                  query: str | None = None, **_: Any) -> dict[str, Any]:
        keep = _updated_filter(query)
        return _paginate([p for p in self.products if keep(p)], first, after, self._product_node)

    @staticmethod
    def _product_node(p: Mapping[str, Any]) -> dict[str, Any]:
        media = [{"__typename": "MediaImage", "preview": {"image": {"url": url}}} for url in p["_images"]]
        return {
            **p,
            "variants": lambda info, first=None, after=None, **_: _paginate(p["_variants"], first, after),
            "media": lambda info, first=None, after=None, **_: _paginate(media, first, after),
            "featuredMedia": media[0] if media else None,
            "options": lambda info, first=None: p["options"][:first] if first else p["options"],
        }

    def _orders(self, info: Any, first: int | None = None, query: str | None = None, **_: Any) -> dict[str, Any]:
        names = {n.lstrip("#") for n in re.findall(r"name:(#?[\w-]+)", query or "")}
        found = [o for o in self.orders if not names or o["name"].lstrip("#") in names]
        return _paginate(found, first, None, lambda o: {
            **o, "lineItems": lambda info, first=None, after=None, **_: _paginate(o["_lines"], first, after),
            "fulfillments": lambda info, first=None, **_: o["fulfillments"][:first] if first else o["fulfillments"],
        })


class AdminAPI:
    """Answers Admin GraphQL request bodies for one :class:`Store`, enforcing the cost bucket."""

    def __init__(self, store: Store, *, clock: Callable[[], float], maximum: float = 2000.0,
                 restore_rate: float = 100.0) -> None:
        self.store, self.clock = store, clock
        self.maximum, self.restore_rate, self.available = maximum, restore_rate, maximum
        self._at = clock()
        self.log: list[dict[str, Any]] = []  # {"query", "variables", "requested", "actual", "throttled"}

    def answer(self, body: Mapping[str, Any]) -> dict[str, Any]:
        query, variables = body.get("query") or "", body.get("variables") or {}
        try:
            document = _parsed(query)
        except GraphQLError as exc:
            return {"errors": [{"message": exc.message, "extensions": {"code": "PARSE_ERROR"}}]}
        errors = _validated(query)
        if errors:
            return {"errors": [{"message": e.message, "extensions": {"code": "VALIDATION_ERROR"}} for e in errors]}
        requested = query_cost(schema(), document, variables)
        self._refill()
        entry = {"query": query, "variables": dict(variables), "requested": requested, "actual": None, "throttled": False}
        self.log.append(entry)
        if requested > MAX_QUERY_COST:
            return {"errors": [{"message": f"Query cost is {requested}, which exceeds the single query max cost limit ({MAX_QUERY_COST}).",
                                "extensions": {"code": "MAX_COST_EXCEEDED", "cost": requested, "maxCost": MAX_QUERY_COST}}],
                    "extensions": self._cost(requested, None)}
        if requested > self.available:
            entry["throttled"] = True
            return {"errors": [{"message": "Throttled", "extensions": {
                        "code": "THROTTLED", "documentation": "https://shopify.dev/api/usage/rate-limits"}}],
                    "extensions": self._cost(requested, None)}
        result = execute(schema(), document, root_value=self.store.root(), variable_values=variables)
        actual = query_cost(schema(), document, variables, data=result.data or {})
        self.available -= actual
        entry["actual"] = actual
        payload: dict[str, Any] = {"data": result.data, "extensions": self._cost(requested, actual)}
        if result.errors:
            payload["errors"] = [e.formatted for e in result.errors]
        return payload

    def _refill(self) -> None:
        now = self.clock()
        self.available = min(self.maximum, self.available + (now - self._at) * self.restore_rate)
        self._at = now

    def _cost(self, requested: int, actual: int | None) -> dict[str, Any]:
        return {"cost": {"requestedQueryCost": requested, "actualQueryCost": actual, "throttleStatus": {
            "maximumAvailable": self.maximum, "currentlyAvailable": round(self.available, 2),
            "restoreRate": self.restore_rate}}}


@dataclass
class FakeClock:
    """Time for the connector and the fake together: sleeping moves it forward."""

    now: float = 1000.0
    sleeps: list[float] = field(default_factory=list)

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


class Crash(RuntimeError):
    """Raised by the fake to stand for a worker dying mid-read."""


class FakeAdmin:
    """:class:`AdminAPI` mounted on a ``responses`` mock, with injectable faults."""

    def __init__(self, rsps: Any, store: Store | None = None, *, clock: FakeClock | None = None,
                 maximum: float = 2000.0, restore_rate: float = 100.0) -> None:
        self.clock = clock or FakeClock()
        self.store = store or Store()
        self.api = AdminAPI(self.store, clock=self.clock, maximum=maximum, restore_rate=restore_rate)
        self.valid_tokens = {TOKEN}
        self.faults: list[tuple[int, dict[str, str]]] = []  # (status, headers) answered before the API
        self.crash_on_products_request: int | None = None
        self.requests: list[dict[str, Any]] = []
        rsps.add_callback("POST", URL, callback=self._callback, content_type="application/json")

    @property
    def log(self) -> list[dict[str, Any]]:
        return self.api.log

    def products_requests(self) -> list[dict[str, Any]]:
        return [e for e in self.api.log if "products(" in e["query"] and not e["throttled"]]

    def _callback(self, request: Any) -> tuple[int, dict[str, str], str]:
        body = json.loads(request.body)
        self.requests.append({"token": request.headers.get("X-Shopify-Access-Token"), "body": body})
        if request.headers.get("X-Shopify-Access-Token") not in self.valid_tokens:
            return 401, {}, json.dumps({"errors": "[API] Invalid API key or access token (unrecognized login or wrong password)"})
        if self.faults:
            status, headers = self.faults.pop(0)
            text = {429: {"errors": "Exceeded 2 calls per second for api client. Reduce request rates to resume uninterrupted service."}}.get(
                status, {"errors": "Internal Server Error"})
            return status, headers, json.dumps(text)
        if self.crash_on_products_request is not None and "products(" in body.get("query", ""):
            if len(self.products_requests()) + 1 == self.crash_on_products_request:
                self.crash_on_products_request = None
                raise Crash("the worker died while reading products")
        return 200, {"X-Shopify-API-Version": API_VERSION}, json.dumps(self.api.answer(body))


def connector_config(**extra: Any) -> dict[str, Any]:
    """A Shopify connector config pointing at this fake's shop."""
    return {"shop_domain": SHOP, "access_token": TOKEN, "storefront_url": STOREFRONT, **extra}
