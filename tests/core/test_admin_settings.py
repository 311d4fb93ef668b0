"""The Settings pages: owners only (an agent and another shop's owner are
refused), CSRF, every section checked as a whole (a bad value is refused
naming the field, nothing stored), and every change audited: who, what (old
and new, secrets redacted), from where."""
from __future__ import annotations

import io
import re
import zipfile
from datetime import datetime
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from werkzeug.datastructures import MultiDict

from core import audit
from core.analytics import attribution
from core.accounts.users import create_user, set_password
from core.db import AuditLog, Database, Shop, SyncRun, User
from core.security.credentials import SEALED
from core.shops import demo_shop_config

PASSWORD = "correct horse battery"


def _make_shop(db: Database, name: str, site_key: str, **extra: Any) -> int:
    with db.session() as session:
        shop = Shop(name=name, platform=extra.pop("platform", "csv"), site_key=site_key, connector_config={},
                    settings=extra.pop("settings", {"color": "#123456"}), **extra)
        session.add(shop)
        session.flush()
        return shop.id


@pytest.fixture
def shop_id(db: Database) -> int:
    shop_id = _make_shop(db, "Settings Shop", "sk_settings")
    for email, role in (("owner@example.com", "owner"), ("agent@example.com", "agent")):
        set_password(db, create_user(db, shop_id, email, role=role).id, PASSWORD)
    return shop_id


@pytest.fixture
def other_shop(db: Database) -> int:
    other = _make_shop(db, "Other Shop", "sk_other", settings={"greeting": "theirs"})
    set_password(db, create_user(db, other, "boss@other.example", role="owner").id, PASSWORD)
    return other


def _token(page: str) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert match, page
    return match.group(1)


def signed_in(app: Flask, email: str) -> FlaskClient:
    client = app.test_client()
    token = _token(client.get("/admin/sign-in").get_data(as_text=True))
    response = client.post("/admin/sign-in", data={"email": email, "password": PASSWORD, "csrf_token": token},
                           environ_base={"REMOTE_ADDR": "198.51.100.7"})
    assert response.status_code == 302
    return client


def post(client: FlaskClient, path: str, data: Any) -> Any:
    token = _token(client.get("/admin/settings/widget").get_data(as_text=True))
    fields = data if isinstance(data, list) else list(data.items())
    return client.post(path, data=MultiDict([("csrf_token", token), *fields]),
                       environ_base={"REMOTE_ADDR": "198.51.100.7"})


def stored(db: Database, shop_id: int) -> dict[str, Any]:
    with db.session() as session:
        shop = session.get(Shop, shop_id)
        assert shop is not None
        return dict(shop.settings or {})


def entries(db: Database, shop_id: int) -> list[AuditLog]:
    with db.session() as session:
        rows = list(session.scalars(select(AuditLog).where(AuditLog.shop_id == shop_id).order_by(AuditLog.id)))
        session.expunge_all()
        return rows


WIDGET = {"title": "Ask Sunny", "greeting": "Hi! Looking for a jacket?", "color": "#FF6600", "position": "left",
          "launcher_text": "Questions?", "launcher_icon": "help", "avatar_url": "https://cdn.example.com/a.png",
          "quick_replies": "Shipping\nReturns\n", "contact_after": "45", "powered_by": "", "dark_mode": "on"}


# ---- every section: saved as a whole, audited


