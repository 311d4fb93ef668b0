"""The OpenAPI 3.1 document of StoreChat's HTTP API, served at ``/api/openapi.json``.

One table, :data:`OPERATIONS`, lists every route that is an API: the visitor's HTTP
transport, the widget's config and scripts, installs and platform callbacks,
webhooks, health, the admin's JSON. :data:`EXCLUDED` lists every other route of the
app, by Flask rule, with the reason (an HTML page or form for a browser, a socket,
static files, the demo storefront). ``tests/core/test_openapi.py`` walks the app's
``url_map``: a route in neither table fails it, and so does an operation with no route.

Request bodies come from the pydantic models the code validates with (the frames of
:mod:`core.chat.frames`); responses from the small models below, which describe
what the handlers answer. To add a route: one :class:`Operation` line in
:data:`OPERATIONS` (path in OpenAPI form: ``/x/{id}`` for Flask's ``/x/<int:id>``),
naming every status it can answer.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from flask import Blueprint, Flask, Response, current_app, jsonify
from pydantic import BaseModel, ConfigDict, Field

from core.analytics.metrics import AnalyticsReport
from core.analytics.record import WidgetEvents
from core.api.errors import is_api_path
from core.chat.frames import MAX_INT, Hello, LeaveContact, Rate, SendMessage

PATH = "/api/openapi.json"
VERSION = "1"
SCHEMAS = "#/components/schemas/{model}"
bp = Blueprint("openapi", __name__)


# ---- models of the answers (bodies the handlers build with jsonify)


class _Open(BaseModel):
    """Answers may grow keys; a client ignores what it does not know."""

    model_config = ConfigDict(extra="allow")


class ErrorDetail(_Open):
    code: str
    message: str
    client_id: str | None = None


class ErrorBody(_Open):
    """Every JSON error of StoreChat: ``{"error": {"code", "message"}}``."""

    error: ErrorDetail


class VisitorAuth(BaseModel):
    """Who the shopper is: the shop's site key and the visitor token ``hello`` gave."""

    site_key: str = Field(min_length=1, max_length=64)
    token: str = Field(min_length=1, max_length=512)


class MessageFrame(_Open):
    """A stored line (docs/protocol.md, ``message``)."""

    type: str
    conversation_id: int
    seq: int
    author: str
    text: str
    created_at: str


class Welcome(_Open):
    type: str
    token: str
    conversation_id: int | None
    last_seq: int
    status: str | None
    agent_name: str | None
    messages: list[MessageFrame]


class Ack(_Open):
    type: str
    client_id: str
    seq: int
    conversation_id: int


class Sent(_Open):
    ack: Ack
    message: MessageFrame


class Events(_Open):
    conversation_id: int | None
    status: str | None
    agent_name: str | None
    messages: list[MessageFrame]
    last_seq: int


class Rated(_Open):
    type: str
    conversation_id: int
    score: int


class ContactSaved(_Open):
    type: str


class Health(_Open):
    status: str


class Ready(_Open):
    status: str
    checks: dict[str, str]


class WebhookAnswer(_Open):
    status: str
    delivery_id: str | None = None


class Identity(_Open):
    identity: str | None
    logged_in: bool


class WooKeys(BaseModel):
    """What WooCommerce's ``wc-auth`` posts to the callback."""

    key_id: int | str | None = None
    user_id: str
    consumer_key: str = Field(pattern=r"^ck_", max_length=200)
    consumer_secret: str = Field(pattern=r"^cs_", max_length=200)
    key_permissions: str = Field(pattern=r"^(read|write|read_write)$")


class Connected(_Open):
    status: str
    installed_url: str


class Ticket(_Open):
    ticket: str


class ConversationPage(_Open):
    view: str
    search: str
    conversations: list[dict[str, Any]]
    next: str | None
    counts: dict[str, int]


class ConversationDetail(_Open):
    conversation_id: int
    status: str
    last_seq: int


class ShopperOrders(_Open):
    orders: list[dict[str, Any]]
    looked_up: list[str]
    status: str


