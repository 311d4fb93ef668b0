"""Isolation as a matrix: each kind of principal of shop A (a visitor token, an agent's
session and socket ticket, the owner's session, an agent credential, a platform
webhook signature) against every route and socket frame that names a shop's objects,
aimed at shop B's: refused, nothing of B changed, nothing of B in the answer.

Generated from the route table: every rule of the app (every method) is in
:data:`AIMS` (how to aim it at a shop's objects) or :data:`UNAIMED` (why it names
no other shop's object), and every frame type of both sockets is in
:data:`AGENT_FRAME_AIMS`/:data:`VISITOR_FRAME_AIMS` or :data:`UNAIMED_FRAMES`; a new
route or frame fails ``test_every_route_and_frame_is_classified`` until it is.
Each aim is also sent at shop A's own objects by the principals that may use it,
which must be served: so a refusal is B's, not a broken credential.
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
import requests
import websocket
from flask import Flask
from sqlalchemy import select

from core.accounts.tickets import SocketTickets
from core.accounts.users import create_user, set_password
from core.agents import create_agent
from core.analytics import experiments
from core.analytics.record import WIDGET_KINDS
from core.app import create_app
from core.catalog.sync import create_run
from core.chat.frames import AGENT_TYPES, VISITOR_TYPES
from core.db import (
    AnalyticsDay,
    CannedReply,
    Conversation,
    Database,
    Event,
    Experiment,
    Message,
    Note,
    Shop,
    SyncRun,
    User,
    Visitor,
    WebhookDelivery,
)
from core.db.models import utcnow
from core.settings import Settings
from core.shop_connectors import seal_config
from tests.live import serve
from tests.wsclient import AgentClient, VisitorClient

PASSWORD = "correct horse battery"
KINDS = ("visitor_token", "agent_session", "agent_ticket", "owner_session", "api_key", "webhook_signature")


@dataclass
class Target:
    """One shop's objects, as a request names them."""

    shop_id: int
    site_key: str
    store_url: str
    conversation_id: int
    canned_id: int
    #: A teammate an owner may close (not the one signed in).
    closable_user_id: int
    agent_id: int
    experiment_id: int
    #: A catalog sync run (the install page polls its progress).
    run_id: int
    #: What must never reach another shop's principal: names, emails, texts.
    secrets: tuple[str, ...] = ()
    #: The email a shopper of the shop gave (Settings > Privacy names a shopper by it): one no other
    #: probe changes (visitor_http.contact's gives the chatting visitor another).
    shopper_email: str = ""


@dataclass
class Principal:
    kind: str
    token: str | None = None
    session: requests.Session = field(default_factory=requests.Session)
    csrf: str | None = None
    headers: dict[str, str] = field(default_factory=dict)
    webhook_secret: str | None = None


@dataclass
class Probe:
    method: str
    path: str
    json: dict[str, Any] | None = None
    form: dict[str, str] | None = None
    query: dict[str, Any] | None = None
    headers: dict[str, str] = field(default_factory=dict)
    #: A webhook body: signed by the principal's webhook secret, if it has one.
    raw: bytes | None = None


TOKEN = "<the principal's token>"


@dataclass(frozen=True)
class Aim:
    """How a route names a shop's objects. ``aim(target, home)``: the requests aimed at
    ``target``'s objects from a principal of ``home``; ``native``: the principals that may
    use it on their own shop's objects, with the statuses that serve them."""

    aim: Callable[[Target, Target], list[Probe]]
    native: tuple[str, ...]
    served: tuple[int, ...] = (200,)
    #: Scoped to the principal's own shop: a 2xx is right, as long as nothing of B is in it.
    own_shop_answer: bool = False


def _visitor(path: str, **fields: Any) -> Callable[[Target, Target], list[Probe]]:
    def aim(t: Target, home: Target) -> list[Probe]:
        body = {k: v(t) if callable(v) else v for k, v in fields.items()}
        probes = [Probe("POST", f"/api/v1/visitor/{path}", json={"site_key": t.site_key, "token": TOKEN, **body})]
        if any(callable(v) for v in fields.values()):  # also: one's own site key, the other shop's object
            probes.append(Probe("POST", f"/api/v1/visitor/{path}",
                                json={"site_key": home.site_key, "token": TOKEN, **body}))
        return probes
    return aim


