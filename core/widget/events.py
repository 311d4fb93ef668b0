"""``POST /widget/v1/events``: what only the page sees (loads, opens, triggers
fired, add to cart from a card), sent by the widget with ``navigator.sendBeacon``.

The body is JSON (``text/plain`` is accepted too: a beacon's type, which needs
no CORS preflight), at most 4 KB; see docs/widget.md. Answered 204; bad input
400, an unknown site key 404, an origin the shop does not allow 403, too many
from one address 429 (the address's own token bucket).
"""

from __future__ import annotations

import json

import redis as redis_lib
from flask import Blueprint, Flask, Response, request
from pydantic import ValidationError
from sqlalchemy import select

from core import json_input
from core.analytics.record import MAX_BODY, WidgetEvents, store_widget_events
from core.chat.service import normalize_origin
from core.db import Shop
from core.security.client_address import address_key
from core.services import services

bp = Blueprint("widget_events", __name__, url_prefix="/widget/v1")


def _answer(status: int, code: str | None = None, message: str | None = None) -> Response:
    resp = Response(
        json.dumps({"error": {"code": code, "message": message}}) if code else None,
        status=status,
        content_type="application/json" if code else None,
    )
    resp.headers["Access-Control-Allow-Origin"] = "*"
    resp.headers["Access-Control-Allow-Methods"] = "POST, OPTIONS"
    resp.headers["Access-Control-Allow-Headers"] = "Content-Type"
    resp.headers["Access-Control-Max-Age"] = "600"
    resp.headers["Cache-Control"] = "no-store"
    return resp


@bp.route("/events", methods=["OPTIONS"])
def preflight() -> Response:
    return _answer(204)


def _problem(exc: ValidationError) -> str:
    error = exc.errors()[0]
    where = ".".join(str(part) for part in error["loc"]) or "body"
    return f"{where}: {error['msg'].removeprefix('Value error, ')}"


@bp.post("/events")
def receive() -> Response:
    if (request.content_length or 0) > MAX_BODY:
        return _answer(400, "too_large", f"a body may be at most {MAX_BODY} bytes")
    raw = request.stream.read(MAX_BODY + 1)
    if len(raw) > MAX_BODY:
        return _answer(400, "too_large", f"a body may be at most {MAX_BODY} bytes")
    try:
        body = WidgetEvents.model_validate(json_input.load_object(raw or b"{}"))
    except json_input.JSONInputError as exc:
        return _answer(400, "invalid_json", f"the body must be a JSON object: {exc.message}")
    except ValidationError as exc:
        return _answer(400, "bad_input", _problem(exc))
    svc = services()
    try:
        decision = svc.limits.take(
            f"events:{address_key(request.remote_addr or '')}",
            rate=svc.settings.ip_message_rate,
            burst=svc.settings.ip_message_burst,
        )
        if not decision.allowed:
            return _answer(429, "rate_limited", f"too many events; try again in {max(decision.retry_after, 0.1):.1f} s")
    except redis_lib.RedisError:
        pass  # the events are still taken; the limit holds again once Redis is back
    with svc.db.session() as session:
        shop = session.scalar(select(Shop).where(Shop.site_key == body.site_key, Shop.active.is_(True)))
        if shop is None:
            return _answer(404, "unknown_site_key", "no active shop has this site key")
        if shop.allowed_origins and normalize_origin(request.headers.get("Origin")) not in {
            normalize_origin(o) for o in shop.allowed_origins
        }:
            return _answer(403, "origin_not_allowed", "this page's origin may not send the shop's events")
        store_widget_events(session, shop.id, body)
    return _answer(204)


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