class SyncRunState(_Open):
    """A catalog sync's counters (core/admin/install.py ``run_state``), polled by the install page."""

    id: int
    status: str
    full: bool
    products: int
    documents: int
    removed: int
    error: str | None
    queued_at: str | None
    started_at: str | None
    finished_at: str | None


# ---- the table


@dataclass(frozen=True)
class Answer:
    """One response: a model (JSON), ``"json"``/``"js"``/``"html"``/``"csv"``/``"any"`` for other bodies,
    or None: no body."""

    description: str
    body: type[BaseModel] | str | None = None


ERROR = Answer("refused; the error names the field or the reason", ErrorBody)
HTML_ERROR = Answer("refused (an HTML page)", "html")


@dataclass(frozen=True)
class Operation:
    method: str
    path: str
    endpoint: str
    summary: str
    tag: str
    responses: dict[int, Answer]
    query: tuple[tuple[str, dict[str, Any], bool], ...] = ()
    body: tuple[type[BaseModel], ...] = ()
    security: tuple[str, ...] = ()
    description: str = ""
    extra: dict[str, Any] = field(default_factory=dict)


def _visitor_errors() -> dict[int, Answer]:
    return {
        400: ERROR,
        401: Answer("bad_token: the visitor token is not valid for this shop", ErrorBody),
        403: Answer("origin_not_allowed", ErrorBody),
        404: Answer("unknown_site_key or unknown_conversation", ErrorBody),
        413: Answer("the body is over the request size limit", "any"),
        429: Answer("rate_limited or too_many_connections", ErrorBody),
    }


STRING = {"type": "string"}
SITE_KEY = {"type": "string", "minLength": 1, "maxLength": 64}
ID = {"type": "integer", "minimum": 1, "maximum": MAX_INT}
SCRIPT = {200: Answer("the script", "js"), 304: Answer("not modified (ETag)")}
#: The analytics range (core/admin/analytics.py): both days included, the last 30 days by default.
RANGE = (("from", {"type": "string", "format": "date"}, False), ("to", {"type": "string", "format": "date"}, False))
SIGNED_IN = ("session", "platformToken")
NOT_SIGNED_IN = Answer("not signed in", ErrorBody)
TO_SIGN_IN = Answer("not signed in: to the sign-in page")
NOT_OWNER = Answer("signed in, but not the shop's owner", ErrorBody)

