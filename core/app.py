"""The Flask application factory: a table of contents of StoreChat's web parts."""

from __future__ import annotations

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

from core import (
    admin,
    api,
    demo,
    health,
    install,
    json_input,
    metrics_view,
    request_hooks,
    services,
    start_page,
    webhooks,
    widget,
)
from core.chat import http_transport, sock
from core.settings import Settings, load_settings
from core.widget import events as widget_events


def create_app(settings: Settings | None = None) -> Flask:
    settings = settings or load_settings()
    app = Flask(__name__)
    app.config["SECRET_KEY"] = settings.secret_key
    app.config["MAX_CONTENT_LENGTH"] = max(1024 * 1024, settings.webhook_max_bytes)
    app.config["SOCK_SERVER_OPTIONS"] = {
        "ping_interval": settings.ws_ping_interval,
        # Frames up to 4x the limit (in bytes, UTF-8 for text: core/chat/sock.py's
        # ChatServer) are read and answered with a clear error frame; anything
        # larger is cut off by the transport (close code 1009).
        "max_message_size": settings.max_frame_bytes * 4,
    }

    if settings.trusted_proxies:
        app.wsgi_app = ProxyFix(  # type: ignore[method-assign]
            app.wsgi_app,
            x_for=settings.trusted_proxies,
            x_proto=settings.trusted_proxies,
            x_host=settings.trusted_proxies,
        )

    request_hooks.init_app(app, access_log=settings.access_log)  # first: ids, counts, the access line
    json_input.init_app(app)  # request.get_json reads with the nesting limit
    services.init_app(app, settings)
    health.init_app(app)
    api.init_app(app)  # /api/openapi.json
    metrics_view.init_app(app)
    widget.init_app(app)
    widget_events.init_app(app)  # the widget's analytics beacon
    sock.init_app(app)
    http_transport.init_app(app)
    webhooks.init_app(app)
    install.init_app(app)
    start_page.init_app(app)
    if settings.demo:
        demo.init_app(app)  # a test storefront: only `storechat demo` serves it
    admin.init_app(app)
    return app