def test_the_owner_saves_the_widget_and_it_is_audited(app: Flask, db: Database, shop_id: int) -> None:
    client = signed_in(app, "owner@example.com")
    page = client.get("/admin/settings/widget")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    for link in ("/admin/hours/", "/admin/team/", "/admin/canned/", "/admin/settings/install/",
                 "/admin/settings/audit", "/admin/settings/assistant"):
        assert f'href="{link}"' in html, link  # one Settings navigation
    response = post(client, "/admin/settings/widget", WIDGET)
    assert response.status_code == 303, response.get_data(as_text=True)
    settings = stored(db, shop_id)
    assert settings == {"title": "Ask Sunny", "greeting": "Hi! Looking for a jacket?", "color": "#ff6600",
                        "position": "left", "launcher_text": "Questions?", "launcher_icon": "help",
                        "avatar_url": "https://cdn.example.com/a.png", "quick_replies": ["Shipping", "Returns"],
                        "contact_after": 45, "powered_by": False}
    [entry] = entries(db, shop_id)
    assert entry.action == "settings.widget" and entry.ip == "198.51.100.7"
    changes = entry.detail["changes"]
    assert changes["color"] == ["#123456", "#ff6600"] and changes["powered_by"] == [None, False]
    assert changes["greeting"] == [None, "Hi! Looking for a jacket?"]
    # The widget's config carries them (the launcher's part, then the chat's).
    config = widget_config(app)
    assert "#ff6600" in config["css"]
    assert config["color"] == "#ff6600" and config["greeting"] == "Hi! Looking for a jacket?"
    assert config["quick_replies"] == ["Shipping", "Returns"] and config["powered_by"] is False
    # The audit page shows who, what and from where.
    audit_page = client.get("/admin/settings/audit").get_data(as_text=True)
    assert "owner@example.com" in audit_page and "settings.widget" in audit_page and "198.51.100.7" in audit_page
    assert "#ff6600" in audit_page
    # Saving the same values again changes nothing and writes no entry.
    assert post(client, "/admin/settings/widget", WIDGET).status_code == 303
    assert len(entries(db, shop_id)) == 1


def widget_config(app: Flask, query: str = "") -> dict:
    """What the widget ends up with: the launcher's config, then the chat's over it."""
    client = app.test_client()
    launcher = client.get(f"/widget/v1/config?site_key=sk_settings{query}").get_json()
    chat = client.get(f"/widget/v1/chat-config?site_key=sk_settings{query}").get_json()
    return {**launcher, **chat}


def test_triggers_are_a_list_with_a_message_each(app: Flask, db: Database, shop_id: int) -> None:
    client = signed_in(app, "owner@example.com")
    with db.session() as session:  # the old single-dict form reads as one trigger
        session.get(Shop, shop_id).settings = {"triggers": {"time": 20, "url": "/products/"}}
    page = client.get("/admin/settings/triggers").get_data(as_text=True)
    assert 'name="trigger-0-time" type="number" value="20"' in page and 'value="/products/"' in page
    response = post(client, "/admin/settings/triggers", {
        "trigger-0-time": "20", "trigger-0-url": "/products/", "trigger-0-message": "Need a size?",
        "trigger-1-exit": "on", "trigger-1-message": "Wait! 10% off today",
        "trigger-2-scroll": "", "trigger-2-message": "",  # an empty row: no trigger
        "trigger-3-scroll": "60"})
    assert response.status_code == 303, response.get_data(as_text=True)
    assert stored(db, shop_id)["triggers"] == [
        {"time": 20, "url": "/products/", "message": "Need a size?"},
        {"exit": True, "message": "Wait! 10% off today"}, {"scroll": 60}]
    [entry] = entries(db, shop_id)
    assert entry.action == "settings.triggers"
    # The widget fires each on its own, with its message (the message comes with the chat).
    config = widget_config(app)
    assert config["triggers"] == [{"time": 20, "url": "/products/", "message": "Need a size?"},
                                  {"exit": True, "message": "Wait! 10% off today"},
                                  {"scroll": 60, "message": None}]


def test_languages(app: Flask, db: Database, shop_id: int) -> None:
    client = signed_in(app, "owner@example.com")
    response = post(client, "/admin/settings/languages",
                    [("locale", "de"), ("languages", "de"), ("languages", "fr"), ("languages", "en")])
    assert response.status_code == 303
    settings = stored(db, shop_id)
    assert settings["locale"] == "de" and settings["languages"] == ["de", "en", "fr"]
    # A page in an offered language gets it; any other gets the shop's default.
    assert widget_config(app, "&lang=fr")["locale"] == "fr"
    assert widget_config(app, "&lang=it")["locale"] == "de"


