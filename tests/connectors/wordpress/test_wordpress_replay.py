"""The WordPress connector against recorded-shape REST answers (``responses``).

Payloads follow PLATFORMS.md D3 and what WordPress 6.1 really answered in
test_wordpress_live.py: ``title``/``content`` as ``{"rendered": ...}``,
``modified_gmt`` without an offset, ``X-WP-Total``/``X-WP-TotalPages``
headers, errors as ``{"code", "message", "data": {"status"}}``.
"""
from __future__ import annotations

import base64
import importlib.metadata
from datetime import datetime, timedelta, timezone
from email.utils import format_datetime
from typing import Any

import pytest
import responses
from responses import matchers

from connectors.wordpress import WordPressConnector, html_to_blocks
from core.connector import ConnectorError, RecordError
from core.testing import ConnectorContract

SITE = "https://site.example"
API = f"{SITE}/wp-json/wp/v2"
USER, APP_PASSWORD = "admin", "abcd EFGH 1234 ijkl MNOP 6789"
AUTH = "Basic " + base64.b64encode(f"{USER}:abcdEFGH1234ijklMNOP6789".encode()).decode()
PAGE_FIELDS = "id,link,slug,title,content,modified_gmt"
POST_FIELDS = "id,link,slug,title,content,modified_gmt,categories"


def item(kind: str, id_: int, title: str, html: str, modified: str = "2026-05-01T09:30:00", **extra: Any) -> dict:
    slug = title.lower().replace(" ", "-")
    return {"id": id_, "modified_gmt": modified, "slug": slug, "link": f"{SITE}/{slug}/",
            "title": {"rendered": title}, "content": {"rendered": html, "protected": False},
            **({"categories": [1]} if kind == "post" else {}), **extra}


PAGES = [
    item("page", 2, "Sample Page", "<p>Hello&#8217;s sample page.</p>\n"),
    item("page", 10, "Shipping &amp; Returns",
         "<h2>Shipping</h2>\n<p>We ship in 2 days.</p>\n<ul><li>EU: 5 EUR</li><li>World: 15 EUR</li></ul>"),
    item("page", 11, "FAQ", "<h3>Do you ship abroad?</h3><p>Yes, worldwide.</p>", "2026-06-01T00:00:00"),
    item("page", 12, "Members", "", content={"rendered": "", "protected": True}),
]
POSTS = [
    item("post", 1, "Hello world!", "<p>Welcome to WordPress.</p><script>alert(1)</script>"),
    item("post", 20, "How do returns work", "<p>Send it back within 30 days.</p>", "2026-07-01T12:00:00",
         categories=[7]),
]


def headers(total: int, pages: int) -> dict[str, str]:
    return {"X-WP-Total": str(total), "X-WP-TotalPages": str(pages)}


def add_collection(rsps: responses.RequestsMock, path: str, fields: str, pages: list[list[dict]],
                   extra: dict[str, str] | None = None) -> None:
    total = sum(len(p) for p in pages)
    for number, items in enumerate(pages, start=1):
        rsps.get(f"{API}/{path}", json=items, headers=headers(total, len(pages)), match=[
            matchers.query_param_matcher({"status": "publish", "orderby": "id", "order": "asc", "_fields": fields,
                                          "per_page": "100", "page": str(number), **(extra or {})}),
        ])


def add_site(rsps: responses.RequestsMock, *, pages: list[list[dict]] | None = None, auth: bool = True) -> None:
    if auth:
        rsps.get(f"{API}/users/me", json={"id": 1}, match=[matchers.header_matcher({"Authorization": AUTH})])
    rsps.get(f"{API}/categories", json=[{"id": 7, "slug": "faq"}], headers=headers(1, 1),
             match=[matchers.query_param_matcher({"slug": "faq,faqs", "_fields": "id,slug", "per_page": "100"})])
    add_collection(rsps, "pages", PAGE_FIELDS, pages or [PAGES])
    add_collection(rsps, "posts", POST_FIELDS, [POSTS])