def _events(t: Target, home: Target) -> list[Probe]:
    return [Probe("GET", "/api/v1/visitor/events", query={"site_key": t.site_key, "wait": 0},
                  headers={"Authorization": f"Bearer {TOKEN}"}),
            Probe("GET", "/api/v1/visitor/events", query={"site_key": home.site_key, "wait": 0,
                                                          "conversation_id": t.conversation_id},
                  headers={"Authorization": f"Bearer {TOKEN}"})]


def _get(path: str, **query: Any) -> Callable[[Target, Target], list[Probe]]:
    return lambda t, home: [Probe("GET", path.format(t=t), query={k: v.format(t=t) for k, v in query.items()})]


def _post_form(path: str) -> Callable[[Target, Target], list[Probe]]:
    return lambda t, home: [Probe("POST", path.format(t=t), form={})]


def _shopper_form(action: str) -> Callable[[Target, Target], list[Probe]]:
    """Settings > Privacy naming the target's shopper by their email (one's own shop's only)."""
    return lambda t, home: [Probe("POST", f"/admin/settings/privacy/{action}",
                                  form={"email": t.shopper_email, "confirm": "yes"})]


def _events_beacon(t: Target, home: Target) -> list[Probe]:
    # The beacon carries no token: with a shop's site key it speaks for that shop (public by
    # design, as hello). Aimed: one's own site key naming the other shop's conversation.
    return [Probe("POST", "/widget/v1/events", json={"site_key": home.site_key, "events": [
        {"kind": "open", "conversation_id": t.conversation_id},
        {"kind": "add_to_cart", "product_id": "probe", "conversation_id": t.conversation_id}]})]


def _webhook(t: Target, home: Target) -> list[Probe]:
    body = json.dumps({"id": 901, "name": "Probe product", "status": "publish", "type": "simple",
                       "regular_price": "1.00", "price": "1.00", "permalink": f"{t.store_url}/p/probe"}).encode()
    return [Probe("POST", "/webhooks/woocommerce", raw=body, headers={
        "X-WC-Webhook-Source": t.store_url + "/", "X-WC-Webhook-Topic": "product.updated",
        "X-WC-Webhook-Resource": "product", "X-WC-Webhook-Event": "updated",
        "X-WC-Webhook-Delivery-ID": uuid.uuid4().hex, "Content-Type": "application/json"})]


def _woo_callback(t: Target, home: Target) -> list[Probe]:
    return [Probe("POST", "/connect/woocommerce/callback", query={"site_key": t.site_key, "store": t.store_url},
                  json={"key_id": 1, "user_id": "1", "consumer_key": "ck_probe", "consumer_secret": "cs_probe",
                        "key_permissions": "read_write"})]


