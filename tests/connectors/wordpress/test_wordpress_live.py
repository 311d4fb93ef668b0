"""The plugin and the connector against a real WordPress 6.1 (see conftest.py).

Nothing here is faked: the plugin runs inside WordPress, settings are saved
through the real settings form (with its nonce), the loader is read from the
rendered front page, the connection status asks a real StoreChat server, and
the connector reads the REST API with a real application password into the
real sync pipeline.
"""
from __future__ import annotations

import html
import json
import re
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from sqlalchemy import select

from core.app import create_app
from core.catalog.search import search_documents
from core.catalog.sync import create_run, run_sync
from core.db import Document, User
from core.security.connect_state import verify_connect_state
from core.security.identity import verify_identity
from core.shops import create_shop
from tests.live import serve

from tests.wordpress_site import REPO, WordPressSite

SECRET = "wp-live-identity\\secret'0123456789"  # a backslash and a quote survive saving
LOADER = re.compile(r"<script\b[^>]*\bid=\"storechat-loader-js\"[^>]*></script>")
OPTION_NAMES = ("storechat_settings", "storechat_version")
#: The site runs at http://127.0.0.1: StoreChat calls it only under the development allowance.
pytestmark = pytest.mark.usefixtures("outbound_development")


# -- helpers ----------------------------------------------------------------------


def login(site: WordPressSite) -> requests.Session:
    session = requests.Session()
    session.cookies.set("wordpress_test_cookie", "WP Cookie check")
    resp = session.post(f"{site.url}/wp-login.php", allow_redirects=False, timeout=30, data={
        "log": site.admin_user, "pwd": site.admin_pass, "wp-submit": "Log In",
        "redirect_to": f"{site.url}/wp-admin/", "testcookie": "1"})
    assert resp.status_code == 302, resp.text[:500]
    return session


def settings_page(admin: requests.Session, site: WordPressSite, query: str = "") -> str:
    resp = admin.get(f"{site.url}/wp-admin/options-general.php?page=storechat{query}", timeout=30)
    assert resp.status_code == 200
    return resp.text


def form_nonce(page: str, name: str = "_wpnonce") -> str:
    match = re.search(rf'name="{name}" value="([^"]+)"', page)
    assert match, f"no {name} in the page"
    return match.group(1)


def save_settings(admin: requests.Session, site: WordPressSite, nonce: str | None = None,
                  **fields: str) -> requests.Response:
    """Submit the settings form as a browser would (options.php checks nonce and capability)."""
    nonce = nonce or form_nonce(settings_page(admin, site))
    data = {"option_page": "storechat", "action": "update", "_wpnonce": nonce,
            "_wp_http_referer": "/wp-admin/options-general.php?page=storechat"}
    data.update({f"storechat_settings[{key}]": value for key, value in fields.items()})
    return admin.post(f"{site.url}/wp-admin/options.php", data=data, allow_redirects=False, timeout=30)


def loader_tags(page: str) -> list[str]:
    return LOADER.findall(page)


def attribute(tag: str, name: str) -> str | None:
    match = re.search(rf'\s{name}="([^"]*)"', tag)
    return html.unescape(match.group(1)) if match else None


def storechat_options(site: WordPressSite) -> set[str]:
    rows = site.sql("SELECT option_name FROM wp_options WHERE option_name LIKE 'storechat%'")
    return {row[0] for row in rows}


@pytest.fixture
def admin(wordpress: WordPressSite) -> requests.Session:
    return login(wordpress)


@pytest.fixture
def storechat(settings, db, redis, wordpress: WordPressSite) -> Iterator[tuple[str, object]]:  # type: ignore[no-untyped-def]
    """A real StoreChat server with a shop for this WordPress site."""
    shop = create_shop(db, "WP Live Shop", "wordpress", {
        "site_url": wordpress.url, "username": wordpress.admin_user,
        "application_password": wordpress.app_password, "identity_secret": SECRET,
    }, storefront_url=wordpress.url)
    app = create_app(settings)
    with serve(app) as url:
        yield url, shop
    app.extensions["storechat"].close()


# -- the plugin ---------------------------------------------------------------------


