"""A/B tests and the widget's events: the events endpoint's contract, the config's
``ab``, the admin's experiments, and results split by the variant each visitor
reported (``hello``'s ``ab`` on the socket and over HTTP, and the events' ``ab``)."""
from __future__ import annotations

import json
import re
from datetime import datetime, timezone
from decimal import Decimal
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from core import audit
from core.accounts.users import create_user, set_password
from core.analytics import experiments, rollup, stats
from core.app import create_app
from core.connector import OrderCreated, OrderRecord
from core.db import Conversation, Database, Event, Experiment, Shop, Visitor
from core.settings import Settings
from core.webhooks.processing import apply_action
from tests.wsclient import VisitorClient

PASSWORD = "correct horse battery"
GREETING_TEST = {"name": "Greeting", "target": "greeting", "variants": [
    {"key": "A", "weight": 50, "value": "Hi! Questions?"}, {"key": "B", "weight": 50, "value": "Need a hand?"}]}


def _experiment(db: Database, shop_id: int, spec: dict[str, Any] = GREETING_TEST, *, running: bool = True) -> int:
    with db.session() as session:
        shop = session.get(Shop, shop_id)
        e = experiments.create(session, shop, experiments.ExperimentIn.model_validate(spec))
        if running:
            experiments.start(session, e)
        return e.id


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


def beacon(client: FlaskClient, body: Any, *, content_type: str = "text/plain;charset=UTF-8",
           ip: str = "203.0.113.9") -> Any:
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    return client.post("/widget/v1/events", data=raw, headers={"Content-Type": content_type},
                       environ_base={"REMOTE_ADDR": ip})


def _events(db: Database, kind: str | None = None) -> list[Event]:
    with db.session() as session:
        query = select(Event).order_by(Event.id)
        if kind:
            query = query.where(Event.kind == kind)
        return list(session.scalars(query))


# -- POST /widget/v1/events --------------------------------------------------------


def test_widget_events_are_stored_from_a_beacon(client: FlaskClient, db: Database, shop: Shop) -> None:
    resp = beacon(client, {"site_key": "sk_test", "ab": {"7": "B"}, "events": [
        {"kind": "load"}, {"kind": "open", "conversation_id": None}, {"kind": "trigger", "trigger": 1},
        {"kind": "add_to_cart", "product_id": "gid-42"}]})
    assert resp.status_code == 204 and resp.headers["Access-Control-Allow-Origin"] == "*"
    stored = [(e.kind, e.data, e.shop_id) for e in _events(db)]
    assert stored == [("widget_load", {"ab": {"7": "B"}}, shop.id), ("widget_open", {"ab": {"7": "B"}}, shop.id),
                      ("trigger_fired", {"ab": {"7": "B"}, "trigger": 1}, shop.id),
                      ("add_to_cart", {"ab": {"7": "B"}, "product_id": "gid-42"}, shop.id)]
    assert beacon(client, {"site_key": "sk_test", "events": [{"kind": "load"}]},
                  content_type="application/json").status_code == 204
    assert client.options("/widget/v1/events").status_code == 204


@pytest.mark.parametrize(("body", "words"), [
    (b"not json", "JSON"),
    ({"site_key": "sk_test", "events": []}, "events"),
    ({"site_key": "sk_test", "events": [{"kind": "scroll"}]}, "kind"),
    ({"site_key": "sk_test", "events": [{"kind": "trigger"}]}, "trigger"),
    ({"site_key": "sk_test", "events": [{"kind": "trigger", "trigger": "1"}]}, "trigger"),
    ({"site_key": "sk_test", "events": [{"kind": "add_to_cart"}]}, "product_id"),
    ({"site_key": "sk_test", "events": [{"kind": "load", "conversation_id": 0}]}, "conversation_id"),
    ({"site_key": "sk_test", "events": [{"kind": "load"}] * 21}, "events"),
    ({"site_key": "sk_test", "events": [{"kind": "load"}], "ab": {"1": "A B"}}, "ab"),
    ({"site_key": "sk_test", "events": [{"kind": "load"}], "ab": {str(i): "A" for i in range(11)}}, "ab"),
    ({"events": [{"kind": "load"}]}, "site_key"),
    (b'{"site_key": "sk_test", "events": [{"kind": "load"}], "x": "' + b"y" * 5000 + b'"}', "4096"),
])
def test_bad_widget_events_are_refused_clearly_and_store_nothing(client: FlaskClient, db: Database, shop: Shop,
                                                                  body: Any, words: str) -> None:
    resp = beacon(client, body)
    assert resp.status_code == 400
    assert words in resp.get_json()["error"]["message"]
    assert _events(db) == []


