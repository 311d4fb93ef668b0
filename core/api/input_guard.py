"""Refuses, before any route runs, a URL or form field holding a NUL character: no
database column can store it (PostgreSQL's text refuses it), so a site key, search,
id or form field with one would otherwise fail deep in a query, as a 500. JSON bodies
are checked where they are parsed (:func:`core.json_input.unstorable`)."""

from __future__ import annotations

from flask import Flask, abort, request

#: Form bodies larger than this are left to the routes' own limits (the admin's is smaller).
MAX_CHECKED_FORM = 1024 * 1024
#: Routes that read the raw body themselves (a signature covers its exact bytes): parsing
#: the form here would consume the stream they read (WooCommerce's unsigned ping is a form).
RAW_BODY_PREFIXES = ("/webhooks/",)


def _nul_in_request() -> str | None:
    if "\x00" in request.path:
        return "the address contains a NUL character"
    for key, value in request.args.items(multi=True):
        if "\x00" in key or "\x00" in value:
            return f"the query parameter {key.replace(chr(0), '')[:40]!r} contains a NUL character"
    if (
        request.mimetype in ("application/x-www-form-urlencoded", "multipart/form-data")
        and (request.content_length or 0) <= MAX_CHECKED_FORM
        and not request.path.startswith(RAW_BODY_PREFIXES)
    ):
        for key, value in request.form.items(multi=True):
            if "\x00" in key or "\x00" in value:
                return f"the form field {key.replace(chr(0), '')[:40]!r} contains a NUL character"
    return None


def refuse_nul() -> None:
    if problem := _nul_in_request():
        abort(400, description=problem)


def init_app(app: Flask) -> None:
    app.before_request(refuse_nul)