def connector(**config: Any) -> WordPressConnector:
    sleeps: list[float] = []
    conn = WordPressConnector({"site_url": SITE + "/", "username": USER, "application_password": APP_PASSWORD,
                               **config}, sleep=sleeps.append)
    conn.sleeps = sleeps  # type: ignore[attr-defined]
    return conn


# -- the contract -------------------------------------------------------------


class TestWordPressContract(ConnectorContract):
    known_order_reference = None  # WordPress has no orders

    @pytest.fixture
    def connector(self):  # type: ignore[no-untyped-def]
        with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
            add_site(rsps)
            yield connector()

    def test_products_are_product_records(self, products) -> None:  # type: ignore[no-untyped-def]
        # Overrides the kit's "give the test shop some products": content-only by design.
        assert products == []


def test_entry_point_names_the_connector() -> None:
    (entry,) = [ep for ep in importlib.metadata.entry_points(group="storechat.connectors") if ep.name == "wordpress"]
    assert entry.load() is WordPressConnector


# -- documents ------------------------------------------------------------------


@responses.activate
def test_pages_and_posts_become_documents() -> None:
    add_site(responses.mock)
    docs = {d.external_id: d for d in connector().iter_documents()}
    assert set(docs) == {"page:2", "page:10", "page:11", "post:1", "post:20"}  # protected page 12 skipped
    assert docs["page:2"].title == "Sample Page" and docs["page:2"].kind == "page"
    assert docs["page:2"].body == "Hello’s sample page."
    assert docs["page:2"].url == f"{SITE}/sample-page/"
    assert docs["page:2"].updated_at == datetime(2026, 5, 1, 9, 30, tzinfo=timezone.utc)
    shipping = docs["page:10"]
    assert shipping.title == "Shipping & Returns" and shipping.kind == "policy"
    assert shipping.body == "## Shipping\n\nWe ship in 2 days.\n\n- EU: 5 EUR\n\n- World: 15 EUR"
    assert docs["page:11"].kind == "faq"
    assert docs["post:1"].kind == "post" and "alert" not in docs["post:1"].body
    assert docs["post:20"].kind == "faq"  # in the FAQ category


@responses.activate
def test_pagination_follows_total_pages() -> None:
    many = [item("page", 100 + n, f"Page {n}", f"<p>Text {n}</p>") for n in range(250)]
    add_site(responses.mock, pages=[many[:100], many[100:200], many[200:]])
    docs = [d for d in connector().iter_documents() if d.external_id.startswith("page:")]
    assert [d.external_id for d in docs] == [f"page:{100 + n}" for n in range(250)]
    page_calls = [c.request.url for c in responses.calls if "/pages" in c.request.url]
    assert len(page_calls) == 3 and "page=3" in page_calls[-1]


@responses.activate
def test_a_collection_that_shrinks_while_read_stops_the_read() -> None:
    # Items were removed between two requests: WordPress answers 400 for the missing page. The
    # items after the removed ones moved to the page already read: the read cannot be complete.
    add_site(responses.mock, pages=[PAGES])
    responses.mock.replace(responses.GET, f"{API}/pages", json=PAGES[:1], headers=headers(101, 2), match=[
        matchers.query_param_matcher({"status": "publish", "orderby": "id", "order": "asc", "_fields": PAGE_FIELDS,
                                      "per_page": "100", "page": "1"})])
    responses.get(f"{API}/pages", status=400, json={
        "code": "rest_post_invalid_page_number", "data": {"status": 400},
        "message": "The page number requested is larger than the number of pages available."})
    with pytest.raises(ConnectorError) as err:
        list(connector().iter_documents())
    assert err.value.code == "platform_changed_during_read"


@responses.activate
def test_incremental_asks_with_margin_and_keeps_only_newer() -> None:
    since = datetime(2026, 5, 15, tzinfo=timezone.utc)
    responses.get(f"{API}/users/me", json={"id": 1})
    responses.get(f"{API}/categories", json=[])
    for path, fields, items in (("pages", PAGE_FIELDS, PAGES), ("posts", POST_FIELDS, POSTS)):
        responses.get(f"{API}/{path}", json=items, headers=headers(len(items), 1), match=[
            matchers.query_param_matcher({"status": "publish", "orderby": "id", "order": "asc", "_fields": fields,
                                          "per_page": "100", "page": "1",
                                          "modified_after": "2026-05-14T10:00:00"})])
    # The server compares with local time, so it may send older items; modified_gmt decides.
    assert [d.external_id for d in connector().iter_documents(since)] == ["page:11", "post:20"]


