"""Notifications: the team by email and webhook when a shopper waits with no
one online or leaves an address; a shopper by email when the team answers."""
from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import select

from core.accounts.users import create_user
from core.chat.messages import append_message
from core.db import Conversation, Database, NotificationDelivery, Shop, Visitor
from core.notify import deliveries, recipients
from core.notify.mail import MailError
from core.services import Services
from core.settings import Settings
from tests.notify_fixtures import Mailbox, Receiver, smtp_server, webhook_receiver


@pytest.fixture
def mailbox() -> Iterator[tuple[str, Mailbox]]:
    with smtp_server() as server:
        yield server


@pytest.fixture
def hook(outbound_development) -> Iterator[tuple[str, Receiver]]:  # type: ignore[no-untyped-def]
    """A receiver on loopback, which the operator's development allowance lets StoreChat call."""
    with webhook_receiver() as receiver:
        yield receiver


@pytest.fixture
def svc(settings: Settings, db: Database, redis, mailbox) -> Iterator[Services]:  # type: ignore[no-untyped-def]
    services = Services(settings.model_copy(update={"smtp_url": mailbox[0], "mail_from": "Chat <chat@example.com>"}))
    yield services
    services.close()


@pytest.fixture
def conversation(db: Database, hook) -> int:  # type: ignore[no-untyped-def]
    with db.session() as session:
        shop = Shop(name="Notify Shop", platform="csv", site_key="sk_notify", connector_config={},
                    storefront_url="https://shop.example.com")
        session.add(shop)
        session.flush()
        session.add(Visitor(id="v_shopper", shop_id=shop.id))
        session.flush()
        conversation = Conversation(shop_id=shop.id, visitor_id="v_shopper", status="waiting_human")
        session.add(conversation)
        session.flush()
        shop_id, conversation_id = shop.id, conversation.id
    create_user(db, shop_id, "owner@example.com", role="owner")
    create_user(db, shop_id, "agent@example.com")
    append_message(db, conversation_id, author="visitor", text="Where is my order #1001?")
    append_message(db, conversation_id, author="system", text="I've asked someone from the team to join.")
    return conversation_id


def _send_all(svc: Services, ids: list[int]) -> None:
    for delivery_id in ids:
        deliveries.deliver(svc, delivery_id)


def _set_webhook(svc: Services, conversation_id: int, url: str | None, emails: list[str] | None = None) -> None:
    with svc.db.session() as session:
        shop = session.get(Shop, session.get(Conversation, conversation_id).shop_id)
        shop.settings = {**(shop.settings or {}), "notifications": recipients.stored(svc.settings, emails or [], url)}


def test_a_waiting_shopper_with_no_one_online_reaches_the_team_by_email_and_webhook(
        svc: Services, conversation: int, mailbox, hook) -> None:  # type: ignore[no-untyped-def]
    _set_webhook(svc, conversation, hook[0])
    ids = deliveries.plan_team_alert(svc, conversation, "waiting")
    assert len(ids) == 3
    _send_all(svc, ids)
    box = mailbox[1]
    assert {m["To"] for m in box.messages} == {"owner@example.com", "agent@example.com"}
    alert = box.to("owner@example.com")[0]
    assert "waiting" in alert["Subject"] and "Notify Shop" in alert["Subject"]
    body = alert.get_content()
    assert "Where is my order #1001?" in body and f"/admin/inbox/#c{conversation}" in body
    assert len(hook[1].posts) == 1 and f"#c{conversation}" in hook[1].posts[0]["text"]
    with svc.db.session() as session:
        rows = session.scalars(select(NotificationDelivery)).all()
        assert {r.status for r in rows} == {"sent"}
        assert all("text" not in r.content for r in rows)  # the shopper's words are not kept once sent
        # The stored webhook address is sealed, not readable in the shop's settings.
        shop = session.get(Shop, rows[0].shop_id)
        assert hook[0] not in str(shop.settings)


def test_no_alert_when_an_agent_is_online_or_it_was_taken(svc: Services, conversation: int, mailbox) -> None:  # type: ignore[no-untyped-def]
    with svc.db.session() as session:
        shop_id = session.get(Conversation, conversation).shop_id
    svc.presence.agent_beat(shop_id, 99, "conn-1")
    assert deliveries.plan_team_alert(svc, conversation, "waiting") == []
    svc.presence.agent_gone(shop_id, 99, "conn-1")
    with svc.db.session() as session:
        session.get(Conversation, conversation).status = "human"
    assert deliveries.plan_team_alert(svc, conversation, "waiting") == []
    assert mailbox[1].messages == []


