"""``/demo/``: the demo shop's storefront, embedding the widget through the merchant snippet."""
from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from core import demo, services, widget
from core.db import Database, Product, Shop, Variant
from core.demo.routes import html_to_text
from core.settings import Settings

XSS = "<img src=x onerror=alert(1)>"


@pytest.fixture
def app(settings: Settings, db: Database) -> Iterator[Flask]:
    app = Flask(__name__)
    services.init_app(app, settings)
    widget.init_app(app)
    demo.init_app(app)
    yield app
    app.extensions[services.EXTENSION].close()


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


def add_shop(db: Database, key: str, *, is_demo: bool, age_days: int = 0) -> None:
    with db.session() as session:
        shop = Shop(
            name=f"Shop {key}",
            platform="csv",
            platform_ref=key,
            site_key=key,
            currency="USD",
            connector_config={"demo": True} if is_demo else {"path": "/x.csv"},
            created_at=datetime.now(timezone.utc) - timedelta(days=age_days),
        )
        session.add(shop)
        session.flush()
        session.add_all([
            Product(
                shop_id=shop.id, external_id="1", handle="trail-shoe", title=f"Trail Shoe {key}",
                body_html="<p>Grippy <b>soles</b>.</p><script>alert('x')</script><p>Second line</p>",
                image_url="https://cdn.example.com/shoe.jpg", url="https://shop.example.com/products/trail-shoe",
                price_min=Decimal("80.00"), price_max=Decimal("95.00"), compare_at_max=Decimal("120.00"),
                available=True,
                variants=[
                    Variant(external_id="1a", position=0, title="Size 42", sku="TS-42",
                            price=Decimal("80.00"), available=True),
                    Variant(external_id="1b", position=1, title="Size 44", sku="TS-44",
                            price=Decimal("95.00"), available=False),
                ],
            ),
            Product(
                shop_id=shop.id, external_id="2", handle="evil", title=XSS,
                body_html=XSS + "<p>fine</p>", image_url="javascript:alert(1)", url="javascript:alert(2)",
                price_min=Decimal("10.00"), price_max=Decimal("10.00"), available=False,
                variants=[Variant(external_id="2a", title="Default Title", price=Decimal("10.00"), available=False)],
            ),
            Product(
                shop_id=shop.id, external_id="3", handle="hidden", title=f"Hidden {key}",
                published=False, price_min=Decimal("1.00"), price_max=Decimal("1.00"),
            ),
        ])


def snippet(origin: str, key: str) -> str:
    return f'<script async src="{origin}/widget/v1/loader.js" data-site-key="{key}"></script>'


def test_no_demo_shop_is_404_with_instructions(client: FlaskClient, db: Database) -> None:
    add_shop(db, "real", is_demo=False)
    resp = client.get("/demo/")
    assert resp.status_code == 404
    assert "storechat demo" in resp.text
    assert "loader.js" not in resp.text


def test_storefront_lists_products_and_embeds_snippet(client: FlaskClient, db: Database) -> None:
    add_shop(db, "sk_old_demo", is_demo=True, age_days=3)
    add_shop(db, "sk_new_demo", is_demo=True)
    add_shop(db, "sk_real", is_demo=False)
    resp = client.get("/demo/", base_url="http://shop.test:8123")
    assert resp.status_code == 200
    page = resp.text
    # The most recent demo shop, embedded exactly as the merchant snippet does.
    assert snippet("http://shop.test:8123", "sk_new_demo") in page
    assert page.count("/widget/v1/loader.js") == 1
    assert "Shop sk_new_demo" in page and "Trail Shoe sk_new_demo" in page
    assert "sk_old_demo" not in page and "Hidden" not in page
    assert "$80.00 \u2013 $95.00" in page and "<s>$120.00</s>" in page
    assert "Sold out" in page
    assert 'href="/demo/products/trail-shoe"' in page
    assert 'src="https://cdn.example.com/shoe.jpg"' in page
    assert "javascript:" not in page


def test_site_key_selects_another_shop_and_links_keep_it(client: FlaskClient, db: Database) -> None:
    add_shop(db, "sk_demo", is_demo=True)
    add_shop(db, "sk_real", is_demo=False)
    page = client.get("/demo/?site_key=sk_real").text
    assert snippet("http://localhost", "sk_real") in page
    assert "Trail Shoe sk_real" in page
    assert 'href="/demo/products/trail-shoe?site_key=sk_real"' in page
    assert client.get("/demo/?site_key=nope").status_code == 404


def deactivate(db: Database, key: str) -> None:
    with db.session() as session:
        session.scalars(select(Shop).where(Shop.site_key == key)).one().active = False


