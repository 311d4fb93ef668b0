"""What every admin request goes through: the CSRF check on anything that
changes state, and headers that keep admin pages private."""

from __future__ import annotations

from flask import Response, abort, request
from flask_wtf.csrf import CSRFError, validate_csrf

from core.admin.bearer import bearer_token, verify

PREFIX = "/admin"
#: Forms and JSON of the admin are small; anything larger is refused unread.
MAX_BODY = 64 * 1024


def _is_admin() -> bool:
    return request.path == PREFIX or request.path.startswith(PREFIX + "/")


def check_csrf() -> None:
    """Every state-changing admin request carries the session's CSRF token
    (a form field, or the ``X-CSRFToken`` header for the inbox's script).

    Except a request with a platform token that verifies (``Authorization:
    Bearer``): it is signed in by that token alone and its session cookie is
    not read (:mod:`core.admin.bearer`), so it carries no ambient credential
    a forged cross-site request could ride on. A Bearer header that does not
    verify changes nothing: the request needs its CSRF token like any other."""
    if not _is_admin() or request.method in ("GET", "HEAD", "OPTIONS"):
        return
    if request.content_length is not None and request.content_length > MAX_BODY:
        abort(413)
    token = bearer_token()
    if token is not None and verify(token) is not None:
        return
    csrf = request.headers.get("X-CSRFToken") or request.form.get("csrf_token") or ""
    try:
        validate_csrf(csrf)
    except Exception as exc:  # noqa: BLE001 - wtforms' ValidationError and friends: refused either way
        raise CSRFError(str(exc)) from None


def private_headers(response: Response) -> Response:
    if _is_admin():
        response.headers["Cache-Control"] = "no-store"
        response.headers.setdefault("Content-Security-Policy", "frame-ancestors 'none'")
        response.headers["Referrer-Policy"] = "same-origin"  # one-time links stay out of Referer headers
        response.headers["X-Content-Type-Options"] = "nosniff"
    return response
