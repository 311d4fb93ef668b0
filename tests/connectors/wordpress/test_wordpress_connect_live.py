"""One-click connect, content kept current, and disconnect from each side,
against the real WordPress 6.1 of conftest.py and a real StoreChat server.

Nothing is faked: the plugin runs inside WordPress; the merchant's browser is
a requests session that presses the plugin's buttons (with their nonces) and
StoreChat's (signed in, with its CSRF token); StoreChat hands the keys to the
plugin's real REST route; the plugin's notifications reach StoreChat's
webhook route, and a real RQ worker (a thread here) carries them out.
"""
from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from sqlalchemy import select

from core.accounts.users import create_user, set_password
from core.app import create_app
from core.db import Document, Shop, SyncRun
from core.security import site_connect
from core.shops import create_shop
from tests.connectors.wordpress.test_wordpress_live import form_nonce, loader_tags, login, settings_page
from tests.live import serve, wait_for
from tests.wordpress_site import REPO, WordPressSite, free_port

OWNER, PASSWORD = "owner@connect.example", "connect-pass-0123"
pytestmark = pytest.mark.usefixtures("outbound_development")


@pytest.fixture
def storechat(settings, db, redis) -> Iterator[tuple[str, Any, Shop]]:  # type: ignore[no-untyped-def]
    """A StoreChat server, an empty shop with its owner, and a worker process."""
    shop = create_shop(db, "Connect Live Shop", "csv", {"empty": True})
    set_password(db, create_user(db, shop.id, OWNER, role="owner").id, PASSWORD)
    app = create_app(settings)
    svc = app.extensions["storechat"]
    env = {**os.environ, "STORECHAT_INSTANCE_PATH": str(settings.instance_path),
           "STORECHAT_REDIS_URL": settings.redis_url, "STORECHAT_SECRET_KEY": settings.secret_key}
    if settings.database_url:
        env["STORECHAT_DATABASE_URL"] = settings.database_url
    # A real worker process on both queues, as `storechat serve` runs it.
    worker = subprocess.Popen([sys.executable, "-m", "core.cli", "worker", "--queue", "assistant",
                               "--queue", "default"], env=env, cwd=REPO)
    try:
        with serve(app) as url:
            yield url, svc, shop
    finally:
        worker.terminate()
        try:
            worker.wait(timeout=30)
        except subprocess.TimeoutExpired:  # never leave a worker to take the next test's jobs
            worker.kill()
            worker.wait()
        svc.close()


def install_from_zip(site: WordPressSite, admin: requests.Session, tmp_path: Path) -> None:
    """As a merchant installs it: the zip `make wp-plugin` builds, through Plugins → Upload Plugin."""
    api = f"{site.url}/wp-json/wp/v2/plugins/storechat/storechat"
    auth = (site.admin_user, site.app_password)
    assert requests.post(api, auth=auth, json={"status": "inactive"}, timeout=30).status_code == 200
    assert requests.delete(api, auth=auth, timeout=60).status_code == 200
    out = tmp_path / "storechat-wordpress.zip"
    subprocess.run(["make", "-s", "wp-plugin", f"WP_PLUGIN_ZIP={out}"], cwd=REPO, check=True, timeout=120)
    form = admin.get(f"{site.url}/wp-admin/plugin-install.php?tab=upload", timeout=30).text
    with out.open("rb") as archive:
        uploaded = admin.post(f"{site.url}/wp-admin/update.php?action=upload-plugin", timeout=60, data={
            "_wpnonce": form_nonce(form), "_wp_http_referer": "/wp-admin/plugin-install.php?tab=upload",
            "install-plugin-submit": "Install Now"}, files={"pluginzip": ("storechat-wordpress.zip", archive)})
    assert uploaded.status_code == 200 and "Plugin installed successfully" in uploaded.text
    activated = requests.post(api, auth=auth, json={"status": "active"}, timeout=30)
    assert activated.status_code == 200 and activated.json()["status"] == "active"


def storechat_browser(server: str) -> requests.Session:
    browser = requests.Session()
    page = browser.get(f"{server}/admin/sign-in", timeout=10).text
    resp = browser.post(f"{server}/admin/sign-in", allow_redirects=False, timeout=30, data={
        "email": OWNER, "password": PASSWORD, "csrf_token": form_nonce(page, "csrf_token")})
    assert resp.status_code == 302, resp.text[:300]
    return browser


