"""``storechat shop create NAME`` without a CSV, ``storechat shop connect SHOP
wordpress`` and ``storechat shop disconnect SHOP``, in-process against the real
database and Redis (the plugin's REST route answered by ``responses``)."""
from __future__ import annotations

import json
import re

import pytest
import responses
from sqlalchemy import func, select

from core.db import Database, Event, Shop, SyncRun
from core.shop_connectors import open_config
from core.wordpress_sites import DISCONNECT_ROUTE, disconnect_signature
from tests.core.test_cli import Cli, cli, counts, csv_file  # noqa: F401 - fixtures

SITE = "https://wp.example"


def shop_row(db: Database, shop_id: int) -> Shop:
    with db.session() as session:
        shop = session.get(Shop, shop_id)
        assert shop is not None
        return shop


def create_empty(cli: Cli, name: str = "Content Shop") -> int:  # noqa: F811
    result = cli("shop", "create", name)
    assert result.exit_code == 0, result.output
    return int(re.search(r"^shop id: (\d+)$", result.stdout, re.M).group(1))  # type: ignore[union-attr]


def test_shop_create_without_a_csv_makes_an_empty_shop(cli: Cli, db: Database) -> None:  # noqa: F811
    result = cli("shop", "create", "Content Shop", "--currency", "eur")
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    shop_id = int(lines[-2].removeprefix("shop id: "))
    assert lines[0] == (f"created shop {shop_id} (empty: connect it with `storechat shop connect {shop_id} "
                        "wordpress --site-url URL` or the WordPress plugin)")
    assert re.fullmatch(r"site key: sk_\S+", lines[-1])
    shop = shop_row(db, shop_id)
    assert (shop.platform, shop.connector_config, shop.currency) == ("csv", {"empty": True}, "EUR")
    assert counts(db) == (1, 0, 0, 0)  # no products, no sync run
    # Syncing it is a no-op, not an error.
    synced = cli("sync", str(shop_id))
    assert synced.exit_code == 0 and synced.stdout.splitlines()[-1] == "sync finished: 0 products, 0 documents"


def test_shop_create_without_a_csv_still_checks_its_input(cli: Cli, db: Database) -> None:  # noqa: F811
    result = cli("shop", "create", "X", "--currency", "dollars")
    assert result.exit_code == 1 and "currency must be a 3-letter ISO code" in result.stderr
    assert counts(db) == (0, 0, 0, 0)


def test_connect_gives_the_shop_the_wordpress_connector(cli: Cli, db: Database) -> None:  # noqa: F811
    shop_id = create_empty(cli)
    result = cli("shop", "connect", str(shop_id), "wordpress", "--site-url", "HTTPS://WP.example/",
                 "--app-password", "editor:abcd EFGH 1234", "--no-sync")
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0] == f"shop {shop_id} is connected to {SITE} (wordpress)"
    secret = lines[2].removeprefix("identity secret: ")
    shop = shop_row(db, shop_id)
    assert lines[1] == f"site key: {shop.site_key}"
    assert (shop.platform, shop.platform_ref, shop.storefront_url) == ("wordpress", SITE, SITE)
    config = open_config(db.settings, shop)
    assert config == {"site_url": SITE, "identity_secret": secret, "username": "editor",
                      "application_password": "abcd EFGH 1234"}
    stored = json.dumps(shop.connector_config)
    assert secret not in stored and "abcd EFGH" not in stored  # sealed at rest
    assert shop.settings["connection"]["state"] == "connected" and shop.settings["connection"]["by"] == "cli"

    # Connecting again makes a new secret; the application password stays for the same site.
    again = cli("shop", "connect", shop.site_key, "wordpress", "--site-url", SITE, "--no-sync")
    assert again.exit_code == 0, again.output
    config = open_config(db.settings, shop_row(db, shop_id))
    assert config["identity_secret"] != secret and config["username"] == "editor"


@pytest.mark.parametrize(("args", "message"), [
    (["--site-url", "http://wp.example"], "StoreChat connects only to sites at an https:// address"),
    (["--site-url", "http://wp.example"], "STORECHAT_ALLOW_PLAIN_HTTP=1"),
    (["--site-url", "https://10.0.0.7"], "not a public address"),
    (["--site-url", "wp.example"], "absolute https:// URL"),
    (["--site-url", SITE, "--app-password", "just-a-password"], "--app-password must be USER:PASS"),
])
def test_connect_refuses_bad_input_and_changes_nothing(cli: Cli, db: Database, args: list[str],  # noqa: F811
                                                       message: str) -> None:
    shop_id = create_empty(cli)
    result = cli("shop", "connect", str(shop_id), "wordpress", *args, "--no-sync")
    assert result.exit_code == 1 and message in result.stderr, result.output
    assert shop_row(db, shop_id).platform == "csv"