def test_widget_events_of_an_unknown_site_key_are_404(client: FlaskClient, shop: Shop) -> None:
    resp = beacon(client, {"site_key": "sk_nope", "events": [{"kind": "load"}]})
    assert resp.status_code == 404 and resp.get_json()["error"]["code"] == "unknown_site_key"


def test_widget_events_from_an_origin_the_shop_does_not_allow_are_403(client: FlaskClient, db: Database,
                                                                      shop: Shop) -> None:
    with db.session() as session:
        session.get(Shop, shop.id).allowed_origins = ["https://shop.example"]
    raw = json.dumps({"site_key": "sk_test", "events": [{"kind": "load"}]}).encode()

    def send(origin: str) -> int:
        return client.post("/widget/v1/events", data=raw, headers={"Content-Type": "text/plain",
                                                                   "Origin": origin}).status_code

    assert (send("https://evil.example"), send("https://shop.example")) == (403, 204)
    assert len(_events(db)) == 1


def test_widget_events_are_rate_limited_per_address(settings: Settings, db: Database, redis: Any,
                                                    shop: Shop) -> None:
    settings.ip_message_burst, settings.ip_message_rate = 3, 0.01
    app = create_app(settings)
    try:
        client = app.test_client()
        body = {"site_key": "sk_test", "events": [{"kind": "load"}]}
        assert [beacon(client, body).status_code for _ in range(4)] == [204, 204, 204, 429]
        assert beacon(client, body, ip="198.51.100.1").status_code == 204  # another address has its own
    finally:
        app.extensions["storechat"].close()
    assert len(_events(db)) == 4


def test_a_conversation_of_another_shop_is_not_linked(client: FlaskClient, db: Database, shop: Shop) -> None:
    with db.session() as session:
        other = Shop(name="Other", platform="csv", site_key="sk_other", connector_config={})
        session.add(other)
        session.flush()
        for vid, sid in (("v-mine", shop.id), ("v-theirs", other.id)):
            session.add(Visitor(id=vid, shop_id=sid))
        session.flush()
        mine, theirs = Conversation(shop_id=shop.id, visitor_id="v-mine"), Conversation(shop_id=other.id,
                                                                                          visitor_id="v-theirs")
        session.add_all([mine, theirs])
        session.flush()
        ids = mine.id, theirs.id
    assert beacon(client, {"site_key": "sk_test", "events": [
        {"kind": "add_to_cart", "product_id": "p", "conversation_id": ids[0]},
        {"kind": "add_to_cart", "product_id": "p", "conversation_id": ids[1]}]}).status_code == 204
    assert [e.conversation_id for e in _events(db)] == [ids[0], None]


# -- the config's ab -------------------------------------------------------------------


def test_the_config_carries_ab_only_while_an_experiment_runs(client: FlaskClient, db: Database, shop: Shop) -> None:
    assert "ab" not in client.get("/widget/v1/config?site_key=sk_test").get_json()
    draft = _experiment(db, shop.id, running=False)
    assert "ab" not in client.get("/widget/v1/config?site_key=sk_test").get_json()
    with db.session() as session:
        experiments.start(session, session.get(Experiment, draft))
    # The chat's part of the config carries the variants' texts; the launcher's only their weights
    # (a greeting is drawn with the chat).
    assert client.get("/widget/v1/chat-config?site_key=sk_test").get_json()["ab"] == [
        {"id": str(draft), "target": "greeting", "variants": GREETING_TEST["variants"]}]
    assert client.get("/widget/v1/config?site_key=sk_test").get_json()["ab"] == [
        {"id": str(draft), "target": "greeting",
         "variants": [{"key": v["key"], "weight": v["weight"]} for v in GREETING_TEST["variants"]]}]
    with db.session() as session:
        experiments.stop(session.get(Experiment, draft))
    assert "ab" not in client.get("/widget/v1/config?site_key=sk_test").get_json()


def test_a_trigger_experiment_names_its_trigger(client: FlaskClient, db: Database, shop: Shop) -> None:
    with db.session() as session:
        session.get(Shop, shop.id).settings = {"triggers": [{"time": 5}, {"scroll": 50}]}
    spec = {"name": "Scroll nudge", "target": "trigger", "trigger": 1, "variants": [
        {"key": "A", "weight": 70, "value": "Looking for something?"}, {"key": "B", "weight": 30, "value": "Hi!"}]}
    eid = _experiment(db, shop.id, spec)
    [entry] = client.get("/widget/v1/chat-config?site_key=sk_test").get_json()["ab"]
    assert entry == {"id": str(eid), "target": "trigger", "trigger": 1, "variants": spec["variants"]}
    with db.session() as session, pytest.raises(experiments.ExperimentError, match="no trigger number 3"):
        experiments.create(session, session.get(Shop, shop.id),
                           experiments.ExperimentIn.model_validate({**spec, "trigger": 2}))


