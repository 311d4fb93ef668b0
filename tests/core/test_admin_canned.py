"""Canned replies: owners add and delete them; the inbox offers them to every agent."""
from __future__ import annotations

import json
import re

from flask import Flask

from core.accounts.users import create_user, set_password
from core.db import CannedReply, Database, User
from tests.core.test_admin_sign_in import PASSWORD, csrf, owner, sign_in  # noqa: F401 - fixtures


def _boot(page: str) -> dict:  # type: ignore[type-arg]
    return json.loads(re.search(r'<script id="boot" type="application/json">(.*?)</script>', page, re.S).group(1))


def test_owner_adds_a_canned_reply_and_agents_get_it_in_the_inbox(app: Flask, owner: User, db: Database) -> None:  # noqa: F811
    client = app.test_client()
    sign_in(client, "owner@example.com", PASSWORD)
    token = csrf(client, "/admin/canned/")
    added = client.post("/admin/canned/", data={"shortcut": "/Ship", "text": "Hi {{name}}, it ships today.",
                                                "csrf_token": token})
    assert added.status_code == 302
    agent = create_user(db, owner.shop_id, "agent@example.com")
    set_password(db, agent.id, PASSWORD)
    other = app.test_client()
    sign_in(other, "agent@example.com", PASSWORD)
    assert _boot(other.get("/admin/inbox/").get_data(as_text=True))["canned"] == [
        {"shortcut": "ship", "text": "Hi {{name}}, it ships today."}]
    assert other.get("/admin/canned/").status_code == 403  # agents use them, owners keep them


def test_bad_shortcuts_and_repeats_are_refused_naming_the_field(app: Flask, owner: User, db: Database) -> None:  # noqa: F811
    client = app.test_client()
    sign_in(client, "owner@example.com", PASSWORD)
    token = csrf(client, "/admin/canned/")
    for shortcut, text, why in (("has space", "x", "Shortcut"), ("", "x", "Shortcut"), ("ok", "", "Reply"),
                                ("ok", "y" * 2001, "Reply")):
        page = client.post("/admin/canned/", data={"shortcut": shortcut, "text": text, "csrf_token": token})
        assert page.status_code == 400 and why in page.get_data(as_text=True)
    assert client.post("/admin/canned/", data={"shortcut": "hi", "text": "Hello!", "csrf_token": token}).status_code == 302
    again = client.post("/admin/canned/", data={"shortcut": "hi", "text": "Hey", "csrf_token": token})
    assert again.status_code == 400 and "/hi exists already" in again.get_data(as_text=True)
    with db.session() as session:
        assert [(c.shortcut, c.text) for c in session.query(CannedReply)] == [("hi", "Hello!")]
    with db.session() as session:
        reply_id = session.query(CannedReply.id).scalar()
    assert client.post(f"/admin/canned/{reply_id}/delete", data={"csrf_token": token}).status_code == 302
    with db.session() as session:
        assert session.query(CannedReply).count() == 0