def test_assistant_key_is_sealed_and_never_shown(app: Flask, db: Database, shop_id: int) -> None:
    client = signed_in(app, "owner@example.com")
    form = {"engine": "openai", "base_url": "https://llm.example.com/v1", "model": "gpt-test",
            "api_key": "sk-live-SECRET-999", "persona": "Mia, the stylist", "tone": "warm",
            "handoff_topics": "wholesale\ncustom order", "complaints": "handoff", "disclose_stock": "",
            "low_stock_threshold": "3"}
    response = post(client, "/admin/settings/assistant", form)
    assert response.status_code == 303, response.get_data(as_text=True)
    config = stored(db, shop_id)["assistant"]
    assert "api_key" not in config and SEALED in config and "SECRET" not in str(config)
    assert config["model"] == "gpt-test" and config["disclose_stock"] is False
    assert config["low_stock_threshold"] == 3 and config["handoff_topics"] == ["wholesale", "custom order"]
    page = client.get("/admin/settings/assistant").get_data(as_text=True)
    assert "SECRET" not in page and "A key is stored" in page
    [entry] = entries(db, shop_id)
    assert entry.detail["changes"]["assistant.api_key"] == [None, "(secret)"]
    assert "SECRET" not in str(entry.detail)

    # Saved again without a key: the stored key stays (the engine still opens it).
    form.pop("api_key")
    form["tone"] = "playful"
    assert post(client, "/admin/settings/assistant", form).status_code == 303
    from core.assistant.llm.sealed_key import opened_config
    with db.session() as session:
        assert opened_config(session.get(Shop, shop_id))["api_key"] == "sk-live-SECRET-999"
    second = entries(db, shop_id)[-1]
    assert second.detail["changes"] == {"assistant.tone": ["warm", "playful"]}

    # Cleared on request.
    assert post(client, "/admin/settings/assistant", {**form, "clear_key": "on"}).status_code == 303
    assert SEALED not in stored(db, shop_id)["assistant"]
    assert entries(db, shop_id)[-1].detail["changes"]["assistant.api_key"] == ["(secret)", None]


def test_defaults_of_the_stock_contract(app: Flask, db: Database, shop_id: int) -> None:
    client = signed_in(app, "owner@example.com")
    page = client.get("/admin/settings/assistant").get_data(as_text=True)
    assert re.search(r'name="disclose_stock" value="on" checked', page)
    assert 'name="low_stock_threshold" type="number" value="5"' in page


def test_privacy(app: Flask, db: Database, shop_id: int) -> None:
    client = signed_in(app, "owner@example.com")
    response = post(client, "/admin/settings/privacy", {"retention_days": "30", "consent_text": "We keep chats 30 days.",
                                                        "consent_url": "https://example.com/privacy"})
    assert response.status_code == 303
    settings = stored(db, shop_id)
    assert settings["privacy"] == {"retention_days": 30}
    assert settings["consent_text"] == "We keep chats 30 days." and settings["consent_url"] == "https://example.com/privacy"
    # Empty: kept until erased.
    assert post(client, "/admin/settings/privacy", {"retention_days": "", "consent_text": ""}).status_code == 303
    assert "privacy" not in stored(db, shop_id) and "consent_text" not in stored(db, shop_id)


