"""Canned replies (owners keep them; every agent types them as ``/shortcut``)."""

from __future__ import annotations

import re
from typing import Any

from flask import Blueprint, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from core import audit
from core.admin.team import owner_required
from core.db import CannedReply
from core.services import services

bp = Blueprint("canned", __name__, template_folder="templates")
SHORTCUT = re.compile(r"^[a-z0-9][a-z0-9_-]{0,39}$")
MAX_TEXT = 2000
MAX_REPLIES = 200


def _page(status: int = 200, **extra: Any) -> tuple[str, int]:
    with services().db.session() as session:
        replies = session.scalars(
            select(CannedReply).where(CannedReply.shop_id == current_user.shop_id).order_by(CannedReply.shortcut)
        ).all()
        return render_template("admin/canned.html", replies=replies, **extra), status


@bp.get("/")
@owner_required
def canned() -> tuple[str, int]:
    return _page()


@bp.post("/")
@owner_required
def add() -> Any:
    shortcut = request.form.get("shortcut", "").strip().lstrip("/").lower()
    text = request.form.get("text", "").strip()
    form = {"shortcut": shortcut, "text": text}
    if not SHORTCUT.match(shortcut):
        return _page(
            400,
            error="Shortcut: 1 to 40 letters, digits, '-' or '_', starting with a letter or digit.",
            form=form,
            field="shortcut",
        )
    if not text or len(text) > MAX_TEXT:
        return _page(400, error=f"Reply: 1 to {MAX_TEXT} characters.", form=form, field="text")
    try:
        with services().db.session() as session:
            count = len(
                session.scalars(select(CannedReply.id).where(CannedReply.shop_id == current_user.shop_id)).all()
            )
            if count >= MAX_REPLIES:
                return _page(400, error=f"A shop keeps at most {MAX_REPLIES} canned replies.", form=form)
            session.add(CannedReply(shop_id=current_user.shop_id, shortcut=shortcut, text=text))
            session.flush()
            audit.record_request(session, "canned.add", {"changes": {f"/{shortcut}": [None, text]}})
    except IntegrityError:
        return _page(400, error=f"/{shortcut} exists already.", form=form, field="shortcut")
    return redirect(url_for("canned.canned"))


@bp.post("/<int:reply_id>/delete")
@owner_required
def delete(reply_id: int) -> Any:
    with services().db.session() as session:
        reply = session.get(CannedReply, reply_id)
        if reply is None or reply.shop_id != current_user.shop_id:
            return _page(404, error="That canned reply does not exist.")
        audit.record_request(session, "canned.delete", {"changes": {f"/{reply.shortcut}": [reply.text, None]}})
        session.delete(reply)
    return redirect(url_for("canned.canned"))
