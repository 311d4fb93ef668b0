"""Emails about one's own account: a reset link on request (the same answer
for any address, limited), and the invitation a team owner sends."""
from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from flask import Flask
from flask.testing import FlaskClient
from rq import Queue
from rq.serializers import JSONSerializer

from core.accounts.mailing import send_account_email
from core.accounts.users import create_user, set_password
from core.app import create_app
from core.db import Database, Shop, User
from core.services import Services
from core.settings import Settings
from tests.core.test_admin_sign_in import PASSWORD, csrf, sign_in
from tests.notify_fixtures import Mailbox, smtp_server


@pytest.fixture
def mailbox() -> Iterator[tuple[str, Mailbox]]:
    with smtp_server() as server:
        yield server


@pytest.fixture
def mail_settings(settings: Settings, mailbox) -> Settings:  # type: ignore[no-untyped-def]
    return settings.model_copy(update={"smtp_url": mailbox[0], "mail_from": "StoreChat <chat@example.com>",
                                       "public_url": "https://chat.example.com"})


@pytest.fixture
def app(mail_settings: Settings, db: Database, redis) -> Iterator[Flask]:  # type: ignore[no-untyped-def]
    app = create_app(mail_settings)
    yield app
    app.extensions["storechat"].close()


@pytest.fixture
def owner(db: Database) -> User:
    with db.session() as session:
        shop = Shop(name="Mail Shop", platform="csv", site_key="sk_mail", connector_config={})
        session.add(shop)
        session.flush()
        shop_id = shop.id
    user = create_user(db, shop_id, "owner@example.com", role="owner")
    return set_password(db, user.id, PASSWORD)


def _run_queued(redis, settings: Settings) -> int:  # type: ignore[no-untyped-def]
    """Run the queued account emails here (as a worker would); how many."""
    queue = Queue("assistant", connection=redis, serializer=JSONSerializer)
    jobs = [j for j in queue.get_jobs() if j.func_name == "core.jobs.account_email"]
    svc = Services(settings)
    try:
        for job in jobs:
            send_account_email(svc, *job.args)
            job.delete()
    finally:
        svc.close()
    return len(jobs)


def _ask(client: FlaskClient, email: str):  # type: ignore[no-untyped-def]
    return client.post("/admin/forgot", data={"email": email, "csrf_token": csrf(client, "/admin/forgot")})


def test_a_reset_link_by_email_lets_the_owner_choose_a_new_password(
        app: Flask, owner: User, redis, mail_settings: Settings, mailbox) -> None:  # type: ignore[no-untyped-def]
    client = app.test_client()
    answer = _ask(client, "Owner@Example.com")
    assert answer.status_code == 200 and "is on its way" in answer.get_data(as_text=True)
    assert _run_queued(redis, mail_settings) == 1
    [email] = mailbox[1].to("owner@example.com")
    assert "Mail Shop" in email["Subject"]
    link = re.search(r"https://chat\.example\.com(/admin/reset/\S+)", email.get_content())
    assert link, email.get_content()
    token = csrf(client, link.group(1))
    new = "a new long password"
    done = client.post(link.group(1), data={"password": new, "confirm": new, "csrf_token": token})
    assert done.status_code == 302
    assert sign_in(app.test_client(), "owner@example.com", new).status_code == 302


def test_unknown_addresses_get_the_same_answer_and_no_email(
        app: Flask, owner: User, redis, mail_settings: Settings, mailbox) -> None:  # type: ignore[no-untyped-def]
    client = app.test_client()
    known, unknown = _ask(client, "owner@example.com"), _ask(client, "nobody@example.com")
    assert known.status_code == unknown.status_code == 200
    strip = lambda page: re.sub(r'name="csrf_token" value="[^"]+"', "", page.get_data(as_text=True))  # noqa: E731
    assert strip(known) == strip(unknown)
    assert _run_queued(redis, mail_settings) == 1
    assert [m["To"] for m in mailbox[1].messages] == ["owner@example.com"]


def test_asking_again_and_again_is_limited(app: Flask, owner: User, redis, mail_settings: Settings) -> None:  # type: ignore[no-untyped-def]
    client = app.test_client()
    for _ in range(8):
        assert _ask(client, "owner@example.com").status_code == 200
    assert _run_queued(redis, mail_settings) == 5