def test_front_page_carries_the_async_loader_in_the_footer(
    wordpress: WordPressSite, admin: requests.Session, storechat: tuple[str, object]
) -> None:
    server, shop = storechat
    resp = save_settings(admin, wordpress, server_url=server + "/", site_key=shop.site_key,  # type: ignore[attr-defined]
                         identity_secret=SECRET)
    assert resp.status_code == 302 and "settings-updated=true" in resp.headers["Location"]

    # The settings page asked the real server: it knows the site key.
    page = settings_page(admin, wordpress)
    assert "storechat-status-connected" in page and "WP Live Shop" in page
    assert SECRET not in page  # the secret is never shown again

    visitor = requests.get(wordpress.url + "/", timeout=30).text
    (tag,) = loader_tags(visitor)
    assert re.search(r"<script async\b", tag)
    assert attribute(tag, "src") == f"{server}/widget/v1/loader.js"
    assert attribute(tag, "data-site-key") == shop.site_key  # type: ignore[attr-defined]
    assert attribute(tag, "data-locale") == "en-US"
    assert attribute(tag, "data-identity") is None  # a visitor is nobody in particular
    # In the footer: after the theme's footer, just before </body>.
    assert visitor.rindex("</footer>") < visitor.index(tag) < visitor.index("</body>")
    # The loader it points at is served by StoreChat.
    loader = requests.get(attribute(tag, "src"), timeout=10)
    assert loader.status_code == 200 and "javascript" in loader.headers["Content-Type"]

    # A logged-in shopper carries a signed identity core accepts.
    (tag,) = loader_tags(admin.get(wordpress.url + "/", timeout=30).text)
    identity = verify_identity(attribute(tag, "data-identity"), SECRET)
    assert identity.customer_id == "1" and 3000 < identity.expires - time.time() <= 3600


def test_settings_page_saves_and_escapes(wordpress: WordPressSite, admin: requests.Session) -> None:
    hostile = 'sk_x"><script>alert(1)</script>'
    assert save_settings(admin, wordpress, server_url="https://chat.example.test", site_key=hostile).status_code == 302
    page = settings_page(admin, wordpress)
    assert "<script>alert(1)" not in page and '"><' not in page.split('id="storechat_site_key"')[1][:80]
    value = re.search(r'id="storechat_site_key" name="storechat_settings\[site_key\]" value="([^"]*)"', page)
    assert value and value.group(1) == "sk_x&quot;&gt;"  # tags stripped on save, quotes escaped on output
    (tag,) = loader_tags(requests.get(wordpress.url + "/", timeout=30).text)
    assert attribute(tag, "data-site-key") == 'sk_x">' and "<script>alert" not in tag

    # A bad URL is refused with a message; the saved one stays.
    resp = save_settings(admin, wordpress, server_url="javascript:alert(1)", site_key="sk_ok")
    page = admin.get(wordpress.url + resp.headers["Location"], timeout=30).text  # where the errors show
    assert "must be a full http:// or https:// address" in page
    assert 'value="https://chat.example.test"' in page and 'value="sk_ok"' in page

    # Without a valid nonce, or without logging in, nothing is saved.
    forged = save_settings(admin, wordpress, nonce="0123456789", site_key="sk_forged")
    assert forged.status_code == 403 and "sk_forged" not in settings_page(admin, wordpress)
    anonymous = save_settings(requests.Session(), wordpress, nonce="0123456789", site_key="sk_anon")
    assert anonymous.status_code in (302, 403)
    assert "sk_anon" not in settings_page(admin, wordpress)


