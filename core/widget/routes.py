"""``/widget/v1/*``: the loader, the chat UI script, and the shop's public config.

The scripts are read, hashed and gzipped once per process and served from
memory. The loader is cached briefly (merchants' pages reference it by a fixed
URL); chat.js is cached for a year when asked for by its content hash, which
the loader learns from the config.
"""
from __future__ import annotations

import gzip
import hashlib
import json
import re
from dataclasses import dataclass
from functools import cached_property
from importlib.resources import files
from typing import Any

from flask import Blueprint, Flask, Response, current_app, request
from sqlalchemy import select

from core.db import Shop
from core.services import services

bp = Blueprint("widget", __name__, url_prefix="/widget/v1")

EXTENSION = "storechat.widget"
WS_PATH = "/ws/visitor"
SCRIPTS = ("loader.js", "chat.js")
JS_TYPE = "text/javascript; charset=utf-8"
LOADER_CACHE = "public, max-age=300"
IMMUTABLE_CACHE = "public, max-age=31536000, immutable"
CONFIG_CACHE = "public, max-age=60"
MAX_SITE_KEY = 64

DEFAULT_GREETING = "Hi! Ask me anything about our products."
DEFAULT_COLOR = "#1f6feb"
DEFAULT_POSITION = "right"
_COLOR = re.compile(r"#(?:[0-9a-fA-F]{3}|[0-9a-fA-F]{4}|[0-9a-fA-F]{6}|[0-9a-fA-F]{8})")


@dataclass(frozen=True)
class Asset:
    body: bytes
    gzipped: bytes
    #: Short content hash: the ``?v=`` of chat.js and the (weak) ETag.
    version: str

    @classmethod
    def load(cls, name: str) -> Asset:
        body = (files("core.widget") / "static" / name).read_bytes()
        # mtime=0 keeps the gzip bytes (and so their size) deterministic.
        return cls(body, gzip.compress(body, 9, mtime=0), hashlib.sha256(body).hexdigest()[:16])


class Assets:
    """The widget scripts, loaded on first use and kept for the process's life."""

    @cached_property
    def scripts(self) -> dict[str, Asset]:
        return {name: Asset.load(name) for name in SCRIPTS}

    def __getitem__(self, name: str) -> Asset:
        return self.scripts[name]


def _assets() -> Assets:
    return current_app.extensions[EXTENSION]


def _not_modified(etag: str) -> bool:
    return request.if_none_match.contains_weak(etag)


def _serve(asset: Asset, cache_control: str) -> Response:
    # Weak: the gzip and identity bodies are the same script, so they share one tag.
    headers = {"Cache-Control": cache_control, "Vary": "Accept-Encoding", "X-Content-Type-Options": "nosniff"}
    if _not_modified(asset.version):
        resp = Response(status=304, headers=headers)
        resp.set_etag(asset.version, weak=True)
        return resp
    if request.accept_encodings.quality("gzip") > 0:
        resp = Response(asset.gzipped, content_type=JS_TYPE, headers=headers)
        resp.headers["Content-Encoding"] = "gzip"
    else:
        resp = Response(asset.body, content_type=JS_TYPE, headers=headers)
    resp.set_etag(asset.version, weak=True)
    return resp


@bp.get("/loader.js")
def loader_js() -> Response:
    return _serve(_assets()["loader.js"], LOADER_CACHE)


@bp.get("/chat.js")
def chat_js() -> Response:
    asset = _assets()["chat.js"]
    # Only the current hash is immutable; a stale ?v= gets today's script, briefly cached.
    cache = IMMUTABLE_CACHE if request.args.get("v") == asset.version else LOADER_CACHE
    return _serve(asset, cache)


def _error(status: int, code: str, message: str) -> Response:
    resp = Response(
        json.dumps({"error": {"code": code, "message": message}}),
        status=status,
        content_type="application/json",
    )
    resp.headers["Access-Control-Allow-Origin"] = "*"
    resp.headers["Cache-Control"] = "no-store"
    return resp


def widget_config(shop: Shop, chat_version: str) -> dict[str, Any]:
    """The public part of a shop's settings the widget needs; nothing secret."""
    prefs = shop.settings or {}
    greeting = prefs.get("greeting")
    color = prefs.get("color")
    title = prefs.get("title")
    return {
        "site_key": shop.site_key,
        "name": shop.name,
        "title": title if isinstance(title, str) and title.strip() else shop.name,
        "greeting": greeting if isinstance(greeting, str) and greeting.strip() else DEFAULT_GREETING,
        # Checked here so the widget can put it in CSS without a second look.
        "color": color if isinstance(color, str) and _COLOR.fullmatch(color) else DEFAULT_COLOR,
        "position": "left" if prefs.get("position") == "left" else DEFAULT_POSITION,
        "locale": shop.locale or "en",
        "currency": shop.currency or "USD",
        "ws_path": WS_PATH,
        "chat_js": f"{bp.url_prefix}/chat.js?v={chat_version}",
    }


@bp.get("/config")
def config() -> Response:
    site_key = request.args.get("site_key", "")
    if not site_key or len(site_key) > MAX_SITE_KEY:
        return _error(400, "bad_input", f"site_key is required (at most {MAX_SITE_KEY} characters)")
    with services().db.session() as session:
        shop = session.scalar(select(Shop).where(Shop.site_key == site_key, Shop.active.is_(True)))
        if shop is None:
            return _error(404, "unknown_site_key", "no active shop has this site key")
        data = widget_config(shop, _assets()["chat.js"].version)
    body = json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()
    etag = hashlib.sha256(body).hexdigest()[:16]
    headers = {"Cache-Control": CONFIG_CACHE, "Access-Control-Allow-Origin": "*"}
    if _not_modified(etag):
        resp = Response(status=304, headers=headers)
    else:
        resp = Response(body, content_type="application/json", headers=headers)
    resp.set_etag(etag)
    return resp


def init_app(app: Flask) -> None:
    app.extensions[EXTENSION] = Assets()
    app.register_blueprint(bp)