def test_order_attribution_window(app: Flask, db: Database, shop_id: int) -> None:
    """The window the analytics count orders in (issue 19: "within a window the merchant sets")."""
    client = signed_in(app, "owner@example.com")
    page = client.get("/admin/settings/analytics").get_data(as_text=True)
    assert 'name="attribution_days" type="number" value="7"' in page  # the default, shown
    assert 'href="/admin/settings/analytics"' in client.get("/admin/settings/widget").get_data(as_text=True)
    assert post(client, "/admin/settings/analytics", {"attribution_days": "14"}).status_code == 303
    settings = stored(db, shop_id)
    assert settings["analytics"] == {"attribution_days": 14} and attribution.window_days(settings) == 14
    [entry] = entries(db, shop_id)
    assert entry.action == "settings.analytics"
    assert entry.detail["changes"] == {"analytics.attribution_days": [None, 14]}
    assert 'value="14"' in client.get("/admin/settings/analytics").get_data(as_text=True)
    # An order placed 10 days after the chat now counts as the chat's; at the default it did not.
    placed, last = datetime(2026, 3, 11), datetime(2026, 3, 1)
    assert attribution.attributed(placed, last, last, attribution.window_days(settings))
    assert not attribution.attributed(placed, last, last, attribution.window_days({}))
    # Empty: back to the default, and the key is gone.
    assert post(client, "/admin/settings/analytics", {"attribution_days": ""}).status_code == 303
    assert "analytics" not in stored(db, shop_id) and attribution.window_days(stored(db, shop_id)) == 7


# ---- refusals: the field named, nothing stored


@pytest.mark.parametrize("path, form, named", [
    ("widget", {**WIDGET, "color": "orange"}, "Colour: &#39;orange&#39; is not a colour like #1f6feb"),
    ("widget", {**WIDGET, "avatar_url": "javascript:alert(1)"}, "Avatar: must be an http(s) address"),
    ("widget", {**WIDGET, "launcher_icon": "none", "launcher_text": ""}, "Launcher icon: no icon needs a launcher text"),
    ("widget", {**WIDGET, "contact_after": "99999"}, "Offer email after: Input should be less than or equal to 3600"),
    ("widget", {**WIDGET, "quick_replies": "a\nb\nc\nd\ne"}, "Quick replies: List should have at most 4 items"),
    ("triggers", {"trigger-0-time": "10", "trigger-1-scroll": "150"},
     "Trigger 2: Scroll depth: Input should be less than or equal to 100"),
    ("triggers", {"trigger-0-message": "Hello"},
     "Trigger 1: Seconds on the page: a trigger needs a time, a scroll depth, exit intent or a page address"),
    ("triggers", {"trigger-0-time": "10", "trigger-0-message": "x" * 501},
     "Trigger 1: Message: String should have at most 500 characters"),
    ("languages", {"locale": "xx"}, "Default language: &#39;xx&#39; is not one of the widget&#39;s languages"),
    ("assistant", {"engine": "openai", "model": ""}, "Model: the OpenAI-compatible engine needs a model"),
    ("assistant", {"engine": "builtin", "low_stock_threshold": "-1"},
     "Low stock threshold: Input should be greater than or equal to 0"),
    ("assistant", {"engine": "gpt"}, "Engine: Input should be &#39;builtin&#39; or &#39;openai&#39;"),
    ("privacy", {"retention_days": "0"}, "Keep conversations for: Input should be greater than or equal to 1"),
    ("privacy", {"retention_days": "ten"}, "Keep conversations for: Input should be a valid integer"),
    ("privacy", {"consent_url": "ftp://x"}, "Privacy policy link: must be an http(s) address"),
    ("analytics", {"attribution_days": "0"}, "Count orders placed within: Input should be greater than or equal to 1"),
    ("analytics", {"attribution_days": "91"}, "Count orders placed within: Input should be less than or equal to 90"),
    ("analytics", {"attribution_days": "²"}, "Count orders placed within: Input should be a valid integer"),
])
def test_a_bad_value_is_refused_naming_the_field_and_nothing_is_saved(
        app: Flask, db: Database, shop_id: int, path: str, form: dict[str, str], named: str) -> None:
    client = signed_in(app, "owner@example.com")
    before = stored(db, shop_id)
    response = post(client, f"/admin/settings/{path}", form)
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert named in page, page
    assert 'aria-invalid="true"' in page
    assert stored(db, shop_id) == before and entries(db, shop_id) == []