def test_chosen_addresses_replace_the_team(svc: Services, conversation: int, mailbox) -> None:  # type: ignore[no-untyped-def]
    _set_webhook(svc, conversation, None, ["Support@Example.com"])
    _send_all(svc, deliveries.plan_team_alert(svc, conversation, "contact", email="shopper@example.org"))
    assert [m["To"] for m in mailbox[1].messages] == ["support@example.com"]
    assert "shopper@example.org" in mailbox[1].messages[0]["Subject"]


def test_a_failing_receiver_is_tried_again_then_recorded_as_failed(
        svc: Services, conversation: int, hook, mailbox) -> None:  # type: ignore[no-untyped-def]
    _set_webhook(svc, conversation, hook[0])
    hook[1].status = 500
    ids = deliveries.plan_team_alert(svc, conversation, "waiting")
    with svc.db.session() as session:
        webhook_id = session.scalar(select(NotificationDelivery.id).where(NotificationDelivery.channel == "webhook"))
    for _ in range(deliveries.TRIES - 1):
        with pytest.raises(Exception, match="answered 500"):
            deliveries.deliver(svc, webhook_id)
    hook[1].status = 200
    deliveries.deliver(svc, webhook_id)  # the last try works
    with svc.db.session() as session:
        row = session.get(NotificationDelivery, webhook_id)
        assert row.status == "sent" and row.attempts == deliveries.TRIES
    assert len(hook[1].posts) == deliveries.TRIES
    assert ids


def test_a_mail_server_that_refuses_ends_as_failed_with_the_reason(
        svc: Services, conversation: int, mailbox) -> None:  # type: ignore[no-untyped-def]
    mailbox[1].refuse = True
    first = deliveries.plan_team_alert(svc, conversation, "waiting")[0]
    for _ in range(deliveries.TRIES - 1):
        with pytest.raises(MailError):
            deliveries.deliver(svc, first)
    deliveries.deliver(svc, first)  # the last try: recorded, not raised
    with svc.db.session() as session:
        row = session.get(NotificationDelivery, first)
        assert row.status == "failed" and "451" not in (row.error or "") and row.error
        assert "text" not in row.content  # what it said is not kept, sent or not


def test_the_team_answer_reaches_a_shopper_who_left_the_chat_once(
        svc: Services, conversation: int, mailbox, db: Database) -> None:  # type: ignore[no-untyped-def]
    with db.session() as session:
        session.get(Visitor, "v_shopper").email = "shopper@example.org"
    assert deliveries.plan_shopper_reply(svc, conversation) == []  # nothing from the team yet
    append_message(db, conversation, author="agent", text="It ships tomorrow.", payload={"agent_name": "Ana"})
    with db.session() as session:
        shop_id = session.get(Conversation, conversation).shop_id
    svc.presence.visitor_beat(shop_id, conversation, "conn-v")
    assert deliveries.plan_shopper_reply(svc, conversation) == []  # still in the chat: they read it there
    svc.presence.visitor_gone(shop_id, conversation, "conn-v")
    _send_all(svc, deliveries.plan_shopper_reply(svc, conversation))
    sent = mailbox[1].to("shopper@example.org")
    assert len(sent) == 1
    text = sent[0].get_content()
    assert "Ana: It ships tomorrow." in text and "Where is my order #1001?" in text
    assert "asked someone from the team" not in text  # system notices stay out
    assert sent[0]["Reply-To"] == "owner@example.com"
    assert deliveries.plan_shopper_reply(svc, conversation) == []  # already sent up to that answer
    append_message(db, conversation, author="agent", text="Tracking: ZX1.", payload={"agent_name": "Ana"})
    _send_all(svc, deliveries.plan_shopper_reply(svc, conversation))
    assert len(mailbox[1].to("shopper@example.org")) == 2


def test_a_webhook_address_must_be_public_https(svc: Services, outbound_production) -> None:  # type: ignore[no-untyped-def]
    from core.errors import BadInput

    for url in ("http://hooks.example.com/x", "https://127.0.0.1/hook", "https://169.254.169.254/latest"):
        with pytest.raises(BadInput, match="webhook address"):
            recipients.stored(svc.settings, [], url)


def test_a_stored_webhook_that_now_points_inside_is_refused_when_sent(
        svc: Services, conversation: int, hook, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    _set_webhook(svc, conversation, hook[0])  # stored while the development allowance was on
    monkeypatch.delenv("STORECHAT_ALLOW_PLAIN_HTTP", raising=False)
    monkeypatch.delenv("STORECHAT_OUTBOUND_ALLOW_NETWORKS", raising=False)
    ids = deliveries.plan_team_alert(svc, conversation, "waiting")
    with svc.db.session() as session:
        webhook_id = session.scalar(select(NotificationDelivery.id).where(NotificationDelivery.channel == "webhook"))
    with pytest.raises(Exception, match="could not reach the webhook"):
        deliveries.deliver(svc, webhook_id)
    assert hook[1].posts == [] and ids