@responses.activate
def test_incremental_includes_an_edit_in_the_same_second_as_the_last_sync() -> None:
    since = datetime(2026, 5, 1, 9, 30, 0, 700000, tzinfo=timezone.utc)  # modified_gmt has whole seconds
    responses.get(f"{API}/categories", json=[])
    responses.get(f"{API}/pages", json=PAGES[:1], headers=headers(1, 1))
    responses.get(f"{API}/posts", json=[], headers=headers(0, 0))
    assert [d.external_id for d in WordPressConnector({"site_url": SITE}).iter_documents(since)] == ["page:2"]


@responses.activate
def test_incremental_follows_the_sites_clock() -> None:
    # The site's clock is an hour behind ours: an edit made after our last sync carries
    # an earlier modified_gmt than that sync's start, and must still come.
    now = datetime.now(timezone.utc).replace(microsecond=0)
    since = now - timedelta(minutes=30)
    stamp = lambda t: t.strftime("%Y-%m-%dT%H:%M:%S")  # noqa: E731
    responses.get(f"{API}/categories", json=[], headers={"Date": format_datetime(now - timedelta(hours=1), usegmt=True)})
    responses.get(f"{API}/pages", headers=headers(2, 1), json=[
        item("page", 30, "Edited after", "<p>new</p>", stamp(now - timedelta(minutes=80))),
        item("page", 31, "Edited before", "<p>old</p>", stamp(now - timedelta(minutes=100))),
    ])
    responses.get(f"{API}/posts", json=[], headers=headers(0, 0))
    docs = list(WordPressConnector({"site_url": SITE}).iter_documents(since))
    assert [d.external_id for d in docs] == ["page:30"]
    (asked,) = [c.request.params["modified_after"] for c in responses.calls if "/pages" in c.request.url]
    expected = since - timedelta(hours=1) - timedelta(hours=14)  # the site's clock, less the timezone margin
    assert expected - timedelta(seconds=2) <= datetime.fromisoformat(asked).replace(tzinfo=timezone.utc) <= expected


# -- failures -------------------------------------------------------------------


@responses.activate
def test_5xx_and_429_are_retried_then_succeed() -> None:
    responses.get(f"{API}/users/me", status=503, body="<html>busy</html>")
    responses.get(f"{API}/users/me", status=429, headers={"Retry-After": "2"}, json={"code": "too_many"})
    add_site(responses.mock)
    conn = connector()
    assert len(list(conn.iter_documents())) == 5
    assert conn.sleeps == [0.5, 2.0]  # type: ignore[attr-defined]


@responses.activate
def test_retries_are_bounded() -> None:
    responses.get(f"{API}/users/me", status=502, body="Bad gateway")
    conn = connector()
    with pytest.raises(ConnectorError) as err:
        list(conn.iter_documents())
    assert err.value.code == "platform_error" and "HTTP 502" in err.value.message
    assert len(responses.calls) == 4 and len(conn.sleeps) == 3  # type: ignore[attr-defined]


@responses.activate
def test_a_wrong_application_password_is_a_clear_error() -> None:
    responses.get(f"{API}/users/me", status=401, json={
        "code": "incorrect_password", "message": "The provided password is an invalid application password.",
        "data": {"status": 401}})
    with pytest.raises(ConnectorError) as err:
        list(connector().iter_documents())
    assert err.value.code == "platform_auth_failed"
    assert "'admin'" in err.value.message and "incorrect_password" in err.value.message


@responses.activate
def test_401_on_a_collection_is_a_clear_error_too() -> None:
    responses.get(f"{API}/categories", json=[])
    responses.get(f"{API}/pages", status=401, json={"code": "rest_forbidden", "data": {"status": 401}})
    with pytest.raises(ConnectorError) as err:
        list(WordPressConnector({"site_url": SITE}).iter_documents())
    assert err.value.code == "platform_auth_failed" and "anonymous" in err.value.message