def test_a_refused_widget_form_keeps_what_was_typed(app: Flask, db: Database, shop_id: int) -> None:
    client = signed_in(app, "owner@example.com")
    page = post(client, "/admin/settings/widget", {**WIDGET, "color": "orange"}).get_data(as_text=True)
    assert 'value="orange"' in page and "Hi! Looking for a jacket?" in page and 'value="Questions?"' in page


@pytest.mark.parametrize("form", [{"trigger-0-time": "abc", "trigger-²-time": "10"},
                                  {"trigger-99999999-time": "abc"}])
def test_a_refused_triggers_form_with_an_odd_row_number_answers_quickly(
        app: Flask, db: Database, shop_id: int, form: dict[str, str]) -> None:
    # Found by the coverage of the settings routes: a row numbered "²" was a 500 (int() cannot
    # read it), one numbered 99999999 drew 100 million blank rows (the worker hung).
    client = signed_in(app, "owner@example.com")
    response = post(client, "/admin/settings/triggers", form)
    assert response.status_code == 400 and "Seconds on the page" in response.get_data(as_text=True)
    assert response.get_data(as_text=True).count('name="trigger-') < 200
    assert stored(db, shop_id).get("triggers") is None


@pytest.mark.parametrize("before", ["²", "99999999999999999999", "-1", "x"])
def test_the_audit_page_reads_any_before_as_the_first_page(app: Flask, shop_id: int, before: str) -> None:
    # Found by the coverage of the settings routes: "²" and a number past the column's range were 500s.
    client = signed_in(app, "owner@example.com")
    post(client, "/admin/settings/privacy", {"retention_days": "30"})
    response = client.get("/admin/settings/audit", query_string={"before": before})
    assert response.status_code == 200 and "settings.privacy" in response.get_data(as_text=True)


# ---- who may


@pytest.mark.parametrize("path", ["/admin/settings/widget", "/admin/settings/triggers", "/admin/settings/languages",
                                  "/admin/settings/assistant", "/admin/settings/privacy", "/admin/settings/audit",
                                  "/admin/settings/analytics", "/admin/settings/install/", "/admin/settings/widget/preview",
                                  "/admin/settings/install/wordpress.zip"])
def test_an_agent_is_refused_every_page(app: Flask, shop_id: int, path: str) -> None:
    client = signed_in(app, "agent@example.com")
    assert client.get(path).status_code == 403


@pytest.mark.parametrize("path", ["widget", "triggers", "languages", "assistant", "privacy", "analytics",
                                  "assistant/test", "install/sync"])
def test_an_agent_cannot_change_anything(app: Flask, db: Database, shop_id: int, path: str) -> None:
    client = signed_in(app, "agent@example.com")
    # A valid token of the agent's own session (from a page an agent may see): still refused.
    token = _token(client.get("/admin/inbox/").get_data(as_text=True))
    before = stored(db, shop_id)
    response = client.post(f"/admin/settings/{path}", data={"csrf_token": token, **WIDGET, "engine": "builtin",
                                                            "retention_days": "1", "attribution_days": "30"})
    assert response.status_code == 403
    assert stored(db, shop_id) == before and entries(db, shop_id) == []
    with db.session() as session:
        assert session.scalar(select(SyncRun.id).where(SyncRun.shop_id == shop_id)) is None


def test_another_shops_owner_changes_only_their_own_shop(app: Flask, db: Database, shop_id: int,
                                                         other_shop: int) -> None:
    client = signed_in(app, "boss@other.example")
    before = stored(db, shop_id)
    assert post(client, "/admin/settings/widget", WIDGET).status_code == 303
    assert stored(db, shop_id) == before and entries(db, shop_id) == []
    assert stored(db, other_shop)["greeting"] == WIDGET["greeting"]
    # Their audit page lists only their shop's entries, and another shop's sync run is not theirs to read.
    assert [e.action for e in entries(db, other_shop)] == ["settings.widget"]
    with db.session() as session:
        session.add(SyncRun(shop_id=shop_id, status="finished"))
        session.flush()
        foreign = session.scalar(select(SyncRun.id).where(SyncRun.shop_id == shop_id))
    assert client.get(f"/admin/settings/install/sync/{foreign}").status_code == 404


