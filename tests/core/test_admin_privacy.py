"""Settings > Privacy, a shopper's data: the owner exports it (a JSON file) or deletes it
everywhere it lives; an agent cannot, a form without the CSRF token changes nothing, another
shop's owner reaches only their own shop's shopper, and every action is audited (who, what,
when, from where) without naming the shopper."""
from __future__ import annotations

import json
import re
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from core.accounts.users import create_user, set_password
from core.db import AuditLog, Database, User
from tests.core.test_privacy import (  # noqa: F401 - fixtures
    SHOPPER_EMAIL,
    TWIN_LINE,
    _redis_state,
    _rows_by_shop,
    shops,
    traced,
    twin,
)

PASSWORD = "correct horse battery"
ADDRESS = "198.51.100.23"


@pytest.fixture
def people(db: Database, traced: tuple[int, int, dict[str, Any]]) -> tuple[int, int, dict[str, Any]]:
    """Passwords for both shops' owners, and an agent of shop a."""
    a, b, before = traced
    with db.session() as session:
        owners = list(session.scalars(select(User.id).where(User.role == "owner")))
    for user_id in owners:
        set_password(db, user_id, PASSWORD)
    set_password(db, create_user(db, a, "agent@aardvark.example", role="agent").id, PASSWORD)
    return a, b, before


def _token(page: str) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert match, page
    return match.group(1)


def _signed_in(app: Flask, email: str) -> FlaskClient:
    client = app.test_client()
    token = _token(client.get("/admin/sign-in").get_data(as_text=True))
    assert client.post("/admin/sign-in", data={"email": email, "password": PASSWORD, "csrf_token": token},
                       environ_base={"REMOTE_ADDR": ADDRESS}).status_code == 302
    return client


def _post(client: FlaskClient, action: str, form: dict[str, str], *, csrf: bool = True) -> Any:
    token = _token(client.get("/admin/inbox/").get_data(as_text=True))
    return client.post(f"/admin/settings/privacy/{action}", data={**({"csrf_token": token} if csrf else {}), **form},
                       environ_base={"REMOTE_ADDR": ADDRESS})


def _redis(redis: Any) -> dict[str, Any]:
    """Every Redis key but the team's sign-in counts (the test signs in: core/accounts/throttle.py)."""
    return {k: v for k, v in _redis_state(redis).items() if not k.startswith("signin:")}


def _audit(db: Database, shop_id: int) -> list[AuditLog]:
    with db.session() as session:
        return list(session.scalars(select(AuditLog).where(AuditLog.shop_id == shop_id,
                                                           AuditLog.action.like("privacy.%")).order_by(AuditLog.id)))


def _owner_id(db: Database, shop_id: int) -> int:
    with db.session() as session:
        return session.scalar(select(User.id).where(User.shop_id == shop_id, User.role == "owner"))


def test_the_page_offers_export_and_delete(app: Flask, people: tuple[int, int, dict[str, Any]]) -> None:
    page = _signed_in(app, "owner@aardvark.example").get("/admin/settings/privacy").get_data(as_text=True)
    assert 'action="/admin/settings/privacy/export"' in page and 'action="/admin/settings/privacy/delete"' in page
    assert page.count('name="csrf_token"') == 3  # the retention form and both of these


def test_the_owner_downloads_his_data_and_it_is_audited(app: Flask, db: Database,
                                                       people: tuple[int, int, dict[str, Any]]) -> None:
    a, _, _ = people
    client = _signed_in(app, "owner@aardvark.example")
    response = _post(client, "export", {"email": SHOPPER_EMAIL.upper(), "customer_id": ""})
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("application/json")
    assert re.fullmatch(rf'attachment; filename="shopper-data-shop{a}-\d{{4}}-\d\d-\d\d\.json"',
                        response.headers["Content-Disposition"])
    assert response.headers["Cache-Control"] == "no-store"
    export = json.loads(response.get_data(as_text=True))
    assert [v["id"] for v in export["visitors"]] == ["vis-xavier-1"]
    assert "ZEBRA-PRIVATE-LINE" in export["conversations"][0]["messages"][0]["text"]
    assert "yolanda" not in response.get_data(as_text=True) and TWIN_LINE not in response.get_data(as_text=True)
    [entry] = _audit(db, a)
    assert (entry.action, entry.user_id, entry.ip) == ("privacy.export", _owner_id(db, a), ADDRESS)
    assert entry.detail == {"shopper": {"email": "X***@example.com", "customer_id": None},
                            "visitors": 1, "conversations": 1}
    assert entry.created_at is not None