def press(admin: requests.Session, site: WordPressSite, action: str, **fields: str) -> requests.Response:
    page = settings_page(admin, site)
    nonce = re.search(rf'name="action" value="{action}" />\s*<input type="hidden" id="_wpnonce" '
                      r'name="_wpnonce" value="([^"]+)"', page)
    assert nonce, f"no {action} form on the settings page"
    return admin.post(f"{site.url}/wp-admin/admin-post.php", allow_redirects=False, timeout=60,
                      data={"action": action, "_wpnonce": nonce.group(1), **fields})


def start_connect(admin: requests.Session, site: WordPressSite, server: str,
                  browser: requests.Session) -> tuple[str, str]:
    """Press Connect this site; follow to StoreChat's approve page. (approve page, its state)"""
    resp = press(admin, site, "storechat_connect_site", server_url=server)
    assert resp.status_code == 302 and resp.headers["Location"].startswith(f"{server}/admin/wordpress/connect?")
    query = {k: v[0] for k, v in parse_qs(urlsplit(resp.headers["Location"]).query).items()}
    assert query["site"] == site.url and query["return"].startswith(f"{site.url}/wp-admin/options-general.php")
    to_approve = browser.get(resp.headers["Location"], allow_redirects=False, timeout=30)
    assert to_approve.status_code == 302
    page = browser.get(server + to_approve.headers["Location"] if to_approve.headers["Location"].startswith("/")
                       else to_approve.headers["Location"], timeout=30)
    assert page.status_code == 200 and "Approve and connect" in page.text and site.url in page.text
    return page.text, form_nonce(page.text, "state")


def approve(browser: requests.Session, server: str, page: str, state: str) -> requests.Response:
    return browser.post(f"{server}/admin/wordpress/approve", allow_redirects=False, timeout=60,
                        data={"state": state, "csrf_token": form_nonce(page, "csrf_token")})


def plugin_keys(site: WordPressSite) -> tuple[str, str]:
    """The site key and identity secret the plugin holds (read from its option)."""
    out = site.sql("SELECT option_value FROM wp_options WHERE option_name='storechat_settings'")
    value = out[0][0] if out else ""
    key = re.search(r's:8:"site_key";s:\d+:"([^"]*)"', value)
    secret = re.search(r's:15:"identity_secret";s:\d+:"([^"]*)"', value)
    return (key.group(1) if key else ""), (secret.group(1) if secret else "")


def documents(db, shop_id: int) -> dict[str, Document]:  # type: ignore[no-untyped-def]
    with db.session() as session:
        return {d.title: d for d in session.scalars(select(Document).where(Document.shop_id == shop_id))}


def sync_runs(db, shop_id: int) -> list[tuple[str, str | None]]:  # type: ignore[no-untyped-def]
    with db.session() as session:
        return [(r.status, r.error) for r in session.scalars(select(SyncRun).where(SyncRun.shop_id == shop_id))]


def connection(db, shop_id: int) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    with db.session() as session:
        shop = session.get(Shop, shop_id)
        return dict((shop.settings or {}).get("connection") or {})