SESSIONS = ("agent_session", "owner_session")
AIMS: dict[str, Aim] = {
    # The visitor's HTTP transport: B's site key with A's token, or A's key naming B's conversation.
    "visitor_http.hello": Aim(_visitor("hello"), ("visitor_token",)),
    "visitor_http.send": Aim(_visitor("messages", client_id="probe", text="probe line"), ("visitor_token",),
                             (200, 201)),
    "visitor_http.typing": Aim(_visitor("typing"), ("visitor_token",), (204,)),
    "visitor_http.ask_for_human": Aim(_visitor("handoff"), ("visitor_token",), (204,)),
    "visitor_http.rate": Aim(_visitor("rate", conversation_id=lambda t: t.conversation_id, score=5),
                             ("visitor_token",)),
    "visitor_http.contact": Aim(_visitor("contact", email="probe@alpha.example"), ("visitor_token",)),
    "visitor_http.events": Aim(_events, ("visitor_token",)),
    # The admin's JSON and pages: B's ids under A's session.
    "inbox.one_conversation": Aim(_get("/admin/inbox/api/conversations/{t.conversation_id}"), SESSIONS),
    "inbox.shopper_orders": Aim(_get("/admin/inbox/api/conversations/{t.conversation_id}/orders"), SESSIONS),
    "inbox.conversations": Aim(_get("/admin/inbox/api/conversations", view="all", q="secret"), SESSIONS,
                               own_shop_answer=True),
    "inbox.counts": Aim(_get("/admin/inbox/api/counts"), SESSIONS, own_shop_answer=True),
    "inbox.ticket": Aim(_get("/admin/inbox/api/ticket"), SESSIONS, own_shop_answer=True),
    "inbox.inbox": Aim(_get("/admin/inbox/", view="all"), SESSIONS, own_shop_answer=True),
    "team.team": Aim(_get("/admin/team/"), ("owner_session",), own_shop_answer=True),
    "canned.canned": Aim(_get("/admin/canned/"), ("owner_session",), own_shop_answer=True),
    "hours.hours": Aim(_get("/admin/hours/"), ("owner_session",), own_shop_answer=True),
    "canned.delete": Aim(_post_form("/admin/canned/{t.canned_id}/delete"), ("owner_session",), (302,)),
    "team.close": Aim(_post_form("/admin/team/{t.closable_user_id}/close"), ("owner_session",), (302, 303)),
    "team.role": Aim(lambda t, home: [Probe("POST", f"/admin/team/{t.closable_user_id}/role",
                                            form={"role": "owner"})], ("owner_session",), (303,)),
    # Analytics, A/B tests, the install page, settings, the WordPress connection: B's ids under A's
    # session (refused), or pages scoped to the session's shop (served, with nothing of B's: B's
    # content gaps name B's conversations and shoppers' words, B's experiment its name).
    "analytics.api": Aim(_get("/admin/api/analytics"), SESSIONS, own_shop_answer=True),
    "analytics.export": Aim(_get("/admin/analytics/export.csv", chart="gaps"), SESSIONS, own_shop_answer=True),
    "analytics.dashboard": Aim(_get("/admin/analytics/"), SESSIONS, own_shop_answer=True),
    "experiments.index": Aim(_get("/admin/experiments/"), SESSIONS, own_shop_answer=True),
    "experiments.start": Aim(_post_form("/admin/experiments/{t.experiment_id}/start"), ("owner_session",), (303,)),
    "experiments.stop": Aim(_post_form("/admin/experiments/{t.experiment_id}/stop"), ("owner_session",), (303,)),
    "install_admin.sync_progress": Aim(_get("/admin/settings/install/sync/{t.run_id}"), ("owner_session",)),
    "install_admin.install": Aim(_get("/admin/settings/install/"), ("owner_session",), own_shop_answer=True),
    "settings.section": Aim(_get("/admin/settings/widget"), ("owner_session",), own_shop_answer=True),
    "settings.audit": Aim(_get("/admin/settings/audit"), ("owner_session",), own_shop_answer=True),
    "settings.preview": Aim(_get("/admin/settings/widget/preview"), ("owner_session",), own_shop_answer=True),
    # A shopper's data by their email: B's shopper is not found in A (404, nothing of B deleted).
    "settings.privacy_export": Aim(_shopper_form("export"), ("owner_session",)),
    "settings.privacy_delete": Aim(_shopper_form("delete"), ("owner_session",), (303,)),
    "wordpress_connect.site": Aim(_get("/admin/wordpress/site"), ("owner_session",), own_shop_answer=True),
    # The widget's beacon naming B's conversation: stored for A, unlinked from B's conversation.
    "widget_events.receive": Aim(_events_beacon, ("visitor_token",), (204,), own_shop_answer=True),
    # A platform's webhook naming B's store, signed with A's secret.
    "webhooks.receive": Aim(_webhook, ("webhook_signature",)),
    # The WooCommerce connect callback for B's site key: no principal of A holds B's connect state.
    "connect_woocommerce.callback": Aim(_woo_callback, ()),
}

_PUBLIC = "public by design: answers the same to anyone who holds the site key, which every storefront page shows"
_NO_OBJECT = "names no shop object: acts on the signed-in user's own shop (from the session) or on no shop"
_PLATFORM = ("signed by the platform app's secret over the shop it names (not a principal of a shop); its "
             "shop binding is tested in tests/connectors/shopify/")
_WP_CONNECT = ("connects the site in a state this server signed (nonce used once) to the signed-in owner's own "
               "shop; a site still connected to another shop is refused (core/wordpress_sites.py, "
               "tests/core/test_wordpress_connect.py)")