OPERATIONS: tuple[Operation, ...] = (
    # -- the visitor protocol over HTTP (core/chat/http_transport.py; docs/protocol.md)
    Operation(
        "post",
        "/api/v1/visitor/hello",
        "visitor_http.hello",
        "Greet the shopper; the welcome and replay",
        "visitor",
        {200: Answer("the welcome", Welcome), **_visitor_errors()},
        body=(Hello,),
    ),
    Operation(
        "post",
        "/api/v1/visitor/messages",
        "visitor_http.send",
        "Send a shopper's line",
        "visitor",
        {200: Answer("a retried client_id: the stored line", Sent), 201: Answer("stored", Sent), **_visitor_errors()},
        body=(VisitorAuth, SendMessage),
    ),
    Operation(
        "post",
        "/api/v1/visitor/typing",
        "visitor_http.typing",
        "The shopper is typing",
        "visitor",
        {204: Answer("told the team"), **_visitor_errors()},
        body=(VisitorAuth,),
    ),
    Operation(
        "post",
        "/api/v1/visitor/handoff",
        "visitor_http.ask_for_human",
        "Ask for a person",
        "visitor",
        {204: Answer("the conversation waits for the team"), **_visitor_errors()},
        body=(VisitorAuth,),
    ),
    Operation(
        "post",
        "/api/v1/visitor/rate",
        "visitor_http.rate",
        "Rate a conversation",
        "visitor",
        {200: Answer("stored", Rated), **_visitor_errors()},
        body=(VisitorAuth, Rate),
    ),
    Operation(
        "post",
        "/api/v1/visitor/contact",
        "visitor_http.contact",
        "Leave an email to be answered later",
        "visitor",
        {200: Answer("stored", ContactSaved), **_visitor_errors()},
        body=(VisitorAuth, LeaveContact),
    ),
    Operation(
        "get",
        "/api/v1/visitor/events",
        "visitor_http.events",
        "Long-poll for new lines",
        "visitor",
        {200: Answer("the lines after after_seq (possibly none)", Events), **_visitor_errors()},
        query=(
            ("site_key", SITE_KEY, True),
            ("conversation_id", ID, False),
            ("after_seq", {"type": "integer", "minimum": 0, "maximum": MAX_INT}, False),
            ("wait", {"type": "integer", "minimum": 0, "maximum": 25}, False),
        ),
        security=("visitorToken",),
        description="The visitor token goes in `Authorization: Bearer`, never in the URL (refused there).",
    ),
    # -- the widget (core/widget/routes.py; docs/widget.md)
    Operation("get", "/widget/v1/loader.js", "widget.loader_js", "The loader script", "widget", SCRIPT),
    Operation(
        "get",
        "/widget/v1/launcher.js",
        "widget.launcher_js",
        "The launcher script",
        "widget",
        SCRIPT,
        query=(("v", STRING, False),),
    ),
    Operation(
        "get",
        "/widget/v1/chat.js",
        "widget.chat_js",
        "The chat script",
        "widget",
        SCRIPT,
        query=(("v", STRING, False),),
    ),
    Operation(
        "get",
        "/widget/v1/config",
        "widget.config",
        "The launcher's config",
        "widget",
        {
            200: Answer("the config", "json"),
            304: Answer("not modified (ETag)"),
            400: ERROR,
            404: Answer("unknown_site_key", ErrorBody),
        },
        query=(("site_key", SITE_KEY, True), ("lang", STRING, False)),
    ),
    Operation(
        "get",
        "/widget/v1/chat-config",
        "widget.chat_config_route",
        "The chat's config",
        "widget",
        {
            200: Answer("the config", "json"),
            304: Answer("not modified (ETag)"),
            400: ERROR,
            404: Answer("unknown_site_key", ErrorBody),
        },
        query=(("site_key", SITE_KEY, True), ("lang", STRING, False)),
    ),
    # -- health (core/health.py)
    Operation("get", "/healthz", "health.healthz", "The process is alive", "health", {200: Answer("alive", Health)}),
    Operation(
        "get",
        "/readyz",
        "health.readyz",
        "The database, Redis and migrations are ready",
        "health",
        {200: Answer("ready", Ready), 503: Answer("not ready: which part", Ready)},
    ),
    Operation("get", PATH, "openapi.openapi_document", "This document", "meta", {200: Answer("OpenAPI 3.1", "json")}),
    # -- webhooks (core/webhooks/routes.py)
    Operation(
        "post",
        "/webhooks/{platform}",
        "webhooks.receive",
        "A platform's webhook delivery",
        "webhooks",
        {
            200: Answer("queued, a duplicate, or a ping's pong", WebhookAnswer),
            400: ERROR,
            401: Answer("bad_signature", ErrorBody),
            404: Answer("unknown_platform or no such topic", ErrorBody),
            413: Answer("payload_too_large", ErrorBody),
            503: Answer("queue_unavailable: retry later", ErrorBody),
        },
        extra={
            "parameters": [{"name": "platform", "in": "path", "required": True, "schema": STRING}],
            "requestBody": {"required": True, "content": {"application/json": {"schema": {}}}},
        },
        description="Signed by the platform (HMAC over the raw body, headers per platform).",
    ),
    # -- installs and platform callbacks (connectors' install blueprints, core/install/)
    Operation(
        "get",
        "/installed/{site_key}",
        "install.installed",
        "The page after an install",
        "install",
        {200: Answer("the page", "html"), 404: HTML_ERROR},
        extra={"parameters": [{"name": "site_key", "in": "path", "required": True, "schema": STRING}]},
    ),
    Operation(
        "get",
        "/connect/shopify/install",
        "connect_shopify.install",
        "Start a Shopify install",
        "install",
        {
            302: Answer("to Shopify's grant screen"),
            400: ERROR,
            401: ERROR,
            429: ERROR,
            503: Answer("app_not_configured", ErrorBody),
        },
        query=(("shop", STRING, True), ("hmac", STRING, False), ("timestamp", STRING, False)),
    ),
    Operation(
        "get",
        "/connect/shopify/callback",
        "connect_shopify.callback",
        "Shopify's OAuth callback",
        "install",
        {
            302: Answer("to the installed page"),
            400: ERROR,
            401: ERROR,
            403: ERROR,
            502: Answer("Shopify refused the code", ErrorBody),
            503: Answer("app_not_configured", ErrorBody),
        },
        query=(
            ("shop", STRING, True),
            ("code", STRING, True),
            ("state", STRING, True),
            ("timestamp", STRING, True),
            ("hmac", STRING, True),
        ),
    ),
    Operation(
        "get",
        "/connect/shopify/admin",
        "connect_shopify.embedded_admin",
        "The embedded app's URL",
        "install",
        {
            200: Answer("the inbox, or a page leaving the frame to install", "html"),
            400: ERROR,
            401: HTML_ERROR,
            403: HTML_ERROR,
            404: HTML_ERROR,
            502: HTML_ERROR,
        },
        query=(("shop", STRING, False), ("id_token", STRING, False)),
    ),
    Operation(
        "get",
        "/connect/shopify/proxy/identity",
        "connect_shopify.identity",
        "The logged-in customer, signed (Shopify App Proxy)",
        "install",
        {200: Answer("the signed identity, or none", Identity), 400: ERROR, 401: ERROR, 404: ERROR},
        query=tuple(
            (name, STRING, True) for name in ("logged_in_customer_id", "path_prefix", "shop", "signature", "timestamp")
        ),
    ),
    Operation(
        "post",
        "/connect/woocommerce/callback",
        "connect_woocommerce.callback",
        "WooCommerce's wc-auth callback with the new API keys",
        "install",
        {
            200: Answer("connected", Connected),
            400: ERROR,
            403: ERROR,
            413: ERROR,
            502: Answer("the store did not take the keys or is unreachable", ErrorBody),
        },
        query=(("site_key", STRING, True), ("store", STRING, True)),
        body=(WooKeys,),
    ),
    # -- the admin's JSON (core/admin/inbox.py): a signed-in session or a platform's Bearer session token
    Operation(
        "get",
        "/admin/inbox/api/ticket",
        "inbox.ticket",
        "A ticket for /ws/agent",
        "admin",
        {200: Answer("the ticket", Ticket), 401: Answer("not signed in", ErrorBody)},
        security=("session", "platformToken"),
    ),
    Operation(
        "get",
        "/admin/inbox/api/conversations",
        "inbox.conversations",
        "A page of conversations",
        "admin",
        {200: Answer("the page", ConversationPage), 400: ERROR, 401: Answer("not signed in", ErrorBody)},
        query=(("view", STRING, False), ("q", STRING, False), ("after", STRING, False)),
        security=("session", "platformToken"),
    ),
    Operation(
        "get",
        "/admin/inbox/api/counts",
        "inbox.counts",
        "Conversations per view",
        "admin",
        {200: Answer("the counts", "json"), 401: Answer("not signed in", ErrorBody)},
        security=("session", "platformToken"),
    ),
    Operation(
        "get",
        "/admin/inbox/api/conversations/{conversation_id}",
        "inbox.one_conversation",
        "One conversation with its notes",
        "admin",
        {
            200: Answer("the conversation", ConversationDetail),
            400: ERROR,
            401: Answer("not signed in", ErrorBody),
            404: ERROR,
        },
        query=(("before_seq", {"type": "integer", "minimum": 1}, False),),
        security=("session", "platformToken"),
        extra={"parameters": [{"name": "conversation_id", "in": "path", "required": True, "schema": ID}]},
    ),
    Operation(
        "get",
        "/admin/inbox/api/conversations/{conversation_id}/orders",
        "inbox.shopper_orders",
        "The orders the shopper named",
        "admin",
        {200: Answer("the orders", ShopperOrders), 401: Answer("not signed in", ErrorBody), 404: ERROR},
        security=("session", "platformToken"),
        extra={"parameters": [{"name": "conversation_id", "in": "path", "required": True, "schema": ID}]},
    ),
    # -- analytics (core/admin/analytics.py): the report as JSON, its JSON Schema, the CSV exports
    Operation(
        "get",
        "/admin/api/analytics",
        "analytics.api",
        "The shop's analytics over a range of days",
        "admin",
        {
            200: Answer("the report; its JSON Schema is /admin/api/analytics/schema.json", AnalyticsReport),
            400: ERROR,
            401: NOT_SIGNED_IN,
        },
        query=RANGE,
        security=SIGNED_IN,
        description="Read from the daily roll-ups; `from` and `to` are days (YYYY-MM-DD), at most 366.",
    ),
    Operation(
        "get",
        "/admin/api/analytics/schema.json",
        "analytics.schema",
        "The analytics report's JSON Schema",
        "admin",
        {200: Answer("JSON Schema 2020-12 of AnalyticsReport", "json"), 401: NOT_SIGNED_IN},
        security=SIGNED_IN,
    ),
    Operation(
        "get",
        "/admin/analytics/export.csv",
        "analytics.export",
        "One chart of the analytics as CSV",
        "admin",
        {
            200: Answer("the CSV (a header row, then one row per day, intent, gap, score or measure)", "csv"),
            302: TO_SIGN_IN,
            400: ERROR,
            401: NOT_SIGNED_IN,
        },
        query=(("chart", {"type": "string", "enum": ["daily", "intents", "gaps", "csat", "times"]}, False), *RANGE),
        security=SIGNED_IN,
    ),
    # -- the install page's sync progress (core/admin/install.py), polled as JSON
    Operation(
        "get",
        "/admin/settings/install/sync/{run_id}",
        "install_admin.sync_progress",
        "A catalog sync's progress (the shop's own runs only)",
        "admin",
        {
            200: Answer("the run's counters", SyncRunState),
            302: TO_SIGN_IN,
            401: NOT_SIGNED_IN,
            403: NOT_OWNER,
            404: Answer("no such sync run of this shop", ErrorBody),
        },
        security=SIGNED_IN,
        extra={"parameters": [{"name": "run_id", "in": "path", "required": True, "schema": ID}]},
    ),
    # -- the widget's beacon (core/widget/events.py; docs/widget.md)
    Operation(
        "post",
        "/widget/v1/events",
        "widget_events.receive",
        "What only the page sees: loads, opens, triggers fired, add to cart",
        "widget",
        {
            204: Answer("stored"),
            400: ERROR,
            403: Answer("origin_not_allowed", ErrorBody),
            404: Answer("unknown_site_key", ErrorBody),
            413: Answer("over the request size limit", "any"),
            429: Answer("rate_limited", ErrorBody),
        },
        body=(WidgetEvents,),
        description="Sent with `navigator.sendBeacon`: the body may also come as `text/plain` (no CORS "
        "preflight), at most 4 KB. A conversation id that is not the shop's is dropped.",
    ),
)

