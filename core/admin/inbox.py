"""The inbox: its page, and the JSON the page's script reads besides the agent socket."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, jsonify, render_template, request
from flask_login import current_user, login_required
from flask_wtf.csrf import generate_csrf

from core.accounts.tickets import SocketTickets
from core.admin.setup import SignedIn
from core.chat.frames import MAX_INT
from core.connector import EmbeddedPage
from core.db import Agent, CannedReply, Shop
from core.errors import BadInput, NotFound
from core.inbox import conversation, listing, orders
from core.services import services

bp = Blueprint("inbox", __name__, template_folder="templates", static_folder="static", static_url_path="/static")


def _ticket(me: Any) -> str:
    return SocketTickets(services().settings.secret_key or "").mint(me.user_id, me.session_version)


def _error(status: int, code: str, message: str) -> tuple[Response, int]:
    return jsonify({"error": {"code": code, "message": message}}), status


def render_inbox(me: SignedIn, embedded: EmbeddedPage | None = None) -> str:
    """The inbox page for ``me``; ``embedded``: shown inside a platform's admin,
    where its requests carry the platform's token instead of a session cookie."""
    view = request.args.get("view", "open")
    if view not in listing.VIEWS:
        view = "open"
    with services().db.session() as session:
        shop = session.get(Shop, me.shop_id)
        page = listing.list_conversations(session, me.shop_id, me.agent_id, view=view)
        counts = listing.counts(session, me.shop_id, me.agent_id)
        team = {a.id: a.name for a in session.query(Agent).filter(Agent.shop_id == me.shop_id)}
        canned = [
            {"shortcut": c.shortcut, "text": c.text}
            for c in session.query(CannedReply).filter(CannedReply.shop_id == me.shop_id).order_by(CannedReply.shortcut)
        ]
    return render_template(
        "admin/inbox.html",
        shop=shop,
        page=page,
        counts=counts,
        view=view,
        me=me,
        embedded=embedded,
        boot={
            "ticket": _ticket(me),
            "agent_id": me.agent_id,
            "team": team,
            "canned": canned,
            "view": view,
            "page": page,
            "counts": counts,
            "role": me.role,
            "embedded": embedded is not None,
            # embedded: no session, so no CSRF token (its requests carry a Bearer token)
            "csrf": "" if embedded is not None else generate_csrf(),
        },
    )


@bp.get("/")
@login_required
def inbox() -> str:
    return render_inbox(current_user)


@bp.get("/api/ticket")
@login_required
def ticket() -> Response:
    return jsonify({"ticket": _ticket(current_user)})


@bp.get("/api/conversations")
@login_required
def conversations() -> Response | tuple[Response, int]:
    try:
        with services().db.session() as session:
            page = listing.list_conversations(
                session,
                current_user.shop_id,
                current_user.agent_id,
                view=request.args.get("view", "open"),
                search=request.args.get("q", ""),
                after=request.args.get("after") or None,
            )
            page["counts"] = listing.counts(session, current_user.shop_id, current_user.agent_id)
    except BadInput as exc:
        return _error(400, exc.code, exc.message)
    return jsonify(page)


@bp.get("/api/counts")
@login_required
def counts() -> Response:
    """How many conversations each view holds (the tabs), without a page of them."""
    with services().db.session() as session:
        return jsonify(listing.counts(session, current_user.shop_id, current_user.agent_id))


@bp.get("/api/conversations/<int:conversation_id>")
@login_required
def one_conversation(conversation_id: int) -> Response | tuple[Response, int]:
    before: Any = request.args.get("before_seq")
    if before is not None and not (before.isascii() and before.isdigit() and 1 <= int(before) <= MAX_INT):
        return _error(400, "bad_input", f"before_seq must be a whole number from 1 to {MAX_INT}")
    try:
        with services().db.session() as session:
            found = conversation.detail(
                session,
                current_user.shop_id,
                conversation_id,
                current_user.agent_id,
                before_seq=int(before) if before else None,
            )
    except NotFound as exc:
        return _error(404, exc.code, exc.message)
    return jsonify(found)


@bp.get("/api/conversations/<int:conversation_id>/orders")
@login_required
def shopper_orders(conversation_id: int) -> Response | tuple[Response, int]:
    """The orders the shopper named, for their own address or verified account."""
    try:
        with services().db.session() as session:
            return jsonify(orders.shopper_orders(session, current_user.shop_id, conversation_id))
    except NotFound as exc:
        return _error(404, exc.code, exc.message)
