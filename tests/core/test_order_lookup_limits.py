"""Order numbers cannot be walked: failed lookups are counted per shopper
(email at the shop) and per client address across conversations and visitor
tokens, in Redis. After a few the next lookup waits, after more they are
locked, the right number included. Both engines look orders up through the
same tool, so through the same limit."""
from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import select

from core.assistant import service as assistant
from core.assistant.tools import Tools, orders
from core.catalog.sync import create_run, run_sync
from core.db import Message, Shop
from core.security.rate_limit import Attempts, Backoff
from core.services import Services
from core.shops import ensure_demo_shop
from tests.fakes.chat_completions import FakeChatServer, call, reply

RIGHT = ("#1001", "bob.norman@hostmail.com")  # in the demo store's orders.json
SECRET_BITS = ("Items:", "Total:", "Details:", "http")  # how a found order's details read
#: Short waits so a test can sit them out; the lock outlasts the test.
FAST = Backoff(free=3, wait=0.01, lock_after=8, lock=600.0, window=600.0)


@pytest.fixture
def svc(settings, db, redis, monkeypatch) -> Iterator[Services]:  # type: ignore[no-untyped-def]
    monkeypatch.setattr(orders, "BACKOFF", FAST)
    # The message buckets are not what is tested: out of reach.
    services = Services(settings.model_copy(update={"visitor_message_burst": 10_000, "ip_message_burst": 10_000}))
    yield services
    services.close()


@pytest.fixture
def demo(db) -> Shop:  # type: ignore[no-untyped-def]
    shop = ensure_demo_shop(db, "http://127.0.0.1:9/demo")
    assert run_sync(db, create_run(db, shop.id).id).status == "finished"
    return shop


class Shopper:
    """One visitor token: its lines go through the chat service and are answered
    by the reply service, as in production."""

    def __init__(self, svc: Services, shop: Shop, ip: str) -> None:
        self.svc, self.ip = svc, ip
        self.ctx = svc.chat.visitor_hello(shop.site_key, None, None)

    def ask(self, text: str) -> dict[str, Any]:
        stored = self.svc.chat.visitor_message(self.ctx, f"c{time.monotonic_ns()}", text, self.ip)
        assistant.answer(self.svc, self.ctx.conversation_id, stored.message.seq)
        with self.svc.db.session() as session:
            answer = session.scalar(select(Message).where(Message.conversation_id == self.ctx.conversation_id,
                                                          Message.client_id == f"reply:{stored.message.seq}"))
            assert answer is not None
            [lookup] = [c for c in answer.payload["tool_calls"] if c["tool"] == "lookup_order"]
            return {"text": answer.text, "status": lookup["result"]["status"], "result": lookup["result"]}


def _guess(shopper: Shopper, number: int, email: str) -> dict[str, Any]:
    """A wrong number; sits out a short wait (FAST) as a patient attacker would."""
    for _ in range(50):
        got = shopper.ask(f"order #{number} {email}")
        if got["status"] != "too_many_attempts" or got["result"]["retry_after_minutes"] > 1:
            return got
        time.sleep(0.05)
    raise AssertionError("the short wait never ended")


def _refused_plainly(got: dict[str, Any]) -> None:
    assert got["status"] == "too_many_attempts" and got["result"]["retry_after_minutes"] == 10
    assert "paused order lookups" in got["text"] and "10 min" in got["text"] and "team" in got["text"]
    assert not any(bit in got["text"] for bit in SECRET_BITS)


def test_walking_numbers_over_new_tokens_and_conversations_from_one_address(svc, demo) -> None:  # type: ignore[no-untyped-def]
    """The reproduced attack: 14 wrong numbers over 3 conversations, then the right one."""
    outcomes = []
    for n in range(14):
        if n % 5 == 0:
            shopper = Shopper(svc, demo, "203.0.113.9")  # a new visitor token: a new conversation
        outcomes.append(_guess(shopper, 1100 + n, RIGHT[1])["status"])
    # Eight failed (the five of the first conversation among them), then the lock.
    assert outcomes[:8] == ["not_found"] * 8
    assert set(outcomes[8:]) == {"too_many_attempts"}
    _refused_plainly(Shopper(svc, demo, "203.0.113.9").ask(f"order {RIGHT[0]} {RIGHT[1]}"))