#: Every route of the app that is not an API, by Flask rule, with why. A rule here is not
#: in the document; a rule in neither table fails tests/core/test_openapi.py.
_ADMIN_PAGE = "an admin HTML page or form for a browser (session + CSRF), not an API; tested by the admin tests"
_DEMO = "the demo storefront (`storechat demo` only), an imitation of a shop, not StoreChat's API"
EXCLUDED: dict[str, str] = {
    "/": "the start page, HTML for a person",
    "/metrics": "the operator's Prometheus scrape (text exposition format, docs/operations.md), not part of the API: "
    "404 unless STORECHAT_METRICS_TOKEN is set, 401 without that bearer token (tests/core/"
    "test_metrics_endpoint.py)",
    "/favicon.ico": "the favicon, an image",
    "/favicon.svg": "the favicon, an image",
    "/static/<path:filename>": "Flask's static files",
    "/admin/inbox/static/<path:filename>": "the inbox's static files",
    "/ws/visitor": "a WebSocket (docs/protocol.md); OpenAPI describes no sockets; frames are tested in "
    "tests/core/test_frames.py and the isolation matrix",
    "/ws/agent": "a WebSocket (docs/protocol.md); as /ws/visitor",
    "/admin/": _ADMIN_PAGE,
    "/admin/sign-in": _ADMIN_PAGE,
    "/admin/sign-out": _ADMIN_PAGE,
    "/admin/sign-out-everywhere": _ADMIN_PAGE,
    "/admin/forgot": _ADMIN_PAGE,
    "/admin/welcome/<token>": _ADMIN_PAGE,
    "/admin/reset/<token>": _ADMIN_PAGE,
    "/admin/inbox/": _ADMIN_PAGE,
    "/admin/team/": _ADMIN_PAGE,
    "/admin/team/invite": _ADMIN_PAGE,
    "/admin/team/<int:user_id>/close": _ADMIN_PAGE,
    "/admin/team/<int:user_id>/role": _ADMIN_PAGE,
    "/admin/team/notifications": _ADMIN_PAGE,
    "/admin/hours/": _ADMIN_PAGE,
    "/admin/canned/": _ADMIN_PAGE,
    "/admin/canned/<int:reply_id>/delete": _ADMIN_PAGE,
    "/admin/wordpress/sign-in": "a one-click sign-in link from the WordPress plugin: a browser navigation "
    "that sets a session and redirects (tests/core/test_wordpress_sign_in.py)",
    # Analytics, A/B tests, settings, install (core/admin/analytics.py, experiments.py, settings.py, install.py);
    # their JSON (the analytics API, the sync progress) and the CSV export are in OPERATIONS.
    "/admin/analytics/": _ADMIN_PAGE,
    "/admin/analytics/rollup": _ADMIN_PAGE,
    "/admin/experiments/": _ADMIN_PAGE,
    "/admin/experiments/<int:experiment_id>/start": _ADMIN_PAGE,
    "/admin/experiments/<int:experiment_id>/stop": _ADMIN_PAGE,
    "/admin/settings/": "a redirect to the first settings page, for a browser",
    "/admin/settings/<name>": _ADMIN_PAGE,
    "/admin/settings/audit": _ADMIN_PAGE,
    "/admin/settings/widget/preview": "the widget's live preview, an HTML page framed by the settings page",
    "/admin/settings/assistant/test": _ADMIN_PAGE,
    "/admin/settings/privacy/export": "a form of the Privacy page answered with a JSON file to download (one "
    "shopper's data), not an API (tests/core/test_admin_privacy.py)",
    "/admin/settings/privacy/delete": _ADMIN_PAGE,
    "/admin/settings/static/<path:filename>": "the settings pages' static files",
    "/admin/settings/install/": _ADMIN_PAGE,
    "/admin/settings/install/sync": _ADMIN_PAGE,
    "/admin/settings/install/wordpress.zip": "the WordPress plugin as a zip file to download, the same for "
    "every shop; a file, not an API",
    # The WordPress plugin's "Connect this site" (core/admin/wordpress_connect.py): browser navigations
    # from the plugin, signed states and forms; the plugin's notices are POST /webhooks/{platform}.
    "/admin/wordpress/connect": "the plugin sends the browser here: signs the request and redirects to the "
    "approve page (tests/core/test_wordpress_connect.py)",
    "/admin/wordpress/approve": _ADMIN_PAGE,
    "/admin/wordpress/sign-up": _ADMIN_PAGE,
    "/admin/wordpress/site": _ADMIN_PAGE,
    "/admin/wordpress/site/disconnect": _ADMIN_PAGE,
    "/demo/": _DEMO,
    "/demo/products/<handle>": _DEMO,
    "/demo/avatar.svg": _DEMO,
    "/demo/images/<handle>.svg": _DEMO,
    "/demo/cart/add.js": _DEMO,
    "/demo/cart.js": _DEMO,
    "/demo/cart/update.js": _DEMO,
}

