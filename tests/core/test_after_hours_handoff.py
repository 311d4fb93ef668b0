"""Handing over outside business hours: the assistant's line says when the
team is back, in the shopper's language, with the built-in engine and an LLM."""
from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from core.assistant import service
from core.business_hours import DAY_NAMES, DAYS
from core.catalog.sync import create_run, run_sync
from core.chat import messages
from core.db import Conversation, Message, Shop, Visitor
from core.services import Services
from core.shops import ensure_demo_shop
from tests.fakes.chat_completions import FakeChatServer, call, reply

ZONE = "Europe/Berlin"
GERMAN_DAYS = ("Montag", "Dienstag", "Mittwoch", "Donnerstag", "Freitag", "Samstag", "Sonntag")


def later() -> date:
    """Three days from now in the shop's zone: named by its weekday whenever the test runs."""
    return datetime.now(ZoneInfo(ZONE)).date() + timedelta(days=3)


def closed_until_later() -> dict[str, Any]:
    return {"timezone": ZONE, "week": {DAYS[later().weekday()]: [{"opens": "09:00", "closes": "17:00"}]}}


def always_open() -> dict[str, Any]:
    return {"timezone": ZONE, "week": {d: [{"opens": "00:00", "closes": "24:00"}] for d in DAYS}}


@pytest.fixture
def demo(db) -> int:  # type: ignore[no-untyped-def]
    shop = ensure_demo_shop(db, "http://127.0.0.1:9/demo")
    assert run_sync(db, create_run(db, shop.id).id).status == "finished"
    return shop.id


@pytest.fixture
def fake(outbound_development: None) -> Iterator[FakeChatServer]:
    with FakeChatServer() as server:
        yield server


def llm(fake: FakeChatServer) -> dict[str, Any]:
    return {"engine": "openai", "base_url": fake.url, "model": "fake-model", "api_key": "sk-test-secret-123",
            "timeout": 8, "request_timeout": 4, "max_retries": 0, "stream": False}


def ask(settings, db, shop_id: int, shop_settings: dict[str, Any], text: str,  # type: ignore[no-untyped-def]
        page_locale: str | None = None) -> tuple[Message, str]:
    """The shopper's line, answered as the assistant worker does: the reply and the conversation's status."""
    with db.session() as session:
        session.get(Shop, shop_id).settings = shop_settings
    conversation = messages.start_conversation(db, shop_id, uuid.uuid4().hex)
    if page_locale:
        with db.session() as session:
            session.get(Visitor, conversation.visitor_id).context = {"locale": page_locale}
    seq = messages.append_message(db, conversation.id, author="visitor", text=text).message.seq
    svc = Services(settings)
    try:
        service.answer(svc, conversation.id, seq)
    finally:
        svc.close()
    with db.session() as session:
        found = session.scalar(select(Message).where(Message.conversation_id == conversation.id,
                                                     Message.author == "assistant"))
        status = session.get(Conversation, conversation.id).status
        session.expunge(found)
    return found, status


def test_the_builtin_engine_says_when_the_team_is_back(settings, db, redis, demo) -> None:  # type: ignore[no-untyped-def]
    found, status = ask(settings, db, demo, {"business_hours": closed_until_later()}, "can I talk to a person?")
    assert found.text == (f"Our team is back {DAY_NAMES[DAYS[later().weekday()]]} at 9:00. "
                          "Leave your email and we'll answer you there.")
    assert status == "waiting_human"
    assert found.payload["guard"] is None  # the time comes from the handoff tool's result
    handoff = next(c for c in found.payload["tool_calls"] if c["tool"] == "handoff")
    assert handoff["result"]["team_away"] is True and handoff["result"]["back_at"] == "9:00"


def test_in_the_shoppers_language_on_a_twelve_hour_clock_for_americans(settings, db, redis, demo) -> None:  # type: ignore[no-untyped-def]
    day = later().weekday()
    # The shopper writes German on a German page: the assistant answers in German.
    german, _ = ask(settings, db, demo, {"business_hours": closed_until_later()},
                    "Ich möchte mit einem Menschen sprechen", page_locale="de-DE")
    assert german.text.startswith(f"Unser Team ist am {GERMAN_DAYS[day]} um 9:00\u00a0Uhr wieder da.")
    american, _ = ask(settings, db, demo, {"business_hours": closed_until_later()}, "I want to talk to a human",
                      page_locale="en-US")
    assert american.text.startswith(f"Our team is back {DAY_NAMES[DAYS[day]]} at 9:00\u00a0AM.")


def test_within_business_hours_the_handoff_line_is_as_before(settings, db, redis, demo) -> None:  # type: ignore[no-untyped-def]
    found, status = ask(settings, db, demo, {"business_hours": always_open()}, "can I talk to a person?")
    assert found.text == "Of course! I'm connecting you with someone from the team."
    assert status == "waiting_human"
    handoff = next(c for c in found.payload["tool_calls"] if c["tool"] == "handoff")
    assert handoff["result"] == {"status": "waiting_human"}


def test_closed_every_day_the_line_offers_the_email_without_a_time(settings, db, redis, demo) -> None:  # type: ignore[no-untyped-def]
    found, _ = ask(settings, db, demo, {"business_hours": {"timezone": ZONE, "week": {}}}, "talk to a person")
    assert found.text == "No one is available right now. Leave your email and we'll reply."


def test_an_llm_that_leaves_the_time_out_gets_it_added(settings, db, redis, demo, fake) -> None:  # type: ignore[no-untyped-def]
    fake.push(call("handoff", {"reason": "shopper asked"}), reply("I've passed this on to our team."))
    found, status = ask(settings, db, demo, {"business_hours": closed_until_later(), "assistant": llm(fake)},
                        "a human please")
    day = DAY_NAMES[DAYS[later().weekday()]]
    assert found.text == (f"I've passed this on to our team. Our team is back {day} at 9:00. "
                          "Leave your email and we'll answer you there.")
    assert status == "waiting_human" and found.payload["engine"] == "openai"
    # The model was told, in the tool's result, what to say.
    tool_result = next(m for m in fake.chat_requests[-1].messages if m["role"] == "tool")
    assert json.loads(tool_result["content"])["say"].startswith(f"Our team is back {day} at 9:00.")


def test_an_llm_that_says_the_time_is_left_as_it_wrote_it(settings, db, redis, demo, fake) -> None:  # type: ignore[no-untyped-def]
    day = GERMAN_DAYS[later().weekday()]
    words = f"Unser Team ist am {day} ab 9:00 Uhr wieder da; hinterlassen Sie gern Ihre E-Mail-Adresse."
    fake.push(call("handoff", {"reason": "shopper asked"}), reply(words))
    found, _ = ask(settings, db, demo, {"business_hours": closed_until_later(), "assistant": llm(fake)},
                   "Ich möchte mit einem Menschen sprechen", page_locale="de")
    assert found.text == words and found.payload["guard"] is None  # 9:00 is grounded by the tool's result