def test_one_email_guessed_from_many_addresses(svc, demo) -> None:  # type: ignore[no-untyped-def]
    for n in range(4):
        shopper = Shopper(svc, demo, f"198.51.100.{n + 1}")
        assert [_guess(shopper, 1200 + 2 * n + k, RIGHT[1])["status"] for k in (0, 1)] == ["not_found"] * 2
    _refused_plainly(Shopper(svc, demo, "198.51.100.200").ask(f"order {RIGHT[0]} {RIGHT[1]}"))
    # Another customer's own lookup, from an address that guessed nothing, is not held up.
    assert Shopper(svc, demo, "198.51.100.201").ask("order #1002 ana.silva@example.com")["status"] == "found"


def test_many_emails_guessed_from_one_ipv6_network(svc, demo) -> None:  # type: ignore[no-untyped-def]
    for n in range(8):
        shopper = Shopper(svc, demo, f"2001:db8:7:1::{n + 1:x}")  # every address in one /64
        assert _guess(shopper, 1001, f"guess{n}@example.com")["status"] == "not_found"
    _refused_plainly(Shopper(svc, demo, "2001:db8:7:1:ffff::1").ask(f"order {RIGHT[0]} {RIGHT[1]}"))
    found = Shopper(svc, demo, "2001:db8:7:2::1").ask(f"order {RIGHT[0]} {RIGHT[1]}")  # another /64
    assert found["status"] == "found" and "Total:" in found["text"]


def test_lookups_that_find_the_order_do_not_count(svc, demo) -> None:  # type: ignore[no-untyped-def]
    shopper = Shopper(svc, demo, "192.0.2.44")
    assert _guess(shopper, 1300, RIGHT[1])["status"] == "not_found"  # a typo
    for _ in range(FAST.lock_after + 2):
        assert Shopper(svc, demo, "192.0.2.44").ask(f"order {RIGHT[0]} {RIGHT[1]}")["status"] == "found"


def test_the_llm_engines_order_tool_is_held_by_the_same_limit(svc, demo, db, outbound_development) -> None:  # type: ignore[no-untyped-def]
    for n in range(FAST.lock_after):
        if n % 5 == 0:
            shopper = Shopper(svc, demo, "203.0.113.77")
        assert _guess(shopper, 1400 + n, RIGHT[1])["status"] == "not_found"
    with FakeChatServer() as fake:
        with db.session() as session:
            session.get(Shop, demo.id).settings = {"assistant": {
                "engine": "openai", "base_url": fake.url, "model": "fake-model", "api_key": "sk-test",
                "timeout": 8, "request_timeout": 4, "max_retries": 0}}
        fake.push(call("lookup_order", {"reference": RIGHT[0], "email": RIGHT[1]}),
                  reply("Order lookups are paused for your security; please try again later."))
        got = Shopper(svc, demo, "203.0.113.77").ask(f"where is order {RIGHT[0]}? my email is {RIGHT[1]}")
    assert got["status"] == "too_many_attempts" and "order" not in got["result"]
    assert got["text"] == "Order lookups are paused for your security; please try again later."


def test_the_tool_set_every_engine_is_handed_counts_lookups(db, demo, redis) -> None:  # type: ignore[no-untyped-def]
    guesses = orders.Guesses(Attempts(redis, FAST), client="tag")
    with db.session() as session:
        tools = Tools(session, session.get(Shop, demo.id), None, guesses=guesses)
        for n in range(FAST.lock_after):
            assert tools.lookup_order(f"#{1500 + n}", RIGHT[1])["status"] == "not_found"
            time.sleep(0.2)  # longer than any of FAST's short waits
        assert tools.lookup_order(*RIGHT)["status"] == "too_many_attempts"


def test_a_failed_lookup_is_counted_even_when_the_reply_fails_after_it(db, demo, redis) -> None:  # type: ignore[no-untyped-def]
    """The built-in engine's tool calls share the reply job's transaction; the event a failed lookup
    records (the conversation's count) is committed by the call itself, so a reply that fails later
    cannot roll it back."""
    from sqlalchemy import func, select

    from core.db import Event

    with db.session() as session:
        tools = Tools(session, session.get(Shop, demo.id), None, guesses=orders.Guesses(Attempts(redis, FAST)))
        assert tools.lookup_order("#1777", RIGHT[1])["status"] == "not_found"
        session.rollback()  # what the job's session does when the engine raises
    with db.session() as session:
        assert session.scalar(select(func.count()).select_from(Event).where(
            Event.kind == "order_lookup_failed")) == 1