SECURITY_SCHEMES = {
    "visitorToken": {"type": "http", "scheme": "bearer", "description": "the visitor token from hello"},
    "session": {
        "type": "apiKey",
        "in": "cookie",
        "name": "storechat_session",
        "description": "a signed-in admin session (core/admin/setup.py)",
    },
    "platformToken": {
        "type": "http",
        "scheme": "bearer",
        "description": "a platform's session token for its embedded admin (core/admin/bearer.py)",
    },
}

_CONVERTER = re.compile(r"<(?:[a-z_]+(?:\([^)]*\))?:)?([a-zA-Z_][a-zA-Z0-9_]*)>")


def openapi_path(rule: str) -> str:
    """A Flask rule in OpenAPI's form: ``/x/<int:id>`` is ``/x/{id}``."""
    return _CONVERTER.sub(r"{\1}", rule)


# ---- building the document


def _schema(model: type[BaseModel], components: dict[str, Any]) -> dict[str, Any]:
    """``model``'s JSON schema, its nested models moved into ``components``."""
    schema = model.model_json_schema(ref_template=SCHEMAS)
    components.update(schema.pop("$defs", {}))
    return schema


def _body_schema(models: tuple[type[BaseModel], ...], components: dict[str, Any]) -> dict[str, Any]:
    """One object from the models' fields (a frame's ``type`` left out: the URL says it)."""
    properties: dict[str, Any] = {}
    required: list[str] = []
    for model in models:
        schema = _schema(model, components)
        for name, prop in schema.get("properties", {}).items():
            if name != "type":
                properties[name] = prop
        required += [name for name in schema.get("required", []) if name != "type" and name not in required]
    return {"type": "object", "properties": properties, "required": required}