def test_connect_woocommerce_starts_the_key_authorization(
    wordpress: WordPressSite, admin: requests.Session
) -> None:
    # WooCommerce cannot be installed here; a must-use plugin stands in for its class
    # and currency function, so the plugin's WooCommerce branch runs inside WordPress.
    stub = wordpress.docroot / "wp-content" / "mu-plugins" / "storechat-test-woocommerce.php"
    stub.parent.mkdir(exist_ok=True)
    stub.write_text("<?php\nclass WooCommerce {}\nfunction get_woocommerce_currency() { return 'EUR'; }\n"
                    "function is_checkout() { return isset( $_GET['checkout'] ); }\n")
    try:
        save_settings(admin, wordpress, server_url="https://chat.example.test", site_key="sk_wc",
                      identity_secret=SECRET)
        (tag,) = loader_tags(requests.get(wordpress.url + "/", timeout=30).text)
        assert attribute(tag, "data-currency") == "EUR"

        page = settings_page(admin, wordpress)
        assert "Connect WooCommerce" in page
        nonce = re.search(r'name="action" value="storechat_connect_woocommerce" />\s*'
                          r'<input type="hidden" id="_wpnonce" name="_wpnonce" value="([^"]+)"', page)
        assert nonce
        refused = admin.post(f"{wordpress.url}/wp-admin/admin-post.php", allow_redirects=False, timeout=30,
                             data={"action": "storechat_connect_woocommerce", "_wpnonce": "bad"})
        assert refused.status_code == 403
        resp = admin.post(f"{wordpress.url}/wp-admin/admin-post.php", allow_redirects=False, timeout=30,
                          data={"action": "storechat_connect_woocommerce", "_wpnonce": nonce.group(1)})
        assert resp.status_code == 302
        target = urlsplit(resp.headers["Location"])
        assert f"{target.scheme}://{target.netloc}{target.path}" == f"{wordpress.url}/wc-auth/v1/authorize"
        query = {k: v[0] for k, v in parse_qs(target.query).items()}
        assert query["app_name"] == "StoreChat" and query["scope"] == "read_write"
        callback = urlsplit(query["callback_url"])
        assert f"{callback.scheme}://{callback.netloc}{callback.path}" == \
            "https://chat.example.test/connect/woocommerce/callback"
        callback_query = {k: v[0] for k, v in parse_qs(callback.query).items()}
        assert callback_query == {"site_key": "sk_wc", "store": wordpress.url}
        assert query["return_url"].startswith(f"{wordpress.url}/wp-admin/options-general.php?page=storechat")
        # The state is what core verifies: signed for this shop and store, live.
        verify_connect_state(query["user_id"], SECRET, site_key="sk_wc", store_url=callback_query["store"])

        # WooCommerce sends the merchant back; the pending state is used up once.
        back = f"&storechat_wc=return&success=1&user_id={query['user_id']}"
        assert "WooCommerce is connected" in settings_page(admin, wordpress, back)
        assert "WooCommerce is connected" not in settings_page(admin, wordpress, back)

        # Checkout attribution: the checkout page carries the copying script ...
        checkout = requests.get(wordpress.url + "/?checkout=1", timeout=30).text
        assert 'id="storechat-attribution"' in checkout and '"storechat:sk_wc"' in checkout
        assert 'id="storechat-attribution"' not in requests.get(wordpress.url + "/", timeout=30).text
        # ... and WooCommerce's order-creation hooks store the id the checkout sent.
        assert checkout_meta(wordpress, post="c_123") == {"_storechat_conversation": "c_123"}
        assert checkout_meta(wordpress, cookie="c_456") == {"_storechat_conversation": "c_456"}
        assert checkout_meta(wordpress, post='"><script>') == {}
        assert checkout_meta(wordpress) == {}
    finally:
        stub.unlink()


def test_open_inbox_signs_the_administrator_in_to_storechat(
    wordpress: WordPressSite, admin: requests.Session, storechat: tuple[str, object], db  # type: ignore[no-untyped-def]
) -> None:
    server, shop = storechat
    save_settings(admin, wordpress, server_url=server, site_key=shop.site_key,  # type: ignore[attr-defined]
                  identity_secret=SECRET)
    page = settings_page(admin, wordpress)
    assert "Open StoreChat inbox" in page
    nonce = re.search(r'name="action" value="storechat_open_inbox" />\s*'
                      r'<input type="hidden" id="_wpnonce" name="_wpnonce" value="([^"]+)"', page)
    assert nonce
    # Without the nonce, or without logging in to WordPress, no link is made.
    refused = admin.post(f"{wordpress.url}/wp-admin/admin-post.php", allow_redirects=False, timeout=30,
                         data={"action": "storechat_open_inbox", "_wpnonce": "bad"})
    assert refused.status_code == 403 and "sign-in" not in refused.headers.get("Location", "")
    anonymous = requests.post(f"{wordpress.url}/wp-admin/admin-post.php", allow_redirects=False, timeout=30,
                              data={"action": "storechat_open_inbox", "_wpnonce": nonce.group(1)})
    assert "/admin/wordpress/sign-in" not in anonymous.headers.get("Location", "")

    resp = admin.post(f"{wordpress.url}/wp-admin/admin-post.php", allow_redirects=False, timeout=30,
                      data={"action": "storechat_open_inbox", "_wpnonce": nonce.group(1)})
    assert resp.status_code == 302
    link = resp.headers["Location"]
    assert link.startswith(f"{server}/admin/wordpress/sign-in?")
    # The real server accepts the real plugin's link once, and the browser lands in the inbox.
    browser = requests.Session()
    signed_in = browser.get(link, allow_redirects=False, timeout=30)
    assert signed_in.status_code == 302 and signed_in.headers["Location"].endswith("/admin/inbox/")
    inbox = browser.get(f"{server}/admin/inbox/", allow_redirects=False, timeout=30)
    assert inbox.status_code == 200 and "WP Live Shop" in inbox.text
    assert requests.get(link, allow_redirects=False, timeout=30).status_code == 403
    with db.session() as session:
        [user] = session.scalars(select(User).where(User.shop_id == shop.id))  # type: ignore[attr-defined]
        assert (user.email, user.role, user.name) == ("admin@example.com", "owner", wordpress.admin_user)