def test_an_invitation_is_emailed_too(app: Flask, owner: User, redis, mail_settings: Settings, mailbox) -> None:  # type: ignore[no-untyped-def]
    client = app.test_client()
    sign_in(client, "owner@example.com", PASSWORD)
    page = client.post("/admin/team/invite", data={"email": "new@example.com", "role": "agent", "name": "Nia",
                                                   "csrf_token": csrf(client, "/admin/team/")})
    assert page.status_code == 201 and "email with their link is on its way" in page.get_data(as_text=True)
    assert _run_queued(redis, mail_settings) == 1
    [email] = mailbox[1].to("new@example.com")
    assert "/admin/welcome/" in email.get_content() and "Mail Shop" in email["Subject"]


def test_without_a_mail_server_the_page_says_whom_to_ask(settings: Settings, db: Database, redis, owner: User) -> None:  # type: ignore[no-untyped-def]
    app = create_app(settings)
    try:
        page = app.test_client().get("/admin/forgot").get_data(as_text=True)
    finally:
        app.extensions["storechat"].close()
    assert "sends no email" in page and "<form" not in page


def test_owners_choose_where_alerts_go_and_the_webhook_stays_sealed(
        app: Flask, owner: User, db: Database, outbound_production) -> None:  # type: ignore[no-untyped-def]
    from core.notify import recipients

    client = app.test_client()
    sign_in(client, "owner@example.com", PASSWORD)
    token = csrf(client, "/admin/team/")
    bad = client.post("/admin/team/notifications", data={"emails": "ops@example.com", "csrf_token": token,
                                                          "webhook_url": "https://127.0.0.1/hook"})
    assert bad.status_code == 400 and "webhook address" in bad.get_data(as_text=True)
    hook = "https://hooks.example.com/services/T0/B0/secret"
    saved = client.post("/admin/team/notifications", data={"emails": "Ops@Example.com, desk@example.com",
                                                            "webhook_url": hook, "csrf_token": token})
    assert saved.status_code == 302
    page = client.get("/admin/team/").get_data(as_text=True)
    assert "desk@example.com ops@example.com" in page and hook not in page and "Keep the webhook" in page
    with db.session() as session:
        shop = session.get(Shop, owner.shop_id)
        assert hook not in str(shop.settings)
        who = recipients.read(session, app.extensions["storechat"].settings, shop)
    assert who.emails == ("desk@example.com", "ops@example.com") and who.webhook_url == hook
    # Saving the addresses again keeps the webhook when asked to.
    client.post("/admin/team/notifications", data={"emails": "", "keep_webhook": "1", "csrf_token": token})
    with db.session() as session:
        who = recipients.read(session, app.extensions["storechat"].settings, session.get(Shop, owner.shop_id))
    assert who.webhook_url == hook and who.emails == ("owner@example.com",)


def test_a_reset_link_never_takes_the_host_the_request_named(
        app: Flask, owner: User, redis, mail_settings: Settings, mailbox) -> None:  # type: ignore[no-untyped-def]
    client = app.test_client()
    evil = {"Host": "attacker.example"}  # whoever asks chooses the Host header
    page = client.get("/admin/forgot", headers=evil).get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    answer = client.post("/admin/forgot", data={"email": "owner@example.com", "csrf_token": token}, headers=evil)
    assert answer.status_code == 200 and "is on its way" in answer.get_data(as_text=True)
    assert _run_queued(redis, mail_settings) == 1
    body = mailbox[1].to("owner@example.com")[0].get_content()
    assert "attacker.example" not in body and "https://chat.example.com/admin/reset/" in body


def test_without_a_public_address_no_link_is_emailed(settings: Settings, db: Database, redis, owner: User,  # type: ignore[no-untyped-def]
                                                      mailbox) -> None:
    no_address = settings.model_copy(update={"smtp_url": mailbox[0], "public_url": None})
    app = create_app(no_address)
    try:
        client = app.test_client()
        page = client.get("/admin/forgot").get_data(as_text=True)
        assert "STORECHAT_PUBLIC_URL" in page and "<form" not in page
        client.post("/admin/forgot", data={"email": "owner@example.com"}, headers={"Host": "attacker.example"})
    finally:
        app.extensions["storechat"].close()
    assert _run_queued(redis, no_address) == 0


def test_a_forged_bearer_header_does_not_skip_the_csrf_check(app: Flask, owner: User) -> None:
    client = app.test_client()
    refused = client.post("/admin/forgot", data={"email": "owner@example.com"},
                          headers={"Authorization": "Bearer forged"})
    assert refused.status_code == 400 and "did not come from StoreChat" in refused.get_data(as_text=True)