@responses.activate
def test_malformed_json_is_a_clear_error() -> None:
    responses.get(f"{API}/users/me", json={"id": 1})
    responses.get(f"{API}/categories", json=[])
    responses.get(f"{API}/pages", body="<!DOCTYPE html><p>maintenance</p>", headers=headers(1, 1))
    with pytest.raises(ConnectorError) as err:
        list(connector().iter_documents())
    assert err.value.code == "platform_bad_response" and "/wp-json/wp/v2/pages" in err.value.message


@responses.activate
def test_no_rest_api_is_a_clear_error() -> None:
    responses.get(f"{API}/categories", status=404, body="Not found")
    with pytest.raises(ConnectorError) as err:
        list(WordPressConnector({"site_url": SITE}).iter_documents())
    assert err.value.code == "platform_not_found"
    assert len(responses.calls) == 1  # a 404 is not retried


@responses.activate
def test_a_malformed_item_names_itself() -> None:
    responses.get(f"{API}/categories", json=[])
    responses.get(f"{API}/pages", json=[{"id": 5, "type": "page", "title": "flat string", "content": {}}],
                  headers=headers(1, 1))
    with pytest.raises(RecordError, match="page 5"):
        list(WordPressConnector({"site_url": SITE}).iter_documents())


@responses.activate
def test_unreachable_site_is_a_clear_error() -> None:
    import requests
    responses.get(f"{API}/categories", body=requests.ConnectionError("refused"))
    conn = WordPressConnector({"site_url": SITE}, sleep=lambda s: None)
    with pytest.raises(ConnectorError) as err:
        list(conn.iter_documents())
    assert err.value.code == "platform_unreachable"


def test_an_app_only_connector_reads_nothing() -> None:
    """``{}`` is core's app-only connector (a webhook for a site it has no shop for)."""
    conn = WordPressConnector({})
    assert not conn.verify_webhook({"X-StoreChat-Signature": "0" * 64}, b"{}")
    with pytest.raises(ConnectorError) as err:
        list(conn.iter_documents())
    assert err.value.code == "config_invalid"


@pytest.mark.parametrize("config", [
    {"site_url": "site.example"}, {"site_url": "ftp://site.example"}, {"site_url": SITE, "username": "a"},
    {"site_url": SITE, "application_password": "x"}, {"site_url": SITE, "username": 5, "application_password": "x"},
])
def test_invalid_config_is_refused(config: dict[str, Any]) -> None:
    with pytest.raises(ConnectorError) as err:
        WordPressConnector(config)
    assert err.value.code == "config_invalid"


def test_no_products_and_no_orders() -> None:
    conn = WordPressConnector({"site_url": SITE})
    assert list(conn.iter_products()) == []
    assert conn.find_order("#1", email="a@b.example") is None


def test_html_to_blocks() -> None:
    html = ("<h1>Title</h1><p>One <strong>bold</strong>&nbsp;word<br>next line</p>"
            "<style>p{}</style><table><tr><td>a</td><td>b</td></tr></table><p>  </p>")
    assert html_to_blocks(html) == "# Title\n\nOne bold word\n\nnext line\n\na b"


@responses.activate
def test_a_total_that_drops_between_pages_stops_the_read() -> None:
    many = [item("page", 100 + n, f"Page {n}", f"<p>Text {n}</p>") for n in range(250)]
    # One page was deleted after the first request: the second answers a smaller total.
    responses.get(f"{API}/pages", json=many[:100], headers=headers(250, 3), match=[page_params(1)])
    responses.get(f"{API}/pages", json=many[101:201], headers=headers(249, 3), match=[page_params(2)])
    add_site(responses.mock, pages=[many[:100]])  # the rest of the site; the pages above come first
    with pytest.raises(ConnectorError, match="changed while it was read"):
        list(connector().iter_documents())


def page_params(page: int) -> Any:
    return matchers.query_param_matcher({"status": "publish", "orderby": "id", "order": "asc", "_fields": PAGE_FIELDS,
                                         "per_page": "100", "page": str(page)})