def test_plain_http_is_allowed_for_development(cli: Cli, db: Database,  # noqa: F811
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("STORECHAT_ALLOW_PLAIN_HTTP", "1")
    cli.env["STORECHAT_ALLOW_PLAIN_HTTP"] = "1"
    shop_id = create_empty(cli)
    result = cli("shop", "connect", str(shop_id), "wordpress", "--site-url", "http://wp.example", "--no-sync")
    assert result.exit_code == 0, result.output
    assert shop_row(db, shop_id).platform_ref == "http://wp.example"


def test_a_shop_with_a_csv_catalog_or_another_sites_shop_is_refused(cli: Cli, db: Database,  # noqa: F811
                                                                   csv_file) -> None:  # noqa: F811
    made = cli("shop", "create", "Apparel", "--csv", str(csv_file))
    assert made.exit_code == 0, made.output
    refused = cli("shop", "connect", "Apparel", "wordpress", "--site-url", SITE, "--no-sync")
    assert refused.exit_code == 1 and "imports its catalog from a CSV file" in refused.stderr

    first, second = create_empty(cli, "First"), create_empty(cli, "Second")
    assert cli("shop", "connect", str(first), "wordpress", "--site-url", SITE, "--no-sync").exit_code == 0
    taken = cli("shop", "connect", str(second), "wordpress", "--site-url", SITE, "--no-sync")
    assert taken.exit_code == 1 and "is connected to another StoreChat shop" in taken.stderr
    # Once the first lets go of it, the second may have it.
    with responses.RequestsMock() as rsps:
        rsps.post(SITE + DISCONNECT_ROUTE, json={"status": "disconnected"})
        assert cli("shop", "disconnect", str(first)).exit_code == 0
    assert cli("shop", "connect", str(second), "wordpress", "--site-url", SITE, "--no-sync").exit_code == 0
    assert shop_row(db, first).platform_ref is None and shop_row(db, second).platform_ref == SITE


def test_disconnect_tells_the_plugin_and_keeps_the_shop(cli: Cli, db: Database) -> None:  # noqa: F811
    shop_id = create_empty(cli)
    connected = cli("shop", "connect", str(shop_id), "wordpress", "--site-url", SITE, "--app-password",
                    "editor:pw-123", "--no-sync")
    secret = connected.stdout.splitlines()[2].removeprefix("identity secret: ")
    site_key = shop_row(db, shop_id).site_key
    with responses.RequestsMock() as rsps:
        call = rsps.post(SITE + DISCONNECT_ROUTE, json={"status": "disconnected"})
        result = cli("shop", "disconnect", str(shop_id))
        assert result.exit_code == 0, result.output
        assert result.stdout.splitlines() == [f"shop {shop_id} is disconnected; its conversations are kept",
                                              "the plugin removed its keys"]
        request = call.calls[0].request
        body = request.body if isinstance(request.body, bytes) else request.body.encode()
        assert request.headers["X-StoreChat-Signature"] == disconnect_signature(secret, body)
        assert json.loads(body)["site_key"] == site_key
    shop = shop_row(db, shop_id)
    assert shop.active and shop.settings["connection"]["state"] == "disconnected"
    assert open_config(db.settings, shop) == {"site_url": SITE}  # secret and application password dropped
    with db.session() as session:
        assert session.scalar(select(func.count()).select_from(Event).where(
            Event.shop_id == shop_id, Event.kind == "site_disconnected")) == 1

    twice = cli("shop", "disconnect", str(shop_id))
    assert twice.exit_code == 1 and "is not connected to a WordPress site" in twice.stderr


def test_disconnect_says_when_the_site_could_not_be_told(cli: Cli, db: Database) -> None:  # noqa: F811
    shop_id = create_empty(cli)
    cli("shop", "connect", str(shop_id), "wordpress", "--site-url", SITE, "--no-sync")
    with responses.RequestsMock() as rsps:
        rsps.post(SITE + DISCONNECT_ROUTE, status=503)
        result = cli("shop", "disconnect", str(shop_id))
    assert result.exit_code == 0
    assert result.stdout.splitlines()[-1] == ("the site could not be told: press Disconnect in the StoreChat "
                                             "plugin there too")


def test_connect_imports_the_site_unless_told_not_to(cli: Cli, db: Database) -> None:  # noqa: F811
    shop_id = create_empty(cli)
    with responses.RequestsMock() as rsps:
        rsps.get(f"{SITE}/wp-json/wp/v2/categories", json=[])
        rsps.get(f"{SITE}/wp-json/wp/v2/pages", json=[{
            "id": 7, "link": f"{SITE}/shipping/", "slug": "shipping", "modified_gmt": "2026-05-01T09:30:00",
            "title": {"rendered": "Shipping"}, "content": {"rendered": "<p>We ship worldwide.</p>",
                                                           "protected": False}}],
            headers={"X-WP-Total": "1", "X-WP-TotalPages": "1"})
        rsps.get(f"{SITE}/wp-json/wp/v2/posts", json=[], headers={"X-WP-Total": "0", "X-WP-TotalPages": "1"})
        result = cli("shop", "connect", str(shop_id), "wordpress", "--site-url", SITE)
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines()[-1] == "sync finished: 0 products, 1 documents"
    with db.session() as session:
        assert session.scalar(select(func.count()).select_from(SyncRun).where(SyncRun.shop_id == shop_id)) == 1