# -- the admin -------------------------------------------------------------------------


def _signed_in(app: Flask, email: str) -> tuple[FlaskClient, str]:
    client = app.test_client()
    page = client.get("/admin/sign-in").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)  # type: ignore[union-attr]
    assert client.post("/admin/sign-in", data={"email": email, "password": PASSWORD,
                                               "csrf_token": token}).status_code == 302
    page = client.get("/admin/inbox/").get_data(as_text=True)  # its sign-out form carries the session's token
    return client, re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)  # type: ignore[union-attr]


def test_owners_create_start_and_stop_tests_and_agents_only_read(app: Flask, db: Database, shop: Shop) -> None:
    for email, role in (("owner@example.com", "owner"), ("agent@example.com", "agent")):
        set_password(db, create_user(db, shop.id, email, role=role).id, PASSWORD)
    owner, token = _signed_in(app, "owner@example.com")
    form = {"csrf_token": token, "name": "Greeting test", "target": "greeting", "value_0": "Hello!",
            "weight_0": "50", "value_1": "", "weight_1": "50"}
    resp = owner.post("/admin/experiments/", data=form)
    assert resp.status_code == 400 and "variants" in resp.get_data(as_text=True)
    resp = owner.post("/admin/experiments/", data={**form, "weight_0": "0", "value_1": "Hey there"})
    assert resp.status_code == 400 and "greater than or equal to 1" in resp.get_data(as_text=True)
    resp = owner.post("/admin/experiments/", data={**form, "weight_0": "²", "value_1": "Hey there"})
    assert resp.status_code == 400 and "whole number" in resp.get_data(as_text=True)  # int() cannot read ²: was a 500
    assert owner.post("/admin/experiments/", data={**form, "value_1": "Hey there"}).status_code == 303
    assert owner.post("/admin/experiments/", data={**form, "value_1": "Yo"}).status_code == 303
    with db.session() as session:
        first, second = session.scalars(select(Experiment.id).order_by(Experiment.id)).all()
    assert owner.post(f"/admin/experiments/{first}/start", data={"csrf_token": token}).status_code == 303
    resp = owner.post(f"/admin/experiments/{second}/start", data={"csrf_token": token})
    assert resp.status_code == 409 and "another experiment on this text is running" in resp.get_data(as_text=True)
    agent, agent_token = _signed_in(app, "agent@example.com")
    page = agent.get("/admin/experiments/").get_data(as_text=True)
    assert "Greeting test" in page and "New A/B test" not in page
    assert agent.post(f"/admin/experiments/{first}/stop", data={"csrf_token": agent_token}).status_code == 403
    assert owner.post(f"/admin/experiments/{first}/stop", data={"csrf_token": token}).status_code == 303
    with db.session() as session:
        assert [e.status for e in session.scalars(select(Experiment).order_by(Experiment.id))] == ["stopped", "draft"]


def test_creating_starting_and_stopping_a_test_is_audited(app: Flask, db: Database, shop: Shop) -> None:
    """Who created, started and stopped which test, and what it tries; a refused change leaves no entry."""
    set_password(db, create_user(db, shop.id, "owner@example.com", role="owner").id, PASSWORD)
    owner, token = _signed_in(app, "owner@example.com")
    form = {"csrf_token": token, "name": "Greeting test", "target": "greeting", "value_0": "Hello!",
            "weight_0": "50", "value_1": "Hey there", "weight_1": "50"}
    assert owner.post("/admin/experiments/", data={**form, "value_1": ""}).status_code == 400
    assert owner.post("/admin/experiments/", data=form).status_code == 303
    with db.session() as session:
        eid = session.scalars(select(Experiment.id)).one()
    assert owner.post(f"/admin/experiments/{eid}/stop", data={"csrf_token": token}).status_code == 409  # a draft
    assert owner.post(f"/admin/experiments/{eid}/start", data={"csrf_token": token}).status_code == 303
    assert owner.post(f"/admin/experiments/{eid}/stop", data={"csrf_token": token}).status_code == 303
    with db.session() as session:
        entries = audit.entries(session, shop.id)[::-1]
    assert [(e.action, e.who) for e in entries] == [("experiment.create", "owner@example.com"),
                                                     ("experiment.start", "owner@example.com"),
                                                     ("experiment.stop", "owner@example.com")]
    created = entries[0].detail
    assert created["experiment"] == eid and created["changes"]["name"] == [None, "Greeting test"]
    assert created["changes"]["target"] == [None, "greeting"]
    assert [v["value"] for v in created["changes"]["variants"][1]] == ["Hello!", "Hey there"]
    assert entries[1].detail["changes"] == {f"Greeting test (#{eid})": ["draft", "running"]}
    assert entries[2].detail["changes"] == {f"Greeting test (#{eid})": ["running", "stopped"]}
    page = owner.get("/admin/settings/audit").get_data(as_text=True)
    assert "experiment.start" in page and "Greeting test" in page