UNAIMED: dict[str, str] = {
    "widget.config": _PUBLIC, "widget.chat_config_route": _PUBLIC, "install.installed": _PUBLIC,
    "widget.loader_js": "a script, the same for every shop", "widget.launcher_js": "a script, the same for every shop",
    "widget.chat_js": "a script, the same for every shop",
    "health.healthz": "process health, no shop", "health.readyz": "process health, no shop",
    "metrics.scrape": "the operator's figures summed over every shop, behind the operator's own token",
    "openapi.openapi_document": "the API's description, no shop",
    "start_page.start": "the start page, no shop", "start_page.favicon": "an icon", "static": "static files",
    "inbox.static": "the inbox's static files",
    "admin.home": "a redirect to the inbox", "admin.sign_in": "credentials, not shop objects",
    "admin.sign_out": _NO_OBJECT, "admin.sign_out_all": _NO_OBJECT,
    "admin.forgot": "asks for a reset link by email; answers the same whether the email exists or not "
                    "(tests/core/test_admin_sign_in.py)",
    "admin.welcome": "a signed one-time link naming one user (tests/core/test_accounts.py)",
    "admin.reset": "a signed one-time link naming one user (tests/core/test_accounts.py)",
    "team.invite": _NO_OBJECT, "team.notifications": _NO_OBJECT, "hours.save": _NO_OBJECT, "canned.add": _NO_OBJECT,
    "wordpress_sign_in.sign_in": "a link signed with one shop's WordPress identity secret, naming that shop "
                                 "(tests/core/test_wordpress_sign_in.py)",
    "connect_shopify.install": "starts Shopify's OAuth for a shop domain: reads no shop's objects",
    "connect_shopify.callback": _PLATFORM, "connect_shopify.identity": _PLATFORM,
    "connect_shopify.embedded_admin": "signed in by a Shopify session token (the platform's, signed with the app "
                                      "secret) naming its shop; tests/connectors/shopify/test_embedded_admin.py",
    "analytics.schema": "the analytics report's JSON Schema, the same for every shop",
    "analytics.rollup_now": _NO_OBJECT, "experiments.create": _NO_OBJECT, "settings.save": _NO_OBJECT,
    "settings.test_engine": _NO_OBJECT, "install_admin.sync_now": _NO_OBJECT, "wordpress_connect.disconnect": _NO_OBJECT,
    "settings.index": "a redirect to the first settings page", "settings.static": "the settings pages' static files",
    "install_admin.wordpress": "the WordPress plugin's zip, the same for every shop",
    "widget_events.preflight": "the beacon's CORS preflight: headers only, no shop",
    "wordpress_connect.start": "signs the site address the plugin sends into a state; reads no shop's objects",
    "wordpress_connect.approve_page": _WP_CONNECT, "wordpress_connect.approve": _WP_CONNECT,
    "wordpress_connect.sign_up": "creates a new shop for the site in a state this server signed; reads no other "
                                 "shop (tests/core/test_wordpress_connect.py)",
    "__flask_sock.visitor_socket": "a socket: its frames are classified below",
    "__flask_sock.agent_socket": "a socket: its frames are classified below",
}


def _frames_for(t: Target, home: Target) -> dict[str, list[dict[str, Any]]]:
    c = t.conversation_id
    return {
        "message": [{"type": "message", "conversation_id": c, "client_id": uuid.uuid4().hex, "text": "probe"}],
        "resume": [{"type": "resume", "conversation_id": c, "after_seq": 0}],
        "take": [{"type": "take", "conversation_id": c}], "release": [{"type": "release", "conversation_id": c}],
        "close": [{"type": "close", "conversation_id": c}], "reopen": [{"type": "reopen", "conversation_id": c}],
        # B's conversation to oneself, and one's own conversation to B's agent.
        "assign": [{"type": "assign", "conversation_id": c, "agent_id": home.agent_id},
                   {"type": "assign", "conversation_id": home.conversation_id, "agent_id": t.agent_id}],
        "note": [{"type": "note", "conversation_id": c, "client_id": uuid.uuid4().hex, "text": "probe note"}],
        "typing": [{"type": "typing", "conversation_id": c}],
        "read": [{"type": "read", "conversation_id": c, "seq": 1}],
    }


AGENT_FRAME_AIMS = frozenset({"message", "resume", "take", "release", "close", "reopen", "assign", "note", "typing",
                              "read"})
#: The visitor socket: hello with B's site key and A's token, and a rating of B's conversation.
VISITOR_FRAME_AIMS = frozenset({"hello", "rate"})
#: The frames at one's own conversation, in an order the ownership state machine allows.
CONTROL_ORDER = ("take", "message", "note", "typing", "read", "resume", "release", "assign", "close", "reopen",
                 "release")
UNAIMED_FRAMES: dict[tuple[str, str], str] = {
    ("agent", "hello"): "authenticates (a credential or ticket): tried with every principal's token below",
    ("agent", "ping"): "names nothing",
    ("visitor", "message"): "acts on the sender's own open conversation only (from the token)",
    ("visitor", "typing"): "acts on the sender's own open conversation only (from the token)",
    ("visitor", "handoff"): "acts on the sender's own open conversation only (from the token)",
    ("visitor", "contact"): "acts on the sender's own visitor only (from the token)",
    ("visitor", "ping"): "names nothing",
}