def checkout_meta(site: WordPressSite, *, post: str | None = None, cookie: str | None = None) -> dict[str, str]:
    """Boot the real WordPress in PHP, fire both of WooCommerce's order-creation hooks
    with a stand-in order, and return the meta the plugin set."""
    script = site.site_dir / "checkout-meta.php"
    script.write_text("""<?php
$_SERVER += [ 'HTTP_HOST' => '127.0.0.1', 'REQUEST_URI' => '/', 'REQUEST_METHOD' => 'POST' ];
if ( '' !== $argv[2] ) { $_POST['storechat_conversation'] = $argv[2]; }
if ( '' !== $argv[3] ) { $_COOKIE['storechat_conversation'] = $argv[3]; }
require $argv[1] . '/wp-load.php';
class StoreChat_Test_Order { public $meta = array(); function update_meta_data( $k, $v ) { $this->meta[ $k ] = $v; } }
$classic = new StoreChat_Test_Order(); do_action( 'woocommerce_checkout_create_order', $classic, array() );
$blocks = new StoreChat_Test_Order(); do_action( 'woocommerce_store_api_checkout_update_order_from_request', $blocks, null );
if ( $classic->meta !== $blocks->meta ) { fwrite( STDERR, 'classic and block checkout differ' ); exit( 1 ); }
echo json_encode( (object) $classic->meta );
""")
    result = subprocess.run(["php", str(script), str(site.docroot), post or "", cookie or ""],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


# -- the connector ------------------------------------------------------------------


def test_connector_syncs_the_real_pages_and_posts(
    wordpress: WordPressSite, db, storechat: tuple[str, object]  # type: ignore[no-untyped-def]
) -> None:
    _, shop = storechat
    api = f"{wordpress.url}/wp-json/wp/v2"
    auth = (wordpress.admin_user, wordpress.app_password)
    # A FAQ page and a post in a category named FAQ, once per site.
    if not requests.get(f"{api}/pages", params={"slug": "faq"}, timeout=30).json():
        faq = requests.get(f"{api}/categories", params={"slug": "faq"}, timeout=30).json() or [
            requests.post(f"{api}/categories", auth=auth, json={"name": "FAQ", "slug": "faq"}, timeout=30).json()]
        for path, body in (
            ("pages", {"title": "FAQ", "content": "<h2>Do you ship abroad?</h2><p>Yes, to 40 countries.</p>"}),
            ("posts", {"title": "Can I pay by invoice?", "content": "<p>Yes, for businesses.</p>",
                       "categories": [faq[0]["id"]]}),
        ):
            created = requests.post(f"{api}/{path}", auth=auth, json={**body, "status": "publish"}, timeout=30)
            assert created.status_code == 201, created.text[:300]
    time.sleep(1.1)  # so earlier edits are in an earlier second than this sync (modified_gmt has whole seconds)
    run = run_sync(db, create_run(db, shop.id).id)  # type: ignore[attr-defined]
    assert run.status == "finished" and run.error is None
    with db.session() as session:
        docs = {d.title: d for d in session.scalars(select(Document).where(Document.shop_id == shop.id))}
        assert {"About", "Contact", "Sample Page", "Hello world!", "Hello-from-wp-up"} <= set(docs)
        assert docs["Contact"].url == f"{wordpress.url}/contact/" and docs["Contact"].kind == "page"
        assert docs["Hello-from-wp-up"].kind == "post"
        assert docs["FAQ"].kind == "faq" and docs["FAQ"].body == "## Do you ship abroad?\n\nYes, to 40 countries."
        assert docs["Can I pay by invoice?"].kind == "faq"
        assert "content seeded by wp-up" in docs["Contact"].body and "<p>" not in docs["Contact"].body
        hits = {docs_by_id.title for docs_by_id in _hits(session, shop.id, "seeded contact")}  # type: ignore[attr-defined]
        assert "Contact" in hits

    # Edit one page through the REST API; an incremental sync brings only that one.
    (about,) = requests.get(f"{api}/pages", params={"slug": "about", "_fields": "id"}, timeout=30).json()
    edited = requests.post(f"{api}/pages/{about['id']}", auth=auth, timeout=30, json={
        "content": "<p>About us. Our refund window is 45 days.</p>"})
    assert edited.status_code == 200, edited.text[:300]
    run = run_sync(db, create_run(db, shop.id, full=False).id)  # type: ignore[attr-defined]
    assert run.status == "finished" and run.documents_seen == 1
    with db.session() as session:
        assert [h.title for h in _hits(session, shop.id, "refund window")] == ["About"]  # type: ignore[attr-defined]


def _hits(session, shop_id: int, query: str) -> list[Document]:  # type: ignore[no-untyped-def]
    ids = [hit.id for hit in search_documents(session, shop_id, query)]
    docs = {d.id: d for d in session.scalars(select(Document).where(Document.id.in_(ids)))}
    return [docs[i] for i in ids]


def test_a_wrong_application_password_is_refused(wordpress: WordPressSite) -> None:
    from connectors.wordpress import WordPressConnector
    from core.connector import ConnectorError

    connector = WordPressConnector({"site_url": wordpress.url, "username": wordpress.admin_user,
                                    "application_password": "abcd EFGH 1234 ijkl MNOP 6789"})
    with pytest.raises(ConnectorError) as err:
        list(connector.iter_documents())
    assert err.value.code == "platform_auth_failed"


# -- uninstall (last: it removes the plugin, then puts it back) ----------------------


def test_uninstalling_removes_the_options_and_the_zip_installs(
    wordpress: WordPressSite, admin: requests.Session, tmp_path: Path
) -> None:
    save_settings(admin, wordpress, server_url="https://chat.example.test", site_key="sk_bye", identity_secret=SECRET)
    assert set(OPTION_NAMES) <= storechat_options(wordpress)
    api = f"{wordpress.url}/wp-json/wp/v2/plugins/storechat/storechat"
    auth = (wordpress.admin_user, wordpress.app_password)
    try:
        deactivated = requests.post(api, auth=auth, json={"status": "inactive"}, timeout=30)
        assert deactivated.status_code == 200 and deactivated.json()["status"] == "inactive"
        assert set(OPTION_NAMES) <= storechat_options(wordpress)  # deactivating keeps the settings
        deleted = requests.delete(api, auth=auth, timeout=60)
        assert deleted.status_code == 200, deleted.text[:300]
        assert deleted.json()["deleted"] is True
        assert storechat_options(wordpress) == set()
        assert not (wordpress.docroot / "wp-content" / "plugins" / "storechat").exists()

        # Back again from the zip `make wp-plugin` builds, through the Upload Plugin screen.
        out = tmp_path / "storechat-wordpress.zip"
        subprocess.run(["make", "-s", "wp-plugin", f"WP_PLUGIN_ZIP={out}"], cwd=REPO, check=True, timeout=120)
        form = admin.get(f"{wordpress.url}/wp-admin/plugin-install.php?tab=upload", timeout=30).text
        with out.open("rb") as archive:
            uploaded = admin.post(f"{wordpress.url}/wp-admin/update.php?action=upload-plugin", timeout=60, data={
                "_wpnonce": form_nonce(form), "_wp_http_referer": "/wp-admin/plugin-install.php?tab=upload",
                "install-plugin-submit": "Install Now"}, files={"pluginzip": ("storechat-wordpress.zip", archive)})
        assert uploaded.status_code == 200 and "Plugin installed successfully" in uploaded.text, uploaded.text[-1500:]
        activated = requests.post(api, auth=auth, json={"status": "active"}, timeout=30)
        assert activated.status_code == 200 and activated.json()["status"] == "active"
        assert "storechat_version" in storechat_options(wordpress)  # the activation hook ran
    finally:
        wordpress.up()  # reinstall and activate for whatever runs next
