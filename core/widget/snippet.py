"""The HTML snippet a merchant pastes into a store (``theme_snippets/html``)."""

from __future__ import annotations

from importlib.resources import files

from flask import current_app, request
from markupsafe import Markup

from core.services import services


def public_origin() -> str:
    """This server's origin as storefronts reach it, without a trailing slash."""
    configured = services().settings.public_url
    return (configured or request.host_url).rstrip("/")


def render_snippet(site_key: str, origin: str | None = None) -> Markup:
    """The plain-HTML install snippet for ``site_key``, values HTML-escaped."""
    source = (files("theme_snippets") / "html" / "snippet.html").read_text(encoding="utf-8")
    # from_string templates autoescape in Flask's environment.
    template = current_app.jinja_env.from_string(source)
    return Markup(template.render(origin=origin or public_origin(), site_key=site_key))