# ---- the two shops


@dataclass
class World:
    url: str
    db: Database
    a: Target
    b: Target
    principals: dict[str, Principal]
    b_ticket: str
    cells: int = 0
    controls: int = 0


def _shop(db: Database, settings: Settings, tag: str, name: str) -> tuple[Shop, str]:
    store = f"https://{tag}-store.example"
    secret = f"{tag}-webhook-secret"
    with db.session() as session:
        shop = Shop(name=name, platform="woocommerce", site_key=f"sk_{tag}", platform_ref=store,
                    connector_config=seal_config(settings, "woocommerce", {
                        "store_url": store, "consumer_key": "ck_x", "consumer_secret": "cs_x",
                        "webhook_secret": secret}))
        session.add(shop)
    return shop, secret


def _signed_in(url: str, email: str) -> tuple[requests.Session, str]:
    s = requests.Session()
    page = s.get(f"{url}/admin/sign-in", timeout=10).text
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)  # type: ignore[union-attr]
    assert s.post(f"{url}/admin/sign-in", data={"email": email, "password": PASSWORD, "csrf_token": csrf},
                  allow_redirects=False, timeout=10).status_code == 302
    page = s.get(f"{url}/admin/inbox/", timeout=10).text
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)  # type: ignore[union-attr]
    return s, csrf


def _populate(url: str, db: Database, settings: Settings, tag: str, name: str) -> tuple[Target, dict[str, Any]]:
    shop, webhook_secret = _shop(db, settings, tag, name)
    users = {}
    for role, who in (("owner", "owner"), ("agent", "agent"), ("agent", "spare")):
        user = create_user(db, shop.id, f"{tag}-{who}@{tag}.example", role=role, name=f"{tag.title()} {who} person")
        users[who] = set_password(db, user.id, PASSWORD)  # a new password: a new session version
    agent, credential = create_agent(db, shop.id, f"{tag.title()} bot")
    hello = requests.post(f"{url}/api/v1/visitor/hello", json={"site_key": shop.site_key}, timeout=10).json()
    sent = requests.post(f"{url}/api/v1/visitor/messages", timeout=10, json={
        "site_key": shop.site_key, "token": hello["token"], "client_id": "c1",
        "text": f"{tag} secret line"}).json()
    conversation_id = sent["ack"]["conversation_id"]
    with db.session() as session:
        visitor = session.scalar(select(Visitor).where(Visitor.shop_id == shop.id))
        visitor.email = f"{tag}-shopper@{tag}.example"
        session.add(Visitor(id=f"{tag}-privacy-visitor", shop_id=shop.id, email=f"{tag}-privacy@{tag}.example"))
        session.add(Note(conversation_id=conversation_id, agent_id=users["agent"].agent_id, text=f"{tag} secret note"))
        canned = CannedReply(shop_id=shop.id, shortcut="thanks", text=f"{tag} secret canned reply")
        session.add(canned)
        # A day of analytics whose content gap names the shop's conversation and a shopper's words.
        session.add(AnalyticsDay(shop_id=shop.id, day=utcnow().date(), data={"conversations": 1}, gaps={
            f"{tag} gap": {"text": f"{tag} secret gap question", "n": 1, "c": [conversation_id]}}))
        experiment = experiments.create(session, session.get(Shop, shop.id), experiments.ExperimentIn.model_validate({
            "name": f"{tag} secret experiment", "target": "greeting", "variants": [
                {"key": "A", "weight": 50, "value": f"{tag} secret hello"}, {"key": "B", "weight": 50, "value": "Hi"}]}))
        session.flush()
        canned_id, experiment_id = canned.id, experiment.id
    run_id = create_run(db, shop.id).id
    secrets = (name, f"{tag} secret", f"{tag}-owner@", f"{tag}-agent@", f"{tag}-spare@", f"{tag}-shopper@",
               f"{tag}-privacy@",
               f"{tag.title()} agent person", f"{tag.title()} owner person", f"{tag.title()} bot")
    target = Target(shop.id, shop.site_key, shop.platform_ref, conversation_id, canned_id, users["spare"].id,
                    users["agent"].agent_id, experiment_id, run_id, secrets, f"{tag}-privacy@{tag}.example")
    return target, {"token": hello["token"], "credential": credential, "users": users,
                    "webhook_secret": webhook_secret}


