"""The inbox inside a platform's admin (Shopify's embedded apps).

The platform opens the connector's app URL in an iframe with a token naming
the staff member; the connector hands the token to
:meth:`~core.install.host.CoreInstallHost.embedded_admin`, which lands here.
The staff member is signed in for this page only: no session cookie is set
(in a third-party iframe the browser would not send it back), the page's
script calls the inbox's JSON API with the platform's Bearer token
(:mod:`core.admin.bearer`) and opens the agent socket with the ticket in the
page. The page may be framed by the platform's admin only (its
``frame-ancestors``); every other admin page keeps ``frame-ancestors 'none'``.
"""

from __future__ import annotations

import logging

from flask import Response, make_response, render_template

from core.accounts.staff import StaffRefused, user_for_staff
from core.admin import bearer
from core.admin.inbox import render_inbox
from core.admin.setup import SignedIn
from core.connector import EmbeddedPage
from core.errors import ConnectorError
from core.services import services

log = logging.getLogger(__name__)


def _headers(response: Response, page: EmbeddedPage) -> Response:
    ancestors = " ".join(page.frame_ancestors) or "'none'"
    response.headers["Content-Security-Policy"] = f"frame-ancestors {ancestors};"
    response.headers["Cache-Control"] = "no-store"
    # The page's address carries the platform's token: it goes in no Referer.
    response.headers["Referrer-Policy"] = "same-origin"
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


def _refused(status: int, message: str, page: EmbeddedPage) -> Response:
    body = render_template("admin/embedded_refused.html", message=message)
    return _headers(make_response(body, status), page)


def embedded_admin(platform: str, token: str) -> Response:
    auth = bearer.authenticator(platform)
    if auth is None:
        return _refused(404, "This platform cannot open StoreChat from its admin.", EmbeddedPage(()))
    sign_in = bearer.verify(token, platform)
    if sign_in is None:
        return _refused(
            401,
            "StoreChat could not confirm who you are. Open StoreChat again from your store's admin.",
            auth.embedded_page(None),
        )
    page = auth.embedded_page(sign_in.shop_ref)
    try:
        user = user_for_staff(services().db, sign_in)
    except StaffRefused as exc:
        return _refused(403, exc.message[:1].upper() + exc.message[1:] + ".", page)
    except ConnectorError as exc:
        log.warning("%s: could not ask who staff %s of %s is: %s", platform, sign_in.staff_id, sign_in.shop_ref, exc)
        return _refused(
            502, f"{platform.capitalize()} did not say who you are just now. Reload the page to try again.", page
        )
    return _headers(make_response(render_inbox(SignedIn.of(user), page), 200), page)