# -- results split by variant ------------------------------------------------------------


def test_results_are_split_by_the_variant_reported_in_hello_and_events(base_url: str, db: Database,
                                                                     shop: Shop, redis: Any) -> None:
    import requests

    eid = str(_experiment(db, shop.id))
    # Visitor A chats over the socket, visitor B over HTTP; each reported its variant in hello.
    a = VisitorClient(base_url)
    a.send({"type": "hello", "site_key": "sk_test", "ab": {eid: "A"}})
    a.expect("welcome")
    conversation_a = a.say("do you have gloves?")["conversation_id"]
    a.close()
    http = requests.Session()
    token = http.post(f"{base_url}/api/v1/visitor/hello", json={"site_key": "sk_test", "ab": {eid: "B"}},
                      timeout=10).json()["token"]
    sent = http.post(f"{base_url}/api/v1/visitor/messages", timeout=10, json={
        "site_key": "sk_test", "token": token, "client_id": "b1", "text": "hello", "ab": {eid: "B"}}).json()
    conversation_b = sent["ack"]["conversation_id"]
    with db.session() as session:
        contexts = {c.id: session.get(Visitor, c.visitor_id).context for c in session.scalars(select(Conversation))}
        assert contexts[conversation_a]["ab"] == {eid: "A"} and contexts[conversation_b]["ab"] == {eid: "B"}
        # A was resolved by the assistant (its answer's event), B was handed to a person.
        session.add(Event(shop_id=shop.id, conversation_id=conversation_a, kind="assistant_reply",
                          data={"intent": "product_search", "answered": True, "grounded": True}))
        session.add(Event(shop_id=shop.id, conversation_id=conversation_b, kind="handoff", data={}))

    def events(variant: str, *items: dict[str, Any]) -> None:
        resp = requests.post(f"{base_url}/widget/v1/events", timeout=10, headers={"Content-Type": "text/plain"},
                             data=json.dumps({"site_key": "sk_test", "events": list(items), "ab": {eid: variant}}))
        assert resp.status_code == 204

    events("A", {"kind": "load"}, {"kind": "load"}, {"kind": "load"}, {"kind": "open"}, {"kind": "open"})
    events("B", {"kind": "load"}, {"kind": "load"}, {"kind": "open"},
           {"kind": "add_to_cart", "product_id": "p1", "conversation_id": conversation_b})
    events("C", {"kind": "load"})  # a key the experiment does not have: ignored in its results
    apply_action(db, shop.id, OrderCreated(OrderRecord(
        external_id="o-b", name="#1", email=None, created_at=datetime.now(timezone.utc), currency="USD",
        total_price=Decimal("30.00")), conversation_ref=str(conversation_b)))
    rollup.roll_up_recent(db, shop.id, 1)
    with db.session() as session:
        found = experiments.results(session, session.get(Experiment, int(eid)), "USD")
    by_key = {v["key"]: v for v in found["variants"]}
    pick = ("views", "opens", "conversations", "resolved", "add_to_cart", "orders", "revenue")
    assert {k: [v[p] for p in pick] for k, v in by_key.items()} == {
        "A": [3, 2, 1, 1, 0, 0, "0.00"], "B": [2, 1, 1, 0, 1, 1, "30.00"]}
    assert by_key["A"]["verdict"] is None and by_key["B"]["verdict"].startswith("Too early to tell")


# -- statistics ---------------------------------------------------------------------------


def test_wilson_interval_and_verdicts() -> None:
    low, high = stats.Rate(50, 100).interval()  # type: ignore[misc]
    assert (round(low, 4), round(high, 4)) == (0.4038, 0.5962)
    assert stats.Rate(0, 0).interval() is None
    better = stats.verdict("chats opened per view", "A", stats.Rate(100, 1000), "B", stats.Rate(150, 1000))
    assert better.startswith("B is better than A") and "likely a real improvement" in better
    tie = stats.verdict("chats opened per view", "A", stats.Rate(100, 1000), "B", stats.Rate(105, 1000))
    assert tie.startswith("No clear difference yet")
    worse = stats.verdict("chats opened per view", "A", stats.Rate(150, 1000), "B", stats.Rate(100, 1000))
    assert worse.startswith("B is worse than A")
