"""The WordPress plugin's "Open StoreChat inbox" link: signed like the plugin
signs it (in Python, and by the plugin's own PHP when php is installed),
through the real route, database and Redis."""
from __future__ import annotations

import json
import secrets
import shutil
import subprocess
import time
from pathlib import Path
from urllib.parse import parse_qsl, urlsplit

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from core.accounts.users import close_user, create_user
from core.db import Database, Shop, User
from core.security import sign_in_link
from core.shops import create_shop

SECRET = "wp-identity-secret-0123456789"
OTHER_SECRET = "other-identity-secret-9876543210"
PLUGIN = Path(__file__).resolve().parents[2] / "theme_snippets" / "wordpress" / "storechat"



@pytest.fixture
def shop(db: Database) -> Shop:
    return create_shop(db, "Bramble Books", "wordpress", {"site_url": "https://bramble.example",
                                                          "identity_secret": SECRET})


@pytest.fixture
def other(db: Database) -> Shop:
    return create_shop(db, "Other Books", "wordpress", {"site_url": "https://other.example",
                                                        "identity_secret": OTHER_SECRET})


def link(site_key: str, email: str = "Admin@Bramble.example", name: str = "Brí O'Neil | Owner", *,
         secret: str = SECRET, expires_in: int = 60, nonce: str | None = None) -> dict[str, str]:
    return sign_in_link.sign(secret, site_key, email, name, nonce or secrets.token_hex(16),
                             int(time.time()) + expires_in)


def go(client: FlaskClient, query: dict[str, str]):  # type: ignore[no-untyped-def]
    return client.get("/admin/wordpress/sign-in", query_string=query)


def users(db: Database, shop_id: int) -> list[User]:
    with db.session() as session:
        return list(session.scalars(select(User).where(User.shop_id == shop_id)))


def test_a_signed_link_signs_the_administrator_in_as_the_shops_owner(
    app: Flask, db: Database, shop: Shop
) -> None:
    client = app.test_client()
    resp = go(client, link(shop.site_key))
    assert resp.status_code == 302 and resp.headers["Location"].endswith("/admin/inbox/")
    assert "storechat_session=" in resp.headers["Set-Cookie"]
    page = client.get("/admin/inbox/")
    assert page.status_code == 200 and "Bramble Books" in page.get_data(as_text=True)
    [user] = users(db, shop.id)
    assert (user.email, user.name, user.role) == ("admin@bramble.example", "Brí O'Neil | Owner", "owner")

    # Another link for the same address signs in the same account (its role kept).
    create_user(db, shop.id, "agent@bramble.example", role="agent")
    assert go(app.test_client(), link(shop.site_key)).status_code == 302
    assert go(app.test_client(), link(shop.site_key, "agent@bramble.example")).status_code == 302
    roles = {u.email: u.role for u in users(db, shop.id)}
    assert roles == {"admin@bramble.example": "owner", "agent@bramble.example": "agent"}


def refused(resp) -> None:  # type: ignore[no-untyped-def]
    assert resp.status_code in (400, 403), resp.status_code
    assert "Set-Cookie" not in resp.headers and "This link cannot be used" in resp.get_data(as_text=True)


def test_a_link_works_once(app: Flask, db: Database, shop: Shop) -> None:
    query = link(shop.site_key)
    assert go(app.test_client(), query).status_code == 302
    replay = go(app.test_client(), query)
    refused(replay)
    assert "already been used" in replay.get_data(as_text=True)


@pytest.mark.parametrize("expires_in", [-1, -3600, 121, 86400])
def test_an_expired_or_too_long_lived_link_is_refused(app: Flask, db: Database, shop: Shop, expires_in: int) -> None:
    refused(go(app.test_client(), link(shop.site_key, expires_in=expires_in)))
    assert users(db, shop.id) == []