def test_an_inactive_shop_has_no_storefront(client: FlaskClient, db: Database) -> None:
    add_shop(db, "sk_old_demo", is_demo=True, age_days=3)
    add_shop(db, "sk_gone", is_demo=True)
    add_shop(db, "sk_real", is_demo=False)
    deactivate(db, "sk_gone")
    deactivate(db, "sk_real")
    # The newest demo shop is inactive: the storefront shows the active one before it.
    page = client.get("/demo/").text
    assert "Trail Shoe sk_old_demo" in page and "sk_gone" not in page
    for key in ("sk_gone", "sk_real"):
        for path in ("/demo/", "/demo/products/trail-shoe", "/demo/images/trail-shoe.svg"):
            resp = client.get(f"{path}?site_key={key}")
            assert resp.status_code == 404, (path, key)
            assert f"Trail Shoe {key}" not in resp.text
    deactivate(db, "sk_old_demo")
    assert client.get("/demo/").status_code == 404
    assert client.get("/demo/images/trail-shoe.svg").status_code == 404
    assert client.post("/demo/cart/add.js", json={"id": "1a", "quantity": 1}).status_code == 404


def test_product_images_are_drawn_from_the_product(client: FlaskClient, db: Database) -> None:
    add_shop(db, "sk_demo", is_demo=True)
    image = client.get("/demo/images/trail-shoe.svg")
    assert image.status_code == 200 and image.mimetype == "image/svg+xml"
    svg = image.text
    assert svg.startswith("<svg") and 'width="400" height="400"' in svg
    assert ">Trail Shoe sk_demo</text>" in svg
    # A name is text in the picture, never markup.
    evil = client.get("/demo/images/evil.svg").text
    assert "<img" not in evil and "&lt;img src=x onerror=alert(1)&gt;" in evil
    assert client.get("/demo/images/nope.svg").status_code == 404
    assert client.get("/demo/images/hidden.svg").status_code == 404  # unpublished


def test_public_url_setting_wins_over_request_host(settings: Settings, db: Database) -> None:
    add_shop(db, "sk_demo", is_demo=True)
    settings.public_url = "https://chat.example.org/"
    app = Flask(__name__)
    services.init_app(app, settings)
    widget.init_app(app)
    demo.init_app(app)
    page = app.test_client().get("/demo/").text
    assert snippet("https://chat.example.org", "sk_demo") in page
    app.extensions[services.EXTENSION].close()


def test_product_page(client: FlaskClient, db: Database) -> None:
    add_shop(db, "sk_demo", is_demo=True)
    resp = client.get("/demo/products/trail-shoe")
    assert resp.status_code == 200
    page = resp.text
    assert snippet("http://localhost", "sk_demo") in page
    assert "Trail Shoe sk_demo" in page
    assert "Size 42" in page and "TS-44" in page and "$95.00" in page
    assert "Grippy soles." in page and "Second line" in page
    assert "<b>" not in page and "alert('x')" not in page
    assert 'href="https://shop.example.com/products/trail-shoe"' in page


def test_unknown_or_unpublished_product_is_404(client: FlaskClient, db: Database) -> None:
    add_shop(db, "sk_demo", is_demo=True)
    for handle in ("nope", "hidden"):
        resp = client.get(f"/demo/products/{handle}")
        assert resp.status_code == 404
        assert "sk_demo" in resp.text  # the widget is still there


def test_text_from_the_database_is_escaped(client: FlaskClient, db: Database) -> None:
    add_shop(db, "sk_demo", is_demo=True)
    for url in ("/demo/", "/demo/products/evil"):
        page = client.get(url).text
        assert XSS not in page
        assert "&lt;img src=x onerror=alert(1)&gt;" in page
        assert "javascript:" not in page
    # The lone "Default Title" variant is not listed.
    assert "Default Title" not in client.get("/demo/products/evil").text


def test_site_key_in_snippet_is_escaped(client: FlaskClient, db: Database) -> None:
    with db.session() as session:
        session.add(Shop(name="Q", platform="csv", platform_ref="q", site_key='k"><b>x',
                         connector_config={"demo": True}))
    page = client.get("/demo/").text
    assert 'data-site-key="k&#34;&gt;&lt;b&gt;x"' in page


def test_html_to_text_keeps_paragraphs() -> None:
    assert html_to_text("<p>One &amp; <i>two</i></p><p>Three</p><style>p{}</style>") == "One & two\n\nThree"


# ---- ?lang= and the Shopify-like cart


def test_lang_sets_the_page_language_and_direction(client: FlaskClient, db: Database) -> None:
    add_shop(db, "sk_demo", is_demo=True)
    assert '<html lang="en">' in client.get("/demo/").text
    assert '<html lang="de">' in client.get("/demo/?lang=de").text
    assert '<html lang="ar" dir="rtl">' in client.get("/demo/products/trail-shoe?lang=ar").text
    assert '<html lang="en">' in client.get('/demo/?lang="><b>').text  # not a language tag


def _cart(client: FlaskClient) -> dict[str, Any]:
    resp = client.get("/demo/cart.js")
    assert resp.status_code == 200 and resp.headers["Cache-Control"] == "no-store"
    return resp.get_json()