def test_a_form_without_the_csrf_token_is_refused(app: Flask, db: Database, shop_id: int) -> None:
    client = signed_in(app, "owner@example.com")
    before = stored(db, shop_id)
    for path in ("widget", "assistant", "privacy", "install/sync"):
        response = client.post(f"/admin/settings/{path}", data={**WIDGET, "retention_days": "5"})
        assert response.status_code == 400, path
    assert stored(db, shop_id) == before and entries(db, shop_id) == []


def test_signed_out_the_pages_ask_to_sign_in(app: Flask, shop_id: int) -> None:
    response = app.test_client().get("/admin/settings/widget")
    assert response.status_code == 302 and "/admin/sign-in" in response.headers["Location"]


# ---- the preview: the real widget config, from the values not yet saved


def test_the_preview_draws_the_pending_values_without_saving(app: Flask, db: Database, shop_id: int) -> None:
    client = signed_in(app, "owner@example.com")
    response = client.get("/admin/settings/widget/preview", query_string={**WIDGET, "color": "#00aa00"})
    assert response.status_code == 200
    assert response.headers["Content-Security-Policy"] == "frame-ancestors 'self'"
    html = response.get_data(as_text=True)
    assert 'src="/widget/v1/loader.js" data-site-key="sk_settings"' in html
    config = re.search(r'<script id="preview-config" type="application/json">(.*?)</script>', html, re.S)
    assert config
    import json
    data = json.loads(config.group(1))
    assert data["color"] == "#00aa00" and data["greeting"] == WIDGET["greeting"] and data["position"] == "left"
    assert data["chat_js"].startswith("/widget/v1/chat.js?v=") and "#00aa00" in data["css"]
    assert stored(db, shop_id) == {"color": "#123456"}  # nothing saved
    bad = client.get("/admin/settings/widget/preview", query_string={**WIDGET, "color": "nope"})
    assert "Colour: &#39;nope&#39; is not a colour" in bad.get_data(as_text=True)


# ---- the audit log: append-only


def test_audit_rows_are_never_updated(db: Database, shop_id: int) -> None:
    with db.session() as session:
        entry = audit.record(session, shop_id, "settings.widget", {"changes": {"a": [1, 2]}}, ip="192.0.2.1")
    with pytest.raises(audit.AuditRowsAreFinal):
        with db.session() as session:
            row = session.get(AuditLog, entry.id)
            row.detail = {"changes": {}}
    assert entries(db, shop_id)[0].detail == {"changes": {"a": [1, 2]}}


def test_hours_team_and_canned_changes_are_audited(app: Flask, db: Database, shop_id: int) -> None:
    client = signed_in(app, "owner@example.com")
    token = _token(client.get("/admin/hours/").get_data(as_text=True))
    env = {"REMOTE_ADDR": "198.51.100.7"}
    assert client.post("/admin/hours/", data={"csrf_token": token, "enabled": "on", "timezone": "UTC",
                                              "mon": "09:00-17:00"}, environ_base=env).status_code == 303
    assert client.post("/admin/canned/", data={"csrf_token": token, "shortcut": "hi", "text": "Hello!"},
                       environ_base=env).status_code == 302
    assert client.post("/admin/team/invite", data={"csrf_token": token, "email": "new@example.com",
                                                   "role": "agent"}, environ_base=env).status_code == 201
    assert client.post("/admin/team/notifications", data={"csrf_token": token, "emails": "alerts@example.com",
                                                          "webhook_url": ""}, environ_base=env).status_code == 302
    actions = [(e.action, e.ip) for e in entries(db, shop_id)]
    assert actions == [("settings.hours", "198.51.100.7"), ("canned.add", "198.51.100.7"),
                       ("team.invite", "198.51.100.7"), ("settings.notifications", "198.51.100.7")]
    assert entries(db, shop_id)[1].detail["changes"] == {"/hi": [None, "Hello!"]}