@pytest.fixture
def world(settings: Settings, db: Database, redis) -> Iterator[World]:  # type: ignore[no-untyped-def]
    # Every probe a refusal or a control, not a flood: the buckets must not answer in their place.
    settings.visitor_message_burst = settings.ip_message_burst = settings.agent_message_burst = 10_000
    app = create_app(settings)
    try:
        with serve(app) as url:
            a, own = _populate(url, db, settings, "alpha", "Alpha Goods")
            b, b_own = _populate(url, db, settings, "bravo", "Bravo Hidden Boutique")
            tickets = SocketTickets(settings.secret_key or "")
            agent_user: User = own["users"]["agent"]
            owner_session, owner_csrf = _signed_in(url, "alpha-owner@alpha.example")
            agent_session, agent_csrf = _signed_in(url, "alpha-agent@alpha.example")
            ticket = tickets.mint(agent_user.id, agent_user.session_version)
            principals = {
                "visitor_token": Principal("visitor_token", own["token"]),
                "agent_session": Principal("agent_session", session=agent_session, csrf=agent_csrf,
                                           headers={"X-CSRFToken": agent_csrf}),
                "agent_ticket": Principal("agent_ticket", ticket, headers={"Authorization": f"Bearer {ticket}"}),
                "owner_session": Principal("owner_session", session=owner_session, csrf=owner_csrf,
                                           headers={"X-CSRFToken": owner_csrf}),
                "api_key": Principal("api_key", own["credential"],
                                     headers={"Authorization": f"Bearer {own['credential']}"}),
                "webhook_signature": Principal("webhook_signature", webhook_secret=own["webhook_secret"]),
            }
            b_owner: User = b_own["users"]["owner"]
            yield World(url, db, a, b, principals, tickets.mint(b_owner.id, b_owner.session_version))
    finally:
        app.extensions["storechat"].close()


def _snapshot(db: Database, shop_id: int) -> dict[str, Any]:
    """Everything of a shop a foreign principal could change."""
    with db.session() as session:
        conversations = session.scalars(select(Conversation).where(Conversation.shop_id == shop_id)).all()
        ids = [c.id for c in conversations]
        return {
            "shop": [(s.name, s.active, json.dumps(s.settings, sort_keys=True))
                     for s in session.scalars(select(Shop).where(Shop.id == shop_id))],
            "conversations": sorted((c.id, c.status, c.agent_id, c.last_seq) for c in conversations),
            "messages": sorted((m.conversation_id, m.seq, m.text) for m in
                               session.scalars(select(Message).where(Message.conversation_id.in_(ids)))),
            "notes": sorted((n.id, n.text) for n in session.scalars(select(Note).where(Note.conversation_id.in_(ids)))),
            "canned": sorted((c.id, c.text) for c in
                             session.scalars(select(CannedReply).where(CannedReply.shop_id == shop_id))),
            "users": sorted((u.id, u.active, u.role, u.session_version) for u in
                            session.scalars(select(User).where(User.shop_id == shop_id))),
            "visitors": sorted((v.id, v.email or "") for v in
                               session.scalars(select(Visitor).where(Visitor.shop_id == shop_id))),
            "webhooks": session.query(WebhookDelivery).filter(WebhookDelivery.shop_id == shop_id).count(),
            "experiments": sorted((e.id, e.status) for e in
                                  session.scalars(select(Experiment).where(Experiment.shop_id == shop_id))),
            "sync_runs": sorted((r.id, r.status) for r in
                                session.scalars(select(SyncRun).where(SyncRun.shop_id == shop_id))),
            # The widget's events of the shop, or naming its conversations (another shop's beacon).
            "widget_events": sorted((e.shop_id, e.kind, e.conversation_id or 0) for e in session.scalars(
                select(Event).where(Event.kind.in_(WIDGET_KINDS.values()),
                                    (Event.shop_id == shop_id) | Event.conversation_id.in_(ids)))),
        }