def _content(answer: Answer, components: dict[str, Any]) -> dict[str, Any]:
    found: dict[str, Any] = {"description": answer.description}
    body = answer.body
    if body is None:
        return found
    if isinstance(body, str):
        media = {
            "js": {"text/javascript": {"schema": STRING}},
            "html": {"text/html": {"schema": STRING}},
            "csv": {"text/csv": {"schema": STRING}},
            "json": {"application/json": {"schema": {"type": "object"}}},
            "any": {"*/*": {}},
        }[body]
        found["content"] = media
        return found
    if body.__name__ not in components:
        components[body.__name__] = _schema(body, components)
    found["content"] = {"application/json": {"schema": {"$ref": SCHEMAS.format(model=body.__name__)}}}
    return found


def _operation(op: Operation, components: dict[str, Any]) -> dict[str, Any]:
    found: dict[str, Any] = {"operationId": op.endpoint, "summary": op.summary, "tags": [op.tag]}
    if op.description:
        found["description"] = op.description
    parameters = [
        {"name": name, "in": "query", "required": required, "schema": schema} for name, schema, required in op.query
    ]
    parameters += op.extra.get("parameters", [])
    if parameters:
        found["parameters"] = parameters
    if op.body:
        found["requestBody"] = {
            "required": True,
            "content": {"application/json": {"schema": _body_schema(op.body, components)}},
        }
    if "requestBody" in op.extra:
        found["requestBody"] = op.extra["requestBody"]
    if op.security:
        found["security"] = [{name: []} for name in op.security]
    responses = dict(op.responses)
    # Any request may be refused for what no column can store (core/api/input_guard.py).
    responses.setdefault(400, ERROR if is_api_path(op.path) else HTML_ERROR)
    found["responses"] = {str(status): _content(answer, components) for status, answer in sorted(responses.items())}
    return found


def document(public_url: str | None = None) -> dict[str, Any]:
    components: dict[str, Any] = {}
    paths: dict[str, dict[str, Any]] = {}
    for op in OPERATIONS:
        paths.setdefault(op.path, {})[op.method] = _operation(op, components)
    spec: dict[str, Any] = {
        "openapi": "3.1.0",
        "info": {
            "title": "StoreChat",
            "version": VERSION,
            "description": "StoreChat's HTTP API. The sockets (/ws/visitor, /ws/agent) are in docs/protocol.md.",
        },
        "paths": paths,
        "components": {"schemas": dict(sorted(components.items())), "securitySchemes": SECURITY_SCHEMES},
    }
    if public_url:
        spec["servers"] = [{"url": public_url.rstrip("/")}]
    return spec


@bp.get(PATH)
def openapi_document() -> Response:
    cached = current_app.extensions.get("storechat.openapi")
    if cached is None:
        cached = current_app.extensions["storechat.openapi"] = document()
    resp = jsonify(cached)
    resp.headers["Access-Control-Allow-Origin"] = "*"
    resp.headers["Cache-Control"] = "public, max-age=300"
    return resp


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