def test_connect_edit_trash_and_disconnect_from_each_side(
    wordpress: WordPressSite, db, storechat: tuple[str, Any, Shop], tmp_path: Path  # type: ignore[no-untyped-def]
) -> None:
    server, svc, shop = storechat
    admin = login(wordpress)
    install_from_zip(wordpress, admin, tmp_path)
    browser = storechat_browser(server)
    api, auth = f"{wordpress.url}/wp-json/wp/v2", (wordpress.admin_user, wordpress.app_password)

    # -- connect in one click: the plugin holds its keys, the loader is on, the pages import --
    page, state = start_connect(admin, wordpress, server, browser)
    back = approve(browser, server, page, state)
    assert back.status_code == 302, back.text[:500]
    assert back.headers["Location"].startswith(f"{wordpress.url}/wp-admin/options-general.php?page=storechat")
    assert "storechat_connect=connected" in back.headers["Location"]
    with db.session() as session:
        row = session.get(Shop, shop.id)
        assert (row.platform, row.platform_ref) == ("wordpress", wordpress.url)
    assert plugin_keys(wordpress)[0] == shop.site_key and len(plugin_keys(wordpress)[1]) >= 16
    assert "This site is connected to StoreChat" in admin.get(back.headers["Location"], timeout=30).text
    (tag,) = loader_tags(requests.get(wordpress.url + "/", timeout=30).text)
    assert f'data-site-key="{shop.site_key}"' in tag
    assert wait_for(lambda: {"About", "Contact", "Sample Page"} <= set(documents(db, shop.id)), timeout=30), \
        sync_runs(db, shop.id)

    # -- the same approval again (a replay), and a forged state: refused, nothing changes --
    replay = approve(browser, server, page, state)
    assert replay.status_code == 403 and "used already" in replay.text
    forged = site_connect.sign("not-the-servers-secret-key-0123456789", wordpress.url,
                               f"{wordpress.url}/wp-admin/", "a" * 32)
    refused = approve(browser, server, page, forged)
    assert refused.status_code == 403 and "forged or altered" in refused.text

    # -- a page published, then edited, is what the assistant reads within 5 s --
    assert "Tuesday" not in ask(server, shop.site_key, "Do you ship to Iceland?")
    created = requests.post(f"{api}/pages", auth=auth, timeout=30, json={
        "title": "Sea freight", "status": "publish", "content": "<p>Parcels leave by sea freight.</p>"})
    assert created.status_code == 201, created.text[:300]
    page_id = created.json()["id"]
    assert wait_for(lambda: "Sea freight" in documents(db, shop.id), timeout=5)
    edited = requests.post(f"{api}/pages/{page_id}", auth=auth, timeout=30, json={
        "content": "<p>We ship to Iceland: parcels leave every Tuesday by sea freight.</p>"})
    assert edited.status_code == 200, edited.text[:300]
    started = time.monotonic()
    assert wait_for(lambda: "Iceland" in documents(db, shop.id)["Sea freight"].body, timeout=5)
    log_figure("edit to searchable", time.monotonic() - started)
    answer = ask(server, shop.site_key, "Do you ship to Iceland?", client_id="q2")
    assert "every Tuesday by sea freight" in answer, answer
    log_figure("edit to answered", time.monotonic() - started)

    # -- trashed: gone --
    assert requests.delete(f"{api}/pages/{page_id}", auth=auth, timeout=30).status_code == 200
    assert wait_for(lambda: "Sea freight" not in documents(db, shop.id), timeout=5)
    assert "Tuesday" not in ask(server, shop.site_key, "Do you ship to Iceland?", client_id="q3")

    # -- disconnect from WordPress: keys gone, loader gone, StoreChat marks the shop --
    resp = press(admin, wordpress, "storechat_disconnect_site")
    assert resp.status_code == 302 and "storechat_connect=disconnected" in resp.headers["Location"]
    assert plugin_keys(wordpress) == ("", "")
    assert loader_tags(requests.get(wordpress.url + "/", timeout=30).text) == []
    assert wait_for(lambda: connection(db, shop.id).get("state") == "disconnected", timeout=5)
    assert connection(db, shop.id)["by"] == "site"
    assert "Contact" in documents(db, shop.id)  # kept

    # -- connect again, then disconnect from StoreChat's admin: the plugin forgets its keys --
    page, state = start_connect(admin, wordpress, server, browser)
    assert approve(browser, server, page, state).status_code == 302
    assert plugin_keys(wordpress)[0] == shop.site_key and connection(db, shop.id)["state"] == "connected"
    site_page = browser.get(f"{server}/admin/wordpress/site", timeout=30).text
    assert wordpress.url in site_page
    done = browser.post(f"{server}/admin/wordpress/site/disconnect", timeout=30,
                        data={"csrf_token": form_nonce(site_page, "csrf_token")})
    assert done.status_code == 200 and "The plugin removed its keys" in done.text
    assert plugin_keys(wordpress) == ("", "")
    assert connection(db, shop.id)["state"] == "disconnected"


def ask(server: str, site_key: str, text: str, client_id: str = "q1") -> str:
    """A shopper's question over the HTTP transport (docs/protocol.md); the assistant's reply."""
    api = f"{server}/api/v1/visitor"
    token = requests.post(f"{api}/hello", json={"site_key": site_key}, timeout=10).json()["token"]
    sent = requests.post(f"{api}/messages", timeout=10,
                         json={"site_key": site_key, "token": token, "client_id": client_id, "text": text})
    assert sent.status_code == 201, sent.text[:300]
    after, deadline = 0, time.monotonic() + 15
    while time.monotonic() < deadline:
        polled = requests.get(f"{api}/events", headers={"Authorization": f"Bearer {token}"}, timeout=30,
                              params={"site_key": site_key, "after_seq": after, "wait": 2}).json()
        for frame in polled.get("messages", []):
            if frame.get("author") == "assistant":
                return str(frame.get("text"))
        after = polled.get("last_seq") or after
    raise AssertionError(f"no reply to {text!r}")


def log_figure(name: str, seconds: float) -> None:
    print(f"{name}: {seconds:.2f} s")  # noqa: T201 - a figure, not an assertion


