"""The team page (owners): who can sign in, invitations by one-time link,
closing an account."""
from __future__ import annotations

from functools import wraps
from typing import Any, Callable

from flask import Blueprint, abort, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from sqlalchemy import select

from core.accounts.links import WELCOME, AccountLinks
from core.accounts.users import close_user, create_user
from core.db import Shop, User
from core.errors import StoreChatError
from core.jobs import enqueue_account_email
from core.services import services

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
        members = session.scalars(select(User).where(User.shop_id == current_user.shop_id)
                                  .order_by(User.role.desc(), User.email)).all()
        return render_template("admin/team.html", shop=shop, members=members, **extra), status


@bp.get("/")
@owner_required
def team() -> tuple[str, int]:
    return _page()


@bp.post("/invite")
@owner_required
def invite() -> tuple[str, int]:
    settings = services().settings
    try:
        user = create_user(services().db, current_user.shop_id, request.form.get("email", ""),
                           role=request.form.get("role", "agent"), name=request.form.get("name", ""))
    except StoreChatError as exc:
        return _page(400, error=exc.message)
    base = settings.public_url or request.host_url
    link = f"{base.rstrip('/')}/admin/welcome/{AccountLinks(settings.secret_key or '').make(user, WELCOME)}"
    emailed = bool(settings.smtp_url)
    if emailed:
        enqueue_account_email(services().redis, user.id, "welcome", base)
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
    return redirect(url_for("team.team"))
