"""The WordPress plugin's "Connect this site", StoreChat's side, and the
owner's page for the connected site (``/admin/wordpress/...``).

1. ``GET /connect?site=<home url>&return=<settings page>&token=<plugin token>``:
   the plugin sends the merchant here. The site address must be one StoreChat
   may call (https, public; :func:`core.wordpress_sites.site_address`) and the
   return page on the same site; the three are signed into a state
   (:mod:`core.security.site_connect`) and the browser goes to the approve page.
2. ``GET /approve?state=…``: an owner sees what will be connected to which shop;
   someone signed out signs in (and comes back), or, where the operator allows
   it (``STORECHAT_SELF_SERVICE_SHOPS``), creates the shop and its owner here.
3. ``POST /approve`` (or ``POST /sign-up``): the state is checked again and its
   nonce used up (forged, stale or replayed: 403, nothing connected); the shop
   gets the site (:func:`core.wordpress_sites.connect_site`), StoreChat POSTs
   the site key and identity secret to the plugin's REST route with the
   plugin's token, queues the first import, and sends the browser back.

``GET /site`` shows owners the connection; ``POST /site/disconnect`` ends it
(the plugin is told, best effort).
"""

from __future__ import annotations

import logging
import re
from typing import Any
from urllib.parse import urlencode, urlsplit

from flask import Blueprint, abort, redirect, render_template, request, url_for
from flask_login import current_user
from werkzeug.wrappers import Response

from core import wordpress_sites
from core.accounts.passwords import check_policy
from core.accounts.users import Conflict, create_user, normalize_email, set_password
from core.admin.routes import start_session
from core.admin.team import owner_required
from core.db import Shop
from core.errors import BadInput, StoreChatError
from core.security import site_connect
from core.security.client_address import address_key
from core.services import services
from core.shops import create_shop

log = logging.getLogger(__name__)
bp = Blueprint("wordpress_connect", __name__, template_folder="templates")
TOKEN = re.compile(r"[A-Za-z0-9]{32,64}")
#: New shops one client address may create: 3 at once, then one every 10 minutes.
SIGN_UP_RATE, SIGN_UP_BURST = 1 / 600, 3


def _message(status: int, title: str, message: str) -> tuple[str, int]:
    return render_template("admin/message.html", title=title, message=message), status


def _sentence(text: str) -> str:
    return text[:1].upper() + text[1:] + ("" if text.endswith(".") else ".")


@bp.get("/connect")
def start() -> Response | tuple[str, int]:
    args = request.args
    try:
        site_url = wordpress_sites.site_address(args.get("site", ""))
    except BadInput as exc:
        return _message(400, "This site cannot be connected", _sentence(exc.message))
    return_url = args.get("return", "")
    if not _same_site(return_url, site_url):
        return _message(
            400, "This site cannot be connected", "The page to return to is not on the site being connected."
        )
    token = args.get("token", "")
    if not TOKEN.fullmatch(token):
        return _message(400, "This site cannot be connected", "The plugin's connect token is malformed.")
    state = site_connect.sign(services().settings.secret_key or "", site_url, return_url, token)
    return redirect(url_for("wordpress_connect.approve_page", state=state))


def _same_site(url: str, site_url: str) -> bool:
    try:
        ours, theirs = urlsplit(url), urlsplit(site_url)
    except ValueError:
        return False
    return (ours.scheme.lower(), ours.netloc.lower()) == (theirs.scheme, theirs.netloc) and bool(ours.path)


def _request() -> site_connect.SiteConnectRequest:
    return site_connect.read(services().settings.secret_key or "", request.values.get("state"))


@bp.get("/approve")
def approve_page() -> tuple[str, int]:
    try:
        wanted = _request()
    except site_connect.BadSiteConnect as exc:
        return _message(403, "This connect request cannot be used", _sentence(exc.message))
    state = request.args["state"]
    settings = services().settings
    if not current_user.is_authenticated:
        next_url = url_for("wordpress_connect.approve_page", state=state)
        return render_template(
            "admin/wordpress_connect.html",
            wanted=wanted,
            state=state,
            shop=None,
            sign_in_url=url_for("admin.sign_in", next=next_url),
            sign_up=settings.self_service_shops,
            error=None,
        ), 200
    if not current_user.is_owner:
        return _message(
            403,
            "Only the shop's owner can connect a site",
            "Ask the owner of your StoreChat shop to connect this site.",
        )
    with services().db.session() as session:
        shop = session.get(Shop, current_user.shop_id)
        return render_template(
            "admin/wordpress_connect.html",
            wanted=wanted,
            state=state,
            shop=shop,
            sign_in_url=None,
            sign_up=False,
            error=None,
        ), 200