def test_a_forged_or_altered_link_is_refused_and_uses_no_nonce(app: Flask, db: Database, shop: Shop) -> None:
    nonce = secrets.token_hex(16)
    refused(go(app.test_client(), link(shop.site_key, secret="a-guess-at-the-secret-0000", nonce=nonce)))
    genuine = link(shop.site_key, nonce=nonce)
    for field, value in (("email", sign_in_link.b64("boss@bramble.example")), ("name", sign_in_link.b64("Mallory")),
                         ("expires", str(int(genuine["expires"]) + 1)), ("nonce", "0" * 32)):
        refused(go(app.test_client(), {**genuine, field: value}))
    assert users(db, shop.id) == []
    assert go(app.test_client(), genuine).status_code == 302  # the forgeries used up nothing


def test_a_link_signed_for_another_shop_is_refused(app: Flask, db: Database, shop: Shop, other: Shop) -> None:
    # Signed with the other shop's secret but naming this shop, and the reverse.
    refused(go(app.test_client(), link(shop.site_key, secret=OTHER_SECRET)))
    refused(go(app.test_client(), link(other.site_key, secret=SECRET)))
    refused(go(app.test_client(), link("sk_nobody", secret=SECRET)))
    assert users(db, shop.id) == users(db, other.id) == []


@pytest.mark.parametrize("change", [
    {"signature": "x" * 64}, {"nonce": "short"}, {"expires": "soon"}, {"site_key": "sk bad"},
    {"email": "not base64!"}, {"email": ""}, {"signature": None}, {"email": sign_in_link.b64("not-an-address")},
])
def test_a_malformed_link_is_refused(app: Flask, db: Database, shop: Shop, change: dict) -> None:  # type: ignore[type-arg]
    query = link(shop.site_key)
    if change.get("email") == sign_in_link.b64("not-an-address"):  # well signed, not an address
        query = link(shop.site_key, "not-an-address")
    else:
        query = {k: v for k, v in {**query, **change}.items() if v is not None}
    refused(go(app.test_client(), query))
    assert users(db, shop.id) == []


def test_a_closed_account_or_an_inactive_shop_is_refused(app: Flask, db: Database, shop: Shop) -> None:
    user = create_user(db, shop.id, "admin@bramble.example", role="owner")
    close_user(db, shop.id, user.id)
    refused(go(app.test_client(), link(shop.site_key)))
    with db.session() as session:
        session.get(Shop, shop.id).active = False  # type: ignore[union-attr]
    refused(go(app.test_client(), link(shop.site_key, "new@bramble.example")))
    assert [u.email for u in users(db, shop.id)] == ["admin@bramble.example"]


def _php_link(server: str, site_key: str, email: str, name: str, nonce: str, expires: int) -> str:
    php = shutil.which("php")
    if php is None:
        pytest.skip("php is not installed")
    script = (f"define('ABSPATH', '/'); require {json.dumps(str(PLUGIN / 'includes' / 'class-storechat-admin-link.php'))};"
              "echo StoreChat_Admin_Link::url($argv[1], $argv[2], $argv[3], $argv[4], $argv[5], $argv[6], (int) $argv[7]);")
    result = subprocess.run([php, "-r", script, "--", server, SECRET, site_key, email, name, nonce, str(expires)],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_the_plugins_own_php_signs_links_the_server_accepts(app: Flask, db: Database, shop: Shop) -> None:
    nonce, expires = secrets.token_hex(16), int(time.time()) + 60
    name = "Zoë Ñandú & Co. | <b>"
    url = _php_link("https://chat.example.com", shop.site_key, "zoe@bramble.example", name, nonce, expires)
    parts = urlsplit(url)
    assert f"{parts.scheme}://{parts.netloc}{parts.path}" == "https://chat.example.com/admin/wordpress/sign-in"
    query = dict(parse_qsl(parts.query, keep_blank_values=True))
    assert query == sign_in_link.sign(SECRET, shop.site_key, "zoe@bramble.example", name, nonce, expires)
    assert go(app.test_client(), query).status_code == 302
    [user] = users(db, shop.id)
    assert (user.email, user.name) == ("zoe@bramble.example", name)