def test_a_notice_storechat_missed_is_sent_again_by_wp_cron(
    wordpress: WordPressSite, db, storechat: tuple[str, Any, Shop]  # type: ignore[no-untyped-def]
) -> None:
    """Inside the real WordPress (booted by PHP): a notice to a StoreChat that is down
    waits in the outbox with a WP-Cron event; the event's handler delivers it later."""
    from core.wordpress_sites import connect_site

    server, _, shop = storechat
    connected = connect_site(db, shop.id, wordpress.url, by="cli")
    (contact,) = requests.get(f"{wordpress.url}/wp-json/wp/v2/pages", params={"slug": "contact", "_fields": "id"},
                              timeout=30).json()
    script = wordpress.site_dir / "notify-retry.php"
    script.write_text("""<?php
[ , $docroot, $server, $down, $key, $secret, $page ] = $argv;
$_SERVER += [ 'HTTP_HOST' => '127.0.0.1', 'REQUEST_URI' => '/', 'REQUEST_METHOD' => 'GET' ];
require $docroot . '/wp-load.php';
$keys = array( 'site_key' => $key, 'identity_secret' => $secret );
StoreChat_Options::save( array( 'server_url' => $down ) + $keys );
$took = StoreChat_Notify::send_now( array( 'topic' => 'content/changed', 'kind' => 'page', 'id' => (int) $page ) );
$queued = count( get_option( 'storechat_outbox', array() ) );
$scheduled = (bool) wp_next_scheduled( 'storechat_retry_notifications' );
StoreChat_Notify::retry();  // still down: kept
$kept = count( get_option( 'storechat_outbox', array() ) );
StoreChat_Options::save( array( 'server_url' => $server ) + $keys );
do_action( 'storechat_retry_notifications' );  // what WP-Cron runs
$left = count( get_option( 'storechat_outbox', array() ) );
StoreChat_Connect::forget_keys();
echo json_encode( compact( 'took', 'queued', 'scheduled', 'kept', 'left' ) );
""")
    down = f"http://127.0.0.1:{free_port()}"
    result = subprocess.run(["php", str(script), str(wordpress.docroot), server, down, connected.site_key,
                             connected.identity_secret, str(contact["id"])],
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == {"took": False, "queued": 1, "scheduled": True, "kept": 1, "left": 0}
    assert wait_for(lambda: "Contact" in documents(db, shop.id), timeout=10)


def test_deleting_the_plugin_stops_the_shop_and_schedules_its_purge(
    wordpress: WordPressSite, db, storechat: tuple[str, Any, Shop], tmp_path: Path  # type: ignore[no-untyped-def]
) -> None:
    """Plugins -> Delete runs uninstall.php in the real WordPress: it tells StoreChat
    (site/uninstalled) before removing its options, and StoreChat stops serving the shop
    and schedules its purge."""
    from rq.registry import ScheduledJobRegistry

    from core import jobs

    server, svc, shop = storechat
    admin = login(wordpress)
    install_from_zip(wordpress, admin, tmp_path)
    browser = storechat_browser(server)
    page, state = start_connect(admin, wordpress, server, browser)
    assert approve(browser, server, page, state).status_code == 302
    assert plugin_keys(wordpress)[0] == shop.site_key
    plugin = f"{wordpress.url}/wp-json/wp/v2/plugins/storechat/storechat"
    auth = (wordpress.admin_user, wordpress.app_password)
    try:
        assert requests.post(plugin, auth=auth, json={"status": "inactive"}, timeout=30).status_code == 200
        deleted = requests.delete(plugin, auth=auth, timeout=60)
        assert deleted.status_code == 200 and deleted.json()["deleted"] is True, deleted.text[:300]

        def stopped() -> bool:
            with db.session() as session:
                return session.get(Shop, shop.id).active is False  # type: ignore[union-attr]

        def scheduled() -> list[tuple[str, int]]:
            registry = ScheduledJobRegistry(queue=jobs.queue(jobs.DEFAULT, svc.redis))
            found = [jobs.queue(jobs.DEFAULT, svc.redis).fetch_job(j) for j in registry.get_job_ids()]
            return [(j.func_name, j.args[0]) for j in found if j is not None]

        # The job stops the shop (a commit), then schedules the purge: both are waited for.
        assert wait_for(lambda: stopped() and scheduled(), timeout=15)
        assert scheduled() == [("core.jobs.purge_uninstalled_shop", shop.id)]
    finally:
        wordpress.up()  # reinstall and activate for whatever runs next