@bp.post("/approve")
@owner_required
def approve() -> Response | tuple[str, int]:
    return _connect(current_user.shop_id)


@bp.post("/sign-up")
def sign_up() -> Response | tuple[str, int]:
    svc = services()
    if not svc.settings.self_service_shops:
        return _message(
            403,
            "New shops are not open here",
            "This StoreChat server does not create shops on request; ask its operator for an account.",
        )
    try:
        wanted = _request()
    except site_connect.BadSiteConnect as exc:
        return _message(403, "This connect request cannot be used", _sentence(exc.message))
    form = request.form
    name, email, password = form.get("shop_name", "").strip(), form.get("email", ""), form.get("password", "")

    def again(error: str, status: int = 400) -> tuple[str, int]:
        return render_template(
            "admin/wordpress_connect.html",
            wanted=wanted,
            state=form.get("state"),
            shop=None,
            sign_in_url=url_for(
                "admin.sign_in", next=url_for("wordpress_connect.approve_page", state=form.get("state"))
            ),
            sign_up=True,
            error=error,
            form=form,
        ), status

    if password != form.get("confirm", ""):
        return again("The two passwords are not the same.")
    decision = svc.limits.take(f"wp-sign-up:{address_key(request.remote_addr)}", rate=SIGN_UP_RATE, burst=SIGN_UP_BURST)
    if not decision.allowed:
        return again(f"Too many new shops from this address; try again in {max(decision.retry_after, 1):.0f} s.", 429)
    try:
        check_policy(password)
        email = normalize_email(email)
        shop_name = (name or urlsplit(wanted.site_url).netloc)[:200]
    except BadInput as exc:
        return again(_sentence(exc.message))
    # Used up before anything is created: a replayed sign-up creates nothing.
    if not site_connect.claim(svc.redis, wanted):
        return _message(
            403,
            "This connect request cannot be used",
            "It was used already; press Connect this site in WordPress again.",
        )
    try:
        shop = create_shop(svc.db, shop_name, "csv", {"empty": True})
        user = create_user(svc.db, shop.id, email, role="owner", name=form.get("name", ""))
        user = set_password(svc.db, user.id, password)
    except (BadInput, Conflict) as exc:
        return again(_sentence(exc.message))
    start_session(user)
    return _connect(shop.id, wanted)


def _connect(shop_id: int, claimed: site_connect.SiteConnectRequest | None = None) -> Response | tuple[str, int]:
    """Connect the request's site to the shop (its nonce used up here, unless ``claimed`` already)."""
    svc = services()
    wanted = claimed
    if wanted is None:
        try:
            wanted = _request()
        except site_connect.BadSiteConnect as exc:
            return _message(403, "This connect request cannot be used", _sentence(exc.message))
        if not site_connect.claim(svc.redis, wanted):
            return _message(
                403,
                "This connect request cannot be used",
                "It was used already; press Connect this site in WordPress again.",
            )
    try:
        connection = wordpress_sites.connect_site(svc.db, shop_id, wanted.site_url, by="plugin")
    except StoreChatError as exc:
        return _message(400, "This site cannot be connected", _sentence(exc.message))
    try:
        wordpress_sites.deliver_keys(connection, wanted.token)
    except wordpress_sites.SiteRefused as exc:
        wordpress_sites.disconnect_site(svc.db, shop_id, by="failed connect")
        return _message(502, "The site did not take its keys", _sentence(exc.message))
    wordpress_sites.queue_sync(svc.db, svc.redis, shop_id)
    log.info("shop %s: connected to %s", shop_id, connection.site_url)
    return redirect(_back(wanted.return_url, "connected"))


def _back(return_url: str, outcome: str) -> str:
    return f"{return_url}{'&' if '?' in return_url else '?'}{urlencode({'storechat_connect': outcome})}"


@bp.get("/site")
@owner_required
def site() -> tuple[str, int]:
    return _site_page()


def _site_page(status: int = 200, **extra: Any) -> tuple[str, int]:
    with services().db.session() as session:
        shop = session.get(Shop, current_user.shop_id)
        if shop is None:
            abort(404)
        connection = (shop.settings or {}).get("connection") or {}
        return render_template("admin/wordpress_site.html", shop=shop, connection=connection, **extra), status


@bp.post("/site/disconnect")
@owner_required
def disconnect() -> tuple[str, int]:
    done, told = wordpress_sites.disconnect_from_storechat(services().db, current_user.shop_id, by="admin")
    if not done:
        return _site_page(400, error="This shop is not connected to a WordPress site.")
    return _site_page(
        notice="Disconnected. "
        + (
            "The plugin removed its keys."
            if told
            else "The site could not be told: press Disconnect in the StoreChat plugin there too."
        )
    )