def test_the_owner_deletes_him_everywhere_after_confirming(app: Flask, db: Database, redis: Any,
                                                          people: tuple[int, int, dict[str, Any]]) -> None:
    a, b, before = people
    rows_b = _rows_by_shop(db, b)
    client = _signed_in(app, "owner@aardvark.example")
    unconfirmed = _post(client, "delete", {"email": SHOPPER_EMAIL})
    assert unconfirmed.status_code == 400 and "Tick the box to confirm" in unconfirmed.get_data(as_text=True)
    assert "ZEBRA-PRIVATE-LINE" in repr(_rows_by_shop(db, a)) and _audit(db, a) == []

    # His second visitor is a signed-in one (the platform's customer id, set by `traced`).
    response = _post(client, "delete", {"email": SHOPPER_EMAIL, "customer_id": "77310", "confirm": "yes"})
    assert response.status_code == 303
    assert response.headers["Location"].endswith("/admin/settings/privacy?erased=2&conversations=2")
    shown = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Deleted: 2 visitor record(s) and 2 conversation(s)" in shown
    assert _redis(redis) == before  # the `traced` fixture's state without him
    assert "ZEBRA-PRIVATE-LINE" not in repr(_rows_by_shop(db, a)) and _rows_by_shop(db, b) == rows_b
    [entry] = _audit(db, a)
    assert (entry.action, entry.user_id, entry.ip) == ("privacy.delete", _owner_id(db, a), ADDRESS)
    assert entry.detail["shopper"] == {"email": "X***@example.com", "customer_id": "77***"}
    assert (entry.detail["visitors"], entry.detail["conversations"], entry.detail["jobs"]) == (2, 2, 10)


def test_another_shops_owner_reaches_only_their_own_shopper(app: Flask, db: Database,
                                                           people: tuple[int, int, dict[str, Any]]) -> None:
    a, b, _ = people
    rows_a = _rows_by_shop(db, a)
    client = _signed_in(app, "owner@bison.example")
    export = json.loads(_post(client, "export", {"email": SHOPPER_EMAIL}).get_data(as_text=True))
    assert [v["id"] for v in export["visitors"]] == ["vis-xavier-b1"]
    assert "ZEBRA" not in json.dumps(export)
    assert _post(client, "delete", {"email": SHOPPER_EMAIL, "confirm": "yes"}).status_code == 303
    assert TWIN_LINE not in repr(_rows_by_shop(db, b))
    assert _rows_by_shop(db, a) == rows_a and _audit(db, a) == []
    assert [e.action for e in _audit(db, b)] == ["privacy.export", "privacy.delete"]


def test_nothing_held_is_said_without_naming_the_shopper(app: Flask, db: Database,
                                                         people: tuple[int, int, dict[str, Any]]) -> None:
    a, _, _ = people
    client = _signed_in(app, "owner@aardvark.example")
    for action in ("export", "delete"):
        response = _post(client, action, {"email": "nobody-we-know@example.net", "confirm": "yes"})
        assert response.status_code == 404, action
        page = response.get_data(as_text=True)
        assert "This shop holds nothing about that shopper." in page and "nobody-we-know" not in page
    assert [e.action for e in _audit(db, a)] == ["privacy.export", "privacy.delete"]


BAD_FORMS = [
    ({}, "Give the shopper&#39;s email, customer id, or both."),
    ({"email": "  ", "customer_id": " "}, "Give the shopper&#39;s email, customer id, or both."),
    ({"email": "xavier"}, "The email is not an email address."),
]


def test_a_shopper_must_be_named(app: Flask, db: Database, people: tuple[int, int, dict[str, Any]]) -> None:
    a, _, _ = people
    client = _signed_in(app, "owner@aardvark.example")
    before = _rows_by_shop(db, a)
    for action in ("export", "delete"):
        for form, said in BAD_FORMS:
            response = _post(client, action, {**form, "confirm": "yes"})
            assert response.status_code == 400 and said in response.get_data(as_text=True), (action, form)
    assert _rows_by_shop(db, a) == before and _audit(db, a) == []


def test_an_agent_or_a_form_without_csrf_is_refused(app: Flask, db: Database, redis: Any,
                                                    people: tuple[int, int, dict[str, Any]]) -> None:
    a, _, _ = people
    agent, owner = _signed_in(app, "agent@aardvark.example"), _signed_in(app, "owner@aardvark.example")
    before, keys = _rows_by_shop(db, a), _redis(redis)
    for action in ("export", "delete"):
        refused = _post(agent, action, {"email": SHOPPER_EMAIL, "confirm": "yes"})
        assert refused.status_code == 403 and "ZEBRA" not in refused.get_data(as_text=True)
        forged = _post(owner, action, {"email": SHOPPER_EMAIL, "confirm": "yes"}, csrf=False)
        assert forged.status_code == 400 and "ZEBRA" not in forged.get_data(as_text=True)
    assert _rows_by_shop(db, a) == before and _redis(redis) == keys and _audit(db, a) == []