def test_cart_add_answers_like_shopify(client: FlaskClient, db: Database) -> None:
    add_shop(db, "sk_demo", is_demo=True)
    assert _cart(client) == {"items": [], "item_count": 0, "total_price": 0, "currency": "USD", "attributes": {}}
    resp = client.post("/demo/cart/add.js", json={"items": [{"id": "1a", "quantity": 2}]})
    assert resp.status_code == 200
    (line,) = resp.get_json()["items"]
    assert line["id"] == line["variant_id"] == "1a"
    assert (line["product_title"], line["variant_title"], line["title"]) == (
        "Trail Shoe sk_demo", "Size 42", "Trail Shoe sk_demo - Size 42")
    assert (line["quantity"], line["price"], line["line_price"]) == (2, 8000, 16000)
    assert line["url"] == "/demo/products/trail-shoe" and line["image"] == "https://cdn.example.com/shoe.jpg"
    cookie = resp.headers["Set-Cookie"]
    assert "demo_cart=" in cookie and "Path=/demo" in cookie and "HttpOnly" in cookie

    # A form post with a lone id, as a theme's product form sends it.
    assert client.post("/demo/cart/add.js", data={"id": "1a", "quantity": "1"}).status_code == 200
    cart = _cart(client)
    assert [(i["id"], i["quantity"]) for i in cart["items"]] == [("1a", 3)]
    assert (cart["item_count"], cart["total_price"]) == (3, 24000)
    assert "Cart (<span id=\"cart-count\">3</span>)" in client.get("/demo/").text


@pytest.mark.parametrize("body, status, description", [
    ({"items": [{"id": "1b", "quantity": 1}]}, 422, "The product 'Trail Shoe sk_demo' is already sold out."),
    ({"items": [{"id": "nope", "quantity": 1}]}, 404, "Cannot find variant"),
    ({"items": [{"id": "2a"}]}, 422, None),  # sold out too (its title is HTML: only checked as text)
    ({"items": []}, 400, "Required parameter missing or invalid: items"),
    ({"items": [{"id": "1a", "quantity": 0}]}, 400, "Required parameter missing or invalid: items"),
    ({"items": [{"id": "1a", "quantity": "lots"}]}, 400, "Required parameter missing or invalid: items"),
    ({"items": [{"id": True}]}, 400, "Required parameter missing or invalid: items"),
    ({"nothing": 1}, 400, "Required parameter missing or invalid: items"),
])
def test_cart_add_refusals(client: FlaskClient, db: Database, body: dict[str, Any], status: int,
                           description: str | None) -> None:
    add_shop(db, "sk_demo", is_demo=True)
    resp = client.post("/demo/cart/add.js", json=body)
    assert resp.status_code == status
    data = resp.get_json()
    assert data["status"] == status and data["message"]
    if description:
        assert data["description"] == description
    assert "Set-Cookie" not in resp.headers
    assert _cart(client)["items"] == []


def test_cart_add_stops_at_the_stock(client: FlaskClient, db: Database) -> None:
    add_shop(db, "sk_demo", is_demo=True)
    with db.session() as session:
        variant = session.query(Variant).filter_by(external_id="1a").one()
        variant.inventory_tracked, variant.inventory_policy, variant.inventory_quantity = True, "deny", 2
    assert client.post("/demo/cart/add.js", json={"items": [{"id": "1a", "quantity": 2}]}).status_code == 200
    resp = client.post("/demo/cart/add.js", json={"items": [{"id": "1a", "quantity": 1}]})
    assert resp.status_code == 422
    assert resp.get_json()["description"] == "All 2 Trail Shoe sk_demo are in your cart."
    assert _cart(client)["item_count"] == 2


def test_cart_cookie_junk_is_an_empty_cart(client: FlaskClient, db: Database) -> None:
    add_shop(db, "sk_demo", is_demo=True)
    for junk in ("%%%", "bm90IGpzb24", "WzFd", "eyJ4IjogLTF9"):  # not base64, not JSON, a list, a bad quantity
        client.set_cookie("demo_cart", junk, path="/demo")
        assert _cart(client)["items"] == []


def test_cart_attributes_answer_like_shopify(client: FlaskClient) -> None:
    resp = client.post("/demo/cart/update.js", json={"attributes": {"storechat_conversation": "12"}})
    assert resp.status_code == 200 and resp.get_json()["attributes"] == {"storechat_conversation": "12"}
    client.post("/demo/cart/update.js", json={"attributes": {"gift": "yes"}})
    assert _cart(client)["attributes"] == {"storechat_conversation": "12", "gift": "yes"}
    for bad in ({"attributes": "x"}, {"attributes": {"k": ["list"]}}, {"attributes": {"k": "v" * 300}}, [1]):
        refused = client.post("/demo/cart/update.js", json=bad)
        assert refused.status_code == 400 and refused.get_json()["status"] == 400
    assert _cart(client)["attributes"] == {"storechat_conversation": "12", "gift": "yes"}
