"""``GET /admin/wordpress/sign-in``: the WordPress plugin's "Open StoreChat
inbox" button signs a WordPress administrator in without a password.

The link (format: :mod:`core.security.sign_in_link`) is signed with the
identity secret of the shop its site key names. Refused, without signing
anyone in: a malformed link (400), an unknown site key or inactive shop, a
forged or expired link, one used before (each nonce once, ``SET NX`` in
Redis), or a closed account (403). Otherwise the address's account in that
shop is signed in (created, as an owner, when the address is new to the
shop) and the browser goes to the inbox.
"""

from __future__ import annotations

import logging

from flask import Blueprint, redirect, render_template, request, url_for
from sqlalchemy import select
from werkzeug.wrappers import Response

from core import shop_connectors
from core.accounts.users import Conflict, active_user, create_user, normalize_email
from core.admin.routes import start_session
from core.db import Shop, User
from core.db.models import utcnow
from core.errors import BadInput
from core.security import identity, sign_in_link
from core.services import services

log = logging.getLogger(__name__)
bp = Blueprint("wordpress_sign_in", __name__, template_folder="templates")
NONCE_PREFIX = "storechat:wp-sign-in"
#: Longer than any accepted link lives (its lifetime plus clock skew).
NONCE_TTL = sign_in_link.MAX_TTL + 300


def _refused(status: int, message: str) -> tuple[str, int]:
    return render_template("admin/message.html", title="This link cannot be used", message=message), status


@bp.get("/sign-in")
def sign_in() -> Response | tuple[str, int]:
    try:
        fields = sign_in_link.parse(request.args)
    except sign_in_link.BadSignInLink as exc:
        return _refused(400, exc.message[:1].upper() + exc.message[1:] + ".")
    svc = services()
    with svc.db.session() as session:
        shop = session.scalar(select(Shop).where(Shop.site_key == fields["site_key"], Shop.active))
        secret = (
            None
            if shop is None
            else identity.shop_identity_secret(shop_connectors.open_config(svc.settings, shop), shop.settings)
        )
        shop_id = None if shop is None else shop.id
    try:
        if shop_id is None:
            raise sign_in_link.BadSignInLink("the sign-in link is not signed for this shop")
        link = sign_in_link.verify(fields, secret)
        email = normalize_email(link.email)
    except (sign_in_link.BadSignInLink, BadInput) as exc:
        log.info("WordPress sign-in link for site key %s refused: %s", fields["site_key"], exc)
        return _refused(403, exc.message[:1].upper() + exc.message[1:] + ".")
    if not svc.redis.set(f"{NONCE_PREFIX}:{shop_id}:{link.nonce}", "1", nx=True, ex=NONCE_TTL):
        return _refused(403, "This sign-in link has already been used; press the button in WordPress again.")
    user = _user(shop_id, email, link.name.strip()[:120])
    if user is None:
        return _refused(403, "Your StoreChat account is closed; ask the shop's owner.")
    start_session(user)
    return redirect(url_for("inbox.inbox"))


def _user(shop_id: int, email: str, name: str) -> User | None:
    """The shop's active account for ``email`` (created as an owner if there is none)."""
    db = services().db
    with db.session() as session:
        user_id = session.scalar(select(User.id).where(User.shop_id == shop_id, User.email == email))
    if user_id is None:
        try:
            user_id = create_user(db, shop_id, email, role="owner", name=name).id
        except Conflict:  # created meanwhile
            with db.session() as session:
                user_id = session.scalar(select(User.id).where(User.shop_id == shop_id, User.email == email))
    with db.session() as session:
        user = active_user(session, user_id) if user_id is not None else None
        if user is not None:
            user.last_sign_in_at = utcnow()
        return user
