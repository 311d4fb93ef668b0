"""Signing admin requests in with a platform's token instead of the session cookie.

Embedded in a platform's admin (an iframe on another site) the browser does not
send StoreChat's SameSite=Lax session cookie; the platform's script adds
``Authorization: Bearer <token>`` to the page's requests instead (Shopify's App
Bridge does). Each connector that can check such tokens offers a
:class:`~core.connector.StaffAuthenticator`; a request with a Bearer token is
signed in by the first one that verifies it, as the user
:func:`core.accounts.staff.user_for_staff` finds, and by nothing else: its
session cookie is not read (see :func:`core.admin.setup.load_signed_in`), so it
carries no ambient credential and the CSRF check does not apply to it
(:mod:`core.admin.guard`).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

from flask import Flask, current_app, has_request_context, jsonify, redirect, request
from flask_login import LoginManager
from flask_login.utils import login_url

from core import connector_registry
from core.accounts.staff import user_for_staff
from core.connector import StaffAuthenticator, StaffSignIn
from core.errors import StoreChatError
from core.services import services

log = logging.getLogger(__name__)
EXTENSION = "storechat.staff_authenticators"
#: Longer than any platform's token; anything longer is refused unread.
MAX_TOKEN = 4096


def bearer_token() -> str | None:
    """The request's ``Authorization: Bearer`` token, or None."""
    if not has_request_context():
        return None
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    token = token.strip()
    return token if scheme.lower() == "bearer" and token else None


def authenticators() -> Sequence[StaffAuthenticator]:
    return current_app.extensions.get(EXTENSION, ())


def authenticator(platform: str) -> StaffAuthenticator | None:
    return next((a for a in authenticators() if a.platform == platform), None)


def verify(token: str, platform: str | None = None) -> StaffSignIn | None:
    """The sign-in a platform token proves (any platform's, or ``platform``'s only)."""
    if not isinstance(token, str) or not token or len(token) > MAX_TOKEN:
        return None
    for candidate in authenticators():
        if platform is not None and candidate.platform != platform:
            continue
        try:
            sign_in = candidate.verify(token)
        except Exception:  # noqa: BLE001 - a connector's bug refuses the token, never serves it
            log.exception("staff authenticator of %r failed", candidate.platform)
            continue
        if sign_in is not None and sign_in.platform == candidate.platform:
            return sign_in
    return None


def load_from_request(_request: Any) -> Any:
    """Flask-Login's request loader: the user a Bearer token signs in, or None."""
    from core.admin.setup import SignedIn

    token = bearer_token()
    sign_in = verify(token) if token is not None else None
    if sign_in is None:
        return None
    try:
        return SignedIn.of(user_for_staff(services().db, sign_in))
    except StoreChatError as exc:
        log.info("%s staff %s of %s refused: %s", sign_in.platform, sign_in.staff_id, sign_in.shop_ref, exc)
        return None


def unauthorized() -> Any:
    """A request with a token, and any call of the JSON API, is answered 401 (a
    script cannot follow a redirect to a sign-in page); a browser's page is sent to sign in."""
    if bearer_token() is not None or "/api/" in request.path:
        return jsonify(error={"code": "unauthorized", "message": "your session has ended; reload the page"}), 401
    return redirect(login_url("admin.sign_in", next_url=request.url))


def init_app(app: Flask, login: LoginManager) -> None:
    host = app.extensions["storechat.install_host"]
    found: list[StaffAuthenticator] = []
    for name, cls in sorted(connector_registry.available().items()):
        try:
            auth = cls.staff_authenticator(host)
        except Exception:  # noqa: BLE001 - one broken connector never takes the admin down
            log.exception("connector %r: staff authenticator failed; its sign-in is off", name)
            continue
        if auth is not None:
            found.append(auth)
    app.extensions[EXTENSION] = tuple(found)
    login.request_loader(load_from_request)
    login.unauthorized_handler(unauthorized)