def _send(world: World, who: Principal, probe: Probe) -> requests.Response:
    headers = {**who.headers, **probe.headers}
    if "Authorization" in headers and TOKEN in headers["Authorization"]:
        headers["Authorization"] = f"Bearer {who.token or 'none'}"
    body = json.loads(json.dumps(probe.json).replace(TOKEN, who.token or "none")) if probe.json else None
    data: Any = None
    if probe.form is not None:
        data = {**probe.form, **({"csrf_token": who.csrf} if who.csrf else {})}
    if probe.raw is not None:
        data = probe.raw
        if who.webhook_secret:
            headers["X-WC-Webhook-Signature"] = base64.b64encode(
                hmac.new(who.webhook_secret.encode(), probe.raw, hashlib.sha256).digest()).decode()
    return who.session.request(probe.method, world.url + probe.path, params=probe.query, json=body, data=data,
                               headers=headers, allow_redirects=False, timeout=15)


def _leaks(text: str, target: Target) -> list[str]:
    return [s for s in target.secrets if s.lower() in text.lower()]


def _answer_text(response: requests.Response) -> str:
    return response.text + " " + " ".join(f"{k}: {v}" for k, v in response.headers.items())


# ---- the tests


@pytest.fixture
def whole_app(settings: Settings, db: Database, redis) -> Iterator[Flask]:  # type: ignore[no-untyped-def]
    settings.demo = True
    app = create_app(settings)
    yield app
    app.extensions["storechat"].close()


def _check_routes(app: Flask) -> None:
    endpoints = {rule.endpoint for rule in app.url_map.iter_rules()}
    demo = {e for e in endpoints if e.startswith("demo.")}  # the demo storefront: a pretend shop, no principals
    unclassified = sorted(endpoints - demo - set(AIMS) - set(UNAIMED))
    assert not unclassified, (
        "routes the isolation matrix does not know: " + ", ".join(unclassified) + ". In tests/core/"
        "test_isolation_matrix.py add each to AIMS (how it names a shop's objects: an Aim whose requests take a "
        "Target) or to UNAIMED (why it names no other shop's object).")
    assert not (set(AIMS) | set(UNAIMED)) - endpoints, "AIMS/UNAIMED name routes that no longer exist"


def test_a_route_added_later_must_be_classified(whole_app: Flask) -> None:
    whole_app.add_url_rule("/widget/v1/feedback", "widget.feedback", lambda: "", methods=["POST"])
    with pytest.raises(AssertionError, match=r"does not know: widget\.feedback\. .* AIMS .* UNAIMED"):
        _check_routes(whole_app)


def test_every_route_and_frame_is_classified(whole_app: Flask) -> None:
    _check_routes(whole_app)
    for socket, types, aimed in (("agent", AGENT_TYPES, AGENT_FRAME_AIMS),
                                 ("visitor", VISITOR_TYPES, VISITOR_FRAME_AIMS)):
        missing = sorted(t for t in types if t not in aimed and (socket, t) not in UNAIMED_FRAMES)
        assert not missing, f"{socket} frame types the isolation matrix does not know: {missing}"


def test_no_principal_of_one_shop_reaches_another_shops_objects(world: World) -> None:
    before = _snapshot(world.db, world.b.shop_id)
    failures: list[str] = []
    for endpoint, aim in sorted(AIMS.items()):
        for kind in KINDS:
            who = world.principals[kind]
            for probe in aim.aim(world.b, world.a):
                response = _send(world, who, probe)
                world.cells += 1
                where = f"{kind} -> {endpoint} {probe.method} {probe.path}"
                if response.status_code >= 500:
                    failures.append(f"{where}: {response.status_code}")
                if 200 <= response.status_code < 300 and not aim.own_shop_answer:
                    failures.append(f"{where}: served ({response.status_code}) {response.text[:200]!r}")
                if leaked := _leaks(_answer_text(response), world.b):
                    failures.append(f"{where}: the answer names B's {leaked}")
                if (after := _snapshot(world.db, world.b.shop_id)) != before:
                    failures.append(f"{where}: changed shop B: {after} != {before}")
                    before = after
    assert not failures, "\n".join(failures)
    # The same requests at A's own objects are served, so each refusal above is B's.
    for endpoint, aim in sorted(AIMS.items(), key=lambda item: item[0] in ("canned.delete", "team.close",
                                                                           "settings.privacy_delete")):
        for kind in aim.native:
            for probe in aim.aim(world.a, world.a)[:1]:
                response = _send(world, world.principals[kind], probe)
                world.controls += 1
                assert response.status_code in aim.served, (kind, endpoint, response.status_code, response.text[:300])
                assert not _leaks(_answer_text(response), world.b), (kind, endpoint)
    print(f"\nisolation matrix (HTTP): {world.cells} cells, {world.controls} controls")