def test_the_owner_changes_a_teammates_role_and_it_holds_from_their_next_click(
        app: Flask, db: Database, shop_id: int) -> None:
    owner, agent = signed_in(app, "owner@example.com"), signed_in(app, "agent@example.com")
    with db.session() as session:
        ids = {u.email: u.id for u in session.scalars(select(User).where(User.shop_id == shop_id))}
    me, them = ids["owner@example.com"], ids["agent@example.com"]
    page = owner.get("/admin/team/").get_data(as_text=True)
    assert f'action="/admin/team/{them}/role"' in page and f'action="/admin/team/{me}/role"' not in page
    assert agent.get("/admin/settings/widget").status_code == 403
    assert post(owner, f"/admin/team/{them}/role", {"role": "owner"}).status_code == 303
    assert agent.get("/admin/settings/widget").status_code == 200  # the same session, now an owner's
    [entry] = entries(db, shop_id)
    assert (entry.action, entry.ip, entry.detail) == (
        "team.role", "198.51.100.7", {"changes": {"agent@example.com": ["agent", "owner"]}})
    # Refused, nothing changed: no such role, one's own role, another shop's or a closed account.
    assert post(owner, f"/admin/team/{them}/role", {"role": "admin"}).status_code == 400
    assert post(owner, f"/admin/team/{me}/role", {"role": "agent"}).status_code == 400
    assert post(owner, "/admin/team/999999/role", {"role": "agent"}).status_code == 404
    assert post(owner, f"/admin/team/{them}/role", {"role": "owner"}).status_code == 303  # already: no entry
    assert len(entries(db, shop_id)) == 1
    # Back to agent: the owner's pages are closed to them again.
    assert post(owner, f"/admin/team/{them}/role", {"role": "agent"}).status_code == 303
    assert agent.get("/admin/settings/widget").status_code == 403
    agent_token = _token(agent.get("/admin/inbox/").get_data(as_text=True))
    assert agent.post(f"/admin/team/{me}/role", data={"csrf_token": agent_token, "role": "agent"}).status_code == 403
    with db.session() as session:
        assert {u.email: u.role for u in session.scalars(select(User).where(User.shop_id == shop_id))} == {
            "owner@example.com": "owner", "agent@example.com": "agent"}
    owner.post(f"/admin/team/{them}/close", data={"csrf_token": _token(page)})
    assert post(owner, f"/admin/team/{them}/role", {"role": "owner"}).status_code == 404
    assert [e.action for e in entries(db, shop_id)] == ["team.role", "team.role", "team.close"]


# ---- install


def test_install_page_snippet_plugin_and_sync_now(app: Flask, db: Database, shop_id: int, redis: Any) -> None:
    from core.jobs import DEFAULT, queue

    client = signed_in(app, "owner@example.com")
    page = client.get("/admin/settings/install/").get_data(as_text=True)
    assert "data-site-key=&#34;sk_settings&#34;" in page or 'data-site-key="sk_settings"' in page
    assert "Last sync: never" in page

    plugin = client.get("/admin/settings/install/wordpress.zip")
    assert plugin.status_code == 200 and plugin.headers["Content-Type"] == "application/zip"
    names = zipfile.ZipFile(io.BytesIO(plugin.data)).namelist()
    assert "storechat/storechat.php" in names

    response = post(client, "/admin/settings/install/sync", {})
    assert response.status_code == 303
    run_id = int(re.search(r"run=(\d+)", response.headers["Location"]).group(1))
    jobs = queue(DEFAULT, redis).jobs
    assert [j.func_name for j in jobs] == ["core.jobs.sync_shop"] and list(jobs[0].args) == [run_id]
    progress = client.get(f"/admin/settings/install/sync/{run_id}").get_json()
    assert progress["status"] == "queued" and progress["products"] == 0
    # Pressed again while it waits: the same run, no second job.
    again = post(client, "/admin/settings/install/sync", {})
    assert again.headers["Location"].endswith(f"run={run_id}") and len(queue(DEFAULT, redis).jobs) == 1
    # The job runs (as a worker would): the progress endpoint says so, with the counts.
    from core.catalog.sync import run_sync
    with db.session() as session:
        session.get(Shop, shop_id).connector_config = demo_shop_config("http://127.0.0.1:9/demo")
    run_sync(db, run_id)
    done = client.get(f"/admin/settings/install/sync/{run_id}").get_json()
    assert done["status"] == "finished" and done["products"] > 0 and done["finished_at"]
    assert [e.action for e in entries(db, shop_id)] == ["sync.start"]


