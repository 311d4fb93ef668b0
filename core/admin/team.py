"""The team page (owners): who can sign in, invitations by one-time link, a
teammate's role (agent or owner), closing an account.

The signed-in user's role is read from the database on every request
(core/admin/setup.py), so a new role holds from the teammate's next click. An
owner cannot change their own role here, so a shop always keeps an owner."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from flask import Blueprint, abort, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from sqlalchemy import select

from core import audit
from core.accounts.links import WELCOME, AccountLinks
from core.accounts.users import close_user, create_user
from core.db import Shop, User
from core.db.models import USER_ROLES
from core.errors import StoreChatError
from core.jobs import enqueue_account_email
from core.notify import recipients
from core.security.credentials import Credentials
from core.services import services
from core.shop_settings import changes

bp = Blueprint("team", __name__, template_folder="templates")


def owner_required(view: Callable[..., Any]) -> Callable[..., Any]:
    @wraps(view)
    @login_required
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        if not current_user.is_owner:
            abort(403)
        return view(*args, **kwargs)

    return wrapper


def _page(status: int = 200, **extra: Any) -> tuple[str, int]:
    with services().db.session() as session:
        shop = session.get(Shop, current_user.shop_id)
        extra.setdefault("alerts", recipients.shown(services().settings, shop))
        members = session.scalars(
            select(User).where(User.shop_id == current_user.shop_id).order_by(User.role.desc(), User.email)
        ).all()
        return render_template(
            "admin/team.html", shop=shop, members=members, config={"smtp": bool(services().settings.smtp_url)}, **extra
        ), status


@bp.get("/")
@owner_required
def team() -> tuple[str, int]:
    return _page()


@bp.post("/invite")
@owner_required
def invite() -> tuple[str, int]:
    settings = services().settings
    try:
        user = create_user(
            services().db,
            current_user.shop_id,
            request.form.get("email", ""),
            role=request.form.get("role", "agent"),
            name=request.form.get("name", ""),
        )
    except StoreChatError as exc:
        return _page(400, error=exc.message)
    with services().db.session() as session:
        audit.record_request(session, "team.invite", {"changes": {user.email: [None, user.role]}})
    # The owner sees the link on their own page (the address they reached StoreChat at); an
    # email is built from STORECHAT_PUBLIC_URL only, never from a request's Host header.
    base = settings.public_url or request.host_url
    link = AccountLinks(settings.secret_key or "").url(base, user, WELCOME)
    emailed = bool(settings.smtp_url and settings.public_url)
    if emailed:
        enqueue_account_email(services().redis, user.id, "welcome", settings.public_url or "")
    return _page(201, invited=user.email, link=link, emailed=emailed)


@bp.post("/<int:user_id>/close")
@owner_required
def close(user_id: int) -> Any:
    if user_id == current_user.user_id:
        return _page(400, error="You cannot close your own account here.")
    try:
        close_user(services().db, current_user.shop_id, user_id)
    except StoreChatError as exc:
        return _page(404, error=exc.message)
    with services().db.session() as session:
        closed = session.get(User, user_id)
        audit.record_request(
            session, "team.close", {"changes": {closed.email if closed else str(user_id): ["active", "closed"]}}
        )
    return redirect(url_for("team.team"))


@bp.post("/<int:user_id>/role")
@owner_required
def role(user_id: int) -> Any:
    """Make an active teammate an agent or an owner (audited: ``team.role``)."""
    chosen = request.form.get("role", "")
    if chosen not in USER_ROLES:
        return _page(400, error=f"The role must be one of {', '.join(USER_ROLES)}.")
    if user_id == current_user.user_id:
        return _page(400, error="You cannot change your own role here (another owner can).")
    with services().db.session() as session:
        user = session.scalar(
            select(User).where(User.id == user_id, User.shop_id == current_user.shop_id, User.active).with_for_update()
        )
        if user is None:
            return _page(404, error="That account does not exist or is closed.")
        if user.role != chosen:
            audit.record_request(session, "team.role", {"changes": {user.email: [user.role, chosen]}})
            user.role = chosen
    return redirect(url_for("team.team"), code=303)


@bp.post("/notifications")
@owner_required
def notifications() -> Any:
    """Where the team's alerts go: chosen addresses (else every teammate) and a chat webhook."""
    settings = services().settings
    emails = [e for e in request.form.get("emails", "").replace(",", " ").split() if e]
    webhook = request.form.get("webhook_url", "").strip()
    keep = request.form.get("keep_webhook") == "1" and not webhook
    try:
        with services().db.session() as session:
            shop = session.get_one(Shop, current_user.shop_id, with_for_update=True)
            credentials = Credentials.from_settings(settings)
            before = credentials.open((shop.settings or {}).get(recipients.KEY) or {})
            current = recipients.read(session, settings, shop).webhook_url if keep else None
            stored = recipients.stored(settings, emails, webhook or current)
            shop.settings = {**(shop.settings or {}), recipients.KEY: stored}
            changed = changes({recipients.KEY: before}, {recipients.KEY: credentials.open(stored)})
            if changed:
                audit.record_request(session, "settings.notifications", {"changes": changed})
    except StoreChatError as exc:
        return _page(400, error=exc.message, alerts={"emails": " ".join(emails), "webhook": bool(webhook)})
    return redirect(url_for("team.team"))