def _collect(client: Any, seconds: float) -> list[dict[str, Any]]:
    frames = []
    try:
        while True:
            frames.append(client.recv(timeout=seconds))
    except (websocket.WebSocketTimeoutException, ConnectionError, websocket.WebSocketConnectionClosedException):
        return frames


def _until_pong(client: Any) -> list[dict[str, Any]]:
    """Every frame up to the answer to a ping: frames are handled in order, so whatever the
    frames sent before the ping caused has arrived by then."""
    client.send({"type": "ping"})
    got = []
    while True:
        frame = client.recv(timeout=10)
        if frame["type"] == "pong":
            return got
        got.append(frame)


def test_no_socket_frame_of_one_shop_reaches_another_shops_objects(world: World) -> None:
    b_team = AgentClient(world.url)
    b_team.hello_ticket(world.b_ticket)  # shop B's inbox, listening: none of A's frames may reach it
    _collect(b_team, 0.5)
    before = _snapshot(world.db, world.b.shop_id)
    failures: list[str] = []
    cells = controls = 0
    hellos = {"agent_ticket": {"ticket": world.principals["agent_ticket"].token},
              "api_key": {"credential": world.principals["api_key"].token}}
    for kind in KINDS:
        who = world.principals[kind]
        if kind in hellos:
            agent = AgentClient(world.url)
            agent.send({"type": "hello", **hellos[kind]})
            me = agent.expect("welcome")["agent"]["id"]
            _until_pong(agent)
            for frame_type in sorted(AGENT_FRAME_AIMS):
                for frame in _frames_for(world.b, world.a)[frame_type]:
                    agent.send(frame)
                    got = _until_pong(agent)
                    cells += 1
                    where = f"{kind} -> /ws/agent {frame}"
                    if not any(f["type"] == "error" for f in got):
                        failures.append(f"{where}: not refused: {got}")
                    if leaked := _leaks(json.dumps(got), world.b):
                        failures.append(f"{where}: the answer names B's {leaked}")
            # The same frames at A's own conversation are served (no error).
            for frame_type in CONTROL_ORDER:
                frame = _frames_for(world.a, world.a)[frame_type][0]
                if frame_type == "assign":
                    frame = {**frame, "agent_id": me}
                agent.send(frame)
                got = _until_pong(agent)
                controls += 1
                assert not [f for f in got if f["type"] == "error"], (kind, frame, got)
            agent.close()
        else:
            # Any other principal's token presented to the agent socket opens nothing.
            agent = AgentClient(world.url)
            agent.send({"type": "hello", "credential": (who.token or who.csrf or "none")[:100]})
            refused = agent.expect("error")
            cells += 1
            assert refused["fatal"], (kind, refused)
            if leaked := _leaks(json.dumps(refused), world.b):
                failures.append(f"{kind} -> /ws/agent hello: names B's {leaked}")
            agent.close()
        # The visitor socket: B's site key with this principal's token, and a rating of B's conversation.
        visitor = VisitorClient(world.url)
        visitor.send({"type": "hello", "site_key": world.b.site_key, "token": who.token or "none"})
        refused = visitor.expect("error")
        cells += 1
        if not refused["fatal"] or _leaks(json.dumps(refused), world.b):
            failures.append(f"{kind} -> /ws/visitor hello at B: {refused}")
        visitor.close()
    visitor = VisitorClient(world.url)
    visitor.hello(world.a.site_key, world.principals["visitor_token"].token)
    visitor.send({"type": "rate", "conversation_id": world.b.conversation_id, "score": 1})
    got = _until_pong(visitor)
    cells += 1
    if not any(f["type"] == "error" for f in got) or _leaks(json.dumps(got), world.b):
        failures.append(f"visitor_token -> /ws/visitor rate of B's conversation: {got}")
    visitor.send({"type": "rate", "conversation_id": world.a.conversation_id, "score": 5})
    assert not [f for f in _until_pong(visitor) if f["type"] == "error"]
    controls += 1
    visitor.close()
    heard = [f for f in _collect(b_team, 1.0) if f["type"] not in ("presence", "pong")]
    b_team.close()
    assert not heard, f"shop B's inbox heard A's frames: {heard}"
    assert _snapshot(world.db, world.b.shop_id) == before, "A's frames changed shop B"
    assert not failures, "\n".join(failures)
    print(f"\nisolation matrix (frames): {cells} cells, {controls} controls")