def test_shopify_shop_gets_the_app_embed_link(app: Flask, db: Database) -> None:
    shop = _make_shop(db, "Shopify Shop", "sk_shopify", platform="shopify", platform_ref="acme.myshopify.com")
    set_password(db, create_user(db, shop, "s@acme.example", role="owner").id, PASSWORD)
    app.extensions["storechat"].settings.apps["shopify"] = {"client_id": "cid123", "client_secret": "x"}
    client = signed_in(app, "s@acme.example")
    page = client.get("/admin/settings/install/").get_data(as_text=True)
    assert ("https://acme.myshopify.com/admin/themes/current/editor?context=apps&amp;"
            "activateAppId=cid123%2Fstorechat") in page



# ---- "test this engine": three questions through the real engine path


@pytest.fixture
def fake_model(outbound_development: None) -> Any:
    from tests.fakes.chat_completions import FakeChatServer

    with FakeChatServer() as server:
        yield server


def test_test_this_engine_asks_three_questions_with_the_pending_settings(
        app: Flask, db: Database, shop_id: int, fake_model: Any) -> None:
    from tests.fakes.chat_completions import error, reply

    client = signed_in(app, "owner@example.com")
    # The key is stored already; the form leaves it empty (kept) and names a new model, not yet saved.
    assert post(client, "/admin/settings/assistant", {"engine": "openai", "base_url": fake_model.url,
                                                      "model": "old-model", "api_key": "sk-stored-key-42",
                                                      "persona": "Mia", "disclose_stock": "on",
                                                      "low_stock_threshold": "5"}).status_code == 303
    before = stored(db, shop_id)
    fake_model.push(reply("We sell clothes and shoes."), error(500, "model overloaded"),
                    reply("Returns are free within 30 days."))
    response = post(client, "/admin/settings/assistant/test", {
        "engine": "openai", "base_url": fake_model.url, "model": "new-model", "persona": "Mia", "tone": "brief",
        "disclose_stock": "on", "low_stock_threshold": "5"})
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert page.count('<p class="answer">') == 3
    assert "We sell clothes and shoes." in page and "Returns are free within 30 days." in page
    assert "What do you sell?" in page and "What is your returns policy?" in page
    # The second failed at the endpoint: the built-in engine answered, and the page says why.
    assert "The endpoint failed" in page and "openai-&gt;builtin" in page
    requests = fake_model.chat_requests
    assert len(requests) >= 3
    assert all(r.json["model"] == "new-model" for r in requests)  # the pending settings
    assert all(r.headers.get("authorization") == "Bearer sk-stored-key-42" for r in requests)  # the stored key
    assert "Mia" in requests[0].messages[0]["content"] and "brief" in requests[0].messages[0]["content"]
    # Nothing saved, nothing stored by the turns.
    assert stored(db, shop_id) == before
    with db.session() as session:
        from core.db import Event
        assert session.scalar(select(Event.id).where(Event.shop_id == shop_id)) is None
    assert "sk-stored-key-42" not in page


def test_test_this_engine_with_the_builtin_engine(app: Flask, db: Database, shop_id: int) -> None:
    client = signed_in(app, "owner@example.com")
    page = post(client, "/admin/settings/assistant/test", {"engine": "builtin", "low_stock_threshold": "5"})
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and html.count('<p class="answer">') == 3 and "Engine: builtin" in html
